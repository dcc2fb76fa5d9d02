"""PDF documents of the attendance area: sign-in sheets and certificates (fpdf2, DejaVu font)."""
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import segno
from fpdf import FPDF

from trainhub.core.formats import number

#: a Unicode TrueType font, so Romanian ș ț ă î â render (Debian: fonts-dejavu-core)
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


def _document(orientation: str = "P") -> FPDF:
    regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
    if not regular.exists():
        raise RuntimeError(f"font missing: {regular} (apt-get install fonts-dejavu-core)")
    pdf = FPDF(orientation=orientation, format="A4")
    pdf.add_font("DejaVu", "", str(regular))
    pdf.add_font("DejaVu", "B", str(bold))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    return pdf


def new_document(orientation: str = "P") -> FPDF:
    """An A4 document with the DejaVu font (regular and bold) and a first page."""
    return _document(orientation)


def sign_in_sheet(*, project: str, course: str, cohort: str, trainer: str, day: date,
                  times: str, names: Iterable[str]) -> bytes:
    """A sheet listing the enrolled people of one session with a column to sign."""
    pdf = _document()
    pdf.set_font("DejaVu", "B", 14)
    pdf.cell(0, 8, "Listă de prezență / Sign-in sheet", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    for label, value in (("Proiect", project), ("Curs", course), ("Grupa", cohort),
                         ("Formator", trainer), ("Data", f"{day.isoformat()}  {times}")):
        pdf.cell(0, 6, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    with pdf.table(col_widths=(10, 90, 45, 45), line_height=9) as table:
        header = table.row()
        for title in ("Nr.", "Nume și prenume", "Sosire", "Semnătura"):
            header.cell(title)
        for number, name in enumerate(names, start=1):
            row = table.row()
            for value in (str(number), name, "", ""):
                row.cell(value)
    pdf.ln(8)
    pdf.cell(0, 6, "Semnătura formatorului: ____________________", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def certificate(*, name: str, course: str, hours: Decimal, planned_hours: Decimal,
                start: date | None, end: date | None, serial: str, issued_on: date,
                verify_url: str) -> bytes:
    """A certificate of completion with its serial and a QR code to the public check page."""
    pdf = _document(orientation="L")
    pdf.set_font("DejaVu", "B", 26)
    pdf.ln(18)
    pdf.cell(0, 14, "CERTIFICAT DE ABSOLVIRE", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 14)
    pdf.cell(0, 10, "Se certifică faptul că", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 22)
    pdf.cell(0, 14, name, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 14)
    period = f"{start.isoformat() if start else ''} – {end.isoformat() if end else ''}"
    pdf.multi_cell(0, 9, f"a absolvit cursul „{course}”, în perioada {period}: "
                   f"{number(hours, locale='ro')} ore frecventate din "
                   f"{number(planned_hours, locale='ro')} ore planificate.",
                   align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("DejaVu", "", 11)
    pdf.cell(0, 7, f"Serie: {serial}    Data eliberării: {issued_on.isoformat()}", align="C",
             new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 7, f"Verificare: {verify_url}", align="C", new_x="LMARGIN", new_y="NEXT")
    qr_png = BytesIO()
    segno.make(verify_url, error="m").save(qr_png, kind="png", scale=6, border=2)
    qr_png.seek(0)
    pdf.image(qr_png, x=pdf.w - 60, y=pdf.h - 65, w=40)
    return bytes(pdf.output())
