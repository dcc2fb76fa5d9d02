"""The user guide (docs/guide, Markdown) as web pages, with a small renderer of our own."""
import html
import re
from pathlib import Path

from markupsafe import Markup

#: the guide's pages, one per role, in the order of the index
PAGES = ("coordinator", "sme", "trainer", "authority", "admin")
LANGUAGES = ("ro", "en")
_PACKAGE = Path(__file__).resolve().parent.parent
#: a source checkout keeps the guide in docs/guide; an installed package ships it as trainhub/guide
CANDIDATES = (_PACKAGE.parent / "docs" / "guide", _PACKAGE / "guide")
_IMAGE_NAME = re.compile(r"^[a-z0-9-]+\.png$")
_INLINE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)|\[([^\]]+)\]\(([^)\s]+)\)|\*\*(.+?)\*\*|`([^`]+)`")


def guide_dir() -> Path | None:
    return next((path for path in CANDIDATES if (path / "ro").is_dir()), None)


def page_text(language: str, page: str) -> str | None:
    """The Markdown of a page of the guide, or None when there is no such page."""
    base = guide_dir()
    if base is None or page not in (*PAGES, "index") or language not in LANGUAGES:
        return None
    path = base / language / f"{page}.md"
    return path.read_text(encoding="utf-8") if path.is_file() else None


def image_path(name: str) -> Path | None:
    base = guide_dir()
    if base is None or not _IMAGE_NAME.match(name):
        return None
    path = base / "img" / name
    return path if path.is_file() else None


def _link(target: str, image_base: str, page_base: str) -> str | None:
    """Where a link of the guide points on the site; None for anything else (not rendered)."""
    if target.startswith("../img/") or target.startswith("img/"):
        name = target.rsplit("/", 1)[1]
        return image_base + name if _IMAGE_NAME.match(name) else None
    if re.match(r"^[a-z]+\.md$", target):
        return page_base + target[:-3]
    if re.match(r"^https://[\w.-]+(/[\w./%#?=&-]*)?$", target):
        return target
    return None


def _inline(text: str, image_base: str, page_base: str) -> str:
    out, position = [], 0
    for match in _INLINE.finditer(text):
        out.append(html.escape(text[position:match.start()]))
        alt, source, label, target, bold, code = match.groups()
        if source is not None:
            url = _link(source, image_base, page_base)
            out.append(f'<img class="img-fluid border my-2" src="{html.escape(url)}" '
                       f'alt="{html.escape(alt)}" loading="lazy">' if url else html.escape(alt))
        elif label is not None:
            url = _link(target, image_base, page_base)
            out.append(f'<a href="{html.escape(url)}">{html.escape(label)}</a>' if url
                       else html.escape(label))
        elif bold is not None:
            out.append(f"<strong>{html.escape(bold)}</strong>")
        else:
            out.append(f"<code>{html.escape(code)}</code>")
        position = match.end()
    out.append(html.escape(text[position:]))
    return "".join(out)


def render_markdown(text: str, *, image_base: str, page_base: str) -> Markup:
    """The subset of Markdown the guide uses (headings, paragraphs, lists, bold, code, links,
    images) as HTML; everything else is shown as text, every character escaped."""
    blocks, paragraph, items, kind = [], [], [], None

    def flush() -> None:
        nonlocal paragraph, items, kind
        if paragraph:
            blocks.append(f"<p>{_inline(' '.join(paragraph), image_base, page_base)}</p>")
        if items:
            tag = "ol" if kind == "ol" else "ul"
            blocks.append(f"<{tag}>" + "".join(
                f"<li>{_inline(item, image_base, page_base)}</li>" for item in items) + f"</{tag}>")
        paragraph, items, kind = [], [], None

    for line in text.splitlines():
        stripped = line.strip()
        heading = re.match(r"^(#{1,4})\s+(.*)$", stripped)
        bullet = re.match(r"^[-*]\s+(.*)$", stripped)
        numbered = re.match(r"^\d+\.\s+(.*)$", stripped)
        if not stripped:
            flush()
        elif heading:
            flush()
            level = len(heading.group(1)) + 1  # the page's own title is the h1
            blocks.append(f"<h{level}>{_inline(heading.group(2), image_base, page_base)}"
                          f"</h{level}>")
        elif bullet or numbered:
            if paragraph or (kind and kind != ("ul" if bullet else "ol")):
                flush()
            kind = "ul" if bullet else "ol"
            items.append((bullet or numbered).group(1))
        elif items and line.startswith("  "):
            items[-1] += " " + stripped
        else:
            if items:
                flush()
            paragraph.append(stripped)
    flush()
    return Markup("\n".join(blocks))
