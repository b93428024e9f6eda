"""The visitor program's services: every transition from the states it allows and refused from the others,
the placement rules with their messages, the minimum stays, the Spanish rule, documents, and nothing
written on a refusal."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from ces.accounts.roles import Role
from ces.accounts.tests.factories import UserFactory
from ces.core.services import ILLEGAL_TRANSITION
from clinics import services as clinic_services
from clinics.models import Assignment, Cadre, HostStay
from clinics.tests.factories import ClinicFactory, HostFamilyFactory, StaffFactory
from visitors import services
from visitors.models import (
    Application,
    Category,
    Document,
    DocumentKind,
    DocumentRequest,
    Interview,
    InterviewSlot,
    PasanteFeedback,
    Placement,
    StatusChange,
    minimum_last_day,
)
from visitors.tests.factories import (
    ApplicationFactory,
    application_in_state,
    jpeg_upload,
    pdf_upload,
    placement_world,
)

pytestmark = pytest.mark.django_db
State = Application.State


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def staff(db):
    return UserFactory(roles=[Role.VISITOR_PROGRAM])


def _counts():
    return {model.__name__: model.objects.count() for model in (
        Application, StatusChange, Document, DocumentRequest, Interview, InterviewSlot, Placement, HostStay)}


def _soon(days=3):
    return timezone.now() + timedelta(days=days)


# --- Every state reachable, every transition refused from the states it does not start from ------------------

@pytest.mark.parametrize("state", State.values)
def test_every_state_is_reached_through_the_services(state):
    application = application_in_state(state)
    assert application.state == state
    last = application.changes.order_by("at", "pk").last()
    assert last.to_state == state and last.by is not None and last.at is not None


def _calls(world, staff):
    """Each transition's service, called with good arguments: only the start state can refuse it."""
    day = timezone.localdate() + timedelta(days=60)

    return {
        "edit": lambda a: services.application_update(application=a, by=a.applicant, step=1,
                                                      fields={"phone": "+1 555"}),
        "submit": lambda a: services.application_submit(application=a, by=a.applicant),
        "request_document": lambda a: services.document_request(application=a, kind=DocumentKind.CV,
                                                                 note="Más reciente.", by=staff),
        "offer_slots": lambda a: services.interview_slots_offer(application=a, starts=[_soon()], by=staff),
        "schedule_interview": lambda a: services.interview_schedule(application=a, scheduled_at=_soon(), by=staff),
        "record_interview": lambda a: services.interview_record(
            application=a, spanish_level="B2", values_fit="strong", notes="", recommendation="accept", by=staff),
        "accept": lambda a: services.application_accept(application=a, by=staff),
        "waitlist": lambda a: services.application_waitlist(application=a, by=staff),
        "decline": lambda a: services.application_decline(application=a, message="No.", by=staff),
        "propose_placement": lambda a: services.placement_propose(
            application=a, clinic=world.clinic, pasante=world.pasante, host_family=world.host_family,
            start_date=day, end_date=day + timedelta(days=30), by=staff),
        "confirm_placement": lambda a: services.placement_confirm(application=a, by=a.applicant),
        "arrange_arrival": lambda a: services.flight_details_set(application=a, flight_number="AM1",
                                                                 arrives_at=_soon(), by=a.applicant),
        "mark_arrived": lambda a: services.application_mark_arrived(application=a, by=staff),
        "mark_in_community": lambda a: services.application_mark_in_community(application=a, by=staff),
        "complete": lambda a: services.application_complete(application=a, by=staff),
        "withdraw": lambda a: services.application_withdraw(application=a, reason="Planes.", by=a.applicant),
        "disengage": lambda a: services.application_disengage(application=a, reason="Salud.", ended_on=day,
                                                              return_arranged=True, by=staff),
        "exit_survey": lambda a: services.exit_survey_submit(application=a, mentorship=5, clinical=5, community=5,
                                                             host_family=5, logistics=5, by=a.applicant),
        "allow_short_stay": lambda a: services.short_stay_allow(application=a, reason="Congreso.", by=staff),
        "upload_document": lambda a: services.document_upload(application=a, kind=DocumentKind.CV,
                                                              upload=pdf_upload(), by=a.applicant),
    }


ILLEGAL = [(name, state) for name, allowed in Application.TRANSITIONS.items()
           for state in State.values if state not in allowed]


