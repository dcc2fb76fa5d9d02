"""Writes tests/data/demo_workbook.xlsx: a small project's records in the DESIGN §9 workbook.

Run `python -m tests.data.make_workbook` to regenerate it; the tests read the stored file.
"""
from datetime import date, time
from pathlib import Path

from openpyxl import Workbook

from tests.factories import valid_cnp, valid_cui

WORKBOOK = Path(__file__).with_name("demo_workbook.xlsx")


def sheets() -> dict[str, list[list]]:
    cuis = [valid_cui(900 + n) for n in range(3)]
    people = [
        (valid_cnp("F", date(1967, 3, 14)), "Ștefănescu", "Ioana", cuis[0], "eligible"),
        (valid_cnp("M", date(1985, 7, 2)), "Popa", "Andrei", cuis[0], ""),
        (valid_cnp("F", date(1990, 1, 20)), "Munteanu", "Elena", cuis[1], ""),
        (valid_cnp("M", date(1958, 9, 9)), "Dumitru", "Vasile", cuis[2], "ineligible"),
    ]
    return {
        "enterprises": [
            ["CUI", "Denumire", "CAEN", "Județ", "Localitate", "Employees", "turnover_eur",
             "balance_eur", "contact_name", "contact_email"],
            [f"RO {cuis[0]}", "Atelier Digital SRL", "2562", "Brașov", "Brașov", 8, 900000, 400000,
             "Ana Pop", "ana@atelier.ro"],
            [cuis[1], "Tehno Cluj SRL", 6201, "CJ", "Cluj-Napoca", 40, 5000000, None, "", ""],
            [cuis[2], "Sud Metal SA", "2511", "RO-TM", "Timișoara", 120, 30000000, 20000000, "", ""],
        ],
        "participants": [
            ["cnp", "nume", "prenume", "email", "phone", "enterprise_cui", "job_title", "judet",
             "mediu", "isced", "employment_status", "disability", "minority_or_migrant",
             "eligibility", "decided_on"],
            *[[cnp, last, first, "", "", cui, "operator", "Brasov", "rural" if n % 2 else "urban",
               3, "employed", "nu", "no", decision, "2026-02-01" if decision else None]
              for n, (cnp, last, first, cui, decision) in enumerate(people)],
        ],
        "courses": [["code", "category", "title", "planned_hours"],
                    ["WB-CYBER", "cyber_security", "Securitate cibernetică", 40]],
        "cohorts": [["code", "course_code", "capacity", "trainer_email"],
                    ["WB-G1", "WB-CYBER", 20, None]],
        "sessions": [["cohort_code", "date", "start", "end"],
                     ["WB-G1", date(2026, 3, 2), time(9), time(13)],
                     ["WB-G1", "2026-03-04", "09:00", "13:00"]],
        "enrollments": [["cohort_code", "cnp", "enrolled_on", "status", "withdrawn_on"],
                        ["WB-G1", people[0][0], "2026-02-20", "enrolled", None],
                        ["WB-G1", people[1][0], "2026-02-20", "withdrawn", "2026-03-03"]],
        "attendance": [["cohort_code", "date", "cnp", "status", "hours"],
                       ["WB-G1", "2026-03-02", people[0][0], "present", None],
                       ["WB-G1", "2026-03-02", people[1][0], "late", 3],
                       ["WB-G1", "2026-03-04", people[0][0], "absent", None]],
    }


def build(path: Path = WORKBOOK, tweak=None) -> Path:
    """Write the workbook; `tweak(sheets)` may change the rows first (bad-input tests)."""
    data = sheets()
    if tweak:
        tweak(data)
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in data.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


if __name__ == "__main__":
    print(build())
