"""A web import's staged upload: the file, its settings, and the tables the preview read.

The preview reads the file once and keeps what it read next to it; the confirm step takes
those tables instead of reading the file again, unless they are missing or no longer match
the file and settings (then it reads the file again).
"""
import gzip
import hashlib
import json
import logging
import os
import re
import secrets
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from time import time as time_now

from trainhub.imports.services import ImportReport, NotImported, RowError, Table

log = logging.getLogger(__name__)

#: bumped when the stored form of the tables changes (older stores are then stale)
FORMAT = 1
#: a staged upload nobody confirmed or cancelled is removed once it is this old
MAX_AGE = timedelta(days=1)
#: the files of one staged upload: the file itself and its .meta, .tables, .report (and the
#: .meta-new of a settings write cut short)
_STAGED_FILE = re.compile(r"^([0-9a-f]{32})(\.(meta|meta-new|tables|report))?$")


@dataclass
class Staged:
    """One staged upload: where its file is and what the uploader asked for."""

    path: Path
    kind: str
    project_id: int
    user_id: int
    partial: bool = False
    fiscal_year: int | None = None
    #: the column mapping the file is read with (None: none given)
    mapping: dict | None = None
    #: the mapping came from the one the project saved, not from this upload's form
    mapping_saved: bool = False
    sheet: str | None = field(default=None)
    #: the background job that reads a big file for the preview (None: read in the request)
    job_id: int | None = None

    @property
    def token(self) -> str:
        return self.path.name

    def _meta_path(self) -> Path:
        return self.path.with_suffix(".meta")

    def _tables_path(self) -> Path:
        return self.path.with_suffix(".tables")

    def settings(self) -> dict:
        return {name: value for name, value in asdict(self).items() if name != "path"}

    def save_settings(self) -> None:
        """Write the settings (renamed into place: a job reading them never sees half)."""
        partial = self.path.with_suffix(".meta-new")
        partial.write_text(json.dumps(self.settings()), encoding="utf-8")
        os.replace(partial, self._meta_path())

    def _report_path(self) -> Path:
        return self.path.with_suffix(".report")

    def discard(self) -> None:
        """Remove the file and everything kept beside it (after confirm or cancel)."""
        for path in (self.path, self._meta_path(), self.path.with_suffix(".meta-new"),
                     self._tables_path(), self._report_path()):
            path.unlink(missing_ok=True)

    def _fingerprint(self, content: bytes) -> str:
        digest = hashlib.sha256(content)
        digest.update(json.dumps([FORMAT, self.kind, self.sheet, self.mapping],
                                 sort_keys=True).encode())
        return digest.hexdigest()

    def keep_tables(self, content: bytes, tables: dict[str, Table]) -> None:
        """Store what reading `content` gave, for the confirm step."""
        stored = {"fingerprint": self._fingerprint(content),
                  "tables": {name: _table_data(table) for name, table in tables.items()}}
        with gzip.open(self._tables_path(), "wt", encoding="utf-8", compresslevel=1) as out:
            json.dump(stored, out, separators=(",", ":"))

    def kept_tables(self, content: bytes) -> dict[str, Table] | None:
        """The tables the preview kept, or None when missing, unreadable or stale."""
        try:
            with gzip.open(self._tables_path(), "rt", encoding="utf-8") as stored_file:
                stored = json.load(stored_file)
            if stored.get("fingerprint") != self._fingerprint(content):
                return None
            return {name: _table_from(data) for name, data in stored["tables"].items()}
        except FileNotFoundError:
            return None
        except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError) as problem:
            log.info("kept tables of %s unreadable: %r", self.token, problem)
            return None


    def keep_report(self, content: bytes, report: ImportReport | None,
                    failure: str | None = None) -> None:
        """Store the preview's dry run of `content` (its messages as text in the current
        language), or why the file cannot be imported: what a background job found, for the
        preview page to show without working it out again."""
        stored = {"fingerprint": self._fingerprint(content), "failure": failure,
                  "report": None if report is None else _report_data(report)}
        with gzip.open(self._report_path(), "wt", encoding="utf-8", compresslevel=1) as out:
            json.dump(stored, out, separators=(",", ":"))

    def kept_report(self, content: bytes) -> tuple[ImportReport | None, str | None] | None:
        """(report, failure) as kept for this file and settings, or None when missing,
        unreadable or stale."""
        try:
            with gzip.open(self._report_path(), "rt", encoding="utf-8") as stored_file:
                stored = json.load(stored_file)
            if stored.get("fingerprint") != self._fingerprint(content):
                return None
            data = stored["report"]
            return (None if data is None else _report_from(data)), stored["failure"]
        except FileNotFoundError:
            return None
        except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError) as problem:
            log.info("kept report of %s unreadable: %r", self.token, problem)
            return None


def staging_directory(upload_dir: str | Path) -> Path:
    """Where web imports keep their staged uploads."""
    return Path(upload_dir) / "imports"