@pytest.mark.parametrize(("transition", "state"), ILLEGAL)
def test_a_transition_is_refused_from_a_state_it_does_not_start_from(transition, state, staff):
    world = placement_world()
    application = ApplicationFactory(state=state)
    before = _counts()
    with pytest.raises(ValidationError) as refused:
        _calls(world, staff)[transition](application)
    assert refused.value.code == ILLEGAL_TRANSITION
    message = refused.value.messages[0]
    assert message.startswith(f"An application that is {application.get_state_display().lower()} cannot be ")
    assert services._action(transition) in message
    assert _counts() == before
    application.refresh_from_db()
    assert application.state == state


@pytest.mark.parametrize("state", [s for s in State.values if s not in Application.TRANSITIONS["schedule_interview"]])
def test_a_slot_cannot_be_chosen_from_a_state_that_does_not_schedule(state):
    application = ApplicationFactory(state=state)
    slot = InterviewSlot.objects.create(application=application, starts_at=_soon())
    before = _counts()
    with pytest.raises(ValidationError) as refused:
        services.interview_slot_choose(application=application, slot=slot, by=application.applicant)
    assert refused.value.code == ILLEGAL_TRANSITION
    assert _counts() == before


def test_a_refused_transition_reads_in_spanish_for_a_spanish_reader():
    application = ApplicationFactory(state=State.COMPLETED)
    with translation.override("es"), pytest.raises(ValidationError) as refused:
        services.application_submit(application=application, by=application.applicant)
    assert "completada" in refused.value.messages[0].lower()


# --- The application form ---------------------------------------------------------------------------------------

def test_start_writes_a_draft_with_its_first_timeline_row(applicant):
    application = services.application_start(applicant=applicant)
    assert application.state == State.DRAFT
    assert application.full_name == applicant.full_name
    row = application.changes.get()
    assert (row.from_state, row.to_state, row.by) == ("", State.DRAFT, applicant)


def test_a_second_open_application_is_refused_with_the_constraints_message(applicant):
    services.application_start(applicant=applicant)
    before = _counts()
    with pytest.raises(ValidationError, match="You already have an application under way."):
        services.application_start(applicant=applicant)
    assert _counts() == before


def test_starting_again_copies_the_answers_but_not_the_dates_nor_the_documents():
    previous = application_in_state(State.WITHDRAWN, withdrawn_from=State.SUBMITTED)
    again = services.application_start(applicant=previous.applicant, previous=previous)
    assert again.previous == previous and again.is_repeat
    assert (again.institution, again.motivation, again.category) == (
        previous.institution, previous.motivation, previous.category)
    assert again.wanted_start is None and again.wanted_end is None
    assert not again.documents.exists()


def test_starting_again_from_someone_elses_or_an_open_application_is_refused():
    theirs = application_in_state(State.DECLINED)
    with pytest.raises(ValidationError) as refused:
        services.application_start(applicant=UserFactory(roles=[Role.APPLICANT]), previous=theirs)
    assert "previous" in refused.value.message_dict
    open_one = ApplicationFactory(state=State.SUBMITTED)
    with pytest.raises(ValidationError):
        services.application_start(applicant=open_one.applicant, previous=open_one)


def test_update_saves_one_steps_fields_and_the_furthest_step():
    application = ApplicationFactory(step=1, institution="")
    services.application_update(application=application, by=application.applicant, step=3,
                                fields={"institution": "  Hospital General  "})
    application.refresh_from_db()
    assert application.institution == "Hospital General" and application.step == 3
    services.application_update(application=application, by=application.applicant, step=1,
                                fields={"phone": "+34 600"})
    application.refresh_from_db()
    assert application.step == 3 and application.phone == "+34 600"


def test_update_refuses_a_field_of_another_step_and_writes_nothing():
    application = ApplicationFactory()
    with pytest.raises(ValidationError) as refused:
        services.application_update(application=application, by=application.applicant, step=1,
                                    fields={"category": Category.STUDENT, "short_stay_reason": "x"})
    assert set(refused.value.message_dict) == {"category", "short_stay_reason"}
    application.refresh_from_db()
    assert application.category == Category.RESIDENT


