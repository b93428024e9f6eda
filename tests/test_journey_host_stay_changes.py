"""The coordinator corrects a host stay and cancels another from her phone, then corrects the payment and reads
its history, the stays it covers included (360 px; screenshots at 360 and 1280 px with CES_SCREENSHOTS)."""

import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from clinics import services
from clinics.models import HostStay
from clinics.tests.factories import HostFamilyFactory
from tests.kit import assert_fits_the_screen, browser_log_in

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
SCREENSHOTS = os.environ.get("CES_SCREENSHOTS")


def _shot(page, name):
    if not SCREENSHOTS:
        return
    width = page.viewport_size["width"]
    page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}-1280.png"), full_page=True)
    page.set_viewport_size({"width": width, "height": 800})


def test_the_coordinator_corrects_and_cancels_stays_and_reads_the_payments_history(
        page, live_server, coordinator, clinic_a):
    from playwright.sync_api import expect

    family = HostFamilyFactory(community=clinic_a.community, head_of_household="Guadalupe Hernández Gómez",
                               rooms=2, rate_per_night=Decimal("150"), rate_per_meal=Decimal("50"))
    first = timezone.localdate() - timedelta(days=20)
    kept = services.host_family_stay_create(family=family, guest_kind="visitor",
                                            guest_name="Mary-Catherine Johnson-Whitfield", first_night=first,
                                            last_night=first + timedelta(days=9), meals_per_day=2)
    dropped = services.host_family_stay_create(family=family, guest_kind="visitor", guest_name="John Roe",
                                               first_night=first, last_night=first + timedelta(days=2))
    payment = services.host_family_payment_create(family=family, amount=Decimal("2500"), paid_on=first,
                                                  concept="Hospedaje", stays=[kept], by=coordinator)
    browser_log_in(page, live_server, coordinator)

    page.goto(live_server.url + reverse("clinics:host-stay-edit", args=[kept.pk]))
    assert_fits_the_screen(page)
    _shot(page, "stay-edit")
    page.fill("input[name=last_night]", (first + timedelta(days=4)).isoformat())
    page.get_by_test_id("host-stay-edit-form").locator("button[type=submit]").click()
    expect(page.locator("body")).to_contain_text("$1250.00 MXN")

    page.goto(live_server.url + reverse("clinics:host-stay-edit", args=[dropped.pk]))
    page.fill("input[name=reason]", "La visitante no llegó")
    page.get_by_test_id("host-stay-cancel-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("host-stay-cancelled")).to_be_visible()
    assert_fits_the_screen(page)
    _shot(page, "family-with-a-cancelled-stay")

    page.goto(live_server.url + reverse("clinics:host-payment-edit", args=[payment.pk]))
    assert page.locator(f"input[name=stays][value='{dropped.pk}']").count() == 0  # cancelled: not on offer
    page.fill("input[name=amount]", "1000")
    page.get_by_test_id("host-payment-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("payment-trail")).to_contain_text("1000.00")
    assert_fits_the_screen(page)
    _shot(page, "payment-history")

    assert HostStay.objects.get(pk=dropped.pk).cancel_reason == "La visitante no llegó"
    assert HostStay.objects.get(pk=kept.pk).nights == 5
