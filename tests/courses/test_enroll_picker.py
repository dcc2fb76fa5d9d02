"""The enroll picker of the cohort page: search, filters, pages, what keeps people out."""
import re

import pytest
from flask_babel import force_locale

from tests.factories import (
    CohortFactory,
    DocumentRequirementFactory,
    EnrollmentFactory,
    EnterpriseFactory,
    MembershipFactory,
    ParticipantFactory,
    ProjectFactory,
    UserFactory,
)
from trainhub.courses.services import enrollment_gate, enrollment_gates
from trainhub.extensions import db


@pytest.fixture
def cohort(app, auth):
    """A cohort of a project whose call asks a document of people with a disability; the
    logged-in coordinator (reading Romanian) is on the project's team."""
    cohort = CohortFactory(code="G-PICK")
    DocumentRequirementFactory(call=cohort.project.call, condition="disability",
                               title_ro="Certificat de handicap", title_en="Disability card")
    UserFactory(email="coord-pick@example.org", role="coordinator", locale="ro",
                projects=[cohort.project])
    db.session.commit()
    auth.login("coord-pick@example.org")
    return cohort


def _person(cohort, last="Popescu", first="Ion", status="eligible", firm=None, **kwargs):
    participant = ParticipantFactory(last_name=last, first_name=first,
                                     **({"enterprise": firm} if firm else {}), **kwargs)
    return MembershipFactory(project=cohort.project, participant=participant,
                             eligibility_status=status)


def _rows(html: str) -> list[int]:
    """The membership ids the picker lists, in order."""
    return [int(found) for found in re.findall(r'data-testid="candidate-(\d+)"', html)]