def test_update_refuses_a_bad_choice_with_the_fields_message():
    application = ApplicationFactory()
    with pytest.raises(ValidationError) as refused:
        services.application_update(application=application, by=application.applicant, step=2,
                                    fields={"category": "astronaut"})
    assert "category" in refused.value.message_dict


def test_submit_lists_every_missing_thing_and_writes_nothing():
    application = ApplicationFactory(full_name="", motivation="", licence_number="")
    before = _counts()
    with pytest.raises(ValidationError) as refused:
        services.application_submit(application=application, by=application.applicant)
    messages = refused.value.messages
    assert any("full name" in m for m in messages)
    assert any("why you want to come" in m for m in messages)
    assert any("licence number" in m for m in messages)
    assert "Upload your CV." in messages and "Upload your Professional licence." in messages
    assert _counts() == before
    application.refresh_from_db()
    assert application.state == State.DRAFT and application.submitted_at is None


def test_a_student_needs_no_licence_to_submit():
    application = ApplicationFactory(category=Category.STUDENT, licence_number="", licence_country="",
                                     wanted_end=timezone.localdate() + timedelta(days=300))
    services.document_upload(application=application, kind=DocumentKind.CV, upload=pdf_upload(),
                             by=application.applicant)
    submitted = services.application_submit(application=application, by=application.applicant)
    assert submitted.state == State.SUBMITTED and submitted.submitted_at is not None


def test_submit_refuses_dates_in_the_past():
    application = ApplicationFactory(wanted_start=timezone.localdate() - timedelta(days=1))
    assert any("has passed" in m for m in services.application_missing(application))


@pytest.mark.parametrize("category", Category.values)
def test_minimum_stay_of_each_category_at_submit(category):
    start = timezone.localdate() + timedelta(days=30)
    earliest = minimum_last_day(category, start)
    application = ApplicationFactory(category=category, wanted_start=start, wanted_end=earliest)
    assert not [m for m in services.application_missing(application) if "stay at least" in m]
    application.wanted_end = earliest - timedelta(days=1)
    short = [m for m in services.application_missing(application) if "stay at least" in m]
    assert short == [
        f"{Category(category).label} stay at least {services.minimum_stay_text(category)}: from "
        f"{services._day(start)} your stay would end on {services._day(earliest)} at the earliest."]
    application.short_stay_reason = "Rotación de dos semanas aprobada por su programa."
    assert not [m for m in services.application_missing(application) if "stay at least" in m]


def test_minimum_stays_are_the_designs():
    start = date(2027, 1, 10)
    assert minimum_last_day(Category.RESIDENT, start) == date(2027, 2, 6)
    assert minimum_last_day(Category.ATTENDING, start) == date(2027, 1, 23)
    assert minimum_last_day(Category.STUDENT, start) == date(2027, 7, 9)
    assert services.minimum_stay_text(Category.RESIDENT) == "28 days"
    assert services.minimum_stay_text(Category.GRADUATE) == "6 months"


def test_short_stay_allowed_records_the_reason_and_who(staff):
    application = application_in_state(State.SUBMITTED)
    services.short_stay_allow(application=application, reason="  Viene con su universidad. ", by=staff)
    application.refresh_from_db()
    assert application.short_stay_reason == "Viene con su universidad."
    assert application.short_stay_allowed_by == staff
    with pytest.raises(ValidationError) as refused:
        services.short_stay_allow(application=application, reason="  ", by=staff)
    assert "reason" in refused.value.message_dict


# --- Documents ----------------------------------------------------------------------------------------------

def test_an_upload_replaces_the_previous_document_of_its_kind_and_keeps_it():
    application = ApplicationFactory()
    first = services.document_upload(application=application, kind=DocumentKind.CV, upload=pdf_upload("a.pdf"),
                                     by=application.applicant)
    second = services.document_upload(application=application, kind=DocumentKind.CV,
                                      upload=jpeg_upload("C:\\Users\\ana\\cv.jpg"), by=application.applicant)
    first.refresh_from_db()
    assert first.replaced_at is not None and second.replaced_at is None
    assert second.content_type == "image/jpeg" and second.original_name == "cv.jpg"
    assert second.file.name.startswith(f"private/visitor-documents/{application.pk}/")
    assert second.file.name.endswith(".jpg") and "cv" not in second.file.name


