"""PDF documents of the attendance area: sign-in sheets and certificates (on the one document
class of core/pdf.py, so each carries the call's visual identity)."""
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from io import BytesIO

import segno

from trainhub.core.formats import number
from trainhub.core.pdf import Document, Letterhead, new_document

__all__ = ["SheetPerson", "SheetSession", "certificate", "new_document", "sign_in_sheet"]

#: how many last digits of the CNP a sign-in sheet shows (fewer than the six of QR check-in)
CNP_DIGITS_ON_SHEETS = 3


@dataclass(frozen=True)
class SheetSession:
    day: date
    start: time
    end: time
    hours: Decimal


@dataclass(frozen=True)
class SheetPerson:
    name: str
    cnp: str

    @property
    def cnp_end(self) -> str:
        return "…" + self.cnp[-CNP_DIGITS_ON_SHEETS:] if self.cnp else ""


def _hours(value: Decimal) -> str:
    return number(value, locale="ro")


def sign_in_sheet(*, letterhead: Letterhead, course: str, cohort: str, trainer: str,
                  sessions: Sequence[SheetSession], people: Sequence[SheetPerson]) -> bytes:
    """The sign-in sheet of one session, or of a week's sessions side by side: per person the
    number, name, last digits of the CNP and a signature column per session; the trainer's
    signature and date lines. Every page repeats the identity, the sheet's details and the
    table heading, and is numbered "Pagina X din N"."""
    week = len(sessions) > 1
    document = Document(letterhead, orientation="L" if week else "P")
    title = "LISTĂ DE PREZENȚĂ" + (" — SĂPTĂMÂNALĂ" if week else "")
    details = [f"Curs: {course}    Grupa: {cohort}", f"Formator: {trainer or '—'}"]
    if not week:
        only = sessions[0]
        details.append(f"Data: {only.day:%d.%m.%Y}    Ora: {only.start:%H:%M}–{only.end:%H:%M}"
                       f"    Durata: {_hours(only.hours)} ore")
    else:
        details.append(f"Perioada: {sessions[0].day:%d.%m.%Y} – {sessions[-1].day:%d.%m.%Y}    "
                       f"Total: {_hours(sum((s.hours for s in sessions), Decimal(0)))} ore")
    document.page_heading = (title, details)
    document.add_page()
    width = document.w - document.l_margin - document.r_margin
    signature_width = (width - 10 - 70 - 18) / len(sessions)
    headings = ["Nr.", "Nume și prenume", "CNP"] + [
        f"{s.day:%d.%m} {s.start:%H:%M}–{s.end:%H:%M}\nSemnătura" if week else "Semnătura"
        for s in sessions]
    document.set_font("DejaVu", "", 9)
    with document.table(col_widths=(10, 70, 18, *[signature_width] * len(sessions)),
                        line_height=9 if not week else 7, repeat_headings=1) as table:
        header = table.row()
        for heading in headings:
            header.cell(heading)
        for position, person in enumerate(people, start=1):
            row = table.row()
            for value in (str(position), person.name, person.cnp_end, *[""] * len(sessions)):
                row.cell(value)
    document.ln(8)
    document.set_font("DejaVu", "", 10)
    document.cell(0, 7, f"Formator: {trainer or '____________________'}", new_x="LMARGIN",
                  new_y="NEXT")
    document.cell(0, 7, "Semnătura formatorului: ____________________    "
                        "Data: ____________", new_x="LMARGIN", new_y="NEXT")
    return bytes(document.output())


def certificate(*, letterhead: Letterhead, title: str, body: str, signatures: Sequence[dict],
                orientation: str, serial: str, issued_on: date, verify_url: str) -> bytes:
    """A certificate of completion: title and body (placeholders already filled in), its
    serial, signature lines and a QR code to the public check page."""
    document = new_document(letterhead, orientation=orientation or "L")
    width = document.w - document.l_margin - document.r_margin
    document.set_font("DejaVu", "B", 24)
    document.ln(6)
    document.multi_cell(width, 12, title, align="C",
                        new_x="LMARGIN", new_y="NEXT")
    document.ln(4)
    document.set_font("DejaVu", "", 14)
    document.multi_cell(width, 9, body, align="C",
                        new_x="LMARGIN", new_y="NEXT")
    document.ln(6)
    document.set_font("DejaVu", "", 11)
    document.cell(0, 7, f"Serie: {serial}    Data eliberării: {issued_on.isoformat()}",
                  align="C", new_x="LMARGIN", new_y="NEXT")
    document.cell(0, 7, f"Verificare: {verify_url}", align="C", new_x="LMARGIN", new_y="NEXT")
    if signatures:
        document.ln(8)
        column = (width - 50) / len(signatures)
        top = document.get_y()
        for index, line in enumerate(signatures):
            document.set_xy(document.l_margin + index * column, top)
            document.set_font("DejaVu", "B", 10)
            document.multi_cell(column, 5, line.get("role", ""), align="C", new_x="LEFT",
                                new_y="NEXT")
            document.set_font("DejaVu", "", 10)
            document.multi_cell(column, 5, line.get("name", ""), align="C", new_x="LEFT",
                                new_y="NEXT")
            document.multi_cell(column, 8, "____________________", align="C")
    qr_png = BytesIO()
    segno.make(verify_url, error="m").save(qr_png, kind="png", scale=6, border=2)
    qr_png.seek(0)
    document.image(qr_png, x=document.w - document.r_margin - 36, y=document.h - 58, w=34)
    return bytes(document.output())
