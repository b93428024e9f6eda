"""Browser journey at 360 px: the coordinator imports three pasantes of next year's cohort from a CSV file
as Excel saves it (Windows-1252, semicolons), invites one of them, and the invited person opens the link of
the e-mail, sets a password and lands on the pasante home page. One browser session for the module; the UI
is Spanish; assertions hold on data-testid attributes, URLs and what the person reads."""

import os
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from clinics.models import Cadre, Staff
from clinics.tests.factories import CohortFactory
from tests.kit import assert_fits_the_screen, browser_log_in

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CSV = (
    "Nombre;Correo;Teléfono;CURP\r\n"
    "José Ñúñez Gómez;jose.nunez@example.mx;961 111 2222;GOMA850312HCSNRR09\r\n"
    "María Pérez Santiago;maria.perez@example.mx;;\r\n"
    "Itzel Moreno Cruz;itzel.moreno@example.mx;961 333 4444;\r\n"
).encode("cp1252")


def test_coordinator_imports_a_cohort_and_invites_a_pasante_who_sets_a_password(
    page, live_server, coordinator, tmp_path, settings
):
    from playwright.sync_api import expect

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    today = timezone.localdate()
    cohort = CohortFactory(name="Promoción 2027", start_date=today + timedelta(days=60),
                           end_date=today + timedelta(days=425))
    csv_file = tmp_path / "promocion-2027.csv"
    csv_file.write_bytes(CSV)

    # The coordinator opens the cohort and its import page.
    browser_log_in(page, live_server, coordinator)
    page.goto(live_server.url + cohort.get_absolute_url())
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.locator("[data-testid=cohort-import-link]").click()
    expect(page).to_have_url(live_server.url + reverse("clinics:cohort-import", args=[cohort.pk]))
    assert_fits_the_screen(page)
    page.locator("input[name=file]").set_input_files(str(csv_file))
    page.locator("[data-testid=cohort-import-form] button[type=submit]").click()
    expect(page.locator("[data-testid=import-created]")).to_have_text("3")
    expect(page.locator("[data-testid=import-rejected]")).to_have_text("0")
    assert_fits_the_screen(page)

    # The roster shows them; the coordinator opens Itzel and invites her as a pasante.
    page.get_by_role("link", name="Ver la lista de la promoción").click()
    expect(page.locator("[data-testid=roster-row]")).to_have_count(3)
    page.get_by_role("link", name="Itzel Moreno Cruz").click()
    itzel = Staff.objects.get(email="itzel.moreno@example.mx")
    assert (itzel.cadre, itzel.cohort_id) == (Cadre.PASANTE, cohort.pk)
    expect(page).to_have_url(live_server.url + itzel.get_absolute_url())
    page.locator("[data-testid=invite-link]").click()
    expect(page.locator("input[name=roles][value=pasante]")).to_be_checked()
    expect(page.locator("input[name=roles][value=applicant]")).to_have_count(0)
    assert_fits_the_screen(page)
    page.locator("[data-testid=invite-form] button[type=submit]").click()
    expect(page).to_have_url(live_server.url + itzel.get_absolute_url())
    expect(page.locator("[data-testid=invitation-state]").first).to_have_text("Invitación enviada")
    assert_fits_the_screen(page)

    # Itzel reads the e-mail (in Spanish) and opens its link on her phone.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["itzel.moreno@example.mx"]
    assert "Hola, Itzel" in message.body
    link = re.search(r"(http://\S+/clinicas/invitacion/\S+/)", message.body).group(1)
    page.context.clear_cookies()
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Elige tu contraseña")
    assert_fits_the_screen(page)
    page.locator("input[name=new_password1]").fill("maiz-y-frijol-2027")
    page.locator("input[name=new_password2]").fill("maiz-y-frijol-2027")
    page.locator("[data-testid=accept-form] button[type=submit]").click()

    # She lands on the pasante home page, logged in.
    expect(page).to_have_url(live_server.url + reverse("accounts:home"))
    expect(page.locator("h1")).to_contain_text("Itzel")
    expect(page.locator("main")).to_contain_text("Pasante")
    assert_fits_the_screen(page)

    # The link is dead now: the same page a guess gets.
    page.goto(link)
    expect(page.locator("[data-testid=invitation-dead]")).to_contain_text("no es válido o ya se usó")