def test_a_document_request_is_met_by_the_next_upload_of_its_kind(staff):
    application = application_in_state(State.SUBMITTED)
    request = services.document_request(application=application, kind=DocumentKind.INSURANCE,
                                        note="Tu seguro de viaje con las fechas.", by=staff)
    services.document_upload(application=application, kind=DocumentKind.CV, upload=pdf_upload(),
                             by=application.applicant)
    request.refresh_from_db()
    assert request.fulfilled_at is None
    insurance = services.document_upload(application=application, kind=DocumentKind.INSURANCE,
                                         upload=pdf_upload("seguro.pdf"), by=application.applicant)
    request.refresh_from_db()
    assert request.fulfilled_by == insurance and request.fulfilled_at is not None


def test_a_document_request_needs_a_note_and_one_open_per_kind(staff):
    application = application_in_state(State.SUBMITTED)
    with pytest.raises(ValidationError) as refused:
        services.document_request(application=application, kind=DocumentKind.CV, note=" ", by=staff)
    assert "note" in refused.value.message_dict
    services.document_request(application=application, kind=DocumentKind.CV, note="Actualizado.", by=staff)
    with pytest.raises(ValidationError, match="already been asked for"):
        services.document_request(application=application, kind=DocumentKind.CV, note="Otra vez.", by=staff)


def test_an_upload_whose_content_is_not_a_document_is_refused_and_nothing_stored(settings):
    application = ApplicationFactory()
    fake = pdf_upload("cv.pdf", content=b"MZ\x90\x00 not a pdf at all")
    before = _counts()
    with pytest.raises(ValidationError) as refused:
        services.document_upload(application=application, kind=DocumentKind.CV, upload=fake,
                                 by=application.applicant)
    assert "file" in refused.value.message_dict
    assert _counts() == before


def test_the_applicant_cannot_upload_after_arrival_but_the_program_can(staff):
    application = ApplicationFactory(state=State.ARRIVED)
    with pytest.raises(ValidationError) as refused:
        services.document_upload(application=application, kind=DocumentKind.OTHER, upload=pdf_upload(),
                                 by=application.applicant)
    assert refused.value.code == ILLEGAL_TRANSITION
    assert services.document_upload(application=application, kind=DocumentKind.OTHER, upload=pdf_upload(),
                                    by=staff).uploaded_by == staff


# --- The interview ----------------------------------------------------------------------------------------------

def test_slots_offered_then_one_chosen_schedules_the_interview(staff):
    application = application_in_state(State.SUBMITTED)
    later, sooner = _soon(3), _soon(2)
    slots = services.interview_slots_offer(application=application, starts=[later, sooner, sooner], by=staff)
    assert [s.starts_at for s in slots] == [sooner, later]
    interview = services.interview_slot_choose(application=application, slot=slots[0], by=application.applicant)
    application.refresh_from_db()
    assert application.state == State.INTERVIEW_SCHEDULED
    assert interview.scheduled_at == slots[0].starts_at
    row = application.changes.order_by("at", "pk").last()
    assert row.by == application.applicant and "Interview on" in row.note


def test_slots_in_the_past_are_refused(staff):
    application = application_in_state(State.SUBMITTED)
    with pytest.raises(ValidationError) as refused:
        services.interview_slots_offer(application=application, starts=[timezone.now() - timedelta(hours=1)],
                                       by=staff)
    assert "starts" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.interview_slots_offer(application=application, starts=[], by=staff)
    assert not application.slots.exists()


def test_another_applications_slot_cannot_be_chosen(staff):
    application = application_in_state(State.SUBMITTED)
    other = application_in_state(State.SUBMITTED)
    [slot] = services.interview_slots_offer(application=other, starts=[_soon()], by=staff)
    with pytest.raises(ValidationError) as refused:
        services.interview_slot_choose(application=application, slot=slot, by=application.applicant)
    assert "slot" in refused.value.message_dict


def test_rescheduling_cancels_the_pending_interview(staff):
    application = application_in_state(State.INTERVIEW_SCHEDULED)
    first = application.interviews.get()
    second = services.interview_schedule(application=application, scheduled_at=_soon(5), where="Zoom", by=staff)
    first.refresh_from_db()
    assert first.cancelled_at is not None and second.cancelled_at is None
    row = application.changes.order_by("at", "pk").last()
    assert (row.from_state, row.to_state) == (State.INTERVIEW_SCHEDULED, State.INTERVIEW_SCHEDULED)
    assert "moved" in row.note


