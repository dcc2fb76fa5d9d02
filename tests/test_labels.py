"""Stored codes, numbers, eligibility details and counts read in Romanian (issue 15); every
message of the code has its Romanian translation."""
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask import render_template_string
from flask_babel import force_locale, ngettext

from trainhub.applications.models import ApplicationStatus, Channel
from trainhub.attendance.models import MarkSource, MarkStatus
from trainhub.auth.models import Locale, Role
from trainhub.core.formats import eur, number
from trainhub.core.labels import INDICATOR_LABELS, LABELS, audited_value, label
from trainhub.courses.models import CourseCategory, EnrollmentStatus, Modality
from trainhub.documents.models import DocumentStatus, RequirementLevel
from trainhub.enterprises.models import SizeClass
from trainhub.indicators.exports import table_rows
from trainhub.indicators.services import INDICATORS
from trainhub.participants.eligibility import DETAILS, detail_text
from trainhub.participants.models import Eligibility, EmploymentStatus, Environment, Sex

ROOT = Path(__file__).resolve().parent.parent
PO_FILE = ROOT / "trainhub/translations/ro/LC_MESSAGES/messages.po"

#: every enum of the models whose values reach a page, with the label kind that names them
LABELLED_ENUMS: dict[type[StrEnum], str] = {
    SizeClass: "size", Eligibility: "eligibility", Sex: "sex", Role: "role", Locale: "locale",
    EmploymentStatus: "employment_status", Environment: "environment",
    CourseCategory: "category", Modality: "modality", EnrollmentStatus: "enrollment",
    MarkStatus: "mark", MarkSource: "mark_source", DocumentStatus: "document_status",
    RequirementLevel: "level", Channel: "channel", ApplicationStatus: "application",
}


@pytest.fixture
def ro(app):
    with app.test_request_context(), force_locale("ro"):
        yield


@pytest.mark.parametrize("enum, kind", LABELLED_ENUMS.items())
def test_every_stored_value_has_a_romanian_label(ro, enum, kind):
    for member in enum:
        assert member in LABELS[kind], f"{enum.__name__}.{member.name} has no label"
        shown = label(member.value, kind)
        assert shown and "_" not in shown


def test_label_reads_romanian_and_never_loses_a_value(ro):
    assert label("medium", "size") == "Mijlocie"
    assert label("cnc_programming", "category") == "Programare CNC"
    assert label("coordinator", "role") == "Coordonator"
    assert label("not_completed", "enrollment") == "neabsolvent"
    assert label("7", "isced") == label(7, "isced") == "7 — master"
    assert label("RO-BV", "county") == "Brașov"
    assert label(None, "size") == "—" and label("", "mark", "") == ""
    assert label("a_code_added_later", "size") == "a_code_added_later"


def test_labels_agree_with_what_they_describe(ro):
    assert label("eligible", "eligibility_F") == "Eligibilă"
    assert label("ineligible", "eligibility_F") == "Neeligibilă"
    assert label("eligible", "eligibility_M") == "Eligibil"
    assert label("eligible", "eligibility") == "Eligibili"  # filters name people in general
    assert label("unknown", "size") == "Necunoscută"  # categoria de mărime
    assert label("pending", "employees") == "cu angajați în așteptarea deciziei"


def test_the_audit_trail_names_stored_codes(ro):
    assert audited_value("enrollments", "status", "waiting") == "listă de așteptare"
    assert audited_value("documents", "status", "rejected") == "respins"
    assert audited_value("users", "email", "ana@example.org") == "ana@example.org"
    assert audited_value("enrollments", "status", None) == "∅"
    assert audited_value("applications", "status", "declined") == "respinsă"
    assert audited_value("applications", "channel", "social_media") == "Rețele sociale"


def test_numbers_are_written_the_romanian_way(ro):
    assert eur(200000) == "200.000,00 EUR"
    assert number(Decimal("1234.5")) == "1.234,5"
    assert number(150000, 0) == "150.000"
    assert render_template_string("{{ 43000000|number(0) }} {{ 2.5|number }}") == "43.000.000 2,5"


def test_numbers_stay_english_for_english_readers(app):
    with app.test_request_context(), force_locale("en"):
        assert eur(200000) == "200,000.00 EUR"


def _outcome(key: str, **args) -> dict:
    return {"detail_key": key, "detail_args": args, "detail": "stored English"}


@pytest.mark.parametrize("outcome, expected", [
    (_outcome("employment_status", status="employed"), "statut pe piața muncii: angajat"),
    (_outcome("employment_status", status=""), "statut pe piața muncii: lipsă"),
    (_outcome("age", age=58, day="2026-11-30"), "vârsta 58 la 2026-11-30"),
    (_outcome("no_employer"), "fără angajator"),
    (_outcome("size_class", size="medium"), "categoria de mărime: mijlocie"),
    (_outcome("region", region="RO21", county="RO-IS"), "regiunea RO21 (RO-IS)"),
    (_outcome("missing_fields", fields=["isced", "employment_status"]),
     "date lipsă: Educație (ISCED), Statut pe piața muncii"),
    (_outcome("member_of", projects="SMIS-2"), "face parte din SMIS-2"),
    (_outcome("de_minimis", total="150000", ceiling="200000", num=1),
     "150.000,00 EUR din plafonul de 200.000 EUR într-un an"),
    (_outcome("de_minimis", total="150000", ceiling="200000", num=3),
     "150.000,00 EUR din plafonul de 200.000 EUR în 3 ani"),
    (_outcome("de_minimis", total="150000", ceiling="200000", num=20),
     "150.000,00 EUR din plafonul de 200.000 EUR în 20 de ani"),
])
def test_eligibility_details_read_in_romanian(ro, outcome, expected):
    assert detail_text(outcome) == expected


