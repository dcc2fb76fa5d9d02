"""The review queue's rows, one format each from pieces made once per page."""
from flask_babel import gettext as _
from markupsafe import Markup, escape

from trainhub.core.urls import url_for_any_id


def review_rows_markup(rows, titles: dict[int, str], csrf: str, next_url: str) -> Markup:
    """The page's table rows (`<tr>…</tr>` each, in order), one per pending upload: its select
    box, upload time, line and version, owner, file links and the accept and reject forms. `rows` are those of `services.review_rows`; `titles` each line's title in the
    reader's language; `csrf` and `next_url` the page's token and path, the same in every row.
    Every value is escaped once, the labels and links are made once per page."""
    select_label, preview_label, accept_label, reason_label, reject_label = (
        escape(_("Select")), escape(_("Preview")), escape(_("Accept")), escape(_("Reason")),
        escape(_("Reject")))
    # translated once with its placeholder; the file name is escaped and put in it per row
    reason_for, _sep, reason_for_tail = escape(
        _("Reason for rejecting %(name)s", name="\0")).partition("\0")
    csrf, next_url = escape(csrf), escape(next_url)
    document_url, preview_url, accept_url, reject_url = (
        url_for_any_id(f"documents.{endpoint}", "document_id")
        for endpoint in ("detail", "preview", "accept", "reject"))
    titles = {requirement_id: escape(title) for requirement_id, title in titles.items()}
    forms = (f'        <input type="hidden" name="csrf_token" value="{csrf}">\n'
             f'        <input type="hidden" name="next" value="{next_url}">\n')
    made = []
    for row in rows:
        name = escape(row.original_name)
        if row.enterprise_id:
            owner = f"{escape(row.enterprise_name)}\n    "
        else:
            owner = f"{escape(row.last_name)} {escape(row.first_name)}"
            if row.employer_name is not None:
                owner += f'<div class="text-muted">{escape(row.employer_name)}</div>'
        made.append(
            f'<tr>\n  <td><input class="form-check-input" type="checkbox" form="bulk" '
            f'name="document_ids" value="{row.id}" aria-label="{select_label}"></td>\n'
            f'  <td class="small text-nowrap">{row.uploaded_at:%Y-%m-%d %H:%M}</td>\n'
            f'  <td>{titles.get(row.requirement_id, "")} '
            f'<span class="text-muted small">v{row.version}</span></td>\n'
            f'  <td class="small">\n    {owner}\n  </td>\n'
            f'  <td class="small">\n    <a href="{document_url(row.id)}">{name}</a>\n'
            f'    · <a href="{preview_url(row.id)}" target="_blank" rel="noopener">'
            f'{preview_label}</a>\n  </td>\n'
            f'  <td class="review-actions">\n    <div class="d-flex flex-wrap gap-1">\n'
            f'      <form method="post" action="{accept_url(row.id)}">\n{forms}'
            f'        <button class="btn btn-sm btn-success" type="submit">{accept_label}</button>\n'
            f'      </form>\n'
            f'      <form class="d-flex gap-1 flex-grow-1" method="post" '
            f'action="{reject_url(row.id)}">\n{forms}'
            f'        <input class="form-control form-control-sm review-reason" name="reason" '
            f'list="reason-templates" maxlength="500" required\n'
            f'               placeholder="{reason_label}" '
            f'aria-label="{reason_for}{name}{reason_for_tail}">\n'
            f'        <button class="btn btn-sm btn-danger flex-shrink-0" type="submit">'
            f'{reject_label}</button>\n      </form>\n    </div>\n  </td>\n</tr>')
    return Markup("".join(made))
