"""The visitors API (/api/v1/visitors/): an applicant reaches only their own; the program every application and
each step through one POST; refusals are 400s with the service's message; lists have pinned query counts."""

from datetime import datetime, time, timedelta
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from ces.accounts.roles import Role
from ces.accounts.tests.factories import UserFactory
from clinics.models import Cadre
from clinics.tests.factories import StaffFactory
from tests.kit import api_client_for
from visitors import services
from visitors.models import Application, Category, Document, DocumentKind, ExitSurvey, Placement, StatusChange
from visitors.tests.factories import placement_world

State = Application.State
TODAY = timezone.localdate()
START = TODAY + timedelta(days=40)
END = START + timedelta(days=29)  # 30 days: over the resident's 28


def pdf(name="cv.pdf", size=200):
    return SimpleUploadedFile(name, b"%PDF-1.4\n" + b"0" * size, content_type="application/pdf")


def _at(day, hour=10):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def step_values(name):
    return {
        1: {"full_name": name, "phone": "+1 555 0100", "country": "US"},
        2: {"category": Category.RESIDENT, "wanted_start": START, "wanted_end": END},
        3: {"institution": "Capitán University Hospital", "program": "Family medicine", "training_level": "pgy2",
            "licence_number": "MD-1234", "licence_country": "US"},
        4: {"spanish_self_assessment": "B2", "motivation": "To learn rural primary care.", "prior_visits": ""},
        5: {"emergency_contact_name": "Mary Capitán", "emergency_contact_phone": "+1 555 0101",
            "emergency_contact_relation": "Mother", "dietary_notes": "", "health_notes": ""},
    }


def make_draft(applicant, *, name="Jane Capitán", documents=True, previous=None):
    application = services.application_start(applicant=applicant, previous=previous, by=applicant)
    for step, fields in step_values(name).items():
        application = services.application_update(application=application, by=applicant, step=step, fields=fields)
    if documents:
        services.document_upload(application=application, kind=DocumentKind.CV, upload=pdf(), by=applicant)
        services.document_upload(application=application, kind=DocumentKind.LICENCE, upload=pdf("licence.pdf"),
                                 by=applicant)
    return application


def make_place(clinic, pasante_user):
    """Clinic A's community takes a visitor at a time; its pasante, a host family there, a driver."""
    world = placement_world(clinic=clinic, pasante=pasante_user.staff)
    return SimpleNamespace(clinic=clinic, pasante=world.pasante, family=world.host_family, driver=world.driver)


ORDER = [State.DRAFT, State.SUBMITTED, State.INTERVIEW_SCHEDULED, State.INTERVIEWED, State.ACCEPTED,
         State.PLACEMENT_PROPOSED, State.PLACEMENT_CONFIRMED, State.ARRIVED, State.IN_COMMUNITY, State.COMPLETED]


def advance(application, to, *, staff, place=None):
    """Take the application through the services, step by step, up to the state ``to``."""
    applicant = application.applicant
    steps = {
        State.SUBMITTED: lambda a: services.application_submit(application=a, by=applicant),
        State.INTERVIEW_SCHEDULED: lambda a: services.interview_schedule(
            application=a, scheduled_at=timezone.now() + timedelta(days=2), where="Zoom", interviewer=staff, by=staff),
        State.INTERVIEWED: lambda a: services.interview_record(
            application=a, spanish_level="B2", values_fit="strong", notes="Habla con soltura.",
            recommendation="accept", by=staff),
        State.ACCEPTED: lambda a: services.application_accept(application=a, message="Welcome!", by=staff),
        State.PLACEMENT_PROPOSED: lambda a: services.placement_propose(
            application=a, clinic=place.clinic, pasante=place.pasante, host_family=place.family, start_date=START,
            end_date=END, by=staff),
        State.PLACEMENT_CONFIRMED: lambda a: services.placement_confirm(application=a, by=applicant),
        State.ARRIVED: lambda a: (
            services.flight_details_set(application=a, flight_number="AM 123", arrives_at=_at(START, 9), by=applicant),
            services.arrival_arrange(application=a, pickup_at=_at(START, 11), meeting_point="Aeropuerto de Tuxtla",
                                     driver=place.driver, by=staff),
            services.application_mark_arrived(application=a, orientation_done=True, by=staff, now=_at(START, 12)),
        ),
        State.IN_COMMUNITY: lambda a: services.application_mark_in_community(application=a, by=staff,
                                                                             now=_at(START + timedelta(days=1))),
        State.COMPLETED: lambda a: services.application_complete(application=a, by=staff, now=_at(END, 18)),
    }
    for state in ORDER[ORDER.index(application.state) + 1:ORDER.index(to) + 1]:
        steps[state](application)
        application.refresh_from_db()
    return application