def test_every_detail_key_has_a_romanian_sentence(ro):
    args = {"status": "employed", "age": 40, "day": "2026-01-01", "name": "Alfa SRL",
            "size": "small", "region": "RO11", "county": "RO-CJ", "caen": "6201",
            "total": "1", "ceiling": "2", "num": 3, "projects": "P", "fields": ["cnp"],
            "kind": "'x'", "cnps": "1", "reason": "motiv"}
    for key in DETAILS:
        assert detail_text(_outcome(key, **args)) != "stored English"


def test_an_outcome_stored_before_detail_keys_shows_its_stored_detail(ro):
    assert detail_text({"detail": "age 70 on 2025-01-01"}) == "age 70 on 2025-01-01"
    for broken in (_outcome("age", age=70), _outcome("de_minimis", total="x", ceiling="1", num=3),
                   _outcome("de_minimis", total="1", ceiling="1", num="many")):
        assert detail_text(broken) == "stored English"


def test_indicators_have_romanian_labels_and_the_export_keeps_the_contract_labels(ro):
    assert {indicator.code for indicator in INDICATORS} <= set(INDICATOR_LABELS)
    assert label("CO07", "indicator") == "Participanți cu vârsta de peste 54 de ani"
    values = {i.code: {"men": 0, "women": 0, "total": 0} for i in INDICATORS}
    assert table_rows(values)[0][:2] == ["TOTAL", "All participants"]  # DESIGN §8 contract


@pytest.mark.parametrize("n, expected", [(1, "1 prezență salvată."), (3, "3 prezențe salvate."),
                                         (20, "20 de prezențe salvate."),
                                         (101, "101 prezențe salvate.")])
def test_counts_agree_in_number(ro, n, expected):
    assert ngettext("%(num)s mark saved.", "%(num)s marks saved.", n) == expected


def test_every_message_of_the_code_has_a_romanian_translation():
    """What babel.cfg extracts (like `make messages`, without writing anything) is in the .po
    with a Romanian text; plural messages have all three Romanian forms."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "_l": None,
                "lazy_gettext": None, "pgettext": ((1, "c"), 2)}
    with PO_FILE.open("rb") as po:
        catalog = read_po(po, locale="ro")
    missing = []
    for filename, _line, message, _comments, context in extract_from_dir(
            ROOT, method_map, options_map, keywords=keywords):
        msgid = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(msgid, context=context)
        strings = entry.string if entry is not None else None
        if isinstance(message, tuple):
            complete = isinstance(strings, tuple) and len(strings) == 3 and all(strings)
        else:
            complete = bool(strings)
        if not complete:
            missing.append(f"{filename}: {msgid!r}" + (f" (context {context!r})" if context else ""))
    assert not missing, "translate in messages.po:\n" + "\n".join(missing)


def test_no_message_is_translated_twice():
    """msgfmt refuses a catalogue with a message defined twice (parallel work appends to it)."""
    seen, twice = set(), []
    context, msgid = None, None
    for line in PO_FILE.read_text(encoding="utf-8").splitlines():
        if line.startswith("msgctxt "):
            context = line
        elif line.startswith("msgid "):
            msgid = line
        elif line.startswith('"') and msgid is not None:
            msgid += line
        elif line.startswith("msgstr") and msgid is not None:
            if msgid != 'msgid ""' and (context, msgid) in seen:
                twice.append(msgid)
            seen.add((context, msgid))
            context, msgid = None, None
    assert not twice, twice


def test_every_api_path_has_a_summary_for_the_reference_page(app):
    from trainhub.api.views import SUMMARIES

    api = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    assert set(api.spec.to_dict()["paths"]) == set(SUMMARIES)


@pytest.mark.parametrize("employees, turnover, balance, expected", [
    (85, "6200000", "4100000", "85 de salariați, cifra de afaceri 6,20 mil. EUR, active totale "
     "4,10 mil. EUR: număr de salariați < 250 și cifra de afaceri ≤ 50 mil. EUR sau active "
     "totale ≤ 43 mil. EUR"),
    (1, "150000", None, "1 salariat, cifra de afaceri 0,15 mil. EUR, active totale lipsă: "
     "număr de salariați < 10 și cifra de afaceri ≤ 2 mil. EUR sau active totale ≤ 2 mil. EUR"),
    (300, "90000000", "80000000", "300 de salariați, cifra de afaceri 90 mil. EUR, active totale "
     "80 mil. EUR: peste pragurile întreprinderii mijlocii (număr de salariați < 250 și "
     "cifra de afaceri ≤ 50 mil. EUR sau active totale ≤ 43 mil. EUR)"),
    (None, None, None, "sunt necesare numărul de salariați și cifra de afaceri sau activele "
     "totale (Recomandarea 2003/361/CE)"),
])
def test_the_size_class_is_explained_in_romanian(ro, employees, turnover, balance, expected):
    from tests.factories import EnterpriseFactory
    from trainhub.enterprises.services import size_reason

    enterprise = EnterpriseFactory(employees=employees, turnover_eur=turnover and Decimal(turnover),
                                   balance_eur=balance and Decimal(balance))
    assert size_reason(enterprise) == expected
