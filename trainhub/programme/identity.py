"""Paperwork rules: a call's visual identity (texts, logos) and the certificate templates."""
import string
from io import BytesIO
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from trainhub.audit.services import record
from trainhub.core.errors import Problems
from trainhub.core.pdf import DEFAULT_TEXTS, TEXT_KEYS, Letterhead, Logo
from trainhub.documents import storage
from trainhub.documents.services import UploadRefused, human_size
from trainhub.programme.models import (
    Call,
    CallIdentity,
    CertificateTemplate,
    Orientation,
    Project,
)

LANGUAGES = ("ro", "en")
#: the longest a mandatory text may be
MAX_TEXT = 300
#: a logo is a small picture: PNG or JPEG only (SVG is refused: it can carry scripts)
LOGO_TYPES = ("image/png", "image/jpeg")
MAX_LOGO_BYTES = 1024 * 1024
MAX_LOGOS = 4
MAX_LOGO_PIXELS = 4000 * 4000


# --- visual identity -------------------------------------------------------------------------

def identity_of(db_session: Session, call: Call) -> CallIdentity | None:
    return db_session.scalar(select(CallIdentity).where(CallIdentity.call_id == call.id))


def identity_texts(identity: CallIdentity | None, language: str = "ro") -> dict[str, str]:
    """The four mandatory texts in `language`: the call's own, the default where it has none."""
    language = language if language in LANGUAGES else "ro"
    own = ((identity.texts or {}) if identity else {}).get(language) or {}
    return {key: (own.get(key) or "").strip() or DEFAULT_TEXTS[language][key] for key in TEXT_KEYS}


def _identity_for_change(db_session: Session, call: Call) -> CallIdentity:
    identity = identity_of(db_session, call)
    if identity is None:
        identity = CallIdentity(call=call, texts={}, logos=[])
        db_session.add(identity)
    return identity


def save_identity_texts(db_session: Session, call: Call, texts: dict[str, dict[str, str]], *,
                        user_id: int | None) -> CallIdentity:
    """Store the call's mandatory texts ({language: {key: text}}); a blank one means the
    default. Problems (nothing written) when a text is too long."""
    cleaned, problems = {}, []
    for language in LANGUAGES:
        given = texts.get(language) or {}
        cleaned[language] = {}
        for key in TEXT_KEYS:
            value = " ".join(str(given.get(key) or "").split())
            if len(value) > MAX_TEXT:
                problems.append(_l("A text may have at most %(num)s characters.", num=MAX_TEXT))
            elif value and value != DEFAULT_TEXTS[language][key]:
                cleaned[language][key] = value
    if problems:
        raise Problems(sorted(set(problems), key=str))
    identity = _identity_for_change(db_session, call)
    before = identity.texts
    identity.texts = cleaned
    db_session.flush()
    record(db_session, "call.identity_texts", call, {"before": before, "after": cleaned},
           user_id=user_id)
    return identity


def check_logo(data: bytes) -> str:
    """The content type of an acceptable logo, by its content (never its name), or
    UploadRefused listing every reason: not a PNG/JPEG, too big, not a readable picture."""
    if not data:
        raise UploadRefused([_l("The file is empty.")])
    problems = []
    content_type = storage.sniff_type(data)
    if content_type not in LOGO_TYPES:
        problems.append(_l("A logo must be a PNG or JPEG picture (its content was checked, not "
                           "its name)."))
    else:
        try:
            with Image.open(BytesIO(data)) as picture:
                if picture.width * picture.height > MAX_LOGO_PIXELS:
                    raise UnidentifiedImageError
                picture.verify()
        except Exception:  # noqa: BLE001 - any decoder error means "not a picture we can print"
            problems.append(_l("The picture cannot be read; save it again as PNG or JPEG."))
    if len(data) > MAX_LOGO_BYTES:
        problems.append(_l("The file is %(size)s; at most %(limit)s are allowed.",
                           size=human_size(len(data)), limit=human_size(MAX_LOGO_BYTES)))
    if problems:
        raise UploadRefused(problems)
    return content_type


