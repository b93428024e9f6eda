"""The visitor program's reminders (visitors/reminders.py) through the real engine: due, not yet due, never
twice, cancelled when the reason has gone before it was sent, and written in the recipient's language (an
applicant reads English or Spanish). The applications come from the services (``application_in_state``)."""

from datetime import datetime, time, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from ces.accounts.roles import Role
from ces.accounts.tests.factories import UserFactory
from ces.notifications import registry
from ces.notifications.models import Notification
from ces.notifications.services import notifications_dispatch, notifications_materialise
from clinics.models import Cadre
from clinics.tests.factories import StaffFactory
from visitors import services
from visitors.models import Application, DocumentKind, StatusChange

from .factories import application_in_state, pdf_upload, placement_world

pytestmark = pytest.mark.django_db

State = Notification.State
AState = Application.State
STATUS = "visitors.status_change"
DOCUMENT = "visitors.document_missing"
INTERVIEW = "visitors.interview_tomorrow"
ARRIVAL = "visitors.arrival_soon"
SURVEY = "visitors.exit_survey"
REVIEW = "visitors.review_waiting"


@pytest.fixture(autouse=True)
def _english_by_default():
    with translation.override("en"):
        yield


def at(day, hour=9):
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def rows(kind, **filters):
    return Notification.objects.filter(kind=kind, **filters)


def recipients(kind):
    return set(rows(kind).values_list("recipient_id", flat=True))


def states(kind):
    return dict(rows(kind).values_list("recipient_id", "state"))


def tick(kind, now):
    """What the beat does: materialise the rule's reminders, then send what is due."""
    created = notifications_materialise(now=now, kinds={kind})
    notifications_dispatch(now=now)
    return created


def applicant_speaking(language):
    return UserFactory(roles=[Role.APPLICANT], preferred_language=language)


def in_state(state, *, applicant=None, **kwargs):
    """``application_in_state`` for an applicant who reads English (accounts default to Spanish)."""
    return application_in_state(state, applicant=applicant or applicant_speaking("en"), **kwargs)


def page(name, *args):
    """The page a reminder links to."""
    return reverse(name, args=args)


# --- 1. Every change of state, to the applicant, in their language ------------------------------------------


def test_submitting_sends_the_applicant_what_changed_and_what_comes_next():
    application = in_state(AState.SUBMITTED)

    tick(STATUS, timezone.now())

    assert recipients(STATUS) == {application.applicant_id}
    assert [m.to for m in mail.outbox] == [[application.applicant.email]]
    assert mail.outbox[0].subject == "Your CES visitor application: Submitted"
    assert "is now: Submitted (it was: Draft)" in mail.outbox[0].body
    assert "offer you times for an interview in Spanish" in mail.outbox[0].body
    notice = rows(STATUS).get()
    assert notice.state == State.SENT and notice.link == page("visitors:status")


def test_starting_a_draft_is_no_news():
    services.application_start(applicant=UserFactory(roles=[Role.APPLICANT]))

    assert tick(STATUS, timezone.now()) == 0


def test_each_change_is_told_once_however_often_the_beat_runs():
    application = in_state(AState.SUBMITTED)
    now = timezone.now()
    assert tick(STATUS, now) == 1
    assert tick(STATUS, now + timedelta(minutes=1)) == 0
    assert len(mail.outbox) == 1

    staff = UserFactory(roles=[Role.VISITOR_PROGRAM])
    services.interview_schedule(application=application, scheduled_at=now + timedelta(days=3), where="Zoom",
                                interviewer=staff, by=staff)
    assert tick(STATUS, timezone.now()) == 1

    assert rows(STATUS).count() == 2 and len(mail.outbox) == 2
    assert "Your interview in Spanish is on" in mail.outbox[1].body and "Where: Zoom" in mail.outbox[1].body


def test_a_change_overtaken_before_it_was_sent_is_cancelled_for_the_newer_one():
    application = in_state(AState.SUBMITTED)
    notifications_materialise(now=timezone.now(), kinds={STATUS})
    staff = UserFactory(roles=[Role.VISITOR_PROGRAM])
    services.interview_schedule(application=application, scheduled_at=timezone.now() + timedelta(days=3),
                                by=staff)

    tick(STATUS, timezone.now())

    by_state = dict(rows(STATUS).values_list("subject_id", "state"))
    submitted, scheduled = StatusChange.objects.filter(application=application).order_by("at", "pk")[1:]
    assert by_state == {submitted.pk: State.CANCELLED, scheduled.pk: State.SENT}
    assert len(mail.outbox) == 1


