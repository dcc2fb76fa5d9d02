"""The indicator report as a PDF (on the one document class of core/pdf.py, so it carries the
call's visual identity): a project's indicator table for a period, in Romanian."""
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from trainhub.core.pdf import Document, Letterhead

TITLE = "Raport privind indicatorii"
HEADINGS = ("Cod", "Indicator", "Bărbați", "Femei", "Total", "Țintă")
#: column widths on an A4 landscape page (277 mm between the margins)
WIDTHS = (24, 153, 25, 25, 25, 25)


@dataclass(frozen=True)
class ReportRow:
    """One indicator of the table (men and women None where the indicator has a total only;
    target None where the project promised no number of it)."""

    code: str
    label: str
    men: int | None
    women: int | None
    total: int
    target: int | None = None


def _cell(value: int | None) -> str:
    return "—" if value is None else str(value)


def indicator_report(*, letterhead: Letterhead, start: date, end: date,
                     rows: Sequence[ReportRow], generated: date, women_target: int | None = None,
                     women: int = 0) -> bytes:
    """The report: title and period (repeated on every page, under the letterhead with the
    project's title and SMIS code), the table of every indicator with its target, the women
    target when the project has one, and the date it was generated."""
    document = Document(letterhead, orientation="L")
    # the letterhead of every page names the project and its SMIS code already
    document.page_heading = (TITLE, [f"Perioada: {start:%d.%m.%Y} – {end:%d.%m.%Y}"])
    document.add_page()
    document.set_font("DejaVu", "", 9)
    with document.table(col_widths=WIDTHS, line_height=6, repeat_headings=1,
                        text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT")) as table:
        header = table.row()
        for heading in HEADINGS:
            header.cell(heading)
        for row in rows:
            cells = table.row()
            for value in (row.code, row.label, _cell(row.men), _cell(row.women),
                          _cell(row.total), _cell(row.target)):
                cells.cell(value)
    document.ln(4)
    document.set_font("DejaVu", "", 10)
    if women_target is not None:
        document.cell(0, 6, f"Ținta de participanți femei: {women_target} (realizat: {women})",
                      new_x="LMARGIN", new_y="NEXT")
    document.cell(0, 6, f"Generat la: {generated:%d.%m.%Y}", new_x="LMARGIN", new_y="NEXT")
    return bytes(document.output())
