"""The attendance register of a cohort (DESIGN §15): people × sessions as XLSX, CSV or PDF."""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from trainhub.attendance.models import ATTENDED_STATUSES
from trainhub.attendance.services import Grid
from trainhub.core.formats import number
from trainhub.core.pdf import Letterhead, new_document
from trainhub.core.spreadsheets import SafeWorkbook, csv_text

#: one letter per status in the register's cells (the legend says what each means)
STATUS_CODES = {"present": "P", "late": "I", "excused": "M", "absent": "A"}
STATUS_LEGEND = {"present": _l("present"), "late": _l("late"), "excused": _l("excused"),
                 "absent": _l("absent")}
NOT_EXPECTED = "—"
FORMATS = ("xlsx", "csv", "pdf")


@dataclass
class Register:
    """The register as a table of text: a header, one row per person, a totals row."""

    title: str
    header: list[str]
    rows: list[list[str]]
    totals: list[str]
    legend: str


def _hours(value: Decimal) -> str:
    return number(value)


def build(grid: Grid, today: date) -> Register:
    """The register of `grid` as of `today`: each cell is the status letter and hours
    ("P 4", "A", "—" not expected, empty when not marked); per person the hours attended,
    the hours of the sessions held at which they were expected, and the rate (Grid.totals)."""
    totals = grid.totals(today)
    header = [str(_l("Participant"))] + [
        f"{session.date.strftime('%d.%m.%Y')} ({_hours(session.hours)} h)"
        for session in grid.sessions] + [
        str(_l("Hours attended")), str(_l("Hours held")), str(_l("Rate"))]
    held = {s.id: s.hours for s in grid.sessions if s.date <= today}
    present_at = dict.fromkeys((s.id for s in grid.sessions), 0)
    rows = []
    for enrollment in grid.enrollments:
        expected = grid.expected[enrollment.id]
        cells = []
        for session in grid.sessions:
            mark = grid.marks.get((session.id, enrollment.id))
            if session.id not in expected:
                cells.append(NOT_EXPECTED)
            elif mark is None:
                cells.append("")
            else:
                code = STATUS_CODES.get(mark.status, mark.status)
                cells.append(f"{code} {_hours(mark.hours)}" if mark.hours else code)
                if mark.status in ATTENDED_STATUSES:
                    present_at[session.id] += 1
        hours, rate = totals[enrollment.id]
        due = sum((h for s_id, h in held.items() if s_id in expected), Decimal(0))
        rows.append([enrollment.membership.participant.full_name, *cells, _hours(hours),
                     _hours(due), f"{rate * 100:.0f}%" if rate is not None else ""])
    total_hours = sum((totals[e.id][0] for e in grid.enrollments), Decimal(0))
    total_row = ([str(_l("Present or late"))] + [str(present_at[s.id]) for s in grid.sessions]
                 + [_hours(total_hours), "", ""])
    legend = ", ".join(f"{STATUS_CODES[code]} = {label}" for code, label in STATUS_LEGEND.items())
    legend += f", {NOT_EXPECTED} = {_l('not expected')}"
    cohort = grid.cohort
    title = f"{cohort.code} · {cohort.course.title}"
    return Register(title, header, rows, total_row, legend)


def to_csv(register: Register, letterhead: Letterhead | None = None) -> bytes:
    """UTF-8 with a BOM (Excel opens it with the diacritics right), header row first."""
    rows = [register.header, *register.rows, register.totals]
    return ("\ufeff" + csv_text(rows, lineterminator="\n")).encode()


def to_xlsx(register: Register, letterhead: Letterhead | None = None) -> bytes:
    workbook = SafeWorkbook()
    sheet = workbook.sheet("prezenta")
    if letterhead is not None:
        sheet.letterhead(letterhead.lines())
    sheet.header(register.header)
    for row in [*register.rows, register.totals, [], [register.legend]]:
        sheet.append(row)
    return workbook.to_bytes()


#: sessions per PDF page, so a long course stays readable in landscape A4
SESSIONS_PER_PAGE = 10


def to_pdf(register: Register, letterhead: Letterhead | None = None) -> bytes:
    """Landscape pages of at most SESSIONS_PER_PAGE sessions; the totals on every page."""
    document = new_document(letterhead, orientation="L")
    sessions = len(register.header) - 4
    chunks = [range(start, min(start + SESSIONS_PER_PAGE, sessions))
              for start in range(0, sessions, SESSIONS_PER_PAGE)] or [range(0)]
    for page, chunk in enumerate(chunks):
        if page:
            document.add_page()
        document.set_font("DejaVu", "B", 12)
        document.cell(0, 8, f"{_l('Attendance register')}: {register.title}",
                      new_x="LMARGIN", new_y="NEXT")
        document.set_font("DejaVu", "", 7)
        columns = [0, *(1 + index for index in chunk), *range(len(register.header) - 3,
                                                              len(register.header))]
        widths = [50] + [18] * len(chunk) + [18, 18, 14]
        with document.table(col_widths=widths, line_height=5) as table:
            for line in [register.header, *register.rows, register.totals]:
                row = table.row()
                for column in columns:
                    row.cell(line[column])
        document.ln(2)
        document.cell(0, 5, register.legend, new_x="LMARGIN", new_y="NEXT")
    return bytes(document.output())


def render(register: Register, kind: str, letterhead: Letterhead | None = None) -> bytes:
    """The register in one of FORMATS (PDF and XLSX carry the letterhead)."""
    return {"csv": to_csv, "xlsx": to_xlsx, "pdf": to_pdf}[kind](register, letterhead)
