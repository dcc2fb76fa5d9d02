"""Every file a view hands out goes through core.downloads: a safe name, nosniff, no-store."""
import re
from pathlib import Path

from tests.test_access_matrix import ACCESS, _url, build_world
from trainhub.core.downloads import download_response

PACKAGE = Path(__file__).resolve().parent.parent / "trainhub"
#: the guide's screenshots are public help pictures, cached an hour on purpose
NOT_A_DOWNLOAD = {Path("views.py")}


def _assert_private_file(response, endpoint):
    assert response.headers["X-Content-Type-Options"] == "nosniff", endpoint
    assert response.headers["Cache-Control"] == "private, no-store", endpoint


def test_every_file_a_page_hands_out_is_not_sniffed_nor_cached(app, client, auth):
    world = build_world()
    assert auth.login(world.users["admin"]).status_code == 302
    files = set()
    for method, endpoint in sorted(ACCESS):
        if method != "GET" or endpoint.startswith(("api.", "api-docs.")):
            continue
        response = client.get(_url(app, endpoint, world))
        if "Content-Disposition" not in response.headers or endpoint == "main.guide_image":
            continue
        files.add(endpoint)
        _assert_private_file(response, endpoint)
    assert {"attendance.certificate_pdf", "attendance.register", "attendance.sign_in_sheet_pdf",
            "documents.board_export", "documents.download", "documents.preview",
            "indicators.call_download", "indicators.download", "indicators.report",
            "jobs.download", "participants.cohort_dossier", "participants.dossier_download",
            "participants.export_json", "participants.export_pdf",
            "participants.register_export", "selfservice.entity_form",
            "selfservice.registration_form"} <= files


def test_no_view_sends_a_file_around_the_helper():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if relative in (Path("core/downloads.py"), *NOT_A_DOWNLOAD):
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"\bsend_file\b|Content-Disposition", text):
            offenders.append(str(relative))
    assert offenders == []


def test_the_name_offered_loses_its_path_and_quoting_characters(app):
    with app.test_request_context():
        response = download_response(b"%PDF-", '../../a"b\r\nX-Evil: 1.pdf', "application/pdf")
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert ".." not in disposition and "/" not in disposition and "\n" not in disposition
        assert '"b' not in disposition
        _assert_private_file(response, "helper")
        inline = download_response(b"\x89PNG", None, "image/png", inline=True,
                                   content_security_policy="default-src 'none'")
        assert "Content-Disposition" not in inline.headers
        assert inline.headers["Content-Security-Policy"] == "default-src 'none'"
        _assert_private_file(inline, "inline")


def test_no_area_borrows_another_blueprints_private_helpers():
    borrowed = []
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        borrowed += [f"{path.relative_to(PACKAGE)}: {match}" for match in re.findall(
            r"from trainhub\.\w+\.views import [^\n]*\b_\w+", text)]
    assert borrowed == []