def test_a_change_of_long_ago_is_never_sent():
    in_state(AState.SUBMITTED)
    StatusChange.objects.update(at=timezone.now() - timedelta(days=30))

    assert tick(STATUS, timezone.now()) == 0


def test_a_decision_carries_the_programs_message():
    application = in_state(AState.DECLINED)

    tick(STATUS, timezone.now())

    declined = rows(STATUS).get(state=State.SENT)
    assert declined.title == "Your CES visitor application: Declined"
    assert "Message from the visitor program: Este año no hay lugar." in declined.body
    assert application.state == AState.DECLINED


def test_a_placement_proposed_names_the_clinic_the_pasante_and_the_family_and_asks_to_confirm():
    application = in_state(AState.PLACEMENT_PROPOSED)
    placement = application.placements.get()

    tick(STATUS, timezone.now())

    body = rows(STATUS).get(state=State.SENT).body
    assert placement.clinic.name in body and placement.pasante.full_name in body
    assert placement.host_family.head_of_household in body and "Confirm it on your status page" in body


def test_a_spanish_speaking_applicant_reads_it_in_spanish_and_an_english_one_in_english():
    spanish = in_state(AState.SUBMITTED, applicant=applicant_speaking("es"))
    english = in_state(AState.SUBMITTED, applicant=applicant_speaking("en"))

    tick(STATUS, timezone.now())

    by_person = {m.to[0]: m for m in mail.outbox}
    assert by_person[spanish.applicant.email].subject == "Tu solicitud de visitante a CES: Enviada"
    assert "Recibimos tu solicitud" in by_person[spanish.applicant.email].body
    assert by_person[english.applicant.email].subject == "Your CES visitor application: Submitted"


# --- 2. A requested document still missing after 7 days -------------------------------------------------------


@pytest.fixture
def asked_licence():
    application = in_state(AState.SUBMITTED)
    staff = UserFactory(roles=[Role.VISITOR_PROGRAM])
    request = services.document_request(application=application, kind=DocumentKind.INSURANCE,
                                        note="Tu seguro de viaje con las fechas de tu estancia.", by=staff)
    return application, request


def test_a_document_still_missing_after_7_days_is_asked_again(asked_licence):
    application, request = asked_licence

    assert notifications_materialise(now=request.requested_at + timedelta(days=6, hours=23), kinds={DOCUMENT}) == 0
    tick(DOCUMENT, request.requested_at + timedelta(days=7, hours=1))

    notice = rows(DOCUMENT).get()
    assert (notice.recipient_id, notice.state) == (application.applicant_id, State.SENT)
    assert notice.title == "Still missing: Travel insurance"
    assert "Tu seguro de viaje con las fechas" in notice.body
    assert notice.link == page("visitors:documents", application.pk)


def test_the_missing_document_is_asked_once(asked_licence):
    _application, request = asked_licence
    later = request.requested_at + timedelta(days=7, hours=1)

    tick(DOCUMENT, later)
    assert tick(DOCUMENT, later + timedelta(days=1)) == 0
    assert rows(DOCUMENT).count() == 1 and len(mail.outbox) == 1


def test_uploading_the_document_before_the_reminder_goes_out_cancels_it(asked_licence):
    application, request = asked_licence
    later = request.requested_at + timedelta(days=7, hours=1)
    notifications_materialise(now=later, kinds={DOCUMENT})
    services.document_upload(application=application, kind=DocumentKind.INSURANCE, upload=pdf_upload("seguro.pdf"),
                             by=application.applicant)

    notifications_dispatch(now=later)

    assert states(DOCUMENT) == {application.applicant_id: State.CANCELLED}
    assert notifications_materialise(now=later + timedelta(days=1), kinds={DOCUMENT}) == 0


def test_the_missing_document_is_asked_in_the_applicants_language():
    application = in_state(AState.SUBMITTED, applicant=applicant_speaking("es"))
    request = services.document_request(application=application, kind=DocumentKind.INSURANCE, note="Falta.",
                                        by=UserFactory(roles=[Role.VISITOR_PROGRAM]))

    tick(DOCUMENT, request.requested_at + timedelta(days=7, hours=1))

    assert mail.outbox[0].subject.startswith("Todavía falta: ")