def test_recording_the_interview_needs_each_choice(staff):
    application = application_in_state(State.INTERVIEW_SCHEDULED)
    with pytest.raises(ValidationError) as refused:
        services.interview_record(application=application, spanish_level="Z9", values_fit="", notes="",
                                  recommendation="maybe", by=staff)
    assert set(refused.value.message_dict) == {"spanish_level", "values_fit", "recommendation"}
    application.refresh_from_db()
    assert application.state == State.INTERVIEW_SCHEDULED


# --- The decision -------------------------------------------------------------------------------------------

def test_waitlisted_then_accepted_with_the_messages_in_the_timeline(staff):
    application = application_in_state(State.WAITLISTED)
    services.application_accept(application=application, message="Se abrió un lugar.", by=staff)
    application.refresh_from_db()
    assert application.state == State.ACCEPTED and application.decision_message == "Se abrió un lugar."
    rows = [(r.from_state, r.to_state, r.note) for r in application.changes.order_by("at", "pk")][-2:]
    assert rows == [(State.INTERVIEWED, State.WAITLISTED, "Te avisaremos."),
                    (State.WAITLISTED, State.ACCEPTED, "Se abrió un lugar.")]


def test_a_decline_needs_a_message(staff):
    application = application_in_state(State.SUBMITTED)
    before = _counts()
    with pytest.raises(ValidationError) as refused:
        services.application_decline(application=application, message="  ", by=staff)
    assert "message" in refused.value.message_dict
    assert _counts() == before


# --- The placement rules ----------------------------------------------------------------------------------------

@pytest.fixture
def accepted():
    world = placement_world()
    application = application_in_state(State.ACCEPTED, world=world)
    return application, world


def _problems(application, world, **changes):
    kwargs = {"application": application, "clinic": world.clinic, "pasante": world.pasante,
              "host_family": world.host_family, "start_date": application.wanted_start,
              "end_date": application.wanted_end, **changes}
    return services.placement_problems(**kwargs)


def test_a_placement_that_breaks_no_rule_has_no_problems(accepted):
    assert _problems(*accepted) == []


def test_a_community_that_does_not_accept_visitors(accepted):
    application, world = accepted
    community = world.clinic.community
    community.accepts_visitors = False
    community.save()
    assert f"{community.name} does not receive visitors: the community has not agreed to." in _problems(
        application, world)


def test_a_pasante_not_posted_every_day(accepted):
    application, world = accepted
    Assignment.objects.filter(staff=world.pasante).update(end_date=application.wanted_start + timedelta(days=5))
    start, end = application.wanted_start, application.wanted_end
    assert (f"{world.pasante.full_name} is not the pasante of {world.clinic.name} every day from "
            f"{services._day(start)} to {services._day(end)}.") in _problems(application, world)


def test_someone_who_is_not_a_pasante(accepted):
    application, world = accepted
    nurse = StaffFactory(cadre=Cadre.NURSE, full_name="Rosa Gómez")
    assert "Rosa Gómez is not a pasante." in _problems(application, world, pasante=nurse)


def test_the_clinic_and_the_pasante_at_capacity_name_the_visitor_and_the_dates(accepted, staff):
    application, world = accepted
    other = application_in_state(State.ACCEPTED, world=world, full_name="Emma Clark")
    first = other.wanted_start
    services.placement_propose(application=other, clinic=world.clinic, pasante=world.pasante,
                               host_family=HostFamilyFactory(community=world.clinic.community),
                               start_date=first, end_date=first + timedelta(days=27), by=staff)
    problems = _problems(application, world)
    span = f"from {services._day(first)} to {services._day(first + timedelta(days=27))}"
    assert (f"{world.clinic.name} receives 1 visitor at a time and already has one on those days: "
            f"Emma Clark {span}.") in problems
    assert f"{world.pasante.full_name} already has a visitor {span}." in problems


