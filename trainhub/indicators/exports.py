"""Indicator exports (DESIGN §8): the CSV contract, JSON, and a streamed XLSX workbook."""
import csv
import io
import json
import tempfile
from datetime import date

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from sqlalchemy import select
from sqlalchemy.orm import Session

from trainhub.core.identifiers import mask_cnp
from trainhub.indicators.services import INDICATORS, breakdowns, compute, members_stmt
from trainhub.participants.models import Membership, Participant
from trainhub.programme.models import Project

FORMATS = ("csv", "xlsx", "json")
HEADER = ["code", "label", "men", "women", "total"]


def table_rows(values: dict[str, dict]) -> list[list]:
    """`code,label,men,women,total` rows in the order of DESIGN §8 (CO23: total only)."""
    return [[i.code, i.label, _blank(values[i.code]["men"]), _blank(values[i.code]["women"]),
             values[i.code]["total"]] for i in INDICATORS]


def _blank(value):
    return "" if value is None else value


def to_csv(values: dict[str, dict]) -> str:
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(table_rows(values))
    return stream.getvalue()


def to_json(project: Project, start: date, end: date, values: dict[str, dict]) -> str:
    return json.dumps({"project": project.code, "from": start.isoformat(), "to": end.isoformat(),
                       "indicators": [dict(zip(HEADER, row, strict=True))
                                      for row in table_rows(values)]},
                      ensure_ascii=False, indent=2)


def _header(sheet, names: list[str]) -> None:
    bold, fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="305496")
    cells = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font, cell.fill = bold, fill
        cells.append(cell)
    sheet.append(cells)


def to_xlsx(db_session: Session, project: Project, start: date, end: date, *,
            full_cnp: bool = False) -> bytes:
    """The table, its breakdowns and the people behind each number, written as a stream."""
    values = compute(db_session, project, start, end)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("indicators")
    sheet.freeze_panes = "A2"
    _header(sheet, HEADER)
    for row in table_rows(values):
        sheet.append(row)
    for name, rows in breakdowns(db_session, project, start, end).items():
        sheet = workbook.create_sheet(f"by {name}"[:31])
        sheet.freeze_panes = "A2"
        _header(sheet, [name, "participants"])
        for row in rows:
            sheet.append(list(row))
    sheet = workbook.create_sheet("participants")
    sheet.freeze_panes = "A2"
    _header(sheet, ["code", "sex", "cnp", "last_name", "first_name", "entry_date", "exit_date"])
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
    with tempfile.TemporaryFile() as spool:
        workbook.save(spool)
        spool.seek(0)
        return spool.read()


def export(db_session: Session, project: Project, start: date, end: date, fmt: str, *,
           full_cnp: bool = False) -> bytes:
    """The export in `fmt` as bytes (csv and json as UTF-8)."""
    if fmt == "xlsx":
        return to_xlsx(db_session, project, start, end, full_cnp=full_cnp)
    values = compute(db_session, project, start, end)
    text = to_csv(values) if fmt == "csv" else to_json(project, start, end, values)
    return text.encode("utf-8")
