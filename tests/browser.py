"""One Chromium for the whole test session, driven by Playwright, shared by every app's browser tests.

The root ``conftest.py`` registers the session-scoped ``browser`` fixture from here, so that ``pharmacy``,
``visitors`` and ``tests`` all use the same Chromium instead of launching one per test (a launch is a second
or two on a loaded machine). Each test still opens its own browser context (no cookies, its own viewport,
locale and time zone) and closes it. Debian's Chromium is used (no browser download).

Playwright's sync API runs an event loop in the test thread for as long as the browser is open, which makes
Django refuse database access from it unless told that this is safe here: it is, the loop only drives the
browser.
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


def phone_page(browser, *, locale, timezone_id=None):
    """A fresh context with a phone-sized window and a page in it, collecting the page's JavaScript errors.

    A generator for a fixture to ``yield from``: it closes the context afterwards and fails the test if the
    page raised an error."""
    options = {"viewport": PHONE, "locale": locale}
    if timezone_id is not None:
        options["timezone_id"] = timezone_id
    context = browser.new_context(**options)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    failures = []
    tab.on("pageerror", lambda error: failures.append(str(error)))
    yield tab
    context.close()
    assert not failures, failures
