"""The user guide's screenshots, taken from the real demo pages: with GUIDE_SCREENSHOTS=1
(`make guide`) they are written to docs/guide/img/, otherwise to a temporary folder, so the
walk through the guide's pages is checked on every browser-test run."""
import os
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import select

from trainhub import demo
from trainhub.auth.models import User
from trainhub.courses.models import Cohort
from trainhub.extensions import db
from trainhub.programme.models import Call, Project

GUIDE_IMG = Path(__file__).resolve().parents[2] / "docs" / "guide" / "img"
VIEWPORT = {"width": 1280, "height": 800}

#: per role, the screenshots its page of the guide shows: (file name, address)
SHOTS = {
    "coordinator": [("coordinator-dashboard", "/"), ("coordinator-participants", "/participants/"),
                    ("coordinator-documents", "/documents/board"),
                    ("coordinator-attendance", "/attendance/cohorts/{cohort}")],
    "sme": [("sme-dashboard", "/"), ("sme-participants", "/participants/")],
    "trainer": [("trainer-calendar", "/courses/sessions"),
                ("trainer-attendance", "/attendance/cohorts/{cohort}")],
    "authority": [("authority-indicators", "/indicators/")],
    "admin": [("admin-identity", "/admin/calls/{call}/identity"),
              ("admin-certificate-template", "/admin/calls/{call}/certificate-template")],
}


@pytest.fixture
def demo_world(live_app):
    with live_app.app_context():
        demo.load_demo(db.session)
        logins = {}
        for role, email, password in demo.demo_logins():
            logins.setdefault(role, (email, password))  # the first project's accounts
        trainer = db.session.scalar(select(User).where(User.email == logins["trainer"][0]))
        ids = {"cohort": db.session.scalar(select(Cohort.id).join(Project).where(
                   Project.code == demo.DEMO_PROJECT_CODE, Cohort.trainer_id == trainer.id)
                   .order_by(Cohort.id)),
               "call": db.session.scalar(select(Call.id).order_by(Call.id))}
    return ids, logins


def _log_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Parolă").fill(password)
    page.get_by_role("button", name="Autentificare").click()
    expect(page.get_by_role("button", name="Ieșire")).to_be_visible()


@pytest.mark.parametrize("role", list(SHOTS))
def test_the_guide_screenshots_show_real_pages(live_server, demo_world, page: Page, role,
                                               tmp_path):
    ids, logins = demo_world
    folder = GUIDE_IMG if os.environ.get("GUIDE_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(VIEWPORT)
    _log_in(page, live_server, *logins[role])
    for name, address in SHOTS[role]:
        response = page.goto(live_server + address.format(**ids))
        assert response.status == 200, address
        path = folder / f"{name}.png"
        page.screenshot(path=str(path))
        with Image.open(path) as shot:  # 256 colours: a page is flat colours, the file small
            shot.convert("RGB").quantize(256).save(path, optimize=True)
        with Image.open(path) as shot:
            assert shot.size == (1280, 800) and shot.getextrema() != (255, 255)


def test_every_screenshot_the_guide_shows_is_taken():
    guide = GUIDE_IMG.parent
    named = {name for shots in SHOTS.values() for name, _address in shots}
    for path in guide.glob("*/*.md"):
        for image in re.findall(r"!\[[^\]]*\]\(\.\./img/([a-z0-9-]+)\.png\)", path.read_text()):
            assert image in named, f"{path.name} shows {image}.png, which no test takes"