def survey(application):
    return services.exit_survey_submit(application=application, mentorship=5, clinical=4, community=5, host_family=4,
                                       logistics=3, best="La comunidad.", by=application.applicant, now=_at(END, 19))


def url(name, *args):
    return reverse(f"api:visitors:{name}", args=args)


def step_url(application, name):
    return url(f"application-{name}", application.pk)


@pytest.fixture
def place(clinic_a, pasante_a):
    return make_place(clinic_a, pasante_a)


@pytest.fixture
def submitted_a(applicant, visitor_program):
    return advance(make_draft(applicant), State.SUBMITTED, staff=visitor_program)


@pytest.fixture
def submitted_b(applicant_b, visitor_program):
    return advance(make_draft(applicant_b, name="Bea Otra"), State.SUBMITTED, staff=visitor_program)


def _ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# --- Reach: the applicant's own, the program's all -------------------------------------------------------


@pytest.mark.django_db
def test_an_applicant_lists_only_their_own_applications_and_staff_list_every_one(
    applicant, visitor_program, submitted_a, submitted_b,
):
    assert _ids(api_client_for(applicant).get(url("application-list"))) == [submitted_a.pk]
    assert sorted(_ids(api_client_for(visitor_program).get(url("application-list")))) == sorted(
        [submitted_a.pk, submitted_b.pk])


@pytest.mark.django_db
def test_applicant_a_gets_404_for_everything_of_applicant_b(applicant, submitted_a, submitted_b, visitor_program):
    client = api_client_for(applicant)
    document = submitted_b.documents.first()
    services.interview_slots_offer(application=submitted_b, starts=[timezone.now() + timedelta(days=3)],
                                   by=visitor_program)

    assert client.get(url("application-detail", submitted_b.pk)).status_code == 404
    assert client.get(url("document-detail", document.pk)).status_code == 404
    assert client.get(url("document-download", document.pk)).status_code == 404
    for step in ("submit", "edit", "withdraw", "confirm-placement", "flight-details", "choose-slot", "exit-survey",
                 "accept", "decline", "propose-placement"):
        assert client.post(step_url(submitted_b, step), {}, format="json").status_code == 404, step
    upload = client.post(step_url(submitted_b, "upload-document"), {"kind": "cv", "file": pdf()}, format="multipart")
    assert upload.status_code == 404
    for name in ("document-list", "interview-slot-list", "interview-list", "placement-list", "arrival-list",
                 "exit-survey-list"):
        assert _ids(client.get(url(name), {"application": submitted_b.pk})) == [], name
    assert submitted_b.documents.count() == 2
    assert StatusChange.objects.filter(application=submitted_b).count() == 2  # draft, submitted: nothing more


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["pasante_a", "pharmacy", "outsider"])
def test_roles_without_a_part_in_the_program_reach_no_application(request, persona, submitted_a):
    client = api_client_for(request.getfixturevalue(persona))

    assert _ids(client.get(url("application-list"))) == []
    assert client.get(url("application-detail", submitted_a.pk)).status_code == 404
    assert client.post(step_url(submitted_a, "accept"), {}, format="json").status_code == 403
    assert client.post(step_url(submitted_a, "withdraw"), {"reason": "x"}, format="json").status_code == 403


@pytest.mark.django_db
def test_the_program_steps_are_refused_to_the_applicant_on_their_own_application(applicant, submitted_a):
    client = api_client_for(applicant)

    for step in ("accept", "decline", "request-document", "offer-slots", "record-interview", "propose-placement",
                 "check-placement", "arrange-arrival", "mark-arrived", "complete", "disengage", "allow-short-stay"):
        assert client.post(step_url(submitted_a, step), {}, format="json").status_code == 403, step


