"""Browser journey, issue 10's whole story in one sitting and one browser session, at 360 px and in Spanish.

The coordinator creates next year's cohort from the cohort list, imports its pasantes from a CSV file as
Excel saves it (Windows-1252, semicolons), places them from the cohort's placement page so that every active
rural clinic is covered (an inactive clinic and a hospital are not posts to fill), and the clinic page then
shows no gap; she invites one of them from the clinic's team, who opens the link of the e-mail, sets a
password and lands on the pasante home page, which tells her where and when her post starts; every page the
pasante's menu leads to fits her phone. Assertions hold on data-testid attributes, URLs and what the person
reads; nothing waits on a clock.
"""

import os
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from clinics.models import Assignment, Cadre, Clinic, Cohort, Staff
from clinics.tests.factories import ClinicFactory
from tests.kit import assert_fits_the_screen, browser_log_in

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CSV = (
    "Nombre;Correo;Teléfono;CURP\r\n"
    "Itzel Moreno Cruz;itzel.moreno@example.mx;961 333 4444;\r\n"
    "José Ñúñez Gómez;jose.nunez@example.mx;961 111 2222;GOMA850312HCSNRR09\r\n"
    "María Pérez Santiago;maria.perez@example.mx;;\r\n"
).encode("cp1252")
PASSWORD = "maiz-y-frijol-2027"