# --- 3. The interview tomorrow, to both sides -------------------------------------------------------------------


def _interview_tomorrow(*, interviewer=True, applicant=None):
    application = in_state(AState.SUBMITTED, applicant=applicant)
    staff = UserFactory(roles=[Role.VISITOR_PROGRAM], preferred_language="es")
    tomorrow = timezone.localdate() + timedelta(days=1)
    interview = services.interview_schedule(application=application, scheduled_at=at(tomorrow, 11),
                                            where="https://meet.example.org/ces",
                                            interviewer=staff if interviewer else None, by=staff)
    return application, interview, staff


def test_the_interview_is_reminded_to_the_applicant_and_the_interviewer_the_morning_before():
    application, interview, staff = _interview_tomorrow()
    this_morning = at(timezone.localdate(), 6)

    tick(INTERVIEW, this_morning)
    assert set(states(INTERVIEW).values()) == {State.PENDING}  # due at 8:00, not before
    tick(INTERVIEW, at(timezone.localdate(), 8))

    assert states(INTERVIEW) == {application.applicant_id: State.SENT, staff.pk: State.SENT}
    to_applicant = rows(INTERVIEW, recipient=application.applicant).get()
    assert to_applicant.title == "Your interview with CES is tomorrow"
    assert "https://meet.example.org/ces" in to_applicant.body and "(Chiapas time)" in to_applicant.body
    to_staff = rows(INTERVIEW, recipient=staff).get()
    assert to_staff.title.startswith("Entrevista mañana: ")  # the interviewer reads Spanish
    assert to_staff.link == page("visitors:review", application.pk)
    assert interview.interviewer_id == staff.pk


def test_without_an_interviewer_the_visitor_program_is_reminded(visitor_program):
    application, _interview, _staff = _interview_tomorrow(interviewer=False)

    notifications_materialise(now=at(timezone.localdate(), 6), kinds={INTERVIEW})

    assert {application.applicant_id, visitor_program.pk} <= recipients(INTERVIEW)


def test_an_interview_in_two_days_is_not_reminded_yet_and_tomorrows_once():
    _interview_tomorrow()
    yesterday = at(timezone.localdate() - timedelta(days=1), 9)

    assert notifications_materialise(now=yesterday, kinds={INTERVIEW}) == 0
    assert notifications_materialise(now=at(timezone.localdate(), 6), kinds={INTERVIEW}) == 2
    assert notifications_materialise(now=at(timezone.localdate(), 7), kinds={INTERVIEW}) == 0


def test_an_interview_moved_before_the_reminder_goes_out_cancels_it():
    application, _interview, staff = _interview_tomorrow()
    notifications_materialise(now=at(timezone.localdate(), 6), kinds={INTERVIEW})
    services.interview_schedule(application=application, scheduled_at=timezone.now() + timedelta(days=5),
                                interviewer=staff, by=staff)

    notifications_dispatch(now=at(timezone.localdate(), 8))

    assert set(states(INTERVIEW).values()) == {State.CANCELLED}


def test_the_applicant_reads_the_interview_reminder_in_spanish():
    _interview_tomorrow(applicant=applicant_speaking("es"))

    tick(INTERVIEW, at(timezone.localdate(), 8))

    assert "Tu entrevista con CES es mañana" in {m.subject for m in mail.outbox}


# --- 4. Arrival in 7 days ----------------------------------------------------------------------------------------


def _arriving(days, *, applicant=None):
    """A confirmed placement starting in ``days`` days, its pickup with a driver who has an account."""
    start = timezone.localdate() + timedelta(days=days)
    world = placement_world()
    application = in_state(AState.PLACEMENT_CONFIRMED, world=world, start_date=start,
                                       applicant=applicant)
    driver = StaffFactory(cadre=Cadre.DRIVER, user=UserFactory(roles=[]))
    services.arrival_arrange(application=application, pickup_at=at(start - timedelta(days=1), 15),
                             meeting_point="Aeropuerto de Tuxtla", driver=driver, vehicle="Hilux blanca",
                             by=world.staff_user)
    services.orientation_pack_upload(title="Guía del visitante 2026", upload=pdf_upload("guia.pdf"),
                                     by=world.staff_user)
    return application, world, driver