@pytest.mark.django_db
def test_the_applicants_own_steps_are_refused_to_staff(visitor_program, submitted_a):
    client = api_client_for(visitor_program)

    for step in ("submit", "edit", "choose-slot", "exit-survey"):
        assert client.post(step_url(submitted_a, step), {}, format="json").status_code == 403, step


# --- The journey, through the API -------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_applicant_and_the_program_go_from_a_draft_to_the_exit_survey_through_the_api(
    applicant, visitor_program, place, clinic_b,
):
    me, program = api_client_for(applicant), api_client_for(visitor_program)

    created = me.post(url("application-list"), {}, format="json")
    assert created.status_code == 201, created.content
    application = Application.objects.get(pk=created.json()["id"])
    assert created.json()["state"] == State.DRAFT
    for step, fields in step_values("Jane Capitán").items():
        body = {"step": step, **{k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in fields.items()}}
        saved = me.post(step_url(application, "edit"), body, format="json")
        assert saved.status_code == 200, saved.content
    assert saved.json()["institution"] == "Capitán University Hospital"
    refused = me.post(step_url(application, "submit"), format="json")
    assert refused.status_code == 400 and refused.json()["non_field_errors"], refused.content
    for kind in ("cv", "licence"):
        uploaded = me.post(step_url(application, "upload-document"), {"kind": kind, "file": pdf(f"{kind}.pdf")},
                           format="multipart")
        assert uploaded.status_code == 201, uploaded.content
    assert me.post(step_url(application, "submit"), format="json").json()["state"] == State.SUBMITTED

    slot_time = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    offered = program.post(step_url(application, "offer-slots"), {"starts": [slot_time.isoformat()]}, format="json")
    assert offered.status_code == 200, offered.content
    slot = offered.json()["slots"][0]["id"]
    chosen = me.post(step_url(application, "choose-slot"), {"slot": slot}, format="json")
    assert chosen.json()["state"] == State.INTERVIEW_SCHEDULED, chosen.content
    recorded = program.post(step_url(application, "record-interview"), {
        "spanish_level": "B2", "values_fit": "strong", "notes": "Habla con soltura.", "recommendation": "accept",
    }, format="json")
    assert recorded.json()["state"] == State.INTERVIEWED, recorded.content
    assert recorded.json()["interviews"][0]["assessment"]["spanish_level"] == "B2"
    assert me.get(url("application-detail", application.pk)).json()["interviews"][0]["assessment"] is None
    assert program.post(step_url(application, "accept"), {"message": "¡Bienvenida!"},
                        format="json").json()["state"] == State.ACCEPTED

    wrong = {"clinic": clinic_b.pk, "pasante": place.pasante.pk, "host_family": place.family.pk,
             "start_date": START.isoformat(), "end_date": END.isoformat()}
    checked = program.post(step_url(application, "check-placement"), wrong, format="json")
    assert checked.status_code == 200 and checked.json()["problems"], checked.content
    proposed_wrong = program.post(step_url(application, "propose-placement"), wrong, format="json")
    assert proposed_wrong.status_code == 400
    assert proposed_wrong.json()["non_field_errors"] == checked.json()["problems"]
    assert not Placement.objects.exists()
    right = {**wrong, "clinic": place.clinic.pk}
    assert program.post(step_url(application, "check-placement"), right, format="json").json() == {"problems": []}
    proposed = program.post(step_url(application, "propose-placement"), right, format="json")
    assert proposed.json()["state"] == State.PLACEMENT_PROPOSED, proposed.content
    assert proposed.json()["placement"]["clinic_name"] == place.clinic.name

    confirmed = me.post(step_url(application, "confirm-placement"), format="json")
    assert confirmed.json()["placement"]["state"] == Placement.State.CONFIRMED, confirmed.content
    flight = me.post(step_url(application, "flight-details"), {
        "flight_number": "AM 123", "arrives_at": _at(START, 9).isoformat(), "arrives_where": "Tuxtla"}, format="json")
    assert flight.json()["arrival"]["flight_number"] == "AM 123", flight.content
    pickup = program.post(step_url(application, "arrange-arrival"), {
        "pickup_at": _at(START, 11).isoformat(), "meeting_point": "Salida nacional", "driver": place.driver.pk,
        "vehicle": "Hilux"}, format="json")
    assert pickup.json()["arrival"]["driver_name"] == place.driver.full_name, pickup.content
    assert pickup.json()["arrival"]["pickup_organised"] is True

    # The stay itself is played at its real dates through the services (the API's steps use today).
    services.application_mark_arrived(application=application, by=visitor_program, now=_at(START, 12))
    services.application_mark_in_community(application=application, by=visitor_program,
                                           now=_at(START + timedelta(days=1)))
    answered = me.post(step_url(application, "exit-survey"), {
        "mentorship": 5, "clinical": 4, "community": 5, "host_family": 4, "logistics": 3, "best": "La gente."},
        format="json")
    assert answered.status_code == 200, answered.content
    assert answered.json()["exit_survey"]["mentorship"] == 5
    assert [row["to_state"] for row in answered.json()["timeline"]] == ORDER[:9]


