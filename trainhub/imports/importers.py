"""The importers of DESIGN §9 (enterprises, participants, workbook) on the shared pipeline.

Each importer checks every row first and lists the changes it would make; it writes only when
every row is valid (or the caller asked for a partial import), and never on a dry run.
Existing rows are matched by CUI / CNP and updated, never duplicated, and only with the values
the file gives: an absent column or an empty cell keeps the stored value (DESIGN §13).
"""
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from trainhub.core.models import apply_values
from trainhub.enterprises.models import Enterprise
from trainhub.enterprises.services import (
    ENTERPRISE_ALIASES,
    clean_enterprise,
    lei_to_eur,
    refresh_employees,
)
from trainhub.imports.services import (
    CellError,
    ImportFailed,
    ImportReport,
    MappingRefused,
    RowError,
    Table,
    check_mapping,
    parse_date,
    read_table,
    read_workbook,
    require_columns,
    text,
)
from trainhub.participants.eligibility import (
    NewMember,
    record_imported_decision,
    refresh,
    refresh_new_members,
)
from trainhub.participants.locks import lock_people
from trainhub.participants.models import Eligibility, Membership, Participant
from trainhub.participants.services import (
    PARTICIPANT_ALIASES,
    add_members,
    add_people,
    clean_participant,
)
from trainhub.programme.models import Project

CHUNK = 500
#: people written (and then released from the session) at a time
WRITE_BATCH = 1000
NEW, UPDATED, UNCHANGED = "new", "updated", "unchanged"


@dataclass
class Change:
    """What one valid row would do: create or update a record, or leave it as it is."""

    sheet: str
    row: int
    key: str
    action: str


def upsert(db_session: Session, obj, given: dict, make: Callable) -> str:
    """Create the record (`make()`) when `obj` is None, else update it with the values the
    file `given` (Cleaned.given): new/updated/unchanged."""
    if obj is None:
        db_session.add(make())
        return NEW
    return UPDATED if apply_values(obj, given) else UNCHANGED


def as_typed(value: object) -> str:
    """A cell quoted exactly as it was typed, for messages: «RO 123»."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"«{'' if value is None else value}»"


def summary(report: ImportReport) -> str:
    """The report's one line (DESIGN §13), counting rows, in the current locale."""
    return ngettext(
        "%(num)d row: %(new)d new, %(updated)d updated, %(unchanged)d unchanged, "
        "%(skipped)d skipped, %(errors)d with errors",
        "%(num)d rows: %(new)d new, %(updated)d updated, %(unchanged)d unchanged, "
        "%(skipped)d skipped, %(errors)d with errors",
        report.rows + report.skipped, new=report.created, updated=report.updated,
        unchanged=report.unchanged, skipped=report.skipped, errors=report.rows_with_errors)


def _changed(obj, values: dict) -> bool:
    return any(getattr(obj, name) != value for name, value in values.items())


def _load_by(db_session: Session, column, keys: list[str]) -> dict:
    found = {}
    for start in range(0, len(keys), CHUNK):
        for obj in db_session.scalars(select(column.class_).where(column.in_(keys[start:start + CHUNK]))):
            found[getattr(obj, column.key)] = obj
    return found


_COUNTERS = {NEW: "created", UPDATED: "updated", UNCHANGED: "unchanged"}


def count_changes(report: ImportReport, changes: list[Change]) -> None:
    for change in changes:
        counter = _COUNTERS[change.action]
        setattr(report, counter, getattr(report, counter) + 1)
    report.changes.extend(changes)


def duplicate_key(report: ImportReport, seen: dict, key: str, table: Table, number: int,
                   column: str) -> bool:
    if key in seen:
        report.errors.append(RowError(table.sheet, number, column, _l(
            "same %(column)s as row %(row)s", column=column.upper(), row=seen[key])))
        return True
    seen[key] = number
    return False


