"""The attendance grid page's repeated markup, assembled from pieces made once per locale."""
from datetime import date
from typing import NamedTuple

from flask import current_app, request
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from trainhub.attendance.models import MarkStatus
from trainhub.core.formats import number
from trainhub.core.labels import label
from trainhub.core.urls import url_for_any_id


class SessionHead(NamedTuple):
    """What the grid's column header and upload form of one session show and link to."""

    session: object
    hours: str
    sheet_url: str
    week_url: str
    scan_url: str
    qr_url: str
    upload_url: str


#: the grid's pieces kept per app: locales x script roots, far fewer in practice
_KEPT_PIECES = 16
#: the formatted numbers kept per locale (session hours and attended hours repeat)
_KEPT_NUMBERS = 4096


class _Pieces:
    """What every grid page of one locale and script root shares: the translated and escaped
    labels and titles, the cells' formats and the links' patterns. Made once and kept (see
    _pieces): none of it depends on the reader beyond their language, or on the data."""

    def __init__(self):
        self.statuses = [status.value for status in MarkStatus]
        self.labels = {status: str(escape(label(status, "mark"))) for status in self.statuses}
        self.options = {chosen: "".join(
            ['<option value=""></option>'] + [
                f'<option value="{status}"{" selected" if status == chosen else ""}>'
                f'{self.labels[status]}</option>' for status in self.statuses])
            for chosen in ["", *self.statuses]}
        hours_label, remark_label = escape(_("Hours")), escape(_("Remark"))
        self.not_expected = (f'<td class="text-center text-muted small" '
                             f'title="{escape(_("not expected"))}">—</td>')
        self.not_yet = (f'<td class="text-center text-muted small" '
                        f'title="{escape(_("not held yet"))}">·</td>')
        # one %-format per editable cell: key, name, day, then the mark's options, key, hours
        # value, key, remark value (the last five made once per distinct mark of the page)
        self.field = (
            '<td><select class="form-select form-select-sm" name="status-%s" aria-label="%s %s">%s'
            '</select><input class="form-control form-control-sm mt-1" name="hours-%s"'
            f' inputmode="decimal" placeholder="h" aria-label="{_percent(hours_label)}"%s>'
            '<input class="form-control form-control-sm mt-1" name="remark-%s" maxlength="300"'
            f' placeholder="{_percent(remark_label)}" aria-label="{_percent(remark_label)}"%s></td>')
        self.sheet_title, self.week_title, self.week_label = (
            escape(_("Sign-in sheet (PDF)")),
            escape(_("Sign-in sheet of the session's week (PDF)")), escape(_("wk")))
        self.signed_title, self.signed_label = escape(_("Signed sheet")), escape(_("signed"))
        self.unbacked_title, self.unbacked_label = (
            escape(_("Marks without a signed sign-in sheet behind them")), escape(_("no scan")))
        self.qr_title = escape(_("Check-in code"))
        self.all_present_title, self.all_present_label = (
            escape(_("Mark everyone not yet marked as present")), escape(_("all present")))
        self.upload_label = escape(_("Upload"))
        self.sheet, self.week, self.scan, self.qr, self.upload = (
            url_for_any_id("attendance.sign_in_sheet_pdf", "session_id"),
            url_for_any_id("attendance.sign_in_sheet_pdf", "session_id", week=1),
            url_for_any_id("attendance.signed_sheet", "session_id"),
            url_for_any_id("attendance.session_qr", "session_id"),
            url_for_any_id("attendance.upload_signed_sheet", "session_id"))
        self.numbers = _Numbers()


def _pieces() -> _Pieces:
    """The grid's pieces in the reader's locale and this app's script root, made once."""
    kept = current_app.extensions.setdefault("trainhub.grid_pieces", {})
    key = (str(get_locale()), request.script_root)
    pieces = kept.get(key)
    if pieces is None:
        pieces = _Pieces()
        if len(kept) < _KEPT_PIECES:
            kept[key] = pieces
    return pieces


def session_heads(sessions) -> list[SessionHead]:
    """Per session of the grid, its header's hours text and links."""
    pieces = _pieces()
    sheet, week, scan, qr, upload, numbers = (pieces.sheet, pieces.week, pieces.scan, pieces.qr,
                                              pieces.upload, pieces.numbers)
    return [SessionHead(s, numbers(s.hours), sheet(s.id), week(s.id), scan(s.id), qr(s.id),
                        upload(s.id)) for s in sessions]


def grid_head(heads: list[SessionHead], scans, unbacked, editable: bool, today: date) -> Markup:
    """The grid's column header of each session: its day and hours, its sign-in sheet PDFs,
    the signed scan (or the warning that marks have none), and for a marker the check-in QR
    code and the "all present" button of a session held by `today`."""
    p = _pieces()
    cells = []
    for session, hours, sheet_url, week_url, scan_url, qr_url, _upload_url in heads:
        cell = (f'<th scope="col" class="text-center small text-nowrap">'
                f'{session.date:%d.%m}<br><span class="text-muted">{escape(hours)} h</span>'
                f'<br><a class="small" href="{sheet_url}" title="{p.sheet_title}">PDF</a>'
                f' <a class="small" href="{week_url}" title="{p.week_title}">{p.week_label}</a>')
        if session.id in scans:
            cell += (f' · <a class="small text-success" href="{scan_url}" title="{p.signed_title}"'
                     f' data-testid="scan-{session.id}">✔ {p.signed_label}</a>')
        elif session.id in unbacked:
            cell += (f'<br><span class="badge text-bg-warning" title="{p.unbacked_title}"'
                     f' data-testid="unbacked-{session.id}">{p.unbacked_label}</span>')
        if editable:
            cell += f' · <a class="small" href="{qr_url}" title="{p.qr_title}">QR</a>'
            if session.date <= today:
                cell += (f'<br><button class="btn btn-link btn-sm p-0" name="all_present"'
                         f' value="{session.id}" type="submit" title="{p.all_present_title}">'
                         f'{p.all_present_label}</button>')
        cells.append(cell + "</th>")
    return Markup("\n".join(cells))


