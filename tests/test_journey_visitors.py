"""Browser journey of the visitor program, from sign-up to a confirmed placement with its pickup.

An applicant from abroad signs up in English on a phone, confirms her e-mail address, applies in steps,
uploads her CV and submits. The visitor-program coordinator (Spanish, on a laptop) sets and records the
interview, accepts her, first tries a placement that breaks a rule (a pasante who is not at that clinic) and
reads why, then places her with the clinic's pasante and a host family. The applicant confirms the placement
on her status page; the coordinator organises the pickup; the applicant sees the placement and the pickup at
360 px; the pasante sees the visitor coming on their home page. One browser for the module; each person in
their own context; assertions hold on data-testid attributes, URLs and what the person reads.
"""

import os
import re
from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from clinics.models import Cadre
from clinics.tests.factories import HostFamilyFactory, StaffFactory
from tests.kit import assert_fits_the_screen, browser_log_in
from visitors.models import Application, Placement

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EMAIL = "emily.carter@bmc.example.org"
NEW_PASSWORD = "Sierra-Madre-2027!"


@pytest.fixture
def laptop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-MX",
                                  timezone_id="America/Mexico_City")
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def phone_en(browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="en-US",
                                  timezone_id="America/Mexico_City")
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, errors


def _capitan_accepts_visitors(clinic):
    community = clinic.community
    community.accepts_visitors = True
    community.visitors_agreed_on = date(2019, 6, 1)
    community.visitors_agreement_kind = "assembly_minutes"
    community.save()