def test_the_pasante_rule_reads_in_spanish(accepted, staff):
    application, world = accepted
    world.pasante.full_name = "María López"
    world.pasante.save()
    other = application_in_state(State.ACCEPTED, world=world)
    start = date(timezone.localdate().year + 1, 3, 3)
    services.placement_propose(application=other, clinic=world.clinic, pasante=world.pasante,
                               host_family=HostFamilyFactory(community=world.clinic.community),
                               start_date=start, end_date=start + timedelta(days=27), by=staff)
    with translation.override("es"):
        problems = _problems(application, world, start_date=start + timedelta(days=10),
                             end_date=start + timedelta(days=40))
    assert f"María López ya tiene un visitante del 3 de marzo de {start.year} al 30 de marzo de {start.year}." \
        in problems, problems


def test_a_clinic_for_two_gives_the_second_visitor_the_second_place(staff):
    world = placement_world(capacity=2, rooms=3)
    one = application_in_state(State.PLACEMENT_PROPOSED, world=world)
    two = application_in_state(State.ACCEPTED, world=world)
    placement = services.placement_propose(application=two, clinic=world.clinic, pasante=world.pasante,
                                           host_family=world.host_family, start_date=two.wanted_start,
                                           end_date=two.wanted_end, by=staff)
    assert (one.placements.get().slot, placement.slot) == (1, 2)
    three = application_in_state(State.ACCEPTED, world=world)
    before = _counts()
    with pytest.raises(ValidationError) as refused:
        services.placement_propose(application=three, clinic=world.clinic, pasante=world.pasante,
                                   host_family=world.host_family, start_date=three.wanted_start,
                                   end_date=three.wanted_end, by=staff)
    assert any("receives 2 visitors at a time" in m for m in refused.value.messages)
    assert _counts() == before


@pytest.mark.parametrize(("level", "refused"), [("A1", True), ("A2", True), ("B1", False), ("C2", False)])
def test_the_interview_must_find_functional_spanish(level, refused):
    world = placement_world()
    application = application_in_state(State.ACCEPTED, world=world, spanish_level=level)
    message = (f"The interview found Spanish at {level}: a visitor needs functional Spanish (B1 or more).")
    assert (message in _problems(application, world)) is refused


def test_no_interview_recorded():
    world = placement_world()
    application = ApplicationFactory(state=State.ACCEPTED)
    assert "No interview has been recorded: a visitor needs functional Spanish (B1 or more)." in _problems(
        application, world, start_date=application.wanted_start, end_date=application.wanted_end)


def test_a_placement_shorter_than_the_minimum_unless_allowed(accepted, staff):
    application, world = accepted
    start = application.wanted_start
    problems = _problems(application, world, end_date=start + timedelta(days=13))
    assert [p for p in problems if "stay at least 28 days" in p] == [
        f"Resident physician stay at least 28 days: starting on {services._day(start)}, the last day is "
        f"{services._day(start + timedelta(days=27))} at the earliest (or record the reason for a shorter stay)."]
    services.short_stay_allow(application=application, reason="Rotación de dos semanas.", by=staff)
    application.refresh_from_db()
    assert _problems(application, world, end_date=start + timedelta(days=13)) == []


def test_a_host_family_inactive_or_elsewhere(accepted):
    application, world = accepted
    elsewhere = HostFamilyFactory(head_of_household="Juana Pérez", active=False)
    problems = _problems(application, world, host_family=elsewhere)
    assert "The Juana Pérez family no longer hosts guests." in problems
    assert (f"The Juana Pérez family lives in {elsewhere.community.name}, not in "
            f"{world.clinic.community.name}.") in problems


def test_a_host_family_without_a_free_room_names_the_night(accepted):
    application, world = accepted
    night = application.wanted_start + timedelta(days=4)
    clinic_services.host_family_stay_create(family=world.host_family, guest_kind="visitor", guest_name="Otra",
                                            first_night=night, last_night=night)
    family = world.host_family.head_of_household
    assert f"The {family} family has no free room on the night of {services._day(night)}." in _problems(
        application, world)
    clinic_services.host_family_stay_create(family=world.host_family, guest_kind="visitor", guest_name="Otra más",
                                            first_night=night + timedelta(days=1),
                                            last_night=night + timedelta(days=2))
    assert (f"The {family} family has no free room on the night of {services._day(night)} and 2 more nights "
            f"(the last on {services._day(night + timedelta(days=2))}).") in _problems(application, world)


def test_a_first_day_in_the_past(accepted):
    application, world = accepted
    yesterday = timezone.localdate() - timedelta(days=1)
    assert f"The first day ({services._day(yesterday)}) has passed." in _problems(
        application, world, start_date=yesterday)


