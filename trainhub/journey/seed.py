"""The maturity questionnaire's version 1 and the starter catalogue's competence tags.

A published version never changes (answers keep the version they were given on), so the
migration and empty databases seed the same frozen data; a new version is a new constant.
"""
from datetime import date

_FREQUENCY = [
    {"points": 0, "ro": "Deloc", "en": "Not at all"},
    {"points": 2, "ro": "Ocazional", "en": "Occasionally"},
    {"points": 4, "ro": "De cele mai multe ori", "en": "Most of the time"},
    {"points": 5, "ro": "Sistematic", "en": "Systematically"},
]

#: (code, dimension, Romanian text, English text, choices or [] for the 0–5 scale)
QUESTIONNAIRE_V1_DATE = date(2026, 11, 30)
QUESTIONNAIRE_V1 = [
    ("S1", "strategy", "Firma are un plan scris pentru digitalizare, cu obiective și buget.",
     "The company has a written digitalisation plan with goals and a budget.", []),
    ("S2", "strategy", "Conducerea urmărește periodic rezultatele investițiilor digitale.",
     "Management regularly reviews the results of digital investments.", []),
    ("S3", "strategy", "Cât de des vindeți sau comunicați cu clienții prin canale online?",
     "How often do you sell or talk to customers through online channels?", _FREQUENCY),
    ("S4", "strategy", "Firma este pregătită financiar și organizatoric să adopte tehnologii noi.",
     "The company is financially and organisationally ready to adopt new technologies.", []),
    ("R1", "readiness", "Echipamentele și conexiunea la internet acoperă nevoile activității.",
     "Equipment and internet connection meet the needs of the business.", []),
    ("R2", "readiness", "Folosim aplicații de gestiune (facturare, stocuri, CRM, ERP).",
     "We use management software (invoicing, stock, CRM, ERP).", []),
    ("R3", "readiness", "Cât de des lucrați cu documente partajate în cloud?",
     "How often do you work with shared documents in the cloud?", _FREQUENCY),
    ("R4", "readiness", "Avem copii de siguranță, parole puternice și autentificare în doi pași.",
     "We have backups, strong passwords and two-factor authentication.", []),
    ("H1", "human", "Angajații au competențele digitale cerute de postul lor.",
     "Employees have the digital skills their job requires.", []),
    ("H2", "human", "Cât de des participă angajații la instruiri digitale?",
     "How often do employees take part in digital training?", _FREQUENCY),
    ("H3", "human", "Angajații sunt consultați înainte de introducerea unei tehnologii noi.",
     "Employees are consulted before a new technology is introduced.", []),
    ("H4", "human", "Tehnologiile noi au făcut munca mai ușoară pentru angajați.",
     "New technologies have made work easier for employees.", []),
    ("D1", "data", "Datele firmei sunt păstrate organizat, nu în fișiere răzlețe.",
     "The company's data is kept in order, not in scattered files.", []),
    ("D2", "data", "Cât de des luați decizii pe baza rapoartelor și a datelor?",
     "How often do you make decisions based on reports and data?", _FREQUENCY),
    ("D3", "data", "Aplicăm regulile GDPR și știm cine are acces la ce date.",
     "We apply the GDPR rules and know who has access to which data.", []),
    ("D4", "data", "Aplicațiile noastre schimbă date între ele fără reintroducere manuală.",
     "Our applications exchange data without manual re-entry.", []),
    ("A1", "automation", "Sarcinile administrative repetitive sunt automatizate.",
     "Repetitive administrative tasks are automated.", []),
    ("A2", "automation", "Producția sau serviciile folosesc echipamente automatizate sau roboți.",
     "Production or services use automated equipment or robots.", []),
    ("A3", "automation", "Cât de des folosiți instrumente de inteligență artificială?",
     "How often do you use artificial-intelligence tools?", _FREQUENCY),
    ("A4", "automation", "Am evaluat ce procese ar putea fi automatizate în următorii doi ani.",
     "We have assessed which processes could be automated in the next two years.", []),
    ("G1", "green", "Măsurăm consumul de energie al echipamentelor și al clădirilor.",
     "We measure the energy use of equipment and buildings.", []),
    ("G2", "green", "Tehnologiile digitale ne ajută să reducem hârtia, deplasările și deșeurile.",
     "Digital technologies help us cut paper, travel and waste.", []),
    ("G3", "green", "Cât de des țineți seama de impactul asupra mediului când cumpărați tehnologie?",
     "How often do you consider environmental impact when buying technology?", _FREQUENCY),
    ("G4", "green", "Echipamentele vechi sunt reparate, refolosite sau reciclate corect.",
     "Old equipment is repaired, reused or properly recycled.", []),
]

#: the starter catalogue's courses (migration 0009) -> the dimensions they build
STARTER_COURSE_DIMENSIONS = {
    "C-IOT": ["green", "data"],
    "C-QI40": ["data", "automation"],
    "C-CYBER": ["readiness", "human"],
    "C-SFA": ["strategy", "automation"],
    "C-CAD3D": ["automation", "readiness"],
    "C-CNC": ["automation"],
    "C-ROBOT": ["automation", "human"],
    "C-BIT": ["readiness", "human", "data"],
    "C-CRM": ["strategy", "data"],
    "C-ERP": ["strategy", "data", "readiness"],
    "C-CAD": ["readiness", "automation"],
}


def questionnaire_rows(questionnaire_id: int) -> list[dict]:
    """The rows of version 1's questions, for an insert."""
    return [{"questionnaire_id": questionnaire_id, "position": position, "code": code,
             "dimension": dimension, "text_ro": ro, "text_en": en, "choices": choices}
            for position, (code, dimension, ro, en, choices) in enumerate(QUESTIONNAIRE_V1, 1)]


def seed_questionnaire(connection) -> None:
    """Record version 1 when no questionnaire exists (migration, `create_all`, test databases)."""
    from sqlalchemy import func, select

    from trainhub.journey.models import Question, Questionnaire

    if connection.scalar(select(func.count()).select_from(Questionnaire.__table__)):
        return
    questionnaire_id = connection.execute(Questionnaire.__table__.insert().values(
        version=1, published_on=QUESTIONNAIRE_V1_DATE)).inserted_primary_key[0]
    connection.execute(Question.__table__.insert(), questionnaire_rows(questionnaire_id))