def import_enterprises(db_session: Session, project: Project, table: Table, *,
                       user_id: int | None, partial: bool = False, dry_run: bool = False,
                       commit: bool = True) -> ImportReport:
    """Enterprises by CUI (DESIGN §9): new ones created, known ones updated."""
    require_columns(table, ["cui", "name", "caen", "county"])
    report, valid, seen = ImportReport(), [], {}
    for number, row in table.rows:
        cleaned = clean_enterprise(row)
        for column, message in cleaned.errors.items():
            report.errors.append(RowError(table.sheet, number, column, message))
        if cleaned.errors or duplicate_key(report, seen, cleaned.values["cui"], table, number, "cui"):
            continue
        valid.append((number, cleaned))
    existing = _load_by(db_session, Enterprise.cui, [c.values["cui"] for _, c in valid])
    changes = []
    for number, cleaned in valid:
        current = existing.get(cleaned.values["cui"])
        action = NEW if current is None else (
            UPDATED if _changed(current, cleaned.given()) else UNCHANGED)
        changes.append(Change(table.sheet, number, cleaned.values["cui"], action))
    count_changes(report, changes)
    if (report.errors and not partial) or dry_run:
        return report
    updated_ids = []
    for (_, cleaned), change in zip(valid, changes, strict=True):
        if change.action == NEW:
            db_session.add(Enterprise(**cleaned.values))
        elif change.action == UPDATED:
            current = existing[cleaned.values["cui"]]
            apply_values(current, cleaned.given())
            updated_ids.append(current.id)
    db_session.flush()
    if updated_ids:
        refresh_employees(db_session, updated_ids)
    _finish(db_session, report, commit)
    return report


def _cuis_of(db_session: Session, enterprise_ids: set[int]) -> dict[int, str]:
    """CUI by enterprise id, for the ids given."""
    ids, found = sorted(enterprise_ids), {}
    for start in range(0, len(ids), CHUNK):
        found.update(db_session.execute(select(Enterprise.id, Enterprise.cui).where(
            Enterprise.id.in_(ids[start:start + CHUNK]))).all())
    return found


def _finish(db_session: Session, report: ImportReport, commit: bool) -> None:
    if commit:
        db_session.commit()
    else:
        db_session.flush()
    report.written = True


def _decision(row: dict, errors: dict) -> tuple[str | None, date | None]:
    """The legacy decision a workbook row carries: (status, decided_on), blank = pending."""
    status = text(row.get("eligibility")).lower() or Eligibility.PENDING.value
    if status not in set(Eligibility):
        errors["eligibility"] = _l("%(value)s is not one of: %(choices)s",
                                   value=as_typed(row.get("eligibility")),
                                   choices=", ".join(e.value for e in Eligibility))
        return None, None
    decided_on = None
    if text(row.get("decided_on")):
        try:
            decided_on = parse_date(row.get("decided_on"))
        except CellError as problem:
            errors["decided_on"] = str(problem)
    return status, decided_on


def _employer(cleaned, row: dict, employers: dict[str, int]) -> None:
    """Replace the cleaned `enterprise_cui` by `enterprise_id`; an empty or absent cell is
    blank (a new person has no employer, a known one keeps theirs)."""
    cui = cleaned.values.pop("enterprise_cui", None)
    if "enterprise_cui" in cleaned.blank:
        cleaned.values["enterprise_id"] = None
        cleaned.blank.add("enterprise_id")
    elif cui is not None:
        if cui in employers:
            cleaned.values["enterprise_id"] = employers[cui]
        else:
            cleaned.errors["enterprise_cui"] = _l("no enterprise with CUI %(cui)s is registered",
                                                  cui=as_typed(row.get("enterprise_cui")))


def _employer_change(report: ImportReport, table: Table, number: int, current: Participant,
                     given: dict, cuis: dict[int, str], allow: bool) -> None:
    """A row that moves a known person to another employer is a warning; the move is kept out
    of `given` unless the import was asked to apply it."""
    new_id = given.get("enterprise_id")
    if current.enterprise_id is None or new_id is None or new_id == current.enterprise_id:
        return
    names = {"name": f"{current.last_name} {current.first_name}",
             "old": cuis.get(current.enterprise_id, ""), "new": cuis.get(new_id, "")}
    if allow:
        message = _l("%(name)s moves from employer %(old)s to %(new)s", **names)
    else:
        message = _l("%(name)s would move from employer %(old)s to %(new)s: the employer is "
                     "kept unless the employer changes are confirmed", **names)
        del given["enterprise_id"]
    report.employer_changes.append(RowError(table.sheet, number, "enterprise_cui", message))