def test_seven_days_before_arrival_the_visitor_the_pasante_and_the_driver_are_told():
    application, world, driver = _arriving(7)

    tick(ARRIVAL, at(timezone.localdate(), 9))

    assert states(ARRIVAL) == {application.applicant_id: State.SENT, world.pasante.user_id: State.SENT,
                               driver.user_id: State.SENT}
    visitor = rows(ARRIVAL, recipient=application.applicant).get()
    assert "orientation pack" in visitor.title and "Guía del visitante 2026" in visitor.body
    assert visitor.link == page("visitors:orientation-pack")
    assert "Aeropuerto de Tuxtla" in visitor.body
    pasante = rows(ARRIVAL, recipient_id=world.pasante.user_id).get()
    assert application.full_name in pasante.title and world.host_family.head_of_household in pasante.body
    to_driver = rows(ARRIVAL, recipient_id=driver.user_id).get()
    assert "Hilux blanca" in to_driver.body and "AM 123" in to_driver.body


def test_an_arrival_in_ten_days_is_not_told_yet_and_then_once():
    application, _world, _driver = _arriving(10)

    assert notifications_materialise(now=timezone.now(), kinds={ARRIVAL}) == 0
    three_days_later = timezone.now() + timedelta(days=3)
    assert notifications_materialise(now=three_days_later, kinds={ARRIVAL}) == 3
    assert notifications_materialise(now=three_days_later + timedelta(days=1), kinds={ARRIVAL}) == 0
    assert application.state == AState.PLACEMENT_CONFIRMED


def test_a_withdrawal_before_it_goes_out_cancels_the_arrival_notices():
    application, _world, _driver = _arriving(7)
    notifications_materialise(now=at(timezone.localdate(), 6), kinds={ARRIVAL})
    services.application_withdraw(application=application, reason="Me enfermé.", by=application.applicant)

    notifications_dispatch(now=at(timezone.localdate(), 9))

    assert set(states(ARRIVAL).values()) == {State.CANCELLED}


def test_a_driver_replaced_before_it_goes_out_is_not_told():
    application, world, driver = _arriving(7)
    notifications_materialise(now=at(timezone.localdate(), 6), kinds={ARRIVAL})
    other = StaffFactory(cadre=Cadre.DRIVER)
    services.arrival_arrange(application=application, pickup_at=timezone.now() + timedelta(days=6),
                             meeting_point="Terminal OCC", driver=other, by=world.staff_user)

    notifications_dispatch(now=at(timezone.localdate(), 9))

    assert states(ARRIVAL)[driver.user_id] == State.CANCELLED
    assert states(ARRIVAL)[application.applicant_id] == State.SENT


def test_the_visitor_reads_the_arrival_notice_in_spanish():
    _arriving(7, applicant=applicant_speaking("es"))

    tick(ARRIVAL, at(timezone.localdate(), 9))

    assert any(m.subject.startswith("Tu estancia empieza en 7 días") for m in mail.outbox)


# --- 5. The exit survey -------------------------------------------------------------------------------------------


@pytest.fixture
def in_community():
    application = in_state(AState.IN_COMMUNITY)
    return application, application.placements.get()


def test_the_exit_survey_is_asked_on_the_last_day_and_again_three_days_later(in_community):
    application, placement = in_community

    assert notifications_materialise(now=at(placement.end_date - timedelta(days=1)), kinds={SURVEY}) == 0
    tick(SURVEY, at(placement.end_date))
    tick(SURVEY, at(placement.end_date + timedelta(days=3)))

    notices = list(rows(SURVEY).order_by("occurrence"))
    assert [(n.occurrence, n.state) for n in notices] == [(f"{placement.end_date}/0d", State.SENT),
                                                         (f"{placement.end_date}/3d", State.SENT)]
    assert notices[0].title.startswith("Your last day at ")
    assert notices[1].title == "Your exit survey is still waiting"
    assert notices[0].link == page("visitors:exit-survey", application.pk)


