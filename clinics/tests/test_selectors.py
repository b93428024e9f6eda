"""Reads and scoping: who sees which clinics, staff, assignments and patients, and the coverage read models."""

from datetime import date, timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.utils import timezone

from ces.accounts.roles import Role
from clinics import selectors
from clinics.coverage import Segment
from clinics.models import Assignment, Cadre, Clinic, Patient
from clinics.tests.factories import (
    AssignmentFactory,
    ClinicFactory,
    HostFamilyFactory,
    PatientFactory,
    StaffFactory,
    SupervisionVisitFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def days(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


# --- clinics_visible_to ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["coordinator", "pharmacy", "visitor_program", "admin_user"])
def test_network_wide_roles_see_every_clinic(request, clinic_a, clinic_b, persona):
    user = request.getfixturevalue(persona)

    assert set(selectors.clinics_visible_to(user)) == {clinic_a, clinic_b}


@pytest.mark.parametrize("persona", ["pasante_a", "supervisor", "chw"])
def test_clinic_roles_see_only_the_clinic_of_their_assignment(request, clinic_a, clinic_b, persona):
    user = request.getfixturevalue(persona)

    assert list(selectors.clinics_visible_to(user)) == [clinic_a]


def test_pasante_cannot_see_other_clinic(pasante_b, clinic_a, clinic_b):
    assert list(selectors.clinics_visible_to(pasante_b)) == [clinic_b]
    with pytest.raises(Clinic.DoesNotExist):
        selectors.clinic_for(pasante_b, clinic_a.pk)


@pytest.mark.parametrize("persona", ["applicant", "outsider"])
def test_roles_without_clinics_see_none(request, clinic_a, persona):
    assert not selectors.clinics_visible_to(request.getfixturevalue(persona)).exists()


def test_anonymous_sees_no_clinic(clinic_a):
    assert not selectors.clinics_visible_to(AnonymousUser()).exists()


def test_deactivated_user_sees_nothing_even_with_an_assignment(pasante_a):
    pasante_a.is_active = False
    pasante_a.save()

    assert not selectors.clinics_visible_to(pasante_a).exists()


def test_assignment_that_starts_later_gives_no_access_until_its_first_day(clinic_b):
    user = UserFactory(roles=[Role.PASANTE])
    AssignmentFactory(staff=StaffFactory(user=user), clinic=clinic_b, start_date=days(10), end_date=None)

    assert not selectors.clinics_visible_to(user).exists()
    with mock.patch("django.utils.timezone.localdate", return_value=days(10)):
        assert list(selectors.clinics_visible_to(user)) == [clinic_b]


def test_assignment_in_a_role_the_user_does_not_hold_gives_no_access(pasante_a, clinic_b):
    # A supervisor post on the pasante's staff profile does not make the pasante user a supervisor.
    AssignmentFactory(staff=pasante_a.staff, clinic=clinic_b, role=Assignment.Role.SUPERVISOR, start_date=days(-5))

    assert clinic_b not in selectors.clinics_visible_to(pasante_a)


def test_person_with_two_clinic_roles_sees_both_posts(clinic_a, clinic_b):
    user = UserFactory(roles=[Role.SUPERVISOR, Role.CHW])
    staff = StaffFactory(user=user, cadre=Cadre.SUPERVISOR)
    AssignmentFactory(staff=staff, clinic=clinic_a, role=Assignment.Role.SUPERVISOR, start_date=days(-5))
    AssignmentFactory(staff=staff, clinic=clinic_b, role=Assignment.Role.CHW, start_date=days(-5))

    assert set(selectors.clinics_visible_to(user)) == {clinic_a, clinic_b}


# --- who may do what ---------------------------------------------------------------------------------


PERSONAS = ["coordinator", "supervisor", "pasante_a", "chw", "pharmacy", "visitor_program", "applicant",
            "admin_user", "outsider"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_sees_clinics_and_who_sees_patients(request, persona):
    user = request.getfixturevalue(persona)
    assert selectors.can_see_clinics(user) is (persona not in {"applicant", "outsider"})
    assert selectors.can_see_patients(user) is (persona in {"coordinator", "supervisor", "pasante_a", "chw",
                                                            "admin_user"})
    assert selectors.can_see_pasante_roster(user) is (persona in {"coordinator", "supervisor", "visitor_program",
                                                                  "admin_user"})


def test_an_anonymous_visitor_sees_no_clinic_and_no_patient():
    assert not selectors.can_see_clinics(AnonymousUser())
    assert not selectors.can_see_patients(AnonymousUser())
    assert not selectors.can_manage_staffing(AnonymousUser())
    assert not selectors.can_see_pasante_roster(AnonymousUser())


def test_the_clinic_page_offers_supervision_without_asking_again(supervisor, clinic_a,
                                                                  django_assert_num_queries):
    clinic = selectors.clinic_detail(supervisor, clinic_a.pk)
    assert clinic.actions == selectors.ClinicActions(manage_staffing=False, record_supervision=True)
    with django_assert_num_queries(0):
        assert selectors.can_record_supervision(supervisor, clinic_a, in_reach=True)


def test_only_coordinators_and_admins_manage_staffing(coordinator, admin_user, supervisor, pasante_a, pharmacy):
    assert selectors.can_manage_staffing(coordinator)
    assert selectors.can_manage_staffing(admin_user)
    assert not selectors.can_manage_staffing(supervisor)
    assert not selectors.can_manage_staffing(pasante_a)
    assert not selectors.can_manage_staffing(pharmacy)


def test_supervisor_records_visits_only_at_their_clinics(supervisor, coordinator, pasante_a, clinic_a, clinic_b):
    assert selectors.can_record_supervision(supervisor, clinic_a)
    assert not selectors.can_record_supervision(supervisor, clinic_b)
    assert selectors.can_record_supervision(coordinator, clinic_b)
    assert not selectors.can_record_supervision(pasante_a, clinic_a)


# --- staff and assignments ---------------------------------------------------------------------------


def test_pasante_sees_the_team_of_their_clinic_only(pasante_a, supervisor, chw, pasante_b):
    visible = set(selectors.staff_visible_to(pasante_a))

    assert visible == {pasante_a.staff, supervisor.staff, chw.staff}


def test_pasante_whose_year_ended_sees_only_themself(pasante_a, supervisor):
    Assignment.objects.filter(staff__user=pasante_a).update(end_date=days(-1))

    assert list(selectors.staff_visible_to(pasante_a)) == [pasante_a.staff]


def test_staff_visible_to_nobody_without_a_role(outsider, pasante_a, applicant):
    assert not selectors.staff_visible_to(outsider).exists()
    assert not selectors.staff_visible_to(applicant).exists()
    assert not selectors.staff_visible_to(AnonymousUser()).exists()


def test_staff_directory_filters(coordinator, pasante_a, pasante_b, supervisor, chw, clinic_a):
    StaffFactory(full_name="Zoila Inactiva", cadre=Cadre.NURSE, active=False)

    assert set(selectors.staff_directory(coordinator, cadre=Cadre.PASANTE)) == {pasante_a.staff, pasante_b.staff}
    assert set(selectors.staff_directory(coordinator, clinic_id=clinic_a.pk)) == {
        pasante_a.staff, supervisor.staff, chw.staff}
    assert [s.full_name for s in selectors.staff_directory(coordinator, active=False)] == ["Zoila Inactiva"]
    assert list(selectors.staff_directory(coordinator, search="PASANTE.B@")) == [pasante_b.staff]


def test_staff_directory_carries_each_persons_current_clinic(coordinator, pasante_a, clinic_a):
    Assignment.objects.filter(staff__user=pasante_a).update(end_date=days(100))
    AssignmentFactory(staff=pasante_a.staff, clinic=ClinicFactory(), start_date=days(101))

    (row,) = [s for s in selectors.staff_directory(coordinator) if s == pasante_a.staff]

    assert [a.clinic for a in row.current_assignments] == [clinic_a]


def test_assignments_are_scoped_like_their_clinics(pasante_a, pasante_b):
    theirs = Assignment.objects.get(staff__user=pasante_b)

    assert list(selectors.assignments_visible_to(pasante_a)) == list(
        Assignment.objects.filter(clinic__in=selectors.clinics_visible_to(pasante_a)))
    with pytest.raises(Assignment.DoesNotExist):
        selectors.assignment_for(pasante_a, theirs.pk)


# --- patients ----------------------------------------------------------------------------------------


@pytest.fixture
def patients(clinic_a, clinic_b):
    return PatientFactory(clinic=clinic_a), PatientFactory(clinic=clinic_b)


def test_pasante_sees_the_patients_of_their_clinic(pasante_a, chw, supervisor, patients):
    in_a, _ = patients

    for user in (pasante_a, chw, supervisor):
        assert list(selectors.patients_visible_to(user)) == [in_a]


def test_coordinator_and_admin_see_every_patient(coordinator, admin_user, patients):
    assert set(selectors.patients_visible_to(coordinator)) == set(patients)
    assert set(selectors.patients_visible_to(admin_user)) == set(patients)


@pytest.mark.parametrize("persona", ["pharmacy", "visitor_program", "applicant", "outsider"])
def test_patient_registry_is_closed_to_everyone_else(request, patients, persona):
    assert not selectors.patients_visible_to(request.getfixturevalue(persona)).exists()


def test_patient_for_other_clinic_is_not_found(pasante_a, patients):
    _, in_b = patients

    with pytest.raises(Patient.DoesNotExist):
        selectors.patient_for(pasante_a, in_b.pk)


def test_ended_assignment_ends_patient_access(pasante_a, patients):
    Assignment.objects.filter(staff__user=pasante_a).update(end_date=days(-1))

    assert not selectors.patients_visible_to(pasante_a).exists()


def test_possible_duplicates_ignore_case_and_spaces(clinic_a):
    ana = PatientFactory(clinic=clinic_a, given_names="Ana Lucía", family_names="Gómez", birth_date=date(1990, 1, 1))
    PatientFactory(clinic=clinic_a, given_names="Ana Lucía", family_names="Gómez", birth_date=date(1991, 1, 1))
    PatientFactory(clinic=ClinicFactory(), given_names="Ana Lucía", family_names="Gómez",
                   birth_date=date(1990, 1, 1))

    found = selectors.patient_possible_duplicates(community=clinic_a.community, given_names="  ANA   lucía",
                                                  family_names="gómez ", birth_date=date(1990, 1, 1))

    assert list(found) == [ana]


# --- clinic list and detail: coverage read models ----------------------------------------------------


def test_clinic_list_shows_the_current_pasante_and_the_next_gap(coordinator, pasante_a, clinic_a, clinic_b):
    today = timezone.localdate()
    Assignment.objects.filter(staff__user=pasante_a).update(end_date=today + timedelta(days=40))

    rows = {c.pk: c for c in selectors.clinic_list(coordinator, today=today)}

    assert rows[clinic_a.pk].current_pasante == pasante_a.staff
    assert rows[clinic_a.pk].next_gap.start == today + timedelta(days=41)
    assert rows[clinic_b.pk].current_pasante is None
    assert rows[clinic_b.pk].next_gap.start == today


def test_clinic_list_shows_no_gaps_for_clinics_that_need_no_pasante(coordinator):
    hospital = ClinicFactory(kind=Clinic.Kind.HOSPITAL)

    (row,) = selectors.clinic_list(coordinator, kind=Clinic.Kind.HOSPITAL)

    assert row == hospital
    assert row.gaps == [] and row.next_gap is None


def test_clinic_list_search_matches_clinic_or_community(coordinator, clinic_a, clinic_b):
    assert selectors.clinic_list(coordinator, search="capit") == [clinic_a]
    assert selectors.clinic_list(coordinator, search="REFORMA") == [clinic_b]


def _fill(n):
    for _ in range(n):
        clinic = ClinicFactory()
        AssignmentFactory(clinic=clinic, start_date=days(-30), end_date=days(100))
        AssignmentFactory(clinic=clinic, start_date=days(120), end_date=None)


@pytest.mark.parametrize("size", [2, 15])
def test_clinic_list_runs_a_fixed_number_of_queries(django_assert_num_queries, coordinator, size):
    _fill(size)
    coordinator.roles  # noqa: B018 (cached per instance; loaded by the request in real life)

    with django_assert_num_queries(2):
        rows = selectors.clinic_list(coordinator)

    assert len(rows) == size


def test_clinic_detail_shows_team_upcoming_host_families_and_visits(coordinator, pasante_a, supervisor, chw,
                                                                    clinic_a):
    Assignment.objects.filter(staff__user=pasante_a).update(end_date=days(30))
    incoming = AssignmentFactory(clinic=clinic_a, start_date=days(60))
    old = AssignmentFactory(clinic=clinic_a, start_date=days(-400), end_date=days(-200))
    family = HostFamilyFactory(community=clinic_a.community)
    HostFamilyFactory(community=clinic_a.community, active=False)
    visit = SupervisionVisitFactory(clinic=clinic_a, supervisor=supervisor.staff)

    clinic = selectors.clinic_detail(coordinator, clinic_a.pk)

    assert {a.staff for a in clinic.current_team} == {pasante_a.staff, supervisor.staff, chw.staff}
    assert clinic.upcoming == [incoming]
    assert old not in clinic.pasante_assignments
    assert [(g.start, g.end) for g in clinic.gaps] == [(days(31), days(59))]
    assert clinic.host_family_list == [family]
    assert clinic.recent_visits == [visit]


def test_clinic_detail_of_a_clinic_the_user_cannot_see_is_not_found(pasante_a, clinic_b):
    with pytest.raises(Clinic.DoesNotExist):
        selectors.clinic_detail(pasante_a, clinic_b.pk)


def test_timeline_months_mark_each_first_of_the_month_inside_the_window():
    marks = selectors.timeline_months(date(2026, 11, 15), days=100)

    assert [m for m, _ in marks] == [date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1)]
    assert marks[0][1] == pytest.approx(16.0)


def test_segment_geometry_is_in_percent_of_the_window():
    seg = Segment(date(2026, 1, 11), date(2026, 1, 30))

    assert selectors.segment_geometry(seg, date(2026, 1, 1), days=100) == (10.0, 20.0)


# --- Staffing: the questions other apps ask ------------------------------------------------------------------


def test_clinics_posted_to_are_those_of_the_users_own_active_posts(pasante_a, clinic_a, clinic_b):
    assert list(selectors.clinics_posted_to(pasante_a)) == [clinic_a]
    assert list(selectors.clinics_posted_to(pasante_a, role=Assignment.Role.PASANTE)) == [clinic_a]
    assert not selectors.clinics_posted_to(pasante_a, role=Assignment.Role.SUPERVISOR).exists()


def test_a_network_wide_role_reaches_no_clinic_through_posts_it_does_not_hold(coordinator, pharmacy, clinic_a):
    assert set(selectors.clinics_visible_to(pharmacy)) == {clinic_a}
    assert not selectors.clinics_posted_to(pharmacy).exists()
    assert not selectors.clinics_posted_to(coordinator).exists()


def test_a_pasante_who_also_works_the_warehouse_is_posted_only_at_their_clinic(pasante_a, clinic_a, clinic_b):
    pasante_a.groups.add(Group.objects.get_or_create(name=Role.PHARMACY)[0])
    pasante_a = type(pasante_a).objects.get(pk=pasante_a.pk)

    assert set(selectors.clinics_visible_to(pasante_a)) == {clinic_a, clinic_b}
    assert list(selectors.clinics_posted_to(pasante_a, role=Assignment.Role.PASANTE)) == [clinic_a]


def test_clinics_posted_to_follow_the_post_dates(clinic_b):
    user = UserFactory(roles=[Role.PASANTE])
    AssignmentFactory(staff=StaffFactory(user=user), clinic=clinic_b, start_date=days(10), end_date=days(20))

    assert not selectors.clinics_posted_to(user).exists()
    assert list(selectors.clinics_posted_to(user, day=days(10))) == [clinic_b]
    assert list(selectors.clinics_posted_to(user, day=days(20))) == [clinic_b]
    assert not selectors.clinics_posted_to(user, day=days(21)).exists()


def test_a_post_in_a_role_the_user_does_not_hold_reaches_nothing(pasante_a, clinic_b):
    AssignmentFactory(staff=pasante_a.staff, clinic=clinic_b, role=Assignment.Role.SUPERVISOR, start_date=days(-5))

    assert not selectors.clinics_posted_to(pasante_a, role=Assignment.Role.SUPERVISOR).exists()


def test_nobody_anonymous_or_closed_is_posted_anywhere(pasante_a):
    assert not selectors.clinics_posted_to(AnonymousUser()).exists()
    pasante_a.is_active = False
    pasante_a.save()
    assert not selectors.clinics_posted_to(type(pasante_a).objects.get(pk=pasante_a.pk)).exists()


def test_pasante_posted_at_names_who_holds_the_post_that_day(clinic_a, clinic_b):
    first = AssignmentFactory(clinic=clinic_a, start_date=days(-30), end_date=days(0))
    second = AssignmentFactory(clinic=clinic_a, start_date=days(1), end_date=None)
    AssignmentFactory(clinic=clinic_a, role=Assignment.Role.CHW, staff__cadre=Cadre.CHW, start_date=days(-30))

    assert selectors.pasante_posted_at(clinic_a, days(0)) == first.staff
    assert selectors.pasante_posted_at(clinic_a, days(1)) == second.staff
    assert selectors.pasante_posted_at(clinic_a, days(-31)) is None
    assert selectors.pasante_posted_at(clinic_b, days(0)) is None


def test_pasante_posted_at_counts_a_person_without_an_account(clinic_a):
    post = AssignmentFactory(clinic=clinic_a, start_date=days(-3))

    assert post.staff.user is None
    assert selectors.pasante_posted_at(clinic_a, days(0)) == post.staff


def test_pasante_posts_on_are_those_of_active_pasante_accounts(pasante_a, pasante_b, clinic_a, clinic_b, chw):
    ClinicFactory()  # a vacant post
    AssignmentFactory(clinic=ClinicFactory(), start_date=days(-3))  # posted, but no account to tell
    closed = UserFactory(roles=[Role.PASANTE], is_active=False)
    AssignmentFactory(staff=StaffFactory(user=closed), clinic=ClinicFactory(), start_date=days(-3))
    not_a_pasante = UserFactory(roles=[Role.CHW])
    AssignmentFactory(staff=StaffFactory(user=not_a_pasante), clinic=ClinicFactory(), start_date=days(-3))

    posts = selectors.pasante_posts_on(days(0))

    assert {(p.clinic_id, p.staff.user_id) for p in posts} == {(clinic_a.pk, pasante_a.pk), (clinic_b.pk, pasante_b.pk)}
    assert selectors.pasante_user_ids_by_clinic([clinic_a.pk, clinic_b.pk], day=days(0)) == {
        clinic_a.pk: {pasante_a.pk}, clinic_b.pk: {pasante_b.pk},
    }
    assert selectors.pasante_user_ids_by_clinic([clinic_b.pk], day=days(-31)) == {}


def test_is_pasante_posted_answers_for_one_person_one_clinic_one_day(pasante_a, pasante_b, clinic_a, clinic_b):
    assert selectors.is_pasante_posted(user_id=pasante_a.pk, clinic_id=clinic_a.pk, day=days(0))
    assert not selectors.is_pasante_posted(user_id=pasante_a.pk, clinic_id=clinic_b.pk, day=days(0))
    assert not selectors.is_pasante_posted(user_id=pasante_a.pk, clinic_id=clinic_a.pk, day=days(-31))


def test_staffing_answers_take_one_query(django_assert_num_queries, pasante_a, clinic_a, clinic_b):
    with django_assert_num_queries(1):
        selectors.pasante_posted_at(clinic_a, days(0))
    with django_assert_num_queries(1):
        selectors.pasante_user_ids_by_clinic([clinic_a.pk, clinic_b.pk], day=days(0))
    with django_assert_num_queries(1):
        selectors.assigned_throughout(staff=pasante_a.staff, clinic=clinic_a, first_day=days(0), last_day=days(9))


# --- assigned_throughout: is this person posted here every day from A to B ---------------------------------


@pytest.fixture
def person(db):
    return StaffFactory()


def _post(person, clinic, start, end, role=Assignment.Role.PASANTE):
    return AssignmentFactory(staff=person, clinic=clinic, role=role, start_date=start, end_date=end)


def _throughout(person, clinic, first, last, **kwargs):
    return selectors.assigned_throughout(staff=person, clinic=clinic, first_day=first, last_day=last, **kwargs)


def test_one_post_covering_the_range_with_room_either_side(person, clinic_a):
    _post(person, clinic_a, days(-10), days(40))

    assert _throughout(person, clinic_a, days(0), days(30))


def test_the_range_may_start_and_end_on_the_posts_own_first_and_last_days(person, clinic_a):
    _post(person, clinic_a, days(0), days(30))

    assert _throughout(person, clinic_a, days(0), days(30))
    assert _throughout(person, clinic_a, days(30), days(30))
    assert not _throughout(person, clinic_a, days(-1), days(30))
    assert not _throughout(person, clinic_a, days(0), days(31))


def test_an_open_ended_post_covers_any_range_after_its_start(person, clinic_a):
    _post(person, clinic_a, days(0), None)

    assert _throughout(person, clinic_a, days(5), days(900))
    assert not _throughout(person, clinic_a, days(-1), days(5))


def test_a_post_ending_mid_range_does_not_cover_it(person, clinic_a):
    _post(person, clinic_a, days(-10), days(14))

    assert not _throughout(person, clinic_a, days(0), days(30))


def test_two_consecutive_posts_cover_the_range_together(person, clinic_a):
    _post(person, clinic_a, days(-10), days(14))
    _post(person, clinic_a, days(15), days(60))

    assert _throughout(person, clinic_a, days(0), days(30))


def test_a_gap_of_one_day_between_two_posts_breaks_the_range(person, clinic_a):
    _post(person, clinic_a, days(-10), days(14))
    _post(person, clinic_a, days(16), days(60))

    assert not _throughout(person, clinic_a, days(0), days(30))
    assert _throughout(person, clinic_a, days(0), days(14))
    assert _throughout(person, clinic_a, days(16), days(30))


def test_a_post_at_another_clinic_does_not_fill_a_gap(person, clinic_a, clinic_b):
    _post(person, clinic_a, days(-10), days(14))
    _post(person, clinic_b, days(15), days(15))
    _post(person, clinic_a, days(16), days(60))

    assert not _throughout(person, clinic_a, days(0), days(30))


def test_someone_elses_post_does_not_cover_the_person(person, clinic_a):
    _post(StaffFactory(), clinic_a, days(-10), days(60))

    assert not _throughout(person, clinic_a, days(0), days(30))


def test_posts_in_different_roles_join_unless_a_role_is_asked(person, clinic_a):
    # A pasante's year, then a week as supervisor at the same clinic.
    _post(person, clinic_a, days(-10), days(14))
    _post(person, clinic_a, days(15), days(60), role=Assignment.Role.SUPERVISOR)

    assert _throughout(person, clinic_a, days(0), days(30))
    assert not _throughout(person, clinic_a, days(0), days(30), role=Assignment.Role.PASANTE)
    assert _throughout(person, clinic_a, days(0), days(14), role=Assignment.Role.PASANTE)


def test_overlapping_posts_in_two_roles_cover_their_union(person, clinic_a):
    _post(person, clinic_a, days(-10), days(20), role=Assignment.Role.NURSE)
    _post(person, clinic_a, days(5), days(9), role=Assignment.Role.CHW)
    _post(person, clinic_a, days(0), days(40), role=Assignment.Role.OTHER)

    assert _throughout(person, clinic_a, days(-10), days(40))
    assert not _throughout(person, clinic_a, days(-10), days(41))


def test_a_person_with_no_post_covers_nothing(person, clinic_a):
    assert not _throughout(person, clinic_a, days(0), days(0))


def test_a_range_that_ends_before_it_starts_is_a_programming_error(person, clinic_a):
    _post(person, clinic_a, days(-10), None)

    with pytest.raises(ValueError):
        _throughout(person, clinic_a, days(1), days(0))