def import_participants(db_session: Session, project: Project, table: Table, *,
                        user_id: int | None, partial: bool = False, dry_run: bool = False,
                        commit: bool = True, decisions: bool = False,
                        allow_employer_change: bool = False) -> ImportReport:
    """People by CNP (DESIGN §9), made members of `project` and evaluated against its rules.

    With `decisions` (the workbook), the `eligibility` and `decided_on` columns are recorded
    as decisions the project already made. A known person's employer changes only with
    `allow_employer_change`; the rest of such a row is applied either way.
    """
    require_columns(table, ["cnp", "last_name", "first_name"])
    report, valid, seen = ImportReport(), [], {}
    cuis = {text(row.get("enterprise_cui")).upper().removeprefix("RO").strip()
            for _, row in table.rows if text(row.get("enterprise_cui"))}
    # the file's employers, loaded once: their ids here, the objects for the eligibility rules
    employer_objects = _load_by(db_session, Enterprise.cui, sorted(cuis))
    employers = {cui: e.id for cui, e in employer_objects.items()}
    for number, row in table.rows:
        cleaned = clean_participant(row)
        _employer(cleaned, row, employers)
        decision = _decision(row, cleaned.errors) if decisions else (None, None)
        for column, message in cleaned.errors.items():
            report.errors.append(RowError(table.sheet, number, column, message))
        if cleaned.errors or duplicate_key(report, seen, cleaned.values["cnp"], table, number, "cnp"):
            continue
        valid.append((number, cleaned, decision))
    existing = _load_by(db_session, Participant.cnp, [c.values["cnp"] for _, c, _ in valid])
    members = {}
    person_ids = [p.id for p in existing.values()]
    for start in range(0, len(person_ids), CHUNK):
        members.update((m.participant_id, m) for m in db_session.scalars(select(Membership).where(
            Membership.project_id == project.id,
            Membership.participant_id.in_(person_ids[start:start + CHUNK]))))
    employer_cuis = {id_: cui for cui, id_ in employers.items()} | _cuis_of(
        db_session, {p.enterprise_id for p in existing.values() if p.enterprise_id})
    changes, writes = [], []
    for number, cleaned, (status, decided_on) in valid:
        current = existing.get(cleaned.values["cnp"])
        membership = members.get(current.id) if current else None
        values = cleaned.values if current is None else cleaned.given()
        if current is not None:
            _employer_change(report, table, number, current, values, employer_cuis,
                             allow_employer_change)
        differs = current is None or _changed(current, values) or membership is None or (
            status not in (None, Eligibility.PENDING) and membership.eligibility_status != status)
        action = NEW if current is None else (UPDATED if differs else UNCHANGED)
        changes.append(Change(table.sheet, number, cleaned.values["cnp"], action))
        if action != UNCHANGED:
            writes.append((values, (status, decided_on)))
    count_changes(report, changes)
    if (report.errors and not partial) or dry_run:
        return report
    lock_people(db_session, [existing[values["cnp"]].id for values, _ in writes
                             if values["cnp"] in existing])
    by_id = {e.id: e for e in employer_objects.values()}
    for start in range(0, len(writes), WRITE_BATCH):
        _write_people(db_session, project, writes[start:start + WRITE_BATCH], existing, members,
                      by_id, user_id)
    _finish(db_session, report, commit)
    return report


def _write_people(db_session: Session, project: Project, rows: list, existing: dict,
                  members: dict, employers: dict[int, Enterprise], user_id: int | None) -> None:
    """Write one batch of people and memberships, evaluate them, and let go of the objects
    (the transaction stays open: a large file never holds every row in memory at once).

    Known people are updated as any edit is (the ORM, audited at the flush); new people and
    new memberships are inserted in bulk with the same audit records, and evaluated in bulk.
    """
    known, touched, joining, new_rows = [], [], [], []
    for values, (status, decided_on) in rows:
        person = existing.get(values["cnp"])
        if person is None:
            joining.append((len(new_rows), status, decided_on))  # the new person's index
            new_rows.append(values)
            continue
        apply_values(person, values)
        known.append(person)
        if person.id in members:
            touched.append((members[person.id], status, decided_on))
        else:
            joining.append((person, status, decided_on))
    db_session.flush()
    created = add_people(db_session, new_rows, employers)
    joining = [(created[who] if isinstance(who, int) else who, status, decided_on)
               for who, status, decided_on in joining]
    new_ids = add_members(db_session, project, [person.id for person, _, _ in joining])
    refresh(db_session, [membership for membership, _, _ in touched])
    decided_new = {membership_id: (status, decided_on)
                   for membership_id, (_, status, decided_on) in zip(new_ids, joining, strict=True)
                   if status not in (None, Eligibility.PENDING)}
    refresh_new_members(db_session, [
        (membership_id, NewMember(person.id, project.id))
        for membership_id, (person, _, _) in zip(new_ids, joining, strict=True)],
        people={person.id: person for person in created})
    loaded = _load_by(db_session, Membership.id, sorted(decided_new)) if decided_new else {}
    decided = [(m, status, on) for m, status, on in touched
               if status not in (None, Eligibility.PENDING)]
    decided += [(loaded[membership_id], *decision) for membership_id, decision in decided_new.items()]
    if decided:
        record_imported_decision(db_session, decided, user_id=user_id)
    db_session.flush()
    for obj in [*known, *(m for m, _, _ in touched), *loaded.values()]:
        db_session.expunge(obj)


