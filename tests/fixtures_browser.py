"""Debian's Chromium driven by Playwright at a cheap phone's size (360x640)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PHONE = {"width": 360, "height": 640}
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def phone(request, browser):
    """A fresh phone-sized page, once with JavaScript on and once with it off."""
    context = browser.new_context(viewport=PHONE, java_script_enabled=request.param)
    page = context.new_page()
    page.js_enabled = request.param
    yield page
    context.close()


@pytest.fixture
def phone_nojs(browser):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    yield context.new_page()
    context.close()


SCREENSHOTS = Path(__file__).resolve().parent.parent / "benchmarks" / "screenshots"


def shoot(page, tmp_path, name, full_page=False):
    """Screenshot to tmp_path/moderation-<name>.png, copied to benchmarks/screenshots/ when
    SAVE_SCREENSHOTS=1."""
    path = tmp_path / f"moderation-{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    if os.environ.get("SAVE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, SCREENSHOTS / path.name)


def sign_in(page, origin: str, username: str = "ada") -> None:
    """Sign in to moderation as a staff member does: /moderation/ sends a signed-out browser to
    the sign-in form, and back to the dashboard after it."""
    from tests.fixtures_moderation import PASSWORD
    page.goto(origin + "/moderation/")
    assert "/moderation/sign-in" in page.url
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(origin + "/moderation/")
