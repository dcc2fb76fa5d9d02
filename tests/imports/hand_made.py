"""Files the way Romanian project assistants make them by hand, for the import tests.

A target-group register and a firms list as XLSX (merged title rows above the header,
Romanian headers, CNP as a number cell, "jud. Argeș", "RO…" CUIs, amounts in lei with
Romanian digit grouping, a TOTAL row) and a sign-in list as Excel saves a CSV on Romanian
Windows (Windows-1250, semicolons, "2,5" hours, DA/NU, "motivat - concediu medical").
"""
import io
from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook

from tests.factories import valid_cnp, valid_cui

FIRMS_HEADER = ["Nr. crt.", "Denumire", "CUI", "Cod CAEN", "Județ", "Localitate",
                "Nr. angajați", "Cifra de afaceri (lei)", "Observații"]
REGISTER_HEADER = ["Nr. crt.", "Nume", "Prenume", "CNP", "Sex", "Data nașterii", "Vârsta",
                   "Mediu (U/R)", "Nivel de educație (ISCED)", "Statut pe piața muncii",
                   "E-mail", "Județ", "CUI angajator"]


@dataclass(frozen=True)
class Firm:
    cui: str
    name: str
    caen_cell: object
    caen: str
    county_cell: str
    county: str
    employees: int
    turnover_cell: object
    turnover_lei: str


@dataclass(frozen=True)
class Person:
    cnp: str
    last_name: str
    first_name: str
    sex: str
    birth: date
    environment_cell: str
    environment: str
    isced_cell: object
    isced: int
    status_cell: str
    status: str
    email_cell: str
    county_cell: str
    county: str
    employer: str


FIRMS = [
    Firm(valid_cui(701), "Atelier Digital SRL", "6201 - Activități de realizare a soft-ului la"
         " comandă", "6201", "jud. Argeș", "RO-AG", 12, "1.250.000,50 lei", "1250000.50"),
    Firm(valid_cui(702), "Agro Vest SRL", 111, "0111", "Județul Cluj", "RO-CJ", 45, 2487300,
         "2487300"),
    Firm(valid_cui(703), "Print Expres SA", "1812", "1812", "Municipiul București", "RO-B", 230,
         "9 874 500 lei", "9874500"),
]

_CELLS = [  # (environment, isced, employment status) as typed, and what they mean
    ("U", "ISCED 3 - Liceu", "Angajat", "urban", 3, "employed"),
    ("R", "Licență", "Salariat", "rural", 6, "employed"),
    ("urban", 2, "persoană angajată", "urban", 2, "employed"),
    ("Rural", "gimnaziu", "PFA", "rural", 2, "self_employed"),
    ("u", "Master", "Angajată", "urban", 7, "employed"),
    ("R", "ISCED 4", "liber profesionist", "rural", 4, "self_employed"),
]
_COUNTIES = [("jud. Argeș", "RO-AG"), ("Județul Cluj", "RO-CJ"), ("BV", "RO-BV"),
             ("jud. Brasov", "RO-BV"), ("Municipiul București", "RO-B"), ("Iași", "RO-IS")]


def people(count: int = 30) -> list[Person]:
    result = []
    for n in range(count):
        sex = "F" if n % 2 else "M"
        birth = date(1961 + n % 40, 1 + n % 12, 1 + n % 27)
        environment, isced_cell, status_cell, environment_value, isced, status = _CELLS[n % 6]
        county_cell, county = _COUNTIES[n % len(_COUNTIES)]
        result.append(Person(
            valid_cnp(sex, birth), f"Ștefănescu{n}", f"Ioana{n}", sex, birth, environment,
            environment_value, isced_cell, isced, status_cell, status,
            f"Persoana.{n}@Firma.RO", county_cell, county, FIRMS[n % len(FIRMS)].cui))
    return result


def _xlsx(workbook: Workbook) -> bytes:
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def _titles(sheet, width: int, *titles: str) -> None:
    for row, title in enumerate(titles, start=1):
        sheet.cell(row=row, column=1, value=title)
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)


def firms_xlsx(firms: list[Firm] = FIRMS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Firme"
    _titles(sheet, len(FIRMS_HEADER), "LISTA ÎNTREPRINDERILOR PARTENERE",
            "Proiect POCU/3.12 - Competențe digitale în IMM")
    sheet.append(FIRMS_HEADER)
    for n, firm in enumerate(firms, start=1):
        sheet.append([n, firm.name, f"RO{firm.cui}", firm.caen_cell, firm.county_cell,
                      "Pitești", firm.employees, firm.turnover_cell, "dosar complet"])
    sheet.append([None, "TOTAL", None, None, None, None, f"=SUM(G4:G{3 + len(firms)})",
                  f"=SUM(H4:H{3 + len(firms)})", None])
    return _xlsx(workbook)


def register_xlsx(persons: list[Person]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Grup tinta"
    _titles(sheet, len(REGISTER_HEADER), "REGISTRUL GRUPULUI ȚINTĂ",
            "Proiect: Competențe digitale pentru angajații IMM - cod SMIS 130512")
    sheet.append(REGISTER_HEADER)
    for n, person in enumerate(persons, start=1):
        if n == 11:
            sheet.append([])  # the empty row someone left in the middle
        sheet.append([n, person.last_name, person.first_name, int(person.cnp), person.sex,
                      person.birth.strftime("%d.%m.%Y"), 2025 - person.birth.year,
                      person.environment_cell, person.isced_cell, person.status_cell,
                      person.email_cell, person.county_cell, f"RO{person.employer}"])
    sheet.append([None, f"Total participanți: {len(persons)}"])
    return _xlsx(workbook)


def sign_in_csv(cohort_code: str, day: date, rows: list[tuple[str, str, str, str]]) -> bytes:
    """(CNP, Prezent, Nr. ore, Observații) rows, as Excel saves "CSV (delimitat de virgulă)"
    on Romanian Windows: Windows-1250 (cedilla ş/ţ), semicolons, a title line, a total line."""
    lines = ["LISTĂ DE PREZENŢĂ;;;;;;;;", f"Grupa {cohort_code};;;;;;;;",
             "Nr. crt.;Grupa;Data;Nume;Prenume;CNP;Prezent (DA/NU);Nr. ore;Observaţii"]
    for n, (cnp, present, hours, remark) in enumerate(rows, start=1):
        lines.append(f"{n};{cohort_code};{day:%d.%m.%Y};Ştefan;Ana;{cnp};{present};{hours};{remark}")
    lines.append(";;;;;;TOTAL ORE;;")
    return ("\r\n".join(lines) + "\r\n").encode("cp1250")
