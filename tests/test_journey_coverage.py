"""Browser journey: a coordinator closes a coverage gap.

They log in through the login form, open a clinic from the clinic list, see that it will have no
pasante from a given day, follow "Assign pasante", pick the incoming pasante and save: the gap is gone
from the clinic's page. The UI is Spanish; the assertions hold on data-testid attributes and URLs.
"""

import os
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ces.accounts.tests.factories import PASSWORD
from clinics.models import Assignment, Cadre
from clinics.tests.factories import CohortFactory, StaffFactory

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_coordinator_closes_a_coverage_gap(page, live_server, coordinator, pasante_a, clinic_a, clinic_b):
    from playwright.sync_api import expect

    today = timezone.localdate()
    gap_start = today + timedelta(days=60)
    Assignment.objects.filter(staff__user=pasante_a).update(end_date=gap_start - timedelta(days=1))
    incoming_cohort = CohortFactory(name="Promoción entrante", start_date=gap_start,
                                    end_date=today + timedelta(days=500))
    incoming = StaffFactory(full_name="Itzel Moreno Cruz", cadre=Cadre.PASANTE, cohort=incoming_cohort)
    clinic_url = live_server.url + clinic_a.get_absolute_url()

    # Logs in through the form.
    page.goto(live_server.url + reverse("account_login"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.locator("input[name=login]").fill(coordinator.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page).to_have_url(live_server.url + reverse("accounts:home"))

    # Opens the clinic from the clinic list; it shows one gap, starting the day after the pasante leaves.
    page.goto(live_server.url + reverse("clinics:clinic-list"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("[data-testid=clinic-row]")).to_have_count(2)
    page.get_by_role("link", name="Clínica Capitán").click()
    expect(page).to_have_url(clinic_url)
    gap = page.locator("[data-testid=coverage-gap]")
    expect(gap).to_have_count(1)
    expect(gap).to_have_attribute("data-start", gap_start.isoformat())
    expect(gap).to_contain_text(gap_start.strftime("%d/%m/%Y"))
    expect(page.locator("[data-testid=coverage-timeline] rect.gap")).to_have_count(1)

    # Follows "Assign pasante": the form comes with the clinic and the first day of the gap filled in.
    gap.locator("[data-testid=assign-pasante]").click()
    expect(page).to_have_url(re.compile(re.escape(reverse("clinics:assignment-create")) + r"\?clinic=\d+&start="))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("select[name=clinic]")).to_have_value(str(clinic_a.pk))
    expect(page.locator("input[name=start_date]")).to_have_value(gap_start.isoformat())
    page.locator("select[name=staff]").select_option(str(incoming.pk))
    page.locator("[data-testid=assignment-form] button[type=submit]").click()

    # Back on the clinic: no gap left, and the incoming pasante is listed as coming.
    expect(page).to_have_url(clinic_url)
    expect(page.locator(".messages")).to_contain_text("Itzel Moreno Cruz")
    expect(page.locator("[data-testid=coverage-gap]")).to_have_count(0)
    expect(page.locator("[data-testid=coverage-covered]")).to_be_visible()
    expect(page.locator("[data-testid=coverage-timeline] rect.gap")).to_have_count(0)
    expect(page.locator("[data-testid=upcoming]")).to_contain_text("Itzel Moreno Cruz")
    assert Assignment.objects.filter(staff=incoming, clinic=clinic_a, start_date=gap_start).exists()