def test_a_filled_survey_cancels_the_second_reminder_and_is_never_asked_again(in_community):
    application, placement = in_community
    tick(SURVEY, at(placement.end_date))
    notifications_materialise(now=at(placement.end_date + timedelta(days=3), 6), kinds={SURVEY})
    services.exit_survey_submit(application=application, mentorship=5, clinical=5, community=4, host_family=5,
                                logistics=4, by=application.applicant)

    notifications_dispatch(now=at(placement.end_date + timedelta(days=3)))

    assert dict(rows(SURVEY).values_list("occurrence", "state")) == {
        f"{placement.end_date}/0d": State.SENT, f"{placement.end_date}/3d": State.CANCELLED}
    assert notifications_materialise(now=at(placement.end_date + timedelta(days=4)), kinds={SURVEY}) == 0


def test_a_visitor_sent_back_early_is_not_asked_for_the_survey():
    application = in_state(AState.DISENGAGED)
    placement = application.placements.get()

    assert notifications_materialise(now=at(placement.end_date), kinds={SURVEY}) == 0


def test_the_survey_is_asked_in_the_visitors_language():
    application = in_state(AState.IN_COMMUNITY, applicant=applicant_speaking("es"))

    tick(SURVEY, at(application.placements.get().end_date))

    assert mail.outbox[0].subject.startswith("Tu último día en ")


# --- 6. Applications waiting for the program -------------------------------------------------------------------


def test_an_application_waiting_more_than_five_days_is_reminded_to_the_visitor_program(visitor_program):
    visitor_program.preferred_language = "en"
    visitor_program.save()
    application = in_state(AState.SUBMITTED)
    others = set(UserFactory._meta.model.objects.filter(groups__name=Role.VISITOR_PROGRAM)
                 .values_list("pk", flat=True))

    assert notifications_materialise(now=timezone.now() + timedelta(days=4, hours=23), kinds={REVIEW}) == 0
    tick(REVIEW, timezone.now() + timedelta(days=5, hours=1))

    assert recipients(REVIEW) == others and visitor_program.pk in others
    notice = rows(REVIEW, recipient=visitor_program).get()
    assert notice.title == f"Application waiting for an interview: {application.full_name}"
    assert notice.link == page("visitors:review", application.pk)
    assert tick(REVIEW, timezone.now() + timedelta(days=6)) == 0


def test_scheduling_the_interview_cancels_the_waiting_reminder(visitor_program):
    application = in_state(AState.SUBMITTED)
    later = timezone.now() + timedelta(days=5, hours=1)
    notifications_materialise(now=later, kinds={REVIEW})
    services.interview_schedule(application=application, scheduled_at=later + timedelta(days=1),
                                by=visitor_program)

    notifications_dispatch(now=later)

    assert set(states(REVIEW).values()) == {State.CANCELLED}


def test_an_interviewed_application_waiting_for_the_decision_is_reminded_in_spanish(visitor_program):
    visitor_program.preferred_language = "es"
    visitor_program.save()
    in_state(AState.INTERVIEWED)

    tick(REVIEW, timezone.now() + timedelta(days=5, hours=1))

    assert rows(REVIEW, recipient=visitor_program).get().title.startswith("Solicitud esperando una decisión: ")


# --- Every rule: registered, and a fixed number of queries --------------------------------------------------------


def test_the_six_rules_are_registered_with_a_label():
    kinds = {STATUS, DOCUMENT, INTERVIEW, ARRIVAL, SURVEY, REVIEW}
    assert {rule.kind for rule in registry.rules()} >= kinds
    assert all(registry.rule_for(kind).label for kind in kinds)


@pytest.mark.parametrize("size", [1, 3])
def test_the_rules_run_the_same_queries_whatever_the_number_of_applications(django_assert_num_queries, size):
    start = timezone.localdate() + timedelta(days=7)
    for _i in range(size):
        in_state(AState.SUBMITTED)
        in_state(AState.PLACEMENT_CONFIRMED, start_date=start)
        in_state(AState.IN_COMMUNITY)
    now = timezone.now()
    later = now + timedelta(days=5, hours=1)

    for kind, when, queries in [(STATUS, now, 1), (ARRIVAL, now, 1), (REVIEW, later, 2), (DOCUMENT, now, 1),
                                (INTERVIEW, now, 1)]:
        with django_assert_num_queries(queries):
            found = list(registry.rule_for(kind).due(when))
        if kind in (STATUS, ARRIVAL, REVIEW):
            assert found, kind
    assert len(list(registry.rule_for(ARRIVAL).due(now))) == size