@dataclass(frozen=True)
class Importer:
    """A kind of file `flask import` and the web upload accept."""

    run: Callable
    aliases: dict
    workbook: bool = False
    #: takes `allow_employer_change` (it may move people between employers)
    moves_people: bool = False
    #: the identifier column: a row without it that reads as a total is skipped
    key: str | None = None


def importers() -> dict[str, Importer]:
    from trainhub.attendance.services import ATTENDANCE_ALIASES, import_attendance
    from trainhub.imports.workbook import import_workbook

    return {
        "enterprises": Importer(import_enterprises, ENTERPRISE_ALIASES, key="cui"),
        "participants": Importer(import_participants, PARTICIPANT_ALIASES, key="cnp",
                                 moves_people=True),
        "attendance": Importer(import_attendance, ATTENDANCE_ALIASES, key="cnp"),
        "workbook": Importer(import_workbook, {}, workbook=True, moves_people=True),
    }


def read_import(kind: str, content: bytes, *, sheet: str | None = None,
                mapping: dict | None = None) -> dict[str, Table]:
    """The file of `kind` read into its tables (one, or a workbook's sheets), with the column
    `mapping` (checked against the kind's fields) laid over the synonyms."""
    importer = importers()[kind]
    if importer.workbook:
        if mapping:
            raise MappingRefused([_l("a column mapping applies to one sheet of a single kind;"
                                     " the workbook's sheets take their own column names")])
        from trainhub.imports.workbook import SHEETS

        return read_workbook(content, SHEETS)
    mapping = check_mapping(mapping, importer.aliases) if mapping is not None else None
    return {kind: read_table(content, sheet=sheet, aliases=importer.aliases, key=importer.key,
                             mapping=mapping)}


def run_import(db_session: Session, kind: str, content: bytes | None, project: Project, *,
               user_id: int | None, sheet: str | None = None, partial: bool = False,
               dry_run: bool = False, allow_employer_change: bool = False,
               fiscal_year: int | None = None, mapping: dict | None = None,
               tables: dict[str, Table] | None = None) -> ImportReport:
    """Read `content` and run the importer of `kind`: the one entry of the CLI and the web.

    `allow_employer_change` applies the rows that move a person to another employer (without
    it they are warnings and the employer stays). Amounts in lei are converted at the EUR/RON
    rate of `fiscal_year` (default: last year). `tables`, the file as `read_import` read it
    before (the web preview), spares reading `content` again.
    """
    with collector_spared():
        return _run_import(db_session, kind, content, project, user_id=user_id, sheet=sheet,
                           partial=partial, dry_run=dry_run,
                           allow_employer_change=allow_employer_change,
                           fiscal_year=fiscal_year, mapping=mapping, tables=tables)


@contextmanager
def collector_spared() -> Iterator[None]:
    """Spare an import the garbage collector's walks over the objects that were there before
    it (the application, its modules and caches, hundreds of thousands of them): the rows an
    import keeps would otherwise set off a dozen full collections of everything. gc.freeze()
    sets those objects aside, the collector still looks after the import's own, and
    gc.unfreeze() hands them all back afterwards, however the import ends. A server that froze
    its start-up objects already (trainhub/serving.py) is left as it is: those walks are spared
    there, and an unfreeze here would hand the server's objects back too."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _run_import(db_session: Session, kind: str, content: bytes | None, project: Project, *,
                user_id: int | None, sheet: str | None, partial: bool, dry_run: bool,
                allow_employer_change: bool, fiscal_year: int | None, mapping: dict | None,
                tables: dict[str, Table] | None) -> ImportReport:
    importer = importers()[kind]
    if tables is None:
        tables = read_import(kind, content, sheet=sheet, mapping=mapping)
    options = {"allow_employer_change": allow_employer_change} if importer.moves_people else {}
    if importer.workbook:
        report = importer.run(db_session, project, tables, user_id=user_id, partial=partial,
                              dry_run=dry_run, fiscal_year=fiscal_year, **options)
    else:
        table = tables[kind]
        rate = lei_to_eur(db_session, table, fiscal_year) if kind == "enterprises" else None
        report = importer.run(db_session, project, table, user_id=user_id, partial=partial,
                              dry_run=dry_run, **options)
        report.read_from(table)
        report.lei_rate = rate
    return report


__all__ = ["ImportFailed", "importers", "read_import", "run_import", "summary"]