def stage(directory: Path, save, **settings) -> Staged:
    """A new staged upload in `directory`: `save(path)` writes the file there."""
    staged = Staged(directory / secrets.token_hex(16), **settings)
    save(staged.path)
    staged.save_settings()
    return staged


def staged_upload(directory: Path, token: str, user_id: int) -> Staged | None:
    """The staged upload of `token` when it is `user_id`'s own, else None."""
    if not (len(token) == 32 and token.isascii() and token.isalnum()):
        return None  # tokens are token_hex(16); anything else is no staged file (nor a path)
    path = directory / token
    meta_path = path.with_suffix(".meta")
    if not path.exists() or not meta_path.exists():
        return None
    try:
        settings = json.loads(meta_path.read_text(encoding="utf-8"))
        staged = Staged(path, **settings)
    except (ValueError, TypeError):
        return None
    return staged if staged.user_id == user_id else None


def remove_stale_uploads(directory: Path, *, now: float | None = None,
                         max_age: timedelta = MAX_AGE) -> int:
    """Remove the staged uploads left behind (never confirmed nor cancelled) whose files were
    all last written more than `max_age` ago; other files in `directory` stay. Returns how
    many staged uploads were removed. `now` is a POSIX timestamp (default: now)."""
    if not directory.is_dir():
        return 0
    cutoff = (time_now() if now is None else now) - max_age.total_seconds()
    groups: dict[str, list[Path]] = {}
    for path in directory.iterdir():
        match = _STAGED_FILE.match(path.name)
        if match and path.is_file():
            groups.setdefault(match.group(1), []).append(path)
    removed = 0
    for paths in groups.values():
        try:
            if max(path.stat().st_mtime for path in paths) >= cutoff:
                continue  # still in use (a preview, a mapping, a job reading it)
        except FileNotFoundError:
            continue  # confirmed or cancelled meanwhile
        for path in paths:
            path.unlink(missing_ok=True)
        removed += 1
    return removed


# --- the tables as JSON: cells keep their type (dates, times, numbers, text) ---------------

def _cell(value: object) -> object:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else {"f": repr(value)}
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, time):
        return {"t": value.isoformat()}
    if isinstance(value, timedelta):
        return {"td": value.total_seconds()}
    if isinstance(value, Decimal):
        return {"n": str(value)}
    return str(value)


_READ_BACK = {"dt": datetime.fromisoformat, "d": date.fromisoformat, "t": time.fromisoformat,
              "td": lambda seconds: timedelta(seconds=seconds), "n": Decimal, "f": float}


def _value(data: object) -> object:
    if isinstance(data, dict):
        (tag, raw), = data.items()
        return _READ_BACK[tag](raw)
    return data


def _table_data(table: Table) -> dict:
    return {"sheet": table.sheet, "columns": table.columns, "headers": table.headers,
            "skipped": table.skipped, "header_row": table.header_row,
            "lei_columns": sorted(table.lei_columns),
            "not_imported": [[item.sheet, item.column, item.reason]
                             for item in table.not_imported],
            "rows": [[number, {column: _cell(value) for column, value in row.items()}]
                     for number, row in table.rows]}


def _table_from(data: dict) -> Table:
    return Table(data["sheet"], data["columns"], headers=data["headers"],
                 skipped=data["skipped"], header_row=data["header_row"],
                 lei_columns=set(data["lei_columns"]),
                 not_imported=[NotImported(*item) for item in data["not_imported"]],
                 rows=[(number, {column: _value(value) for column, value in row.items()})
                       for number, row in data["rows"]])


# --- a dry run's report as JSON: messages as text, counts, the changes -----------------------

def _row_errors(errors: list) -> list:
    return [[error.sheet, error.row, error.column, str(error.message)] for error in errors]


def _report_data(report: ImportReport) -> dict:
    return {"errors": _row_errors(report.errors), "created": report.created,
            "updated": report.updated, "unchanged": report.unchanged, "rows": report.rows,
            "skipped": report.skipped, "employer_changes": _row_errors(report.employer_changes),
            "not_imported": [[item.sheet, item.column, item.reason]
                             for item in report.not_imported],
            "lei_rate": None if report.lei_rate is None else [report.lei_rate[0],
                                                              str(report.lei_rate[1])],
            "columns_read": report.columns_read,
            "changes": [[change.sheet, change.row, change.key, change.action]
                        for change in report.changes]}


def _report_from(data: dict) -> ImportReport:
    from trainhub.imports.importers import Change

    rate = data["lei_rate"]
    return ImportReport(
        errors=[RowError(*item) for item in data["errors"]], created=data["created"],
        updated=data["updated"], unchanged=data["unchanged"], rows=data["rows"],
        skipped=data["skipped"],
        employer_changes=[RowError(*item) for item in data["employer_changes"]],
        not_imported=[NotImported(*item) for item in data["not_imported"]],
        lei_rate=None if rate is None else (rate[0], Decimal(rate[1])),
        columns_read=data["columns_read"],
        changes=[Change(*item) for item in data["changes"]])
