"""Indicator exports (DESIGN §8): the CSV contract, JSON, a streamed XLSX workbook, the PDF report."""
import json
from datetime import date

from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trainhub.core.identifiers import mask_cnp
from trainhub.core.labels import label
from trainhub.core.pdf import Letterhead
from trainhub.core.spreadsheets import SafeWorkbook, csv_text
from trainhub.indicators import pdf
from trainhub.indicators.services import (
    INDICATORS,
    TARGET_CODES,
    TARGET_LABELS,
    CallTable,
    actual,
    breakdowns,
    compute,
    members_stmt,
)
from trainhub.participants.models import Membership, Participant
from trainhub.programme.models import Project

FORMATS = ("csv", "xlsx", "json")
HEADER = ["code", "label", "men", "women", "total"]
#: the type of each format (Flask adds "; charset=utf-8" to text/* types itself)
MIME = {"csv": "text/csv", "json": "application/json",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf"}


def table_rows(values: dict[str, dict]) -> list[list]:
    """`code,label,men,women,total` rows in the order of DESIGN §8 (CO23: total only)."""
    return [[i.code, i.label, _blank(values[i.code]["men"]), _blank(values[i.code]["women"]),
             values[i.code]["total"]] for i in INDICATORS]


def _blank(value):
    return "" if value is None else value


def to_csv(values: dict[str, dict]) -> str:
    return csv_text([HEADER, *table_rows(values)], lineterminator="\n")


def to_json(project: Project, start: date, end: date, values: dict[str, dict]) -> str:
    return json.dumps({"project": project.code, "from": start.isoformat(), "to": end.isoformat(),
                       "indicators": [dict(zip(HEADER, row, strict=True))
                                      for row in table_rows(values)]},
                      ensure_ascii=False, indent=2)


def to_xlsx(db_session: Session, project: Project, start: date, end: date, *,
            full_cnp: bool = False) -> bytes:
    """The table, its breakdowns and the people behind each number, written as a stream."""
    values = compute(db_session, project, start, end)
    workbook = SafeWorkbook()
    sheet = workbook.sheet("indicators")
    sheet.header(HEADER)
    for row in table_rows(values):
        sheet.append(row)
    for name, rows in breakdowns(db_session, project, start, end).items():
        sheet = workbook.sheet(f"by {name}")
        sheet.header([name, "participants"])
        for row in rows:
            sheet.append(row)
    sheet = workbook.sheet("participants")
    sheet.header(["code", "sex", "cnp", "last_name", "first_name", "entry_date", "exit_date"])
    for indicator in INDICATORS:
        behind = members_stmt(project, start, end, indicator.code)
        # plain rows streamed in batches, not ORM objects: memory stays flat at any size
        for sex, cnp, last_name, first_name, entry, exit_ in db_session.execute(
                select(Participant.sex, Participant.cnp, Participant.last_name,
                       Participant.first_name, Membership.entry_date, Membership.exit_date)
                .join(Participant).where(Membership.id.in_(behind))
                .order_by(Participant.last_name, Participant.first_name, Membership.id)
                .execution_options(yield_per=2000)):
            sheet.append([indicator.code, sex, cnp if full_cnp else mask_cnp(cnp), last_name,
                          first_name, entry, exit_])
    return workbook.to_bytes()


def export(db_session: Session, project: Project, start: date, end: date, fmt: str, *,
           full_cnp: bool = False) -> bytes:
    """The export in `fmt` as bytes (csv and json as UTF-8)."""
    if fmt == "xlsx":
        return to_xlsx(db_session, project, start, end, full_cnp=full_cnp)
    values = compute(db_session, project, start, end)
    text = to_csv(values) if fmt == "csv" else to_json(project, start, end, values)
    return text.encode("utf-8")


def report_pdf(db_session: Session, project: Project, start: date, end: date, *,
               letterhead: Letterhead, today: date) -> bytes:
    """The indicator report PDF: the figures of `compute` (as in every export), each indicator
    with its Romanian label (the page's) and the project's target of it."""
    values = compute(db_session, project, start, end)
    targets = {t.indicator_code: t.value for t in project.targets}
    with force_locale("ro"):
        labels = {i.code: str(label(i.code, "indicator")) for i in INDICATORS}
    rows = [pdf.ReportRow(i.code, labels[i.code], values[i.code]["men"], values[i.code]["women"],
                          values[i.code]["total"], targets.get(i.code)) for i in INDICATORS]
    return pdf.indicator_report(
        letterhead=letterhead, start=start, end=end, rows=rows, generated=today,
        women_target=targets.get("WOMEN"), women=actual(values, "WOMEN"))


def export_size(db_session: Session, project: Project, fmt: str) -> int:
    """How many rows the export has, roughly: the XLSX lists the people behind the numbers
    (at most every member); the CSV and JSON are the one table."""
    if fmt != "xlsx":
        return len(INDICATORS)
    return db_session.scalar(select(func.count()).select_from(Membership)
                             .where(Membership.project_id == project.id)) or 0


def export_name(project: Project, start: date, end: date, fmt: str) -> str:
    return f"indicators-{project.code}-{start}-{end}.{fmt}"


# --- a whole call (DESIGN §14) ---------------------------------------------------------

CALL_FORMATS = ("csv", "xlsx")
CALL_HEADER = ["scope", "code", "label", "men", "women", "total", "target"]


def call_rows(call_code: str, table: CallTable) -> list[list]:
    """The call table as the page shows it: the call's rows (scope: the call's code), then
    every project's (scope: its code), each in TARGET_CODES order (WOMEN: the women of TOTAL)."""
    rows = []
    for scope, values, targets in [(call_code, table.values, table.targets),
                                   *((p.code, v, t) for p, v, t in table.projects)]:
        for code in TARGET_CODES:
            if code == "WOMEN":
                men, women, total = "", values["TOTAL"]["women"], values["TOTAL"]["women"]
            else:
                cells = values[code]
                men, women, total = _blank(cells["men"]), _blank(cells["women"]), cells["total"]
            rows.append([scope, code, str(TARGET_LABELS[code]), men, women, total,
                         _blank(targets.get(code))])
    return rows


def call_export(call_code: str, table: CallTable, fmt: str) -> bytes:
    """The call table as CSV (UTF-8) or XLSX bytes."""
    rows = call_rows(call_code, table)
    if fmt == "xlsx":
        workbook = SafeWorkbook()
        sheet = workbook.sheet("call")
        sheet.header(CALL_HEADER)
        for row in rows:
            sheet.append(row)
        return workbook.to_bytes()
    return csv_text([CALL_HEADER, *rows], lineterminator="\n").encode("utf-8")
