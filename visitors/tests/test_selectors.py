"""Who reaches which application and document; what the applicant is asked to do in every state."""

from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone, translation

from ces.accounts.roles import Role
from ces.accounts.tests.factories import UserFactory
from visitors import services
from visitors.models import Application, DocumentKind
from visitors.selectors import (
    application_actions,
    application_for,
    applications_filtered,
    applications_visible_to,
    can_manage_applications,
    current_application,
    document_for,
    is_applicant,
    is_pasante,
    next_step,
    orientation_packs_visible_to,
    placement_of,
    placements_for_pasante,
    timeline,
)
from visitors.tests.factories import ApplicationFactory, application_in_state, pdf_upload

pytestmark = pytest.mark.django_db
State = Application.State


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def two_applicants():
    a = ApplicationFactory()
    b = ApplicationFactory()
    doc_a = services.document_upload(application=a, kind=DocumentKind.CV, upload=pdf_upload(), by=a.applicant)
    doc_b = services.document_upload(application=b, kind=DocumentKind.CV, upload=pdf_upload(), by=b.applicant)
    return a, b, doc_a, doc_b


def test_an_applicant_reaches_only_their_own_application_and_documents(two_applicants):
    a, b, doc_a, doc_b = two_applicants
    assert list(applications_visible_to(a.applicant)) == [a]
    assert application_for(a.applicant, a.pk) == a
    assert document_for(a.applicant, doc_a.pk) == doc_a
    with pytest.raises(Http404):
        application_for(a.applicant, b.pk)
    with pytest.raises(Http404):
        document_for(a.applicant, doc_b.pk)


@pytest.mark.parametrize("pk", ["abc", None, "999999", -1])
def test_a_pk_that_is_not_one_is_a_404(two_applicants, pk):
    a = two_applicants[0]
    with pytest.raises(Http404):
        application_for(a.applicant, pk)
    with pytest.raises(Http404):
        document_for(a.applicant, pk)


@pytest.mark.parametrize("role", [Role.VISITOR_PROGRAM, Role.COORDINATOR, Role.ADMIN])
def test_the_program_reaches_every_application(two_applicants, role):
    a, b, doc_a, doc_b = two_applicants
    manager = UserFactory(roles=[role])
    assert can_manage_applications(manager) and not is_applicant(manager)
    assert set(applications_visible_to(manager)) == {a, b}
    assert document_for(manager, doc_b.pk) == doc_b


@pytest.mark.parametrize("role", [Role.PASANTE, Role.PHARMACY, Role.SUPERVISOR, None])
def test_anyone_else_reaches_none(two_applicants, role):
    a, b, doc_a, _doc_b = two_applicants
    user = UserFactory(roles=[role] if role else [])
    assert not applications_visible_to(user).exists()
    with pytest.raises(Http404):
        document_for(user, doc_a.pk)


def test_anonymous_reaches_none(two_applicants):
    from django.contrib.auth.models import AnonymousUser

    assert not applications_visible_to(AnonymousUser()).exists()
    assert current_application(AnonymousUser()) is None


def test_current_application_is_the_latest():
    old = application_in_state(State.DECLINED)
    new = services.application_start(applicant=old.applicant, previous=old)
    assert current_application(old.applicant) == new


def test_the_timeline_is_every_change_oldest_first_with_who():
    application = application_in_state(State.ACCEPTED)
    rows = timeline(application)
    assert [r.to_state for r in rows] == [State.DRAFT, State.SUBMITTED, State.INTERVIEW_SCHEDULED,
                                          State.INTERVIEWED, State.ACCEPTED]
    assert rows[1].by == application.applicant and all(r.at for r in rows)


EXPECTED_ACTION = {
    State.DRAFT: "upload_document",  # every step filled, no document yet
    State.SUBMITTED: None,
    State.INTERVIEW_SCHEDULED: None,
    State.INTERVIEWED: None,
    State.ACCEPTED: None,
    State.WAITLISTED: None,
    State.DECLINED: None,
    State.PLACEMENT_PROPOSED: "confirm_placement",
    State.PLACEMENT_CONFIRMED: None,  # the flight is given on the way there; the pickup follows
    State.ARRIVED: None,
    State.IN_COMMUNITY: None,
    State.COMPLETED: "exit_survey",
    State.WITHDRAWN: None,
    State.DISENGAGED: None,
}


@pytest.mark.parametrize("state", State.values)
def test_next_step_in_every_state(state):
    application = application_in_state(state)
    step = next_step(application)
    assert step.sentence and step.action == EXPECTED_ACTION[state]
    assert (step.label is None) == (step.action is None)


def test_next_step_of_a_draft_asks_for_what_is_missing_then_the_documents_then_submit():
    application = ApplicationFactory(motivation="")
    assert next_step(application).action == "edit"
    assert "why you want to come" in next_step(application).sentence
    application.motivation = "Aprender."
    application.save()
    step = next_step(application)
    assert (step.action, step.kind) == ("upload_document", DocumentKind.CV)
    for kind in (DocumentKind.CV, DocumentKind.LICENCE):
        services.document_upload(application=application, kind=kind, upload=pdf_upload(), by=application.applicant)
    assert next_step(application).sentence == "Your application is complete: review it and submit it."


