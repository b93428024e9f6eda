"""Browser journey on a phone: a coordinator corrects a patient's phone, sees the change in the record's
audit trail, and merges a second record of the same person (written without accents) into it. Every page
fits 360 px. The UI is Spanish; the assertions hold on data-testid attributes and URLs."""

import os
from datetime import date

import pytest
from django.urls import reverse

from clinics.models import Patient
from clinics.tests.factories import PatientFactory
from tests.kit import assert_fits_the_screen, browser_log_in

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SHOTS = os.environ.get("CES_SCREENSHOTS", "")


def _shot(page, name):
    assert_fits_the_screen(page)
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"patients10-{name}.png"), full_page=True)


def test_coordinator_corrects_a_patient_and_merges_its_duplicate(page, live_server, coordinator, clinic_a):
    from playwright.sync_api import expect

    survivor = PatientFactory(clinic=clinic_a, given_names="José Ángel", family_names="Gómez Hernández",
                              birth_date=date(1964, 2, 9), sex=Patient.Sex.MALE, phone="961 100 2030",
                              curp="GOHA640209HCSMRN05")
    twin = PatientFactory(clinic=clinic_a, given_names="JOSE ANGEL", family_names="GOMEZ HERNANDEZ",
                          birth_date=date(1964, 2, 9), sex=Patient.Sex.MALE, duplicate_reviewed=True)
    browser_log_in(page, live_server, coordinator)

    page.goto(live_server.url + survivor.get_absolute_url())
    page.get_by_test_id("patient-edit-link").click()
    expect(page).to_have_url(live_server.url + reverse("clinics:patient-edit", args=[survivor.pk]))
    _shot(page, "edit")
    page.locator("input[name=phone]").fill("961 555 0101")
    page.get_by_role("button", name="Guardar").click()
    expect(page).to_have_url(live_server.url + survivor.get_absolute_url())
    change = page.get_by_test_id("trail-change").first
    expect(change).to_contain_text("«961 100 2030» → «961 555 0101»")
    expect(page.get_by_test_id("trail-entry").first).to_contain_text(coordinator.full_name)
    _shot(page, "detail")

    page.get_by_test_id("patient-merge-link").click()
    candidate = page.get_by_test_id("merge-candidate")
    expect(candidate).to_have_count(1)
    _shot(page, "pick")
    candidate.get_by_role("link").click()
    expect(page).to_have_url(live_server.url + reverse("clinics:patient-merge", args=[survivor.pk, twin.pk]))
    expect(page.get_by_test_id("merge-survivor")).to_contain_text("GOHA640209HCSMRN05")
    _shot(page, "confirm")
    page.get_by_role("button", name="Fusionar los registros").click()

    expect(page).to_have_url(live_server.url + survivor.get_absolute_url())
    twin.refresh_from_db()
    assert twin.merged_into_id == survivor.pk
    page.goto(live_server.url + twin.get_absolute_url())
    expect(page).to_have_url(live_server.url + survivor.get_absolute_url())
    _shot(page, "after-merge")