@pytest.mark.django_db
def test_an_illegal_step_is_a_400_with_the_message_and_writes_nothing(visitor_program, submitted_a):
    client = api_client_for(visitor_program)
    before = StatusChange.objects.count()

    response = client.post(step_url(submitted_a, "accept"), {"message": "Hola"}, format="json")

    assert response.status_code == 400
    assert response.json()["non_field_errors"][0]
    submitted_a.refresh_from_db()
    assert submitted_a.state == State.SUBMITTED
    assert StatusChange.objects.count() == before


@pytest.mark.django_db
def test_a_decline_or_a_withdrawal_without_its_words_is_refused_in_the_persons_language(
    applicant, visitor_program, submitted_a,
):
    declined = api_client_for(visitor_program, language="es").post(step_url(submitted_a, "decline"), {},
                                                                    format="json")
    withdrawn = api_client_for(applicant).post(step_url(submitted_a, "withdraw"), {"reason": " "}, format="json")

    assert declined.status_code == 400
    assert declined.json() == {"message": ["Escribe el mensaje para quien solicita."]}
    assert withdrawn.status_code == 400
    assert withdrawn.json() == {"reason": ["Give the reason."]}
    submitted_a.refresh_from_db()
    assert submitted_a.state == State.SUBMITTED


@pytest.mark.django_db
def test_the_applicant_withdraws_and_staff_decline_with_a_message(applicant, applicant_b, visitor_program,
                                                                  submitted_a, submitted_b):
    withdrawn = api_client_for(applicant).post(step_url(submitted_a, "withdraw"), {"reason": "Cambio de planes"},
                                               format="json")
    declined = api_client_for(visitor_program).post(step_url(submitted_b, "decline"),
                                                    {"message": "No hay lugar este año."}, format="json")

    assert withdrawn.json()["state"] == State.WITHDRAWN
    assert declined.json()["state"] == State.DECLINED
    assert declined.json()["decision_message"] == "No hay lugar este año."


@pytest.mark.django_db
def test_a_field_of_another_step_is_refused_and_nothing_is_saved(applicant):
    application = services.application_start(applicant=applicant, by=applicant)
    name_before = application.full_name

    response = api_client_for(applicant).post(step_url(application, "edit"),
                                              {"step": 1, "full_name": "Jane", "institution": "Elsewhere"},
                                              format="json")

    assert response.status_code == 400
    assert response.json() == {"institution": ["This is not part of this step."]}
    application.refresh_from_db()
    assert application.full_name == name_before and application.institution == ""


@pytest.mark.django_db
def test_a_slot_not_offered_to_the_applicant_is_refused(applicant, visitor_program, submitted_a, submitted_b):
    services.interview_slots_offer(application=submitted_b, starts=[timezone.now() + timedelta(days=3)],
                                   by=visitor_program)
    others = submitted_b.slots.get()

    response = api_client_for(applicant).post(step_url(submitted_a, "choose-slot"), {"slot": others.pk},
                                              format="json")

    assert response.status_code == 400
    assert response.json() == {"slot": ["This time is not one of those offered to you."]}


# --- Documents ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_upload_whose_content_is_not_a_document_is_refused_with_a_message(applicant):
    application = make_draft(applicant, documents=False)
    fake = SimpleUploadedFile("cv.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")

    response = api_client_for(applicant).post(step_url(application, "upload-document"), {"kind": "cv", "file": fake},
                                              format="multipart")

    assert response.status_code == 400
    assert any(response.json().values())
    assert not Document.objects.exists()