def test_an_applicant_goes_from_sign_up_to_a_confirmed_placement_with_its_pickup(
    browser, phone_en, laptop, live_server, visitor_program, pasante_a, pasante_b, clinic_a, settings, tmp_path
):
    from playwright.sync_api import expect

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _capitan_accepts_visitors(clinic_a)
    family = HostFamilyFactory(community=clinic_a.community, head_of_household="Rosa Pérez Gómez", rooms=1)
    StaffFactory(full_name="Don Aurelio Ruiz", cadre=Cadre.DRIVER)
    start = timezone.localdate() + timedelta(days=40)
    end = start + relativedelta(months=6) - timedelta(days=1)
    phone = phone_en

    # --- The applicant signs up in English and confirms her address. -------------------------------------
    # The product speaks Spanish until someone picks English with the switch in the header.
    phone.goto(live_server.url + reverse("account_signup"))
    expect(phone.locator("html")).to_have_attribute("lang", "es")
    phone.locator("form.lang button[value=en]").click()
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    expect(phone.locator("[data-testid=signup-audience]")).to_be_visible()
    assert_fits_the_screen(phone)
    phone.locator("input[name=email]").fill(EMAIL)
    phone.locator("input[name=password1]").fill(NEW_PASSWORD)
    phone.locator("input[name=password2]").fill(NEW_PASSWORD)
    phone.locator("input[name=password2]").press("Enter")
    phone.wait_for_load_state()
    assert [m.to for m in mail.outbox] == [[EMAIL]]
    link = re.search(r"(http://\S+/cuentas/confirm-email/\S+/)", mail.outbox[0].body).group(1)
    phone.goto(link)
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    phone.locator("main form button[type=submit]").first.click()
    # Confirmed: she logs in (still in English), and lands on her home page.
    phone.wait_for_url(re.compile(r".*/cuentas/login/.*"))
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    phone.locator("input[name=login]").fill(EMAIL)
    phone.locator("input[name=password]").fill(NEW_PASSWORD)
    phone.locator("input[name=password]").press("Enter")
    phone.wait_for_url(live_server.url + reverse("accounts:home"))
    expect(phone.locator("[data-testid=panel-apply-link]")).to_be_visible()

    # --- She applies in seven steps (as a medical student: six months, a CV, no licence). ---------------
    phone.goto(live_server.url + reverse("visitors:apply"))
    phone.locator("[data-testid=start]").click()
    steps = {
        1: ({"country": "US"}, {"full_name": "Emily Carter", "phone": "+1 617 555 0100"}),
        2: ({"category": "student"}, {"wanted_start": start.isoformat(), "wanted_end": end.isoformat()}),
        3: ({"training_level": "clinical"}, {"institution": "Boston University School of Medicine",
                                             "program": "MD program"}),
        4: ({"spanish_self_assessment": "B2"}, {"motivation": "Rural primary care, in Spanish, with a pasante."}),
        5: ({}, {"emergency_contact_name": "John Carter", "emergency_contact_phone": "+1 617 555 0101",
                 "emergency_contact_relation": "Father"}),
    }
    for number, (chosen, typed) in steps.items():
        expect(phone.locator("[data-testid=application-step]")).to_have_attribute("data-step", str(number))
        for name, value in chosen.items():
            phone.locator(f"select[name={name}]").select_option(value)
        for name, value in typed.items():
            phone.locator(f"[name={name}]").fill(value)
        assert_fits_the_screen(phone)
        phone.locator("[data-testid=step-save]").click()
    cv = tmp_path / "Emily Carter CV.pdf"
    cv.write_bytes(PDF)
    phone.locator("select[name=kind]").select_option("cv")
    phone.locator("input[name=upload]").set_input_files(str(cv))
    phone.locator("[data-testid=upload]").click()
    expect(phone.locator("[data-testid=document-link]")).to_have_count(1)
    assert_fits_the_screen(phone)
    phone.locator("[data-testid=step-save]").click()
    expect(phone.locator("[data-testid=ready]")).to_be_visible()
    phone.locator("[data-testid=submit]").click()
    expect(phone.locator("[data-testid=state]")).to_have_text("Submitted")
    assert_fits_the_screen(phone)
    application = Application.objects.get(applicant__email=EMAIL)
    assert application.state == Application.State.SUBMITTED
    assert application.applicant.preferred_language == "en"

    # --- The coordinator of the visitor program, in Spanish, finds it on the board. ---------------------
    browser_log_in(laptop, live_server, visitor_program)
    laptop.goto(live_server.url + reverse("visitors:board"))
    expect(laptop.locator("html")).to_have_attribute("lang", "es")
    laptop.locator("[data-testid=card]", has_text="Emily Carter").click()
    expect(laptop).to_have_url(live_server.url + reverse("visitors:review", args=[application.pk]))
    expect(laptop.locator("[data-testid=review-documents] [data-testid=document]")).to_have_count(1)

    # She sets the interview directly, then records it.
    interview_at = timezone.localtime() + timedelta(days=2)
    schedule = laptop.locator("[data-testid=act-schedule-interview]")
    schedule.locator("summary").click()
    schedule.locator("[name=scheduled_at]").fill(interview_at.strftime("%Y-%m-%dT10:00"))
    schedule.locator("[name=where]").fill("https://meet.example.org/ces-emily")
    schedule.locator("button[type=submit]").click()
    expect(laptop.locator("[data-testid=review-state]")).to_have_attribute("data-state", "interview_scheduled")
    record = laptop.locator("[data-testid=act-record-interview]")
    record.locator("summary").click()
    record.locator("select[name=spanish_level]").select_option("B2")
    record.locator("select[name=values_fit]").select_option("strong")
    record.locator("select[name=recommendation]").select_option("accept")
    record.locator("[name=notes]").fill("Habla con soltura; entiende el papel del pasante.")
    record.locator("button[type=submit]").click()
    expect(laptop.locator("[data-testid=review-state]")).to_have_attribute("data-state", "interviewed")
    decision = laptop.locator("[data-testid=act-decision]")
    decision.locator("summary").click()
    decision.locator("[name=message]").fill("¡Bienvenida! Te proponemos una comunidad en unos días.")
    decision.locator("[data-testid=do-accept]").click()
    expect(laptop.locator("[data-testid=review-state]")).to_have_attribute("data-state", "accepted")

    # A first choice that breaks a rule: the pasante of another clinic. The page says why; nothing is saved.
    placement = laptop.locator("[data-testid=act-propose-placement]")
    placement.locator("summary").click()
    form = laptop.locator("[data-testid=placement-form]")
    form.locator("select[name=clinic]").select_option(str(clinic_a.pk))
    form.locator("select[name=pasante]").select_option(str(pasante_b.staff.pk))
    form.locator("select[name=host_family]").select_option(str(family.pk))
    form.locator("[name=start_date]").fill(start.isoformat())
    form.locator("[name=end_date]").fill(end.isoformat())
    form.locator("button[type=submit]").click()
    refused = laptop.locator("[data-testid=placement-refused]")
    expect(refused).to_contain_text(pasante_b.staff.full_name)
    expect(refused).to_contain_text("Clínica Capitán")
    assert not Placement.objects.filter(application=application).exists()
    # The form kept what was typed; the coordinator picks the clinic's own pasante.
    form = laptop.locator("[data-testid=placement-form]")
    expect(form.locator("[name=start_date]")).to_have_value(start.isoformat())
    form.locator("select[name=pasante]").select_option(str(pasante_a.staff.pk))
    form.locator("button[type=submit]").click()
    expect(laptop.locator("[data-testid=review-state]")).to_have_attribute("data-state", "placement_proposed")

    # --- The applicant confirms the proposed placement on her status page. -------------------------------
    phone.goto(live_server.url + reverse("visitors:status"))
    expect(phone.locator("[data-testid=next-sentence]")).to_be_visible()
    expect(phone.locator("[data-testid=next-step]")).to_have_attribute("data-action", "confirm_placement")
    expect(phone.locator("[data-testid=placement-clinic]")).to_have_text("Clínica Capitán")
    phone.locator("[data-testid=next-button]").click()
    expect(phone.locator("[data-testid=state]")).to_have_text("Placement confirmed")
    application.refresh_from_db()
    assert application.state == Application.State.PLACEMENT_CONFIRMED
    assert application.placements.get(state=Placement.State.CONFIRMED).host_stay.family == family

    # --- The coordinator organises the pickup. ------------------------------------------------------------
    laptop.goto(live_server.url + reverse("visitors:review", args=[application.pk]))
    arrival = laptop.locator("[data-testid=act-arrival]")
    arrival.locator("summary").click()
    arrival.locator("[name=flight_number]").fill("AM 1234")
    arrival.locator("[name=arrives_at]").fill(f"{(start - timedelta(days=1)).isoformat()}T13:20")
    arrival.locator("[name=arrives_where]").fill("Aeropuerto de Tuxtla Gutiérrez")
    arrival.locator("[name=pickup_at]").fill(f"{(start - timedelta(days=1)).isoformat()}T14:00")
    arrival.locator("[name=meeting_point]").fill("Salida de llegadas nacionales")
    arrival.locator("select[name=driver]").select_option(label="Don Aurelio Ruiz")
    arrival.locator("[name=vehicle]").fill("Camioneta blanca")
    arrival.locator("button[type=submit]").click()
    expect(laptop.locator("[data-testid=review-arrival]")).to_contain_text("Don Aurelio Ruiz")

    # --- The applicant sees where, with whom, and who picks her up, on her phone. -------------------------
    phone.goto(live_server.url + reverse("visitors:status"))
    expect(phone.locator("[data-testid=placement-clinic]")).to_have_text("Clínica Capitán")
    expect(phone.locator("[data-testid=placement-pasante]")).to_contain_text(pasante_a.staff.full_name)
    expect(phone.locator("[data-testid=placement-host-family]")).to_contain_text("Rosa Pérez Gómez")
    expect(phone.locator("[data-testid=pickup-driver]")).to_contain_text("Don Aurelio Ruiz")
    expect(phone.locator("[data-testid=pickup-meeting-point]")).to_contain_text("Salida de llegadas nacionales")
    assert_fits_the_screen(phone)

    # --- The pasante sees the visitor coming on their home page. ------------------------------------------
    browser_log_in(laptop, live_server, pasante_a)
    visitor_panel = laptop.locator("[data-testid=panel-my-visitor]")
    expect(visitor_panel).to_contain_text("Emily Carter")
    expect(laptop.locator("[data-testid=panel-visitor-dates]")).to_be_visible()
