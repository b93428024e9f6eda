"""Browser journey: the coordinator plans next year's rotation in one sitting.

She creates next year's cohort from the cohort list, its pasantes arrive (made here by factories), and she
places them from the cohort's placement page, one select per clinic beside its gap, all saved by one POST;
every clinic is then covered, and the clinic page's coverage shows no gap. The phone screen (360 px) holds the
placement page without sideways scrolling. The UI is Spanish; assertions hold on data-testid attributes.
"""

import os
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clinics.models import Assignment, Cadre, Cohort
from clinics.tests.factories import StaffFactory
from tests.kit import assert_fits_the_screen, browser_log_in

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_coordinator_creates_and_places_next_years_cohort(page, live_server, coordinator, pasante_a, pasante_b,
                                                          clinic_a, clinic_b):
    from playwright.sync_api import expect

    today = timezone.localdate()
    start, end = today + timedelta(days=30), today + timedelta(days=395)
    # This year's pasantes leave the day before the next cohort arrives.
    Assignment.objects.filter(staff__user__in=[pasante_a, pasante_b]).update(end_date=start - timedelta(days=1))

    browser_log_in(page, live_server, coordinator)

    # Creates the cohort from the cohort list.
    page.goto(live_server.url + reverse("clinics:cohort-list"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.locator("[data-testid=cohort-create]").click()
    page.locator("input[name=name]").fill("Promoción próxima")
    page.locator("input[name=start_date]").fill(start.isoformat())
    page.locator("input[name=end_date]").fill(end.isoformat())
    page.locator("[data-testid=cohort-form] button[type=submit]").click()
    cohort = Cohort.objects.get(name="Promoción próxima")
    expect(page).to_have_url(live_server.url + cohort.get_absolute_url())

    # Its pasantes arrive.
    first = StaffFactory(full_name="Itzel Moreno Cruz", cadre=Cadre.PASANTE, cohort=cohort)
    second = StaffFactory(full_name="Benito Pérez Gómez", cadre=Cadre.PASANTE, cohort=cohort)
    page.reload()
    expect(page.locator("[data-testid=roster-row]")).to_have_count(2)

    # The placement page: each clinic with its gap, beside a select of the unplaced.
    page.locator("[data-testid=cohort-place]").click()
    expect(page).to_have_url(live_server.url + reverse("clinics:cohort-placement", args=[cohort.pk]))
    expect(page.locator("[data-testid=placement-gap]")).to_have_count(2)
    expect(page.locator("[data-testid=placement-summary]")).to_contain_text("2 pasantes sin colocar")
    assert_fits_the_screen(page)
    page.screenshot(path="/tmp/n10/placement-360.png", full_page=True)
    page.locator(f"select[name=clinic-{clinic_a.pk}]").select_option(str(first.pk))
    page.locator(f"select[name=clinic-{clinic_b.pk}]").select_option(str(second.pk))
    page.locator("[data-testid=placement-save]").click()

    # Saved in one go: every clinic covered, nobody left to place.
    expect(page.locator(".messages")).to_contain_text("2 pasantes colocados")
    expect(page.locator("[data-testid=placement-gap]")).to_have_count(0)
    expect(page.locator("[data-testid=placement-covered]")).to_have_count(2)
    expect(page.locator("[data-testid=placement-summary]")).to_contain_text("0 pasantes sin colocar")
    assert_fits_the_screen(page)

    # The clinic's coverage over the next 12 months has no gap.
    page.goto(live_server.url + clinic_a.get_absolute_url())
    expect(page.locator("[data-testid=coverage-gap]")).to_have_count(0)
    expect(page.locator("[data-testid=coverage-covered]")).to_be_visible()
    expect(page.locator("[data-testid=upcoming]")).to_contain_text("Itzel Moreno Cruz")
    assert Assignment.objects.get(staff=first).start_date == start

    # The other network pages fit the phone too.
    for path in (reverse("clinics:community-list"), reverse("clinics:community-create"),
                 reverse("clinics:clinic-edit", args=[clinic_a.pk]), reverse("clinics:supervision-overdue"),
                 reverse("clinics:cohort-create")):
        page.goto(live_server.url + path)
        expect(page.locator("h1")).to_be_visible()
        assert_fits_the_screen(page)
    page.goto(live_server.url + reverse("clinics:community-list"))
    page.screenshot(path="/tmp/n10/communities-360.png", full_page=True)