@pytest.mark.django_db
def test_the_document_is_downloaded_by_its_applicant_and_the_program_only(
    applicant, applicant_b, visitor_program, pasante_a, submitted_a,
):
    document = submitted_a.documents.get(kind=DocumentKind.CV)
    download = url("document-download", document.pk)

    mine = api_client_for(applicant).get(download)
    staff = api_client_for(visitor_program).get(download)

    assert mine.status_code == 200
    assert b"".join(mine.streaming_content).startswith(b"%PDF-1.4")
    assert mine["Content-Type"] == "application/pdf"
    assert mine["Content-Disposition"].startswith("attachment")
    assert staff.status_code == 200
    assert api_client_for(applicant_b).get(download).status_code == 404
    assert api_client_for(pasante_a).get(download).status_code == 404


@pytest.mark.django_db
def test_the_detail_shows_the_current_documents_and_the_list_every_one(applicant, submitted_a):
    client = api_client_for(applicant)
    services.document_upload(application=submitted_a, kind=DocumentKind.CV, upload=pdf("cv-2.pdf"), by=applicant)

    detail = client.get(url("application-detail", submitted_a.pk)).json()
    listed = client.get(url("document-list"), {"application": submitted_a.pk}).json()["results"]

    assert sorted(d["original_name"] for d in detail["documents"]) == ["cv-2.pdf", "licence.pdf"]
    assert sorted(d["original_name"] for d in listed) == ["cv-2.pdf", "cv.pdf", "licence.pdf"]


# --- Placements, arrivals, surveys: who reads them -----------------------------------------------------------


@pytest.mark.django_db
def test_the_paired_pasante_reads_the_placement_and_arrival_and_another_pasante_does_not(
    applicant, visitor_program, pasante_a, pasante_b, place,
):
    application = advance(make_draft(applicant), State.ARRIVED, staff=visitor_program, place=place)
    placement = Placement.objects.get(application=application)

    assert _ids(api_client_for(pasante_a).get(url("placement-list"))) == [placement.pk]
    assert _ids(api_client_for(pasante_a).get(url("arrival-list"))) == [application.arrival.pk]
    assert _ids(api_client_for(pasante_b).get(url("placement-list"))) == []
    assert api_client_for(pasante_b).get(url("placement-detail", placement.pk)).status_code == 404
    assert _ids(api_client_for(pasante_a).get(url("application-list"))) == []


# --- Query counts: every list at two sizes, unfiltered and filtered ---------------------------------------


def _grow_applications(n, staff):
    """n more applications, each with an interview slot offered and an interview scheduled."""
    for i in range(n):
        person = UserFactory(roles=[Role.APPLICANT])
        application = advance(make_draft(person, name=f"Visitante {person.pk}"), State.SUBMITTED, staff=staff)
        services.interview_slots_offer(application=application, starts=[timezone.now() + timedelta(days=5 + i)],
                                       by=staff)
        advance(application, State.INTERVIEW_SCHEDULED, staff=staff)


def _grow_stays(n, staff):
    """n more completed stays with their survey, each at a clinic of its own (one visitor at a time)."""
    from clinics.tests.factories import AssignmentFactory, ClinicFactory

    for _i in range(n):
        pasante = UserFactory(roles=[Role.PASANTE])
        StaffFactory(user=pasante, full_name=f"Pasante {pasante.pk}", cadre=Cadre.PASANTE)
        clinic = ClinicFactory(name=f"Clínica {pasante.pk}", community__name=f"Comunidad {pasante.pk}")
        AssignmentFactory(staff=pasante.staff, clinic=clinic, start_date=TODAY - timedelta(days=30))
        person = UserFactory(roles=[Role.APPLICANT])
        application = advance(make_draft(person, name=f"Visitante {person.pk}"), State.COMPLETED, staff=staff,
                              place=make_place(clinic, pasante))
        survey(application)


# (list, filtered) -> queries: the user with their roles (the scope; the session is read from Redis), the count,
# the page.
LIST_QUERIES = {
    "application-list": {False: 3, True: 3},
    "document-list": {False: 3, True: 3},
    "interview-slot-list": {False: 3, True: 3},
    "interview-list": {False: 3, True: 3},
    "placement-list": {False: 3, True: 3},
    "arrival-list": {False: 3, True: 3},
    "exit-survey-list": {False: 3, True: 3},
}
STAY_LISTS = frozenset({"placement-list", "arrival-list", "exit-survey-list"})
APPLICATION_FILTERS = {"state": "interview_scheduled", "category": "resident", "country": "us",
                       "institution": "capitán", "repeat": "false", "wanted_from": START.isoformat(),
                       "wanted_to": END.isoformat()}


