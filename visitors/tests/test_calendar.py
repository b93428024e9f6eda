"""The calendar of the clinics that receive visitors: the coming months week by week, who is at each clinic,
which weeks are free, full or partly free against the community's capacity; its queries pinned at two sizes."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clinics.tests.factories import ClinicFactory, HostFamilyFactory, StaffFactory
from tests.kit import client_for
from visitors import selectors
from visitors.models import Application, Placement
from visitors.tests.test_program_pages import application_row, open_to_visitors

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
MONDAY = TODAY - timedelta(days=TODAY.weekday())


def visitor_at(clinic, start, end, *, name="Jane Doe", slot=1, state=Placement.State.CONFIRMED) -> Placement:
    application = application_row(state=Application.State.PLACEMENT_CONFIRMED, full_name=name,
                                  wanted_start=start, wanted_end=end)
    return Placement.objects.create(
        application=application, clinic=clinic, pasante=StaffFactory(), slot=slot, state=state,
        host_family=HostFamilyFactory(community=clinic.community), start_date=start, end_date=end,
    )


def week(row, monday):
    return next(w for w in row.weeks if w.monday == monday)


def test_calendar_lists_only_active_clinics_of_communities_that_accept_visitors():
    receiving = ClinicFactory(name="Clínica Abierta")
    open_to_visitors(receiving.community)
    ClinicFactory(name="Clínica Cerrada")
    inactive = ClinicFactory(name="Clínica Inactiva", active=False)
    open_to_visitors(inactive.community)
    names = [row.clinic.name for row in selectors.calendar(today=TODAY)["clinics"]]
    assert names == ["Clínica Abierta"]


def test_a_clinic_of_capacity_one_is_full_in_the_weeks_its_visitor_is_there():
    clinic = ClinicFactory()
    open_to_visitors(clinic.community)
    # Two whole weeks from the Monday in three weeks, then a visitor leaving mid-week.
    start = MONDAY + timedelta(days=21)
    visitor_at(clinic, start, start + timedelta(days=13), name="Ana Full")
    visitor_at(clinic, start + timedelta(days=28), start + timedelta(days=30), name="Bea Short")
    row = selectors.calendar(today=TODAY)["clinics"][0]
    assert week(row, MONDAY).status == "free"
    assert week(row, start).status == "full" and week(row, start + timedelta(days=7)).status == "full"
    assert week(row, start + timedelta(days=14)).status == "free"
    assert week(row, start + timedelta(days=28)).status == "partly"
    assert [p.application.full_name for p in row.placements] == ["Ana Full", "Bea Short"]
    assert row.free_weeks == len(row.weeks) - 3


def test_a_clinic_of_capacity_two_has_room_beside_one_visitor():
    clinic = ClinicFactory()
    open_to_visitors(clinic.community, capacity=2)
    start = MONDAY + timedelta(days=7)
    visitor_at(clinic, start, start + timedelta(days=6))
    row = selectors.calendar(today=TODAY)["clinics"][0]
    assert row.capacity == 2 and week(row, start).status == "free"
    visitor_at(clinic, start, start + timedelta(days=6), slot=2, name="Second")
    row = selectors.calendar(today=TODAY)["clinics"][0]
    assert week(row, start).status == "full"


def test_cancelled_and_past_placements_leave_the_weeks_free():
    clinic = ClinicFactory()
    open_to_visitors(clinic.community)
    start = MONDAY + timedelta(days=14)
    visitor_at(clinic, start, start + timedelta(days=6), state=Placement.State.CANCELLED)
    visitor_at(clinic, MONDAY - timedelta(days=60), MONDAY - timedelta(days=30), name="Long Gone")
    row = selectors.calendar(today=TODAY)["clinics"][0]
    assert all(w.status == "free" for w in row.weeks) and row.placements == []


def test_calendar_covers_the_coming_six_months_from_this_monday():
    data = selectors.calendar(today=TODAY)
    assert data["mondays"][0] == MONDAY
    assert data["mondays"][-1] >= TODAY + timedelta(days=175)
    assert 6 <= len(data["months"]) <= 8


def test_calendar_page_shows_who_is_there_and_the_week_states(visitor_program):
    clinic = ClinicFactory(name="Clínica Capitán")
    open_to_visitors(clinic.community)
    start = MONDAY + timedelta(days=7)
    visitor_at(clinic, start, start + timedelta(days=6), name="Jane Calendar")
    content = client_for(visitor_program).get(reverse("visitors:calendar")).content.decode()
    assert "Clínica Capitán" in content and "Jane Calendar" in content
    assert f'data-monday="{start:%Y-%m-%d}" data-status="full"' in content
    assert f'data-monday="{MONDAY:%Y-%m-%d}" data-status="free"' in content


@pytest.mark.parametrize("size", [1, 6])
def test_calendar_runs_a_fixed_number_of_queries(visitor_program, django_assert_num_queries, size):
    for n in range(size):
        clinic = ClinicFactory()
        open_to_visitors(clinic.community, capacity=1 + n % 2)
        visitor_at(clinic, MONDAY + timedelta(days=7 * n), MONDAY + timedelta(days=7 * n + 20))
        visitor_at(clinic, MONDAY + timedelta(days=7 * n + 40), MONDAY + timedelta(days=7 * n + 50))
    client = client_for(visitor_program)
    # the user with their roles; clinics; their placements.
    with django_assert_num_queries(3):
        response = client.get(reverse("visitors:calendar"))
    assert response.status_code == 200


@pytest.mark.parametrize("persona", ["pasante_a", "applicant", "pharmacy"])
def test_calendar_is_for_those_who_manage_applications(request, persona):
    assert client_for(request.getfixturevalue(persona)).get(reverse("visitors:calendar")).status_code == 403
