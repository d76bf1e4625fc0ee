"""Playwright (Python) driving Debian's Chromium against pytest-django's live server; never a downloaded browser.

A failing browser test leaves a screenshot of the page in test-artifacts/ (ignored by git).
"""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings

# Playwright's sync API runs an event loop in the test's thread; Django refuses ORM calls there unless told it is safe
# (it is: the loop only drives the browser, the ORM calls stay synchronous).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rapport_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium est introuvable en {CHROMIUM} : installez le paquet Debian « chromium ».")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server, request):
    """A fresh browser context on the live server; console errors (CSP violations included) are collected."""
    context = chromium.new_context(
        base_url=live_server.url, accept_downloads=True, locale="fr-FR", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.erreurs = []
    page.on("console", lambda message: message.type == "error" and page.erreurs.append(message.text))
    page.on("pageerror", lambda error: page.erreurs.append(str(error)))
    yield page
    rapport = getattr(request.node, "rapport_call", None)
    if rapport is not None and rapport.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()