class GridMarkup(NamedTuple):
    """A grid page's parts made from the data, as the reader sees them: strings and plain
    values only, so a later request may show them again (attendance.views keeps them)."""

    head: Markup
    body: Markup
    #: per session, what its signed sheet's upload form needs (upload_of)
    uploads: tuple
    #: the grid has sessions and enrolled people (else the page says it has none)
    has_rows: bool


def upload_of(head: SessionHead) -> tuple[str, int, date]:
    """What a session's upload form shows: its address, the session's id and its day."""
    return head.upload_url, head.session.id, head.session.date


def upload_forms(uploads, csrf_field: Markup) -> Markup:
    """A marker's upload form of the signed sign-in sheet of each session (`uploads`: per
    session, upload_of its head; `csrf_field`: the token's hidden input), spaced as the page's
    template wrote them."""
    label_ = _pieces().upload_label
    return Markup("".join(
        f'\n  \n  <form class="d-flex gap-2 align-items-center my-1" method="post"'
        f' enctype="multipart/form-data" action="{upload_url}">\n    {csrf_field}\n'
        f'    <label class="small text-nowrap" for="scan-{session_id}">'
        f'{day.isoformat()}</label>\n'
        f'    <input class="form-control form-control-sm" type="file" id="scan-{session_id}"'
        f' name="scan" accept="application/pdf,image/jpeg,image/png">\n'
        f'    <button class="btn btn-sm btn-outline-primary" type="submit">{label_}</button>\n'
        f'  </form>' for upload_url, session_id, day in uploads) + "\n  ")


class _Numbers(dict):
    """`number(value)` once per distinct value (the same few hours repeat), kept with the
    locale's pieces up to _KEPT_NUMBERS values."""

    def __call__(self, value) -> str:
        text = self.get(value)
        if text is None:
            text = number(value)
            if len(self) < _KEPT_NUMBERS:
                self[value] = text
        return text


class _Values(dict):
    """A field's ` value="…"` attribute for a text (escaped; none for an empty text), made once
    per distinct text of the page."""

    def __call__(self, text) -> str:
        if not text:
            return ""
        attribute = self.get(text)
        if attribute is None:
            attribute = self[text] = f' value="{escape(text)}"'
        return attribute


def _percent(text) -> str:
    """`text` put into a %-format as it is."""
    return str(text).replace("%", "%%")


def grid_body(grid, today: date, editable: bool, submitted=None) -> Markup:
    """The grid's body rows: per enrollment its name, one cell per session and its attended
    hours and rate. A cell held by `today` is a status select with hours and remark fields
    when `editable`, else the mark as text; it shows the refused form's values when
    `submitted`, else the stored mark's. Every name, status, hours and remark is escaped."""
    p = _pieces()
    labels, options, field = p.labels, p.options, p.field
    not_expected, not_yet = p.not_expected, p.not_yet
    value_of = _Values()

    def shown(status, hours, remark):
        """What a cell shows of a mark's texts: the select's options and the fields' values
        (editable), else the cell."""
        if editable:
            return options.get(status) or options[""], value_of(hours), value_of(remark)
        text = labels.get(status) or escape(label(status, "mark", ""))
        if hours not in ("", "0"):
            text = f"{text} · {escape(hours)}"
        if remark:
            text = f'{text}<br><span class="text-muted">{escape(remark)}</span>'
        return f'<td class="text-center small">{text}</td>'

    # per distinct stored mark (None: no mark), what its cell shows
    shown_of = {None: shown("", "", "")}
    totals = grid.totals(today)
    numbers = p.numbers
    columns = [(session.id, session.date.isoformat(), f"{session.id}-") for session in grid.sessions]
    held = today.isoformat()
    marks = grid.marks
    rows = []
    for enrollment in grid.enrollments:
        enrollment_id = enrollment.id
        name = str(escape(enrollment.membership.participant.full_name))
        expected = grid.expected[enrollment_id]
        suffix = str(enrollment_id)
        cells = [f'<tr><th scope="row" class="text-nowrap">{name}</th>']
        for session_id, day, prefix in columns:
            if session_id not in expected:
                cells.append(not_expected)
                continue
            if editable and day > held:
                cells.append(not_yet)
                continue
            key = prefix + suffix
            if submitted:
                parts = shown(submitted.get(f"status-{key}", ""), submitted.get(f"hours-{key}", ""),
                              submitted.get(f"remark-{key}", ""))
            else:
                mark = marks.get((session_id, enrollment_id))
                parts = shown_of.get(mark)
                if parts is None:
                    parts = shown_of[mark] = shown(mark.status, f"{float(mark.hours):g}",
                                                   mark.remark)
            if editable:
                options_, hours, remark = parts
                cells.append(field % (key, name, day, options_, key, hours, key, remark))
            else:
                cells.append(parts)
        attended, rate = totals[enrollment_id]
        cells.append(f'<td class="text-nowrap">{escape(numbers(attended))}</td><td class="text-nowrap">'
                     f'{"—" if rate is None else f"{int(rate * 100)}%"}</td></tr>')
        rows.append("".join(cells))
    return Markup("\n".join(rows))
