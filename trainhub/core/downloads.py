"""The one way a view answers with a file: a safe name, no type sniffing, never cached."""
from io import BytesIO
from pathlib import Path
from typing import IO

from flask import send_file

from trainhub.documents.storage import safe_filename

PDF = "application/pdf"
ZIP = "application/zip"
#: a downloaded file is the reader's alone: no shared cache, no copy kept by the browser
NO_STORE = "private, no-store"


def download_response(content: bytes | IO[bytes] | Path, filename: str | None, mimetype: str, *,
                      inline: bool = False, content_security_policy: str | None = None):
    """A response carrying `content` as an attachment (or `inline`, e.g. a preview).

    Always with `X-Content-Type-Options: nosniff` and `Cache-Control: private, no-store`;
    `filename` passes through documents.storage.safe_filename (no path parts, no control or
    quoting characters); None offers no name (e.g. an inline logo).
    """
    if isinstance(content, bytes):
        content = BytesIO(content)
    response = send_file(content, mimetype=mimetype, as_attachment=not inline,
                         download_name=safe_filename(filename) if filename else None,
                         max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = NO_STORE
    if content_security_policy:
        response.headers["Content-Security-Policy"] = content_security_policy
    return response
