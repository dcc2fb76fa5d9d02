"""The attendance grid page's repeated markup, assembled from pieces made once per page."""
from datetime import date
from typing import NamedTuple

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


def session_heads(sessions) -> list[SessionHead]:
    """Per session of the grid, its header's hours text and links."""
    sheet, week, scan, qr, upload = (
        url_for_any_id("attendance.sign_in_sheet_pdf", "session_id"),
        url_for_any_id("attendance.sign_in_sheet_pdf", "session_id", week=1),
        url_for_any_id("attendance.signed_sheet", "session_id"),
        url_for_any_id("attendance.session_qr", "session_id"),
        url_for_any_id("attendance.upload_signed_sheet", "session_id"))
    numbers = _Numbers()
    return [SessionHead(s, numbers(s.hours), sheet(s.id), week(s.id), scan(s.id), qr(s.id),
                        upload(s.id)) for s in sessions]


def grid_head(heads: list[SessionHead], scans, unbacked, editable: bool, today: date) -> Markup:
    """The grid's column header of each session: its day and hours, its sign-in sheet PDFs,
    the signed scan (or the warning that marks have none), and for a marker the check-in QR
    code and the "all present" button of a session held by `today`."""
    sheet_title, week_title, week_label = (
        escape(_("Sign-in sheet (PDF)")), escape(_("Sign-in sheet of the session's week (PDF)")),
        escape(_("wk")))
    signed_title, signed_label = escape(_("Signed sheet")), escape(_("signed"))
    unbacked_title, unbacked_label = (
        escape(_("Marks without a signed sign-in sheet behind them")), escape(_("no scan")))
    qr_title = escape(_("Check-in code"))
    all_present_title, all_present_label = (
        escape(_("Mark everyone not yet marked as present")), escape(_("all present")))
    cells = []
    for session, hours, sheet_url, week_url, scan_url, qr_url, _upload_url in heads:
        cell = (f'<th scope="col" class="text-center small text-nowrap">'
                f'{session.date:%d.%m}<br><span class="text-muted">{escape(hours)} h</span>'
                f'<br><a class="small" href="{sheet_url}" title="{sheet_title}">PDF</a>'
                f' <a class="small" href="{week_url}" title="{week_title}">{week_label}</a>')
        if session.id in scans:
            cell += (f' · <a class="small text-success" href="{scan_url}" title="{signed_title}"'
                     f' data-testid="scan-{session.id}">✔ {signed_label}</a>')
        elif session.id in unbacked:
            cell += (f'<br><span class="badge text-bg-warning" title="{unbacked_title}"'
                     f' data-testid="unbacked-{session.id}">{unbacked_label}</span>')
        if editable:
            cell += f' · <a class="small" href="{qr_url}" title="{qr_title}">QR</a>'
            if session.date <= today:
                cell += (f'<br><button class="btn btn-link btn-sm p-0" name="all_present"'
                         f' value="{session.id}" type="submit" title="{all_present_title}">'
                         f'{all_present_label}</button>')
        cells.append(cell + "</th>")
    return Markup("\n".join(cells))


class _Numbers(dict):
    """`number(value)` once per distinct value of the page (the same few hours repeat)."""

    def __call__(self, value) -> str:
        text = self.get(value)
        if text is None:
            text = self[value] = number(value)
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
    statuses = [status.value for status in MarkStatus]
    labels = {status: str(escape(label(status, "mark"))) for status in statuses}
    options = {chosen: "".join(
        ['<option value=""></option>'] + [
            f'<option value="{status}"{" selected" if status == chosen else ""}>{labels[status]}'
            "</option>" for status in statuses]) for chosen in ["", *statuses]}
    hours_label, remark_label = escape(_("Hours")), escape(_("Remark"))
    not_expected = f'<td class="text-center text-muted small" title="{escape(_("not expected"))}">—</td>'
    not_yet = f'<td class="text-center text-muted small" title="{escape(_("not held yet"))}">·</td>'
    # one %-format per editable cell: key, name, day, then the mark's options, key, hours
    # value, key, remark value (the last five made once per distinct mark of the page)
    field = ('<td><select class="form-select form-select-sm" name="status-%s" aria-label="%s %s">%s'
             '</select><input class="form-control form-control-sm mt-1" name="hours-%s"'
             f' inputmode="decimal" placeholder="h" aria-label="{_percent(hours_label)}"%s>'
             '<input class="form-control form-control-sm mt-1" name="remark-%s" maxlength="300"'
             f' placeholder="{_percent(remark_label)}" aria-label="{_percent(remark_label)}"%s></td>')
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
    numbers = _Numbers()
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
