"""Fixtures for the cross-app tests: a Chromium driven by Playwright for the browser journeys.

Journeys are marked ``@pytest.mark.browser`` and use pytest-django's ``live_server``. Debian's Chromium
is used (no browser download). Playwright's sync API runs an event loop in the test thread, which makes
Django refuse database access from it unless told that this is safe here: it is, the loop only drives
the browser.
"""

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# A phone: every page must work at 360 px wide.
PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (no cookies) with a phone-sized window."""
    context = browser.new_context(viewport=PHONE, locale="es-MX", timezone_id="America/Mexico_City")
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()
