"""The user guide: Markdown pages per role under docs/guide, served at /guide in the reader's
language, linked from every page's footer."""
from pathlib import Path

import pytest

from trainhub.core.guide import PAGES, render_markdown

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "guide"


@pytest.mark.parametrize("language", ["ro", "en"])
def test_every_role_has_a_page_in_both_languages_and_its_screenshots_exist(language):
    for page in (*PAGES, "index"):
        text = (GUIDE / language / f"{page}.md").read_text(encoding="utf-8")
        assert text.startswith("# ")
        for line in text.splitlines():
            if line.startswith("!["):
                name = line.split("](../img/")[1].rstrip(")")
                assert (GUIDE / "img" / name).is_file(), name


def test_the_guide_is_served_in_romanian_from_the_footer(client):
    home = client.get("/login").get_data(as_text=True)
    assert 'href="/guide/"' in home and "Ghidul utilizatorului" in home
    index = client.get("/guide/").get_data(as_text=True)
    assert "Alegeți pagina rolului dumneavoastră" in index
    assert 'href="/guide/coordinator"' in index
    page = client.get("/guide/admin").get_data(as_text=True)
    assert "<h1" in page and "Identitate vizuală" in page
    assert '<img class="img-fluid border my-2" src="/guide/img/admin-identity.png"' in page
    image = client.get("/guide/img/admin-identity.png")
    assert image.status_code == 200 and image.mimetype == "image/png"


def test_the_guide_follows_the_reader_language(client):
    from tests.conftest import csrf_token_from

    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    client.post("/language", data={"locale": "en", "csrf_token": token})
    assert "Choose the page of your role" in client.get("/guide/").get_data(as_text=True)


@pytest.mark.parametrize("address", ["/guide/nothing", "/guide/..%2F..%2Fconfig",
                                     "/guide/img/..%2F..%2Fro%2Fadmin.md", "/guide/img/x.svg",
                                     "/guide/img/missing.png"])
def test_anything_else_is_not_found(client, address):
    assert client.get(address).status_code == 404


def test_the_renderer_escapes_everything_and_renders_only_safe_links():
    html = str(render_markdown(
        "Text <script>alert(1)</script> **bold** `code`\n\n- [ok](admin.md)\n"
        "- [bad](javascript:alert(1))\n- ![x](../img/a-b.png) ![y](../img/../../x.png)\n\n"
        "1. first\n2. [site](https://example.org/a)",
        image_base="/guide/img/", page_base="/guide/"))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<strong>bold</strong>" in html and "<code>code</code>" in html
    assert '<a href="/guide/admin">ok</a>' in html and "javascript" not in html
    assert 'src="/guide/img/a-b.png"' in html and "../" not in html
    assert "<ol><li>first</li>" in html and 'href="https://example.org/a"' in html
