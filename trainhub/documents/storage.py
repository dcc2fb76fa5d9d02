"""Uploaded bytes: type sniffing, content-addressed storage, safe filenames, PDF script check."""
import hashlib
import os
import re
import tempfile
import unicodedata
import zlib
from pathlib import Path

#: magic bytes -> content type; nothing else is ever stored
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)

#: the extension a downloaded file gets for each content type
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
_ALSO_FINE = {".jpeg": "image/jpeg", ".jpe": "image/jpeg"}

#: device names Windows refuses as file names, whatever the extension (`con.pdf`)
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)),
                     *(f"LPT{n}" for n in range(1, 10))}
MAX_NAME_LENGTH = 255
FALLBACK_NAME = "document"

_KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}$")


def sniff_type(data: bytes) -> str | None:
    """The content type the bytes really are (PDF, JPEG, PNG), or None for anything else."""
    for magic, content_type in _SIGNATURES:
        if data.startswith(magic):
            return content_type
    return None


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def storage_key(digest: str) -> str:
    """`ab/cd/<sha256>`: where bytes with that digest live under the upload folder."""
    return f"{digest[:2]}/{digest[2:4]}/{digest}"


def store(upload_dir: str | Path, data: bytes) -> tuple[str, str]:
    """Keep `data` under `upload_dir` by its sha256 (once, however often uploaded).

    Returns (storage key, sha256). Written to a temporary file and renamed into place, so a
    reader never sees half a file.
    """
    digest = sha256_of(data)
    key = storage_key(digest)
    path = Path(upload_dir) / key
    if path.is_file() and path.stat().st_size == len(data):
        return key, digest
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return key, digest


def stored_path(upload_dir: str | Path, key: str) -> Path:
    """The file of a storage key; ValueError for anything that is not a key we generate."""
    if not _KEY.match(key or ""):
        raise ValueError(f"not a storage key: {key!r}")
    return Path(upload_dir) / key


def safe_filename(name: str | None, content_type: str | None = None) -> str:
    """A filename safe to offer for download, keeping letters of any script.

    Path parts are dropped (`../../etc/passwd` -> `passwd`), anything but letters, digits,
    marks, `-`, `_` and `.` becomes `_`, Windows device names get a `_` prefix (`_con.pdf`),
    the result is cut to 255 characters keeping the extension, and the extension matches
    the sniffed type (`passwd` -> `passwd.pdf`). An empty result becomes `document.<ext>`.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(
        char if char in "-_." or unicodedata.category(char)[0] in "LNM" else "_"
        for char in name
    )
    name = re.sub(r"_+", "_", name).strip("._ ")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    extension = ("." + extension.lower()) if extension else ""
    wanted = EXTENSIONS.get(content_type or "")
    if wanted and extension != wanted and _ALSO_FINE.get(extension) != content_type:
        stem, extension = name, wanted  # keep the claimed extension as part of the name
    stem = stem.strip("._ ") or FALLBACK_NAME
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = "_" + stem
    extension = extension[:16]
    return stem[:MAX_NAME_LENGTH - len(extension)] + extension


_PDF_NAME = re.compile(rb"/([^\s/<>\[\]()%{}]+)")
_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.DOTALL)
_SCRIPT_NAMES = {b"JavaScript", b"JS"}
_MAX_INFLATED = 20 * 1024 * 1024


def _names(chunk: bytes) -> set[bytes]:
    """The PDF names in `chunk`, `#xx` escapes decoded (`/J#61vaScript` is `/JavaScript`)."""
    return {re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)
            for raw in _PDF_NAME.findall(chunk)}


def pdf_has_javascript(data: bytes) -> bool:
    """Whether a PDF names /JavaScript or /JS anywhere, also inside compressed object streams.

    Conservative: such a PDF is still accepted as a document but is never shown inline.
    """
    if _names(data) & _SCRIPT_NAMES:
        return True
    budget = _MAX_INFLATED
    for match in _STREAM.finditer(data):
        try:
            inflater = zlib.decompressobj()
            inflated = inflater.decompress(match.group(1), budget)
        except zlib.error:
            continue
        budget -= len(inflated)
        if _names(inflated) & _SCRIPT_NAMES:
            return True
        if budget <= 0:
            return True  # too much hidden inside to be sure: treat as scripted
    return False


def previewable(content_type: str, data: bytes) -> bool:
    """Whether the file may be shown inline: images always, PDFs only without JavaScript."""
    if content_type in ("image/jpeg", "image/png"):
        return True
    return content_type == "application/pdf" and not pdf_has_javascript(data)
