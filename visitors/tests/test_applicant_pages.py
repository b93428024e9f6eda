"""The applicant's pages: signing up (in English, the address confirmed), the application in steps saved as they
go and resumed, the review and submit, and the status page with everything it asks (an interview slot, the
placement, the flight, withdrawing, the exit survey, applying again). Applicant A reaches nothing of applicant B.
"""

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from ces.accounts.models import User
from ces.accounts.roles import Role
from clinics.tests.factories import HostFamilyFactory
from tests.kit import client_for
from visitors import services
from visitors.models import (
    Application,
    Arrival,
    DocumentKind,
    ExitSurvey,
    Interview,
    InterviewSlot,
    StatusChange,
    minimum_last_day,
)
from visitors.tests.factories import application_in_state

pytestmark = pytest.mark.django_db
State = Application.State

STATUS_URL = reverse("visitors:status")
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def step_url(application, step):
    return reverse("visitors:step", kwargs={"pk": application.pk, "step": step})


def url(name, application):
    return reverse(f"visitors:{name}", kwargs={"pk": application.pk})


# --- Building applications ----------------------------------------------------------------------------------

STEP_VALUES = {
    1: {"full_name": "Emily Carter", "phone": "+1 617 555 0100", "country": "US"},
    2: {"category": "resident"},  # dates: stay_dates()
    3: {"institution": "Boston Medical Center", "program": "Family medicine", "training_level": "pgy2",
        "licence_number": "MA-123456", "licence_country": "US"},
    4: {"spanish_self_assessment": "B2", "motivation": "Rural primary care in Spanish.", "prior_visits": ""},
    5: {"emergency_contact_name": "John Carter", "emergency_contact_phone": "+1 617 555 0101",
        "emergency_contact_relation": "Father", "dietary_notes": "", "health_notes": ""},
}


def stay_dates(days=40, category="resident"):
    start = timezone.localdate() + timedelta(days=60)
    return start, max(start + timedelta(days=days), minimum_last_day(category, start))


def complete_fields() -> dict:
    start, end = stay_dates()
    fields = {}
    for values in STEP_VALUES.values():
        fields.update(values)
    return {**fields, "wanted_start": start, "wanted_end": end}


def pdf_upload(name="cv.pdf", content=PDF):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/pdf")


def draft_of(applicant, *, complete=False, documents=()):
    application = services.application_start(applicant=applicant, by=applicant)
    if complete:
        fields = complete_fields()
        for step in range(1, 6):
            names = {
                1: ("full_name", "phone", "country"), 2: ("category", "wanted_start", "wanted_end"),
                3: ("institution", "program", "training_level", "licence_number", "licence_country"),
                4: ("spanish_self_assessment", "motivation", "prior_visits"),
                5: ("emergency_contact_name", "emergency_contact_phone", "emergency_contact_relation",
                    "dietary_notes", "health_notes"),
            }[step]
            application = services.application_update(application=application, by=applicant, step=step,
                                                      fields={n: fields[n] for n in names})
    for kind in documents:
        services.document_upload(application=application, kind=kind, upload=pdf_upload(f"{kind}.pdf"), by=applicant)
    if complete and documents:
        application = services.application_update(application=application, by=applicant, step=6, fields={})
    application.refresh_from_db()
    return application


def application_in(applicant, state, *, changes=0, documents=0, **kwargs):
    """An application of ``applicant`` driven to ``state`` through the services (vcore's
    ``application_in_state``: the program's steps are others' pages), with ``changes`` more rows of timeline
    and ``documents`` more documents (other kinds, and earlier versions they replace) for the bigger sizes."""
    application = application_in_state(state, applicant=applicant, **kwargs)
    now = timezone.now()
    StatusChange.objects.bulk_create([
        StatusChange(application=application, from_state=State.SUBMITTED, to_state=State.SUBMITTED,
                     note=f"note {i}", at=now - timedelta(hours=changes - i))
        for i in range(changes)
    ])
    kinds = [DocumentKind.IMMUNIZATION, DocumentKind.INSURANCE, DocumentKind.PHOTO, DocumentKind.OTHER]
    for i in range(documents):
        services.document_upload(application=application, kind=kinds[i % len(kinds)],
                                 upload=pdf_upload(f"doc-{i}.pdf"), by=applicant)
    return application


