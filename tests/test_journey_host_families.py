"""The coordinator keeps a host family on her phone: she adds the family, records her pasante's stay and
pays it with a photo of the receipt, and reads what the family is owed month by month (360 px wide)."""

import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from clinics.models import HostPayment
from clinics.tests.factories import HostFamilyFactory, StaffFactory
from tests.kit import assert_fits_the_screen, browser_log_in

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SCREENSHOTS = os.environ.get("CES_SCREENSHOTS")  # a folder: save what the phone showed, to look at


def _shot(page, name):
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def test_the_coordinator_adds_a_family_records_a_stay_and_pays_it_from_her_phone(
        page, live_server, coordinator, clinic_a, settings, tmp_path):
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = tmp_path / "media"
    pasante = StaffFactory(cadre="pasante", full_name="María de los Ángeles Gordillo Alvarado")
    HostFamilyFactory(community=clinic_a.community, head_of_household="Don Sebastián Méndez Pérez")
    browser_log_in(page, live_server, coordinator)

    page.goto(live_server.url + reverse("clinics:host-family-list"))
    assert_fits_the_screen(page)
    page.get_by_test_id("host-family-new").click()
    page.select_option("select[name=community]", str(clinic_a.community.pk))
    page.fill("input[name=head_of_household]", "Guadalupe Hernández Gómez")
    page.fill("input[name=phone]", "961 123 4567")
    page.fill("input[name=rooms]", "1")
    page.fill("input[name=rate_per_night]", "150")
    page.fill("input[name=rate_per_meal]", "50")
    assert_fits_the_screen(page)
    page.get_by_test_id("host-family-form").locator("button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("Guadalupe Hernández Gómez")

    page.get_by_test_id("host-stay-new").click()
    first = timezone.localdate() - timedelta(days=20)
    page.select_option("select[name=guest_staff]", str(pasante.pk))
    page.fill("input[name=first_night]", first.isoformat())
    page.fill("input[name=last_night]", (first + timedelta(days=9)).isoformat())
    page.fill("input[name=meals_per_day]", "2")
    assert_fits_the_screen(page)
    page.get_by_test_id("host-stay-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("host-stay")).to_contain_text("María de los Ángeles")

    page.get_by_test_id("host-payment-new").click()
    page.fill("input[name=amount]", "2600")
    page.fill("input[name=concept]", "Hospedaje y alimentación")
    page.locator("input[name=stays]").first.check()
    page.set_input_files("input[name=receipt]", files=[{"name": "recibo.png", "mimeType": "image/png",
                                                         "buffer": PNG}])
    assert_fits_the_screen(page)
    _shot(page, "host-payment-form")
    page.get_by_test_id("host-payment-form").locator("button[type=submit]").click()

    # 10 nights x 150 + 20 meals x 50 = 2500: the payment is 100 above, allowed and flagged.
    expect(page.get_by_test_id("host-payment-excess")).to_be_visible()
    expect(page.get_by_test_id("host-months")).to_be_visible()
    assert_fits_the_screen(page)
    _shot(page, "host-family-detail")
    assert HostPayment.objects.get().amount == Decimal("2600.00")
    receipt = page.get_by_test_id("host-payment-receipt").get_attribute("href")
    assert page.request.get(live_server.url + receipt).body() == PNG

    page.goto(live_server.url + reverse("clinics:host-family-list"))
    expect(page.get_by_test_id("host-family-list")).to_contain_text("Guadalupe Hernández Gómez")
    assert_fits_the_screen(page)
    _shot(page, "host-family-list")
    page.goto(live_server.url + reverse("reports:report-detail", args=["host-family-balances"]))
    assert_fits_the_screen(page)
    _shot(page, "host-family-report")