def test_coordinator_plans_next_years_cohort_and_an_invited_pasante_logs_in(
    page, live_server, coordinator, pasante_a, pasante_b, clinic_a, clinic_b, tmp_path, settings
):
    from playwright.sync_api import expect

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    today = timezone.localdate()
    start, end = today + timedelta(days=30), today + timedelta(days=395)
    # This year's pasantes leave the day before the next cohort arrives.
    Assignment.objects.filter(staff__user__in=[pasante_a, pasante_b]).update(end_date=start - timedelta(days=1))
    ClinicFactory(name="Clínica Cerrada", active=False)
    ClinicFactory(name="Hospital Básico", kind=Clinic.Kind.HOSPITAL)
    csv_file = tmp_path / "promocion-2027.csv"
    csv_file.write_bytes(CSV)

    # She creates the cohort from the cohort list.
    browser_log_in(page, live_server, coordinator)
    page.goto(live_server.url + reverse("clinics:cohort-list"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.locator("[data-testid=cohort-create]").click()
    page.locator("input[name=name]").fill("Promoción 2027")
    page.locator("input[name=start_date]").fill(start.isoformat())
    page.locator("input[name=end_date]").fill(end.isoformat())
    page.locator("[data-testid=cohort-form] button[type=submit]").click()
    cohort = Cohort.objects.get(name="Promoción 2027")
    expect(page).to_have_url(live_server.url + cohort.get_absolute_url())
    assert (cohort.start_date, cohort.end_date) == (start, end)

    # Imports its pasantes from the file Excel saved.
    page.locator("[data-testid=cohort-import-link]").click()
    expect(page).to_have_url(live_server.url + reverse("clinics:cohort-import", args=[cohort.pk]))
    page.locator("input[name=file]").set_input_files(str(csv_file))
    page.locator("[data-testid=cohort-import-form] button[type=submit]").click()
    expect(page.locator("[data-testid=import-created]")).to_have_text("3")
    expect(page.locator("[data-testid=import-rejected]")).to_have_text("0")
    assert_fits_the_screen(page)
    page.get_by_role("link", name="Ver la lista de la promoción").click()
    expect(page.locator("[data-testid=roster-row]")).to_have_count(3)
    expect(page.locator("[data-testid=roster-row]").filter(has_text="José Ñúñez Gómez")).to_have_count(1)
    itzel = Staff.objects.get(email="itzel.moreno@example.mx")
    jose = Staff.objects.get(email="jose.nunez@example.mx")
    assert (itzel.cadre, itzel.cohort_id, jose.cohort_id) == (Cadre.PASANTE, cohort.pk, cohort.pk)

    # Places them from the cohort page: only the two active rural clinics are posts to fill.
    page.locator("[data-testid=cohort-place]").click()
    expect(page).to_have_url(live_server.url + reverse("clinics:cohort-placement", args=[cohort.pk]))
    expect(page.locator("[data-testid=placement-gap]")).to_have_count(2)
    expect(page.locator("main")).not_to_contain_text("Clínica Cerrada")
    expect(page.locator("main")).not_to_contain_text("Hospital Básico")
    expect(page.locator("[data-testid=placement-summary]")).to_contain_text("3 pasantes sin colocar")
    assert_fits_the_screen(page)
    page.locator(f"select[name=clinic-{clinic_a.pk}]").select_option(str(itzel.pk))
    page.locator(f"select[name=clinic-{clinic_b.pk}]").select_option(str(jose.pk))
    page.locator("[data-testid=placement-save]").click()
    expect(page.locator(".messages")).to_contain_text("2 pasantes colocados")
    expect(page.locator("[data-testid=placement-gap]")).to_have_count(0)
    expect(page.locator("[data-testid=placement-covered]")).to_have_count(2)
    expect(page.locator("[data-testid=placement-summary]")).to_contain_text("1 pasante sin colocar")
    assert_fits_the_screen(page)
    placed = Assignment.objects.filter(staff__cohort=cohort).values_list("staff_id", "clinic_id", "start_date")
    assert set(placed) == {(itzel.pk, clinic_a.pk, start), (jose.pk, clinic_b.pk, start)}

    # Each clinic's coverage shows no gap over the year; Itzel is coming to Capitán.
    for clinic in (clinic_a, clinic_b):
        page.goto(live_server.url + clinic.get_absolute_url())
        expect(page.locator("[data-testid=coverage-gap]")).to_have_count(0)
        expect(page.locator("[data-testid=coverage-covered]")).to_be_visible()
    page.goto(live_server.url + clinic_a.get_absolute_url())
    coming = page.locator("[data-testid=upcoming] li").filter(has_text="Itzel Moreno Cruz")
    expect(coming).to_have_count(1)
    assert_fits_the_screen(page)

    # She invites Itzel from the clinic's team; the invitation is for a pasante.
    coming.locator("[data-testid=person-invite-link]").click()
    expect(page).to_have_url(live_server.url + reverse("clinics:person-invite", args=[itzel.pk]))
    expect(page.locator("input[name=roles][value=pasante]")).to_be_checked()
    assert_fits_the_screen(page)
    page.locator("[data-testid=invite-form] button[type=submit]").click()
    expect(page).to_have_url(live_server.url + itzel.get_absolute_url())
    expect(page.locator("[data-testid=invitation-state]").first).to_have_text("Invitación enviada")

    # Itzel reads the e-mail (in Spanish) and opens its link on her phone, logged out.
    assert [message.to for message in mail.outbox] == [["itzel.moreno@example.mx"]]
    assert "Hola, Itzel" in mail.outbox[0].body
    link = re.search(r"(http://\S+/clinicas/invitacion/\S+/)", mail.outbox[0].body).group(1)
    page.context.clear_cookies()
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Elige tu contraseña")
    assert_fits_the_screen(page)
    page.locator("input[name=new_password1]").fill(PASSWORD)
    page.locator("input[name=new_password2]").fill(PASSWORD)
    page.locator("[data-testid=accept-form] button[type=submit]").click()

    # She lands on the pasante home page, logged in.
    home = live_server.url + reverse("accounts:home")
    expect(page).to_have_url(home)
    expect(page.locator("h1")).to_contain_text("Itzel")
    expect(page.locator("main")).to_contain_text("Pasante")
    # Her year has not started: the home says where and when it does.
    expect(page.locator("[data-testid=next-post]")).to_have_text(
        f"Tu plaza empieza el {start:%d/%m/%Y} en Clínica Capitán (Capitán).")
    assert_fits_the_screen(page)
    itzel.refresh_from_db()
    assert itzel.user is not None and itzel.user.check_password(PASSWORD)

    # Every page her menu leads to fits the phone.
    hrefs = page.locator("nav a[href^='/']").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    paths = sorted({urlsplit(href).path for href in hrefs} - {reverse("accounts:home")})
    assert paths, "the pasante's menu leads nowhere"
    for path in paths:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        expect(page.locator("h1")).to_be_visible()
        assert_fits_the_screen(page)
    page.goto(home)
    page.screenshot(path="/tmp/j10/pasante-home-360.png", full_page=True)
