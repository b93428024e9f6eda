"""Fixtures for the cross-app tests: a page in the session's Chromium (``tests/browser.py``) for the
browser journeys.

Journeys are marked ``@pytest.mark.browser`` and use pytest-django's ``live_server``.
"""

import pytest

# The Chromium settings live in tests/browser.py with the session's one ``browser`` (registered by the root
# conftest.py); they stay importable from here.
from tests.browser import CHROMIUM, CHROMIUM_ARGS, PHONE  # noqa: F401


@pytest.fixture
def page(browser):
    """A fresh browser context (no cookies) with a phone-sized window."""
    context = browser.new_context(viewport=PHONE, locale="es-MX", timezone_id="America/Mexico_City")
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()