def test_a_refused_proposal_shows_every_problem_and_writes_nothing(accepted, staff):
    application, world = accepted
    other_clinic = ClinicFactory()
    before = _counts()
    with pytest.raises(ValidationError) as refused:
        services.placement_propose(application=application, clinic=other_clinic, pasante=world.pasante,
                                   host_family=world.host_family, start_date=application.wanted_start,
                                   end_date=application.wanted_start + timedelta(days=3), by=staff)
    assert len(refused.value.messages) >= 4
    assert _counts() == before


def test_a_new_proposal_cancels_the_previous_one(staff):
    world = placement_world()
    application = application_in_state(State.PLACEMENT_PROPOSED, world=world)
    first = application.placements.get()
    second = services.placement_propose(application=application, clinic=world.clinic, pasante=world.pasante,
                                        host_family=world.host_family,
                                        start_date=first.start_date + timedelta(days=1),
                                        end_date=first.end_date + timedelta(days=1), by=staff)
    first.refresh_from_db()
    assert first.state == Placement.State.CANCELLED and second.slot == 1


def test_confirming_records_the_host_familys_stay():
    application = application_in_state(State.PLACEMENT_CONFIRMED)
    placement = application.placements.get()
    stay = placement.host_stay
    assert placement.state == Placement.State.CONFIRMED and placement.confirmed_at is not None
    assert (stay.family, stay.guest_kind, stay.guest_name) == (placement.host_family, "visitor",
                                                               application.full_name)
    assert (stay.first_night, stay.last_night, stay.meals_per_day) == (placement.start_date, placement.end_date, 3)


def test_confirming_rechecks_the_rules_and_writes_nothing_when_one_broke(staff):
    world = placement_world()
    application = application_in_state(State.PLACEMENT_PROPOSED, world=world)
    world.host_family.active = False
    world.host_family.save()
    before = _counts()
    with pytest.raises(ValidationError, match="no longer hosts guests"):
        services.placement_confirm(application=application, by=application.applicant)
    assert _counts() == before


# --- Arrival and the end ----------------------------------------------------------------------------------

def test_the_pickup_needs_a_driver(staff):
    application = application_in_state(State.PLACEMENT_CONFIRMED)
    with pytest.raises(ValidationError) as refused:
        services.arrival_arrange(application=application, pickup_at=_soon(), meeting_point="Terminal",
                                 driver=StaffFactory(cadre=Cadre.COOK), by=staff)
    assert "driver" in refused.value.message_dict


def test_arrival_and_community_are_dated(staff):
    application = application_in_state(State.IN_COMMUNITY)
    arrival = application.arrival
    assert arrival.arrived_at and arrival.in_community_at and arrival.orientation_done_at
    assert arrival.pickup_organised and arrival.flight_number == "AM 123"


def test_withdrawing_after_confirmation_cancels_the_placement():
    application = application_in_state(State.WITHDRAWN)
    placement = application.placements.get()
    assert placement.state == Placement.State.CANCELLED and placement.cancelled_at is not None
    stay = placement.host_stay
    assert stay.cancelled_at is not None and stay.cancel_reason == "Cambié de planes."
    owed, _paid = clinic_services.host_family_owed_and_paid(placement.host_family)
    assert owed == 0
    assert application.end_reason == "Cambié de planes." and application.ended_on == timezone.localdate()
    row = application.changes.order_by("at", "pk").last()
    assert (row.from_state, row.to_state, row.note) == (State.PLACEMENT_CONFIRMED, State.WITHDRAWN,
                                                         "Cambié de planes.")


def test_withdrawing_frees_the_clinic_the_pasante_and_the_room_for_another_visitor(staff):
    world = placement_world()
    gone = application_in_state(State.WITHDRAWN, world=world)
    application = application_in_state(State.ACCEPTED, world=world)
    assert _problems(application, world, start_date=gone.wanted_start, end_date=gone.wanted_end) == []


def test_withdrawing_needs_a_reason():
    application = application_in_state(State.SUBMITTED)
    with pytest.raises(ValidationError) as refused:
        services.application_withdraw(application=application, reason="", by=application.applicant)
    assert "reason" in refused.value.message_dict