def test_next_step_asks_for_a_requested_document_and_a_slot():
    application = application_in_state(State.SUBMITTED)
    staff = UserFactory(roles=[Role.VISITOR_PROGRAM])
    services.interview_slots_offer(application=application, starts=[timezone.now() + timedelta(days=2)], by=staff)
    assert next_step(application).action == "choose_slot"
    services.document_request(application=application, kind=DocumentKind.INSURANCE, note="Con fechas.", by=staff)
    step = next_step(application)
    assert (step.action, step.kind) == ("upload_document", DocumentKind.INSURANCE)
    assert step.sentence == "The program asks for your Travel insurance: Con fechas."


def test_next_step_asks_for_the_flight_until_it_is_given():
    application = application_in_state(State.PLACEMENT_CONFIRMED)
    application.arrival.delete()
    application.refresh_from_db()
    assert next_step(application).action == "flight_details"


def test_next_step_asks_for_the_survey_at_the_end_of_the_stay_once():
    application = application_in_state(State.IN_COMMUNITY)
    end = placement_of(application).end_date
    assert next_step(application, today=end - timedelta(days=1)).action is None
    assert next_step(application, today=end).action == "exit_survey"
    services.exit_survey_submit(application=application, mentorship=5, clinical=5, community=5, host_family=5,
                                logistics=5, by=application.applicant)
    application.refresh_from_db()
    assert next_step(application, today=end).action is None


def test_the_applicant_and_the_program_are_offered_their_own_transitions():
    application = application_in_state(State.PLACEMENT_PROPOSED)
    mine = application_actions(application.applicant, application)
    assert mine.confirm_placement and mine.withdraw and not mine.propose_placement and not mine.accept
    staff = application_actions(UserFactory(roles=[Role.VISITOR_PROGRAM]), application)
    assert staff.propose_placement and staff.confirm_placement and staff.request_document and not staff.edit
    assert not application_actions(UserFactory(roles=[Role.APPLICANT]), application).any()


def test_apply_again_once_ended():
    application = application_in_state(State.DECLINED)
    assert application_actions(application.applicant, application).apply_again
    services.application_start(applicant=application.applicant, previous=application)
    assert not application_actions(application.applicant, application).apply_again


def test_the_pasante_sees_their_visitors_coming_current_and_past():
    application = application_in_state(State.PLACEMENT_CONFIRMED)
    placement = placement_of(application)
    user = placement.pasante.user
    assert [(p, p.when) for p in placements_for_pasante(user, today=placement.start_date - timedelta(days=1))] == [
        (placement, "coming")]
    assert placements_for_pasante(user, today=placement.start_date).get().when == "current"
    assert placements_for_pasante(user, today=placement.end_date + timedelta(days=1)).get().when == "past"
    assert not placements_for_pasante(UserFactory(roles=[Role.PASANTE])).exists()


def test_the_list_filters_each_narrow_the_applications(django_assert_num_queries):
    day = timezone.localdate() + timedelta(days=60)
    first = ApplicationFactory(country="US", institution="Capitán University", wanted_start=day,
                               wanted_end=day + timedelta(days=29))
    later = ApplicationFactory(country="CA", category="student", institution="McGill",
                               wanted_start=day + timedelta(days=100), wanted_end=day + timedelta(days=130))
    repeat = ApplicationFactory(previous=first, state=State.SUBMITTED, wanted_start=day + timedelta(days=40),
                                wanted_end=day + timedelta(days=70))
    everyone = Application.objects.all()

    def found(**filters):
        with django_assert_num_queries(0):
            rows = applications_filtered(everyone, **filters)
        return set(rows)

    assert found() == {first, later, repeat}
    assert found(state=State.SUBMITTED) == {repeat}
    assert found(category="student") == {later}
    assert found(country="ca") == {later}
    assert found(institution="  capitán ") == {first}
    assert found(institution="   ") == {first, later, repeat}
    assert found(repeat=True) == {repeat}
    assert found(repeat=False) == {first, later}
    # The stays wanted that overlap the days asked: ending on or after the first, starting on or before the last.
    assert found(wanted_from=day + timedelta(days=30)) == {later, repeat}
    assert found(wanted_to=day + timedelta(days=39)) == {first}
    assert found(wanted_from=day + timedelta(days=29), wanted_to=day + timedelta(days=40)) == {first, repeat}
    assert found(state=State.DRAFT, country="US", repeat=False) == {first}


def test_the_orientation_packs_are_the_programs_and_who_is_a_pasante():
    services.orientation_pack_upload(title="Vieja", upload=pdf_upload(), by=None)
    newest = services.orientation_pack_upload(title="Nueva", upload=pdf_upload(), by=None)
    program, pasante = UserFactory(roles=[Role.VISITOR_PROGRAM]), UserFactory(roles=[Role.PASANTE])

    assert orientation_packs_visible_to(program).first() == newest
    assert orientation_packs_visible_to(program).count() == 2
    assert not orientation_packs_visible_to(pasante).exists()
    assert not orientation_packs_visible_to(ApplicationFactory().applicant).exists()
    assert is_pasante(pasante) and not is_pasante(program)