def add_logo(db_session: Session, call: Call, data: bytes, filename: str, upload_dir: str | Path,
             *, user_id: int | None) -> CallIdentity:
    """Check and store a logo, added after the call's other logos."""
    content_type = check_logo(data)
    identity = _identity_for_change(db_session, call)
    if len(identity.logos or []) >= MAX_LOGOS:
        raise UploadRefused([_l("A call has at most %(num)s logos; remove one first.",
                                num=MAX_LOGOS)])
    key, digest = storage.store(upload_dir, data)
    logo = {"key": key, "sha256": digest, "content_type": content_type,
            "name": storage.safe_filename(filename, content_type)}
    identity.logos = [*(identity.logos or []), logo]
    db_session.flush()
    record(db_session, "call.logo_add", call, {"logo": logo}, user_id=user_id)
    return identity


def remove_logo(db_session: Session, call: Call, position: int, *,
                user_id: int | None) -> bool:
    """Remove the logo at `position` (0-based); False when there is none there."""
    identity = identity_of(db_session, call)
    logos = list(identity.logos or []) if identity else []
    if not 0 <= position < len(logos):
        return False
    removed = logos.pop(position)
    identity.logos = logos
    db_session.flush()
    record(db_session, "call.logo_remove", call, {"logo": removed}, user_id=user_id)
    return True


def logo_bytes(logo: dict, upload_dir: str | Path) -> bytes | None:
    try:
        return storage.stored_path(upload_dir, logo.get("key", "")).read_bytes()
    except (OSError, ValueError):
        return None


def document_letterhead(db_session: Session, project: Project | None,
                        call: Call | None = None) -> Letterhead:
    """The letterhead of a PDF: `letterhead_for` with the logos of the app's upload storage."""
    return letterhead_for(db_session, project, current_app.config["UPLOAD_DIR"], call=call)


def letterhead_for(db_session: Session, project: Project | None, upload_dir: str | Path | None,
                   call: Call | None = None) -> Letterhead:
    """The header and footer of a project's documents (or a call's, for a preview): the
    call's texts in Romanian and its logos (none without `upload_dir`: spreadsheets), the
    project's title and SMIS code."""
    call = project.call if project is not None else call
    identity = identity_of(db_session, call) if call is not None else None
    logos = []
    for logo in (identity.logos or []) if identity and upload_dir else []:
        data = logo_bytes(logo, upload_dir)
        try:
            with Image.open(BytesIO(data or b"")) as picture:
                logos.append(Logo(data, picture.width, picture.height))
        except (OSError, ValueError):
            continue  # a missing or damaged file must not stop the paperwork
    return Letterhead(texts=identity_texts(identity, "ro"), logos=tuple(logos),
                      project_title=project.title if project else "",
                      smis_code=project.code if project else "")


# --- certificate templates -------------------------------------------------------------------

#: the placeholders a certificate body may use
PLACEHOLDERS = ("name", "course", "hours", "planned_hours", "period", "serial", "project")
MAX_TITLE, MAX_BODY, MAX_SIGNATURES, MAX_SIGNATURE = 200, 2000, 4, 120

#: the wording of certificates when neither the project nor its call has a template (and of
#: those issued before templates existed)
DEFAULT_WORDING = {
    "template_id": None, "version": 0, "title": "CERTIFICAT DE ABSOLVIRE",
    "body": "Se certifică faptul că {name} a absolvit cursul „{course}”, în perioada {period}: "
            "{hours} ore frecventate din {planned_hours} ore planificate.",
    "signatures": [], "orientation": Orientation.LANDSCAPE.value,
}