def test_disengaging_ends_the_placement_on_the_day(staff):
    application = application_in_state(State.IN_COMMUNITY)
    placement = application.placements.get()
    ended = placement.start_date + timedelta(days=6)
    services.application_disengage(application=application, reason="Asunto familiar.", ended_on=ended,
                                   return_arranged=True, by=staff)
    application.refresh_from_db()
    placement.refresh_from_db()
    assert application.state == State.DISENGAGED and application.return_arranged
    assert application.ended_on == ended and placement.end_date == ended
    placement.host_stay.refresh_from_db()
    assert placement.host_stay.last_night == ended and placement.host_stay.cancelled_at is None


def test_disengaging_on_a_day_outside_the_stay_is_refused(staff):
    application = application_in_state(State.IN_COMMUNITY)
    placement = application.placements.get()
    before = _counts()
    with pytest.raises(ValidationError) as refused:
        services.application_disengage(application=application, reason="x",
                                       ended_on=placement.start_date - timedelta(days=1),
                                       return_arranged=False, by=staff)
    assert "ended_on" in refused.value.message_dict
    assert _counts() == before


def test_the_exit_survey_once_with_ratings_from_one_to_five():
    application = application_in_state(State.COMPLETED)
    with pytest.raises(ValidationError) as refused:
        services.exit_survey_submit(application=application, mentorship=6, clinical=0, community=3,
                                    host_family=3, logistics=3, by=application.applicant)
    assert {"mentorship", "clinical"} <= set(refused.value.message_dict)
    survey = services.exit_survey_submit(application=application, mentorship=5, clinical=4, community=5,
                                         host_family=5, logistics=3, best="  La comunidad ", by=application.applicant)
    assert survey.placement == application.placements.get() and survey.best == "La comunidad"
    with pytest.raises(ValidationError) as again:
        services.exit_survey_submit(application=application, mentorship=5, clinical=4, community=5,
                                    host_family=5, logistics=3, by=application.applicant)
    assert again.value.code == ILLEGAL_TRANSITION


def test_the_pasante_confirms_the_family_and_gives_feedback_after_the_stay():
    application = application_in_state(State.PLACEMENT_CONFIRMED)
    placement = application.placements.get()
    pasante_user = placement.pasante.user
    services.host_family_confirm(placement=placement, by=pasante_user)
    placement.refresh_from_db()
    assert placement.host_family_confirmed_at is not None
    with pytest.raises(ValidationError) as early:
        services.pasante_feedback_submit(placement=placement, rating=5, would_host_again=True, by=pasante_user)
    assert early.value.code == ILLEGAL_TRANSITION
    done = application_in_state(State.COMPLETED).placements.get()
    feedback = services.pasante_feedback_submit(placement=done, rating=4, would_host_again=True,
                                                comments="Muy útil.", by=done.pasante.user)
    assert feedback.rating == 4 and feedback.by == done.pasante.user
    with pytest.raises(ValidationError):
        services.pasante_feedback_submit(placement=done, rating=4, would_host_again=True, by=done.pasante.user)


def test_only_the_paired_pasante_confirms_the_family_or_gives_feedback(coordinator):
    waiting = application_in_state(State.PLACEMENT_CONFIRMED).placements.get()
    done = application_in_state(State.COMPLETED).placements.get()
    other_pasante = done.pasante.user if done.pasante_id != waiting.pasante_id else None
    for by in filter(None, (coordinator, other_pasante)):
        with pytest.raises(ValidationError) as refused:
            services.host_family_confirm(placement=waiting, by=by)
        assert refused.value.code == "not_the_pasante"
    with pytest.raises(ValidationError) as refused:
        services.pasante_feedback_submit(placement=done, rating=4, would_host_again=True, by=coordinator)
    assert refused.value.code == "not_the_pasante"
    waiting.refresh_from_db()
    assert waiting.host_family_confirmed_at is None and not PasanteFeedback.objects.exists()


def test_the_orientation_pack_is_checked_like_a_document(staff):
    pack = services.orientation_pack_upload(title="Guía 2027", upload=pdf_upload("guia.pdf"), by=staff)
    assert pack.content_type == "application/pdf" and pack.file.name.endswith(".pdf")
    with pytest.raises(ValidationError) as refused:
        services.orientation_pack_upload(title="", upload=pdf_upload(), by=staff)
    assert "title" in refused.value.message_dict
