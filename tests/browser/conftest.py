"""Playwright (Python) driving Debian's Chromium against pytest-django's live server; never a downloaded browser.

A failing browser test leaves a screenshot of the page in test-artifacts/ (ignored by git).
"""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
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


@pytest.fixture(scope="module")
def chromium():
    """One Chromium per test module, while Django is told that the ORM may run beside Playwright's event loop.

    Playwright's sync API runs an event loop in the test's thread; Django refuses ORM calls there unless
    DJANGO_ALLOW_ASYNC_UNSAFE is set (safe here: the loop only drives the browser, ORM calls stay synchronous).
    Both end with the module, so that no other test runs beside the loop or with the flag (`check --deploy`
    rejects it).
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium est introuvable en {CHROMIUM} : installez le paquet Debian « chromium ».")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


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