def placeholder_problems(text: str) -> list:
    """Why `text` cannot be a certificate body: an unknown placeholder (the message lists the
    allowed ones), a placeholder with a format, or a lone brace."""
    allowed = " ".join("{" + name + "}" for name in PLACEHOLDERS)
    try:
        fields = [(name, spec, conversion) for _text, name, spec, conversion
                  in string.Formatter().parse(text) if name is not None]
    except ValueError:
        return [_l("A brace { or } has no partner; write placeholders as %(allowed)s.",
                   allowed=allowed)]
    unknown = sorted({name for name, spec, conversion in fields
                      if name not in PLACEHOLDERS or spec or conversion})
    if unknown:
        return [_l("Unknown placeholder %(names)s; allowed: %(allowed)s.",
                   names=", ".join("{" + name + "}" for name in unknown), allowed=allowed)]
    return []


def fill(text: str, values: dict[str, str]) -> str:
    """`text` with its placeholders replaced (text checked by placeholder_problems)."""
    return text.format_map({name: values.get(name, "") for name in PLACEHOLDERS})


def template_for(db_session: Session, project: Project) -> CertificateTemplate | None:
    """The template that applies to the project's certificates: its own, else its call's."""
    templates = db_session.scalars(select(CertificateTemplate).where(
        (CertificateTemplate.project_id == project.id)
        | (CertificateTemplate.call_id == project.call_id))).all()
    return min(templates, key=lambda t: t.project_id is None, default=None)


def wording_of(template: CertificateTemplate | None) -> dict:
    """What a certificate keeps of its template when issued."""
    if template is None:
        return dict(DEFAULT_WORDING)
    return {"template_id": template.id, "version": template.version, "title": template.title,
            "body": template.body, "signatures": list(template.signatures or []),
            "orientation": template.orientation}


def template_problems(title: str, body: str, signatures: list[dict], orientation: str) -> list:
    problems = []
    if not title.strip():
        problems.append(_l("The title is required."))
    if len(title) > MAX_TITLE or len(body) > MAX_BODY:
        problems.append(_l("The title may have at most %(title)s characters and the text "
                           "%(body)s.", title=MAX_TITLE, body=MAX_BODY))
    if not body.strip():
        problems.append(_l("The text is required."))
    problems += placeholder_problems(title) + placeholder_problems(body)
    if len(signatures) > MAX_SIGNATURES or any(
            len(line.get("name", "")) > MAX_SIGNATURE or len(line.get("role", "")) > MAX_SIGNATURE
            for line in signatures):
        problems.append(_l("At most %(num)s signature lines of %(length)s characters each.",
                           num=MAX_SIGNATURES, length=MAX_SIGNATURE))
    if orientation not in {o.value for o in Orientation}:
        problems.append(_l("Choose an orientation."))
    return problems


def save_template(db_session: Session, owner: Call | Project, *, title: str, body: str,
                  signatures: list[dict], orientation: str,
                  user_id: int | None) -> CertificateTemplate:
    """Create or change the certificate template of a call or project (version + 1 on a
    change); Problems, nothing written, when a field is wrong. Certificates already issued
    keep the wording they were issued with."""
    title, body = " ".join(title.split()), body.strip()
    signatures = [{"name": " ".join(str(line.get("name", "")).split()),
                   "role": " ".join(str(line.get("role", "")).split())} for line in signatures]
    signatures = [line for line in signatures if line["name"] or line["role"]]
    problems = template_problems(title, body, signatures, orientation)
    if problems:
        raise Problems(problems)
    column = (CertificateTemplate.project_id if isinstance(owner, Project)
              else CertificateTemplate.call_id)
    template = db_session.scalar(select(CertificateTemplate).where(column == owner.id))
    values = {"title": title, "body": body, "signatures": signatures, "orientation": orientation}
    if template is None:
        template = CertificateTemplate(**values, version=1, **(
            {"project_id": owner.id} if isinstance(owner, Project) else {"call_id": owner.id}))
        db_session.add(template)
    elif any(getattr(template, name) != value for name, value in values.items()):
        for name, value in values.items():
            setattr(template, name, value)
        template.version += 1
    else:
        return template
    db_session.flush()
    record(db_session, "certificate_template.save", template,
           {**values, "version": template.version}, user_id=user_id)
    return template
