"""After logging out, the browser's Back button does not bring back the last page: on a clinic's shared
computer the next person would read the previous one's patient. Chromium keeps pages in its back/forward cache;
Playwright turns that cache off by default, so this journey launches its own Chromium with it on."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from clinics.tests.factories import PatientFactory
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.kit import browser_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def chromium_with_bfcache(browser):
    # A second Chromium from the session's Playwright (a second Playwright cannot run in the same thread).
    chromium = browser.browser_type.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                           ignore_default_args=["--disable-back-forward-cache"])
    yield chromium
    chromium.close()


def test_back_after_logging_out_shows_the_login_page_not_the_patient(chromium_with_bfcache, live_server, pasante_a,
                                                                       clinic_a):
    patient = PatientFactory(clinic=clinic_a, given_names="Rosalba", family_names="Gómez Pérez")
    context = chromium_with_bfcache.new_context(viewport=PHONE, locale="es-MX")
    page = context.new_page()
    try:
        browser_log_in(page, live_server, pasante_a)
        page.goto(live_server.url + reverse("clinics:patient-detail", args=[patient.pk]))
        assert page.get_by_text("Rosalba").first.is_visible()
        page.locator("details.menu summary").click()
        with page.expect_navigation():
            page.locator(f"header form[action='{reverse('account_logout')}'] button").click()

        page.go_back(wait_until="commit")  # a page restored from the cache fires no new "load"

        expect(page).to_have_url(re.compile(re.escape(reverse("account_login"))))
        expect(page.get_by_text("Rosalba")).to_have_count(0)
    finally:
        context.close()