def _filters(name, staff):
    if name == "application-list":
        return APPLICATION_FILTERS
    return {"application": Application.objects.order_by("pk").first().pk}


def _counted(client, name, params, django_assert_num_queries, queries):
    with django_assert_num_queries(queries):
        response = client.get(url(name), params)
    assert response.status_code == 200, response.content
    return response.json()["count"]


@pytest.mark.django_db
@pytest.mark.parametrize("filtered", [False, True], ids=["all", "filtered"])
@pytest.mark.parametrize("name", list(LIST_QUERIES))
def test_a_list_runs_a_fixed_number_of_queries_at_two_sizes(name, filtered, visitor_program,
                                                            django_assert_num_queries):
    client = api_client_for(visitor_program)
    grow = _grow_stays if name in STAY_LISTS else _grow_applications
    queries = LIST_QUERIES[name][filtered]
    grow(1, visitor_program)
    small = _counted(client, name, _filters(name, visitor_program) if filtered else {}, django_assert_num_queries,
                     queries)

    grow(3, visitor_program)
    large = _counted(client, name, _filters(name, visitor_program) if filtered else {}, django_assert_num_queries,
                     queries)

    assert small > 0
    assert large > small or (filtered and name != "application-list")


@pytest.mark.django_db
def test_the_applicants_list_runs_a_fixed_number_of_queries_whatever_the_others_have(
    applicant, visitor_program, django_assert_num_queries,
):
    advance(make_draft(applicant), State.SUBMITTED, staff=visitor_program)
    client = api_client_for(applicant)
    _grow_applications(1, visitor_program)
    assert _counted(client, "application-list", {}, django_assert_num_queries,
                    LIST_QUERIES["application-list"][False]) == 1

    _grow_applications(3, visitor_program)
    assert _counted(client, "application-list", {}, django_assert_num_queries,
                    LIST_QUERIES["application-list"][False]) == 1


@pytest.mark.django_db
def test_the_exit_survey_is_read_by_its_visitor_and_the_program(applicant, applicant_b, visitor_program, place):
    application = advance(make_draft(applicant), State.COMPLETED, staff=visitor_program, place=place)
    answered = survey(application)

    assert _ids(api_client_for(applicant).get(url("exit-survey-list"))) == [answered.pk]
    assert _ids(api_client_for(visitor_program).get(url("exit-survey-list"))) == [answered.pk]
    assert _ids(api_client_for(applicant_b).get(url("exit-survey-list"))) == []
    assert api_client_for(applicant_b).get(url("exit-survey-detail", answered.pk)).status_code == 404
    assert ExitSurvey.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["visitor_program", "coordinator", "admin_user", "pasante_a"])
def test_only_an_applicant_starts_an_application(request, persona):
    response = api_client_for(request.getfixturevalue(persona)).post(url("application-list"), {}, format="json")

    assert response.status_code == 403
    assert not Application.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_placements_proposed_at_once_into_one_clinic_and_dates_one_wins_the_other_reads_why(visitor_program):
    from tests.kit import errors_in, run_concurrently
    from visitors.tests.factories import application_in_state

    world = placement_world(staff_user=visitor_program, rooms=2)
    applications = [application_in_state(State.ACCEPTED, staff_user=visitor_program) for _ in range(2)]
    body = {"clinic": world.clinic.pk, "pasante": world.pasante.pk, "host_family": world.host_family.pk,
            "start_date": START.isoformat(), "end_date": END.isoformat()}

    def propose(i):
        client = api_client_for(visitor_program)
        return client.post(step_url(applications[i], "propose-placement"), body, format="json")

    outcomes = run_concurrently(propose, 2)

    assert not errors_in(outcomes)
    assert sorted(response.status_code for response in outcomes) == [200, 400]
    [refused] = [response for response in outcomes if response.status_code == 400]
    assert refused.json()["non_field_errors"][0]
    assert Placement.objects.exclude(state=Placement.State.CANCELLED).count() == 1