def _content(data):
    from django.core.files.base import ContentFile

    return ContentFile(data)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def outbox(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return mail.outbox


# --- Signing up ---------------------------------------------------------------------------------------------

SIGNUP = {"email": "Resident@Hospital.example.org", "password1": "Montaña-Verde-2026",
          "password2": "Montaña-Verde-2026"}


def test_sign_up_page_speaks_english_after_the_language_switch(client):
    client.post(reverse("accounts:set-language"), {"language": "en", "next": reverse("account_signup")})
    page = client.get(reverse("account_signup")).content.decode()
    assert '<html lang="en">' in page
    assert "Create your applicant account" in page


def test_the_spanish_sign_up_page_offers_english_in_english_and_the_english_one_does_not(client):
    page = client.get(reverse("account_signup")).content.decode()
    assert '<html lang="es">' in page and "Read this page in English" in page
    offer = re.search(r'<form method="post" action="([^"]+)" lang="en" data-testid="signup-in-english">', page)
    assert offer and offer.group(1) == reverse("accounts:set-language")
    client.post(offer.group(1), {"language": "en", "next": reverse("account_signup")})
    page = client.get(reverse("account_signup")).content.decode()
    assert '<html lang="en">' in page and "Create your applicant account" in page
    assert "Read this page in English" not in page


def test_sign_up_in_english_asks_to_confirm_the_address_before_letting_in(client, outbox):
    client.post(reverse("accounts:set-language"), {"language": "en", "next": "/"})
    response = client.post(reverse("account_signup"), SIGNUP)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    user = User.objects.get(email="resident@hospital.example.org")
    assert user.roles == {Role.APPLICANT}
    assert user.preferred_language == "en"
    assert len(outbox) == 1 and outbox[0].to == ["resident@hospital.example.org"]
    # The e-mail is in the language they signed up in.
    assert "confirm" in outbox[0].body.lower()


def test_an_applicant_logs_in_once_the_address_is_confirmed(client, outbox):
    client.post(reverse("accounts:set-language"), {"language": "en", "next": "/"})
    client.post(reverse("account_signup"), SIGNUP)
    login = {"login": SIGNUP["email"], "password": SIGNUP["password1"]}
    # Not confirmed yet: the login sends them to confirm it, and nobody is in.
    response = client.post(reverse("account_login"), login)
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    link = re.search(r"https?://[^/\s]+(/cuentas/\S+)", outbox[-1].body).group(1)
    client.post(link)
    assert EmailAddress.objects.get(email="resident@hospital.example.org").verified
    response = client.post(reverse("account_login"), login)
    assert response["Location"] == reverse("accounts:home")
    assert "_auth_user_id" in client.session


def test_invited_staff_without_a_confirmed_address_still_log_in(client, coordinator, password):
    assert not EmailAddress.objects.filter(user=coordinator, verified=True).exists()
    response = client.post(reverse("account_login"), {"login": coordinator.email, "password": password})
    assert response["Location"] == reverse("accounts:home")
    assert "_auth_user_id" in client.session


def test_sign_up_in_spanish_keeps_spanish_as_the_applicants_language(client, outbox):
    client.post(reverse("account_signup"), SIGNUP)
    assert User.objects.get(email="resident@hospital.example.org").preferred_language == "es"


# --- Starting and the steps ---------------------------------------------------------------------------------


def test_apply_offers_to_start_and_start_makes_a_draft_at_step_one(applicant):
    client = client_for(applicant)
    assert b'data-testid="start"' in client.get(reverse("visitors:apply")).content
    response = client.post(reverse("visitors:start"))
    application = Application.objects.get(applicant=applicant)
    assert application.state == State.DRAFT
    assert response["Location"] == step_url(application, 1)


def test_save_and_continue_saves_the_step_and_goes_to_the_next(applicant):
    application = draft_of(applicant)
    client = client_for(applicant)
    response = client.post(step_url(application, 1), STEP_VALUES[1])
    assert response["Location"] == step_url(application, 2)
    application.refresh_from_db()
    assert (application.full_name, application.phone, application.country.code) == (
        "Emily Carter", "+1 617 555 0100", "US")


def test_leaving_and_coming_back_resumes_at_the_step_reached(applicant):
    application = draft_of(applicant)
    client = client_for(applicant)
    client.post(step_url(application, 1), STEP_VALUES[1])
    start, end = stay_dates()
    client.post(step_url(application, 2), {"category": "resident", "wanted_start": start.isoformat(),
                                           "wanted_end": end.isoformat()})
    application.refresh_from_db()
    response = client.get(reverse("visitors:apply"))
    assert response.status_code == 302
    assert response["Location"] == step_url(application, 3)  # the step after the last saved
    page = client.get(step_url(application, 2)).content.decode()
    assert start.isoformat() in page  # what they typed is there


def test_a_step_not_reached_yet_sends_back_to_the_step_reached(applicant):
    application = draft_of(applicant)
    response = client_for(applicant).get(step_url(application, 5))
    assert response.status_code == 302
    assert response["Location"] == step_url(application, 1)


def test_a_stay_shorter_than_the_category_minimum_is_refused_with_the_earliest_last_day(applicant):
    application = draft_of(applicant)
    client = client_for(applicant)
    client.post(step_url(application, 1), STEP_VALUES[1])
    start = timezone.localdate() + timedelta(days=30)
    response = client.post(step_url(application, 2), {
        "category": "resident", "wanted_start": start.isoformat(),
        "wanted_end": (start + timedelta(days=10)).isoformat(),
    })
    assert response.status_code == 200
    errors = response.context["form"].errors["wanted_end"]
    earliest = minimum_last_day("resident", start)
    assert "28 days" in errors[0]
    assert earliest.strftime("%d/%m/%Y") in errors[0]
    application.refresh_from_db()
    assert application.wanted_start is None  # nothing saved


def test_the_dates_step_states_every_categorys_minimum(applicant):
    application = draft_of(applicant)
    client = client_for(applicant)
    client.post(step_url(application, 1), STEP_VALUES[1])
    page = client.get(step_url(application, 2)).content.decode()
    assert "Resident physician: 28 days" in page
    assert "Medical student: 6 months" in page


def test_a_clinician_must_give_a_licence_a_student_need_not(applicant):
    application = draft_of(applicant)
    client = client_for(applicant)
    client.post(step_url(application, 1), STEP_VALUES[1])
    start, end = stay_dates(category="student", days=200)
    client.post(step_url(application, 2), {"category": "student", "wanted_start": start.isoformat(),
                                           "wanted_end": end.isoformat()})
    training = {**STEP_VALUES[3], "licence_number": "", "licence_country": "", "training_level": "clinical"}
    assert client.post(step_url(application, 3), training).status_code == 302
    application.refresh_from_db()
    client.post(step_url(application, 2), {"category": "resident", "wanted_start": start.isoformat(),
                                           "wanted_end": end.isoformat()})
    response = client.post(step_url(application, 3), training)
    assert response.status_code == 200
    assert "licence_number" in response.context["form"].errors


def test_the_review_lists_what_is_missing_each_with_a_link_to_its_step(applicant):
    application = draft_of(applicant)
    client = client_for(applicant)
    client.post(step_url(application, 1), STEP_VALUES[1])
    start, end = stay_dates()
    client.post(step_url(application, 2), {"category": "resident", "wanted_start": start.isoformat(),
                                           "wanted_end": end.isoformat()})
    application = services.application_update(application=application, by=applicant, step=6, fields={})
    response = client.get(step_url(application, 7))
    missing = response.context["missing"]
    assert missing, "an empty application has things missing"
    page = response.content.decode()
    for item in missing:
        assert item["url"] in page
    assert any(item["step"] == 6 for item in missing), "the CV is missing: a link to the documents"
    assert any(item["step"] == 3 for item in missing), "the institution is missing: a link to the training"


def test_submit_with_everything_sends_the_application_and_shows_its_status(applicant):
    application = draft_of(applicant, complete=True, documents=[DocumentKind.CV, DocumentKind.LICENCE])
    client = client_for(applicant)
    review = client.get(step_url(application, 7))
    assert review.context["missing"] == []
    response = client.post(url("submit", application))
    assert response["Location"] == STATUS_URL
    application.refresh_from_db()
    assert application.state == State.SUBMITTED
    status = client.get(STATUS_URL)
    assert status.context["timeline"][-1].to_state == State.SUBMITTED


def test_submit_with_something_missing_changes_nothing_and_says_what(applicant):
    application = draft_of(applicant)
    response = client_for(applicant).post(url("submit", application), follow=True)
    application.refresh_from_db()
    assert application.state == State.DRAFT
    assert list(response.context["messages"])


def test_a_submitted_application_can_no_longer_be_edited(applicant):
    application = application_in(applicant, State.SUBMITTED)
    client = client_for(applicant)
    before = application.full_name
    response = client.post(step_url(application, 1), {**STEP_VALUES[1], "full_name": "Someone Else"})
    assert response["Location"] == STATUS_URL
    application.refresh_from_db()
    assert application.full_name == before != "Someone Else"


# --- The status page ----------------------------------------------------------------------------------------


def test_status_page_shows_the_timeline_with_dates_and_one_next_step(applicant):
    application = application_in(applicant, State.INTERVIEWED)
    response = client_for(applicant).get(STATUS_URL)
    page = response.content.decode()
    # started, submitted, interview scheduled, interviewed: each with its date
    assert page.count('data-testid="timeline-row"') == application.changes.count() == 4
    for change in application.changes.all():
        assert timezone.localtime(change.at).strftime("%d/%m/%Y") in page
    assert 'data-testid="next-sentence"' in page
    assert response.context["next_step"].sentence


def test_status_page_of_a_confirmed_placement_shows_where_with_whom_and_the_pickup(applicant, clinic_a, pasante_a):
    family = HostFamilyFactory(community=clinic_a.community, head_of_household="Doña Rosa Capitán", rooms=1)
    application = application_in(applicant, State.PLACEMENT_CONFIRMED, clinic=clinic_a, pasante=pasante_a.staff,
                                 host_family=family)
    services.orientation_pack_upload(title="Guía del visitante", upload=pdf_upload("guia.pdf"), by=None)
    arrival = application.arrival
    page = client_for(applicant).get(STATUS_URL).content.decode()
    assert "Capitán" in page  # the community
    assert "Clínica Capitán" in page
    assert pasante_a.staff.full_name in page
    assert "Doña Rosa Capitán" in page
    assert arrival.meeting_point in page
    assert arrival.driver.full_name in page
    assert timezone.localtime(arrival.pickup_at).strftime("%d/%m/%Y") in page
    assert reverse("visitors:orientation-pack") in page


def test_status_page_in_spanish_for_a_spanish_speaking_applicant(applicant):
    application_in(applicant, State.SUBMITTED)
    page = client_for(applicant, language="es").get(STATUS_URL).content.decode()
    assert '<html lang="es">' in page
    assert "Tu solicitud" in page


def test_choosing_an_offered_slot_schedules_the_interview(applicant):
    application = application_in(applicant, State.SUBMITTED)
    slot = InterviewSlot.objects.create(application=application, starts_at=timezone.now() + timedelta(days=3))
    client = client_for(applicant)
    assert b'data-testid="slot-form"' in client.get(STATUS_URL).content
    response = client.post(url("choose-slot", application), {"slot": slot.pk})
    assert response["Location"] == STATUS_URL
    application.refresh_from_db()
    assert application.state == State.INTERVIEW_SCHEDULED
    assert Interview.objects.get(application=application).scheduled_at == slot.starts_at


def test_a_slot_of_another_application_is_refused(applicant, applicant_b):
    application = application_in(applicant, State.SUBMITTED)
    other = application_in(applicant_b, State.SUBMITTED)
    slot_b = InterviewSlot.objects.create(application=other, starts_at=timezone.now() + timedelta(days=3))
    client_for(applicant).post(url("choose-slot", application), {"slot": slot_b.pk})
    application.refresh_from_db()
    assert application.state == State.SUBMITTED
    assert not Interview.objects.exists()


def test_confirming_the_proposed_placement(applicant, clinic_a, pasante_a):
    clinic_a.community.accepts_visitors = True
    clinic_a.community.save()
    application = application_in(applicant, State.PLACEMENT_PROPOSED, clinic=clinic_a, pasante=pasante_a.staff)
    Interview.objects.create(application=application, scheduled_at=timezone.now() - timedelta(days=10),
                             spanish_level="B2", recorded_at=timezone.now() - timedelta(days=10))
    client = client_for(applicant)
    assert b'id="confirm-placement"' in client.get(STATUS_URL).content
    response = client.post(url("confirm-placement", application), follow=True)
    application.refresh_from_db()
    messages = [str(m) for m in response.context["messages"]]
    assert application.state == State.PLACEMENT_CONFIRMED, messages


def test_entering_the_flight(applicant, clinic_a, pasante_a):
    application = application_in(applicant, State.PLACEMENT_CONFIRMED, clinic=clinic_a, pasante=pasante_a.staff)
    client = client_for(applicant)
    arrives = (application.wanted_start - timedelta(days=1)).isoformat() + "T14:30"
    response = client.post(url("flight", application), {"flight_number": "AM 640", "arrives_at": arrives,
                                                        "arrives_where": "TGZ"})
    assert response["Location"] == STATUS_URL
    arrival = Arrival.objects.get(application=application)
    assert arrival.flight_number == "AM 640"
    assert timezone.localtime(arrival.arrives_at).strftime("%H:%M") == "14:30"


def test_a_flight_without_its_time_is_a_form_error(applicant, clinic_a, pasante_a):
    application = application_in(applicant, State.PLACEMENT_CONFIRMED, clinic=clinic_a, pasante=pasante_a.staff)
    response = client_for(applicant).post(url("flight", application), {"flight_number": "AM 640"})
    assert response.status_code == 200
    assert "arrives_at" in response.context["form"].errors
    assert not Arrival.objects.filter(application=application, flight_number="AM 640").exists()


def test_withdrawing_asks_for_a_reason_then_withdraws(applicant):
    application = application_in(applicant, State.SUBMITTED)
    client = client_for(applicant)
    page = client.get(url("withdraw", application)).content.decode()
    assert 'data-testid="withdraw-confirm"' in page
    response = client.post(url("withdraw", application), {"reason": ""})
    assert response.status_code == 200
    application.refresh_from_db()
    assert application.state == State.SUBMITTED
    response = client.post(url("withdraw", application), {"reason": "My residency changed the rotation."})
    assert response["Location"] == STATUS_URL
    application.refresh_from_db()
    assert application.state == State.WITHDRAWN
    assert application.end_reason == "My residency changed the rotation."


def test_the_exit_survey_at_the_end_of_the_stay(applicant, clinic_a, pasante_a):
    application = application_in(applicant, State.IN_COMMUNITY, clinic=clinic_a, pasante=pasante_a.staff)
    client = client_for(applicant)
    assert b'data-testid="exit-survey-link"' in client.get(STATUS_URL).content
    ratings = {"mentorship": 5, "clinical": 4, "community": 5, "host_family": 3, "logistics": 4}
    response = client.post(url("exit-survey", application), {**ratings, "best": "The pasante", "improve": ""})
    assert response["Location"] == STATUS_URL
    survey = ExitSurvey.objects.get(application=application)
    assert (survey.mentorship, survey.host_family, survey.best) == (5, 3, "The pasante")


def test_an_exit_survey_rating_outside_one_to_five_is_refused(applicant, clinic_a, pasante_a):
    application = application_in(applicant, State.IN_COMMUNITY, clinic=clinic_a, pasante=pasante_a.staff)
    ratings = {"mentorship": 6, "clinical": 4, "community": 5, "host_family": 3, "logistics": 0}
    response = client_for(applicant).post(url("exit-survey", application), ratings)
    assert response.status_code == 200
    assert {"mentorship", "logistics"} <= set(response.context["form"].errors)
    assert not ExitSurvey.objects.exists()


def test_apply_again_from_the_previous_application_in_one_click(applicant):
    previous = application_in(applicant, State.COMPLETED)
    client = client_for(applicant)
    page = client.get(STATUS_URL).content.decode()
    assert 'data-testid="apply-again"' in page
    response = client.post(reverse("visitors:start"), {"previous": previous.pk})
    new = Application.objects.exclude(pk=previous.pk).get(applicant=applicant)
    assert response["Location"] == step_url(new, 1)
    assert new.previous == previous
    assert (new.full_name, new.institution, new.state) == (previous.full_name, previous.institution, State.DRAFT)
    assert new.wanted_start is None


# --- Applicant A reaches nothing of applicant B's -----------------------------------------------------------

PK_PAGES = ("documents", "withdraw", "flight", "exit-survey")
PK_POSTS = ("submit", "choose-slot", "confirm-placement", "withdraw", "document-upload", "flight", "exit-survey")


def test_applicant_a_reaches_no_page_of_applicant_b(applicant, applicant_b):
    theirs = application_in(applicant_b, State.PLACEMENT_PROPOSED)
    draft_b = Application.objects.create(applicant=applicant_b, state=State.WITHDRAWN)
    client = client_for(applicant)
    for name in PK_PAGES:
        assert client.get(url(name, theirs)).status_code == 404, name
    assert client.get(step_url(theirs, 1)).status_code == 404
    for name in PK_POSTS:
        assert client.post(url(name, theirs), {"reason": "x", "slot": 1}).status_code == 404, name
    assert client.post(reverse("visitors:start"), {"previous": draft_b.pk}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == State.PLACEMENT_PROPOSED
    assert Application.objects.filter(applicant=applicant).count() == 0


def test_each_applicants_status_page_shows_only_their_own(applicant, applicant_b):
    mine = application_in(applicant, State.SUBMITTED)
    theirs = application_in(applicant_b, State.SUBMITTED)
    response = client_for(applicant_b).get(STATUS_URL)
    assert response.context["application"] == theirs
    for document in mine.documents.all():
        assert reverse("visitors:document", kwargs={"pk": document.pk}) not in response.content.decode()


def test_staff_have_no_business_on_the_applicants_pages(coordinator, applicant):
    application = application_in(applicant, State.SUBMITTED)
    client = client_for(coordinator)
    assert client.get(STATUS_URL).status_code == 403
    assert client.get(url("withdraw", application)).status_code == 403


# --- Query counts -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 12])
def test_status_page_query_count_does_not_grow_with_the_timeline_and_documents(
        applicant, clinic_a, pasante_a, django_assert_num_queries, size):
    application = application_in(applicant, State.PLACEMENT_CONFIRMED, clinic=clinic_a, pasante=pasante_a.staff,
                                 changes=size * 2, documents=size)
    client = client_for(applicant)
    client.get(STATUS_URL)  # the session and the caches of the first request
    with django_assert_num_queries(STATUS_PAGE_QUERIES):
        response = client.get(STATUS_URL)
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="timeline-row"') == application.changes.count()


# The user with their roles; the application; its timeline, next step, placement (with clinic, community, pasante,
# host family), arrival (with driver), slots, interviews, document requests, documents, orientation pack,
# the exit survey; the notification badge.
STATUS_PAGE_QUERIES = 11


# --- In the browser, at 360 px ------------------------------------------------------------------------------


@pytest.fixture
def phone(live_server):
    """Chromium at 360 px, as the journeys in tests/ drive it, in English. With SCREENSHOTS set to a folder,
    ``shoot(name)`` saves the page there at 360 px and at 1280 px (what the pages were checked by eye with)."""
    import os

    from playwright.sync_api import sync_playwright

    from tests.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=PHONE, locale="en-US", timezone_id="America/Mexico_City")
        context.set_default_timeout(15_000)
        tab = context.new_page()
        failures = []
        tab.on("pageerror", lambda error: failures.append(str(error)))
        yield tab
        browser.close()
        assert not failures, failures


def shoot(page, name):
    import os

    folder = os.environ.get("SCREENSHOTS")
    if not folder:
        return
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 740})
        page.screenshot(path=f"{folder}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 360, "height": 740})


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_steps_fit_a_phone_and_lead_to_a_submitted_application(phone, live_server, applicant, tmp_path):
    from tests.kit import assert_fits_the_screen, browser_log_in

    applicant.preferred_language = "en"
    applicant.save(update_fields=["preferred_language"])
    browser_log_in(phone, live_server, applicant)
    phone.goto(live_server.url + reverse("visitors:apply"))
    assert_fits_the_screen(phone)
    shoot(phone, "start")
    phone.locator("[data-testid=start]").click()
    start, end = stay_dates()
    typed = {
        1: {"full_name": "Emily Carter", "phone": "+1 617 555 0100"},
        2: {"wanted_start": start.isoformat(), "wanted_end": end.isoformat()},
        3: {"institution": "Boston Medical Center", "program": "Family medicine", "licence_number": "MA-123456"},
        4: {"motivation": "Rural primary care in Spanish."},
        5: {"emergency_contact_name": "John Carter", "emergency_contact_phone": "+1 617 555 0101",
            "emergency_contact_relation": "Father"},
    }
    chosen = {1: {"country": "US"}, 2: {"category": "resident"}, 3: {"training_level": "pgy2", "licence_country": "US"},
              4: {"spanish_self_assessment": "B2"}, 5: {}}
    for number in range(1, 6):
        assert phone.locator("[data-testid=application-step]").get_attribute("data-step") == str(number)
        for name, value in chosen[number].items():
            phone.locator(f"select[name={name}]").select_option(value)
        for name, value in typed[number].items():
            phone.locator(f"[name={name}]").fill(value)
        assert_fits_the_screen(phone)
        shoot(phone, f"step-{number}")
        phone.locator("[data-testid=step-save]").click()
    # Documents: the CV and the licence, by their content.
    for kind in ("cv", "licence"):
        phone.locator("select[name=kind]").select_option(kind)
        path = tmp_path / f"{kind}.pdf"
        path.write_bytes(PDF)
        phone.locator("input[name=upload]").set_input_files(str(path))
        phone.locator("[data-testid=upload]").click()
    assert phone.locator("[data-testid=document-link]").count() == 2
    assert_fits_the_screen(phone)
    shoot(phone, "step-6")
    phone.locator("[data-testid=step-save]").click()
    assert phone.locator("[data-testid=ready]").is_visible()
    assert_fits_the_screen(phone)
    shoot(phone, "step-7")
    phone.locator("[data-testid=submit]").click()
    assert phone.locator("[data-testid=state]").inner_text() == "Submitted"
    assert_fits_the_screen(phone)
    shoot(phone, "status-submitted")
    assert Application.objects.get(applicant=applicant).state == State.SUBMITTED


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_status_page_of_a_confirmed_placement_fits_a_phone(phone, live_server, applicant, clinic_a, pasante_a):
    from tests.kit import assert_fits_the_screen, browser_log_in

    application_in(applicant, State.PLACEMENT_CONFIRMED, clinic=clinic_a, pasante=pasante_a.staff)
    services.orientation_pack_upload(title="Visitor guide", upload=pdf_upload("guide.pdf"), by=None)
    applicant.preferred_language = "en"
    applicant.save(update_fields=["preferred_language"])
    browser_log_in(phone, live_server, applicant)
    phone.goto(live_server.url + STATUS_URL)
    assert phone.locator("[data-testid=placement-clinic]").inner_text() == "Clínica Capitán"
    assert phone.locator("[data-testid=pickup-driver]").is_visible()
    assert_fits_the_screen(phone)
    shoot(phone, "status-confirmed")
    for name in ("flight", "withdraw"):
        phone.goto(live_server.url + url(name, application_of(applicant)))
        assert_fits_the_screen(phone)
        shoot(phone, name)


def application_of(applicant):
    return Application.objects.filter(applicant=applicant).latest("created_at")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_applicant_picks_a_slot_and_later_answers_the_exit_survey(phone, live_server, applicant,
                                                                                 clinic_a, pasante_a):
    from tests.kit import assert_fits_the_screen, browser_log_in

    applicant.preferred_language = "es"
    applicant.save(update_fields=["preferred_language"])
    first = application_in(applicant, State.SUBMITTED)
    services.interview_slots_offer(application=first, by=None, starts=[
        timezone.now() + timedelta(days=days, hours=2) for days in (2, 3, 5)])
    browser_log_in(phone, live_server, applicant)
    phone.goto(live_server.url + STATUS_URL)
    assert_fits_the_screen(phone)
    shoot(phone, "status-slots-es")
    phone.locator("[data-testid=slot-form] input[type=radio]").nth(1).check()
    phone.locator("[data-testid=slot-form] [data-testid=next-button]").click()
    phone.wait_for_selector("[data-state=interview_scheduled]")
    first.refresh_from_db()
    assert first.state == State.INTERVIEW_SCHEDULED

    services.application_withdraw(application=first, reason="Otra fecha.", by=applicant)
    stay = application_in(applicant, State.IN_COMMUNITY, clinic=clinic_a, pasante=pasante_a.staff)
    phone.goto(live_server.url + url("exit-survey", stay))
    assert_fits_the_screen(phone)
    for name, value in {"mentorship": 5, "clinical": 4, "community": 5, "host_family": 4, "logistics": 3}.items():
        phone.locator(f"input[name={name}][value='{value}']").check()
    phone.locator("[name=best]").fill("La pasante y la comunidad.")
    shoot(phone, "exit-survey-es")
    phone.locator("[data-testid=exit-survey-submit]").click()
    phone.wait_for_selector("[data-testid=status-page]")
    assert ExitSurvey.objects.get(application=stay).logistics == 3