def _page(client, cohort, query: str = "") -> str:
    response = client.get(f"/courses/cohorts/{cohort.id}{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_namesakes_are_told_apart_by_company_and_cnp_tail_only(cohort, client):
    first = _person(cohort, firm=EnterpriseFactory(name="Alfa Soft SRL"))
    second = _person(cohort, firm=EnterpriseFactory(name="Beta Prod SRL"))
    db.session.commit()
    html = _page(client, cohort)
    assert _rows(html) == sorted([first.id, second.id])
    for membership, firm in ((first, "Alfa Soft SRL"), (second, "Beta Prod SRL")):
        cnp = membership.participant.cnp
        row = html[html.index(f'data-testid="candidate-{membership.id}"'):]
        row = row[:row.index("</tr>")]
        assert firm in row and "*********" + cnp[-4:] in row
        assert cnp not in html and cnp[-6:] not in html  # no more than the last four digits
    assert 'name="membership_ids"' in html


def test_search_by_name_or_the_last_digits_of_the_cnp(cohort, client):
    ana = _person(cohort, last="Ionescu", first="Ana")
    dan = _person(cohort, last="Vasile", first="Dan")
    db.session.commit()
    assert _rows(_page(client, cohort, "?q=ionescu")) == [ana.id]
    assert _rows(_page(client, cohort, "?q=Dan+Vasile")) == [dan.id]
    assert _rows(_page(client, cohort, "?q=Vasile%20Dan")) == [dan.id]
    assert _rows(_page(client, cohort, f"?q={dan.participant.cnp[-4:]}")) == [dan.id]
    html = _page(client, cohort, "?q=nimeni")
    assert _rows(html) == [] and "Nicio persoană nu corespunde căutării și filtrelor." in html
    assert _rows(_page(client, cohort, "?q=%25")) == []  # a wildcard is searched as written


def test_filters_by_company_eligibility_and_documents(cohort, client):
    firm = EnterpriseFactory(name="Gamma IT SRL")
    at_firm = _person(cohort, last="Avram", firm=firm)
    pending = _person(cohort, last="Barbu", status="pending")
    needs_card = _person(cohort, last="Cazacu", disability=True)
    db.session.commit()
    assert _rows(_page(client, cohort, f"?enterprise={firm.id}")) == [at_firm.id]
    assert _rows(_page(client, cohort, "?eligibility=pending")) == [pending.id]
    assert _rows(_page(client, cohort, "?documents=no")) == [needs_card.id]
    assert _rows(_page(client, cohort, "?documents=yes")) == [at_firm.id, pending.id]
    assert _rows(_page(client, cohort, "?documents=yes&eligibility=eligible")) == [at_firm.id]


def test_people_the_gate_refuses_are_shown_with_the_reason_and_cannot_be_ticked(cohort, client):
    ready = _person(cohort, last="Avram")
    ineligible = _person(cohort, last="Barbu", status="ineligible")
    twin = CohortFactory(code="G-TWIN", course=cohort.course, project=cohort.project)
    elsewhere = _person(cohort, last="Cazacu")
    EnrollmentFactory(cohort=twin, membership=elsewhere)
    needs_card = _person(cohort, last="Dinu", disability=True)
    db.session.commit()
    html = _page(client, cohort)

    def checkbox(membership) -> str:
        return re.search(rf'<input[^>]*id="m{membership.id}"[^>]*>', html)[0]

    assert "disabled" not in checkbox(ready)
    assert "disabled" in checkbox(ineligible) and "disabled" in checkbox(elsewhere)
    assert "Deja înscris la acest curs (grupa G-TWIN)" in html
    assert "Persoana este neeligibilă: nu îndeplinește regulile apelului." in html
    # missing documents can be overridden (with a reason): ticked, with what is missing
    assert "disabled" not in checkbox(needs_card)
    assert "1 document lipsă" in html and "Certificat de handicap" in html


def test_only_the_projects_members_not_yet_in_the_cohort_are_listed(cohort, client):
    member = _person(cohort, last="Avram")
    enrolled = _person(cohort, last="Barbu")
    EnrollmentFactory(cohort=cohort, membership=enrolled)
    withdrawn = _person(cohort, last="Cazacu")
    EnrollmentFactory(cohort=cohort, membership=withdrawn, status="withdrawn",
                      withdrawn_on=withdrawn.participant.birth_date.replace(year=2026))
    MembershipFactory(project=ProjectFactory(call=cohort.project.call),
                      participant=ParticipantFactory(last_name="Străin"))
    db.session.commit()
    html = _page(client, cohort)
    assert _rows(html) == [member.id, withdrawn.id]
    assert "Străin" not in html


@pytest.mark.parametrize("query", [
    "?enterprise=abc", "?enterprise=-1", "?enterprise=99999999999999999999",
    "?eligibility=maybe", "?documents=perhaps", "?page=-1", "?page=abc", "?page=99999999999",
    "?q=" + "x" * 5000, "?q=12345678901234567890", "?q=%5C%25_",
])
def test_bad_query_values_never_crash(cohort, client, query):
    _person(cohort)
    db.session.commit()
    _page(client, cohort, query)


def test_pages_of_candidates_keep_the_filters(cohort, client, app):
    app.config["PAGE_SIZE"] = 5
    people = [_person(cohort, last=f"Nume{n:02d}") for n in range(12)]
    db.session.commit()
    first = _page(client, cohort, "?eligibility=eligible")
    assert _rows(first) == [p.id for p in people[:5]]
    assert "eligibility=eligible" in first and "page=2" in first
    assert _rows(_page(client, cohort, "?eligibility=eligible&page=3")) == [
        p.id for p in people[10:]]
    assert _rows(_page(client, cohort, "?documents=yes&page=3")) == [p.id for p in people[10:]]


def _candidates(cohort, count: int) -> None:
    firms = [EnterpriseFactory() for _ in range(3)]
    for n in range(count):
        _person(cohort, last=f"Nume{n:03d}", firm=firms[n % 3],
                status=("eligible", "pending", "ineligible")[n % 3], disability=n % 4 == 0)
    db.session.commit()


@pytest.mark.parametrize("query", ["", "?documents=no", "?q=Nume&eligibility=eligible"])
def test_the_picker_runs_the_same_number_of_queries_for_10_and_100_candidates(
        cohort, page_queries, query):
    _candidates(cohort, 10)
    few = page_queries(f"/courses/cohorts/{cohort.id}{query}")
    _candidates(cohort, 90)
    assert page_queries(f"/courses/cohorts/{cohort.id}{query}") == few


def test_the_gate_of_a_page_of_people_names_each_ones_reasons(cohort):
    twin = CohortFactory(code="G-TWIN", course=cohort.course, project=cohort.project)
    people = [_person(cohort), _person(cohort, status="pending"),
              _person(cohort, disability=True), MembershipFactory(), _person(cohort)]
    EnrollmentFactory(cohort=twin, membership=people[0])
    db.session.commit()
    with force_locale("en"):
        gates = {key: [str(problem) for problem in problems] for key, problems in
                 enrollment_gates(db.session, cohort, people).items()}
        assert [gates[m.id] for m in people] == [
            ["Already enrolled in this course (cohort G-TWIN)."],
            ["Eligibility is pending: it has not been decided yet."],
            ["Document Disability card: missing."],
            ["The person is not a member of this cohort's project."],
            [],
        ]
        overridden = enrollment_gates(db.session, cohort, people, override_documents=True)
        assert overridden[people[2].id] == []
        assert [str(p) for p in enrollment_gate(db.session, cohort, people[1])] == gates[
            people[1].id]
