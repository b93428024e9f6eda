"""The visitors panels of the home pages: the applicant's application and next step, the program's columns
and what waits longest, the pasante's coming visitor with the host family to confirm, the coordinator's
visitors in the field; each panel's queries pinned at two sizes."""

from datetime import timedelta

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from clinics.tests.factories import HostFamilyFactory
from tests.kit import client_for
from visitors import panels
from visitors.models import Application, Placement
from visitors.tests.test_calendar import visitor_at
from visitors.tests.test_program_pages import application_row, confirmed, open_to_visitors, submitted

pytestmark = pytest.mark.django_db

State = Application.State
TODAY = timezone.localdate()


def home(user, role=None) -> str:
    response = client_for(user).get(reverse("accounts:home"), {"role": role} if role else {})
    assert response.status_code == 200
    return response.content.decode()


def panel_context(panel, user, rf):
    request = rf.get("/")
    request.user = user
    return panel(request)


def _status_url():
    try:
        return reverse("visitors:status")
    except NoReverseMatch:
        return None


# --- The applicant --------------------------------------------------------------------------------------


def test_applicant_without_an_application_is_invited_to_start(applicant):
    content = home(applicant)
    assert 'data-testid="panel-no-application"' in content
    assert "not available yet" not in content


def test_applicant_reads_the_state_and_the_next_step_with_a_link_to_their_status_page(applicant):
    submitted(by=applicant)
    content = home(applicant)
    assert 'data-testid="panel-application-state" data-state="submitted"' in content
    assert 'data-testid="panel-next-step"' in content
    if _status_url():
        assert f'href="{_status_url()}" data-testid="panel-status-link"' in content


@pytest.mark.parametrize("documents", [1, 2])
def test_applicant_panel_runs_a_fixed_number_of_queries(applicant, rf, django_assert_max_num_queries, documents):
    application = submitted(by=applicant)
    for _n in range(documents):
        application.document_requests.create(kind="insurance" if _n == 0 else "photo", note="Please")
    with django_assert_max_num_queries(4):
        panel_context(panels.my_application, applicant, rf)


# --- The visitor program ------------------------------------------------------------------------------------


def test_program_panel_counts_per_column_and_names_what_waits_longest(visitor_program):
    application_row(state=State.SUBMITTED, full_name="Newer One", days_waiting=1)
    oldest = application_row(state=State.SUBMITTED, full_name="Oldest One", days_waiting=9)
    application_row(state=State.ACCEPTED, full_name="Accepted Long Ago", days_waiting=30)
    content = home(visitor_program)
    assert 'data-testid="panel-open-total" data-count="3"' in content
    assert 'data-state="submitted" data-count="2"' in content and 'data-state="accepted" data-count="1"' in content
    assert 'data-testid="panel-oldest" data-days="9"' in content and "Oldest One" in content
    assert reverse("visitors:review", args=[oldest.pk]) in content
    assert "Overdue" in content


@pytest.mark.parametrize("size", [1, 9])
def test_program_panel_runs_a_fixed_number_of_queries(visitor_program, rf, django_assert_num_queries, size):
    for n in range(size):
        application_row(state=Application.OPEN_STATES[n % len(Application.OPEN_STATES)], days_waiting=n)
    with django_assert_num_queries(2):
        panel_context(panels.visitor_program, visitor_program, rf)


# --- The pasante ------------------------------------------------------------------------------------------


def test_pasante_panel_shows_the_coming_visitor_and_the_host_family_to_confirm(visitor_program, pasante_a, clinic_a):
    open_to_visitors(clinic_a.community)
    place = {"clinic": clinic_a, "pasante": pasante_a.staff,
             "host_family": HostFamilyFactory(community=clinic_a.community, head_of_household="Doña Rosa")}
    application = confirmed(visitor_program, place, name="Jane Panel")
    content = home(pasante_a)
    placement = Placement.objects.get(application=application)
    assert "Jane Panel" in content and "Doña Rosa" in content
    assert application.wanted_start.strftime("%d/%m/%Y") in content
    assert 'data-testid="panel-confirm-family"' in content
    assert reverse("visitors:my-visitor-host-family-ready", args=[placement.pk]) in content


def test_pasante_with_no_visitor_reads_so(pasante_a):
    assert 'data-testid="panel-no-visitor"' in home(pasante_a)


@pytest.mark.parametrize("size", [1, 4])
def test_pasante_panel_runs_one_query(pasante_a, clinic_a, rf, django_assert_num_queries, size):
    open_to_visitors(clinic_a.community, capacity=size)
    for n in range(size):
        placement = visitor_at(clinic_a, TODAY + timedelta(days=10), TODAY + timedelta(days=40), slot=n + 1)
        Placement.objects.filter(pk=placement.pk).update(pasante=pasante_a.staff)
    with django_assert_num_queries(1):
        context = panel_context(panels.my_visitor, pasante_a, rf)
    assert context["placement"] is not None and context["more"] == size - 1


# --- Coordinators -------------------------------------------------------------------------------------------


def test_coordinator_panel_lists_visitors_in_the_field_and_arriving(coordinator, clinic_a):
    open_to_visitors(clinic_a.community, capacity=3)
    visitor_at(clinic_a, TODAY - timedelta(days=3), TODAY + timedelta(days=20), name="Here Now")
    Application.objects.filter(full_name="Here Now").update(state=State.IN_COMMUNITY)
    visitor_at(clinic_a, TODAY + timedelta(days=5), TODAY + timedelta(days=30), name="Soon There", slot=2)
    visitor_at(clinic_a, TODAY + timedelta(days=60), TODAY + timedelta(days=90), name="Much Later", slot=3)
    content = home(coordinator)
    assert "Here Now" in content and "Soon There" in content and "Much Later" not in content


@pytest.mark.parametrize("size", [1, 5])
def test_coordinator_panel_runs_two_queries(coordinator, clinic_a, rf, django_assert_num_queries, size):
    open_to_visitors(clinic_a.community, capacity=size * 2)
    for n in range(size):
        visitor_at(clinic_a, TODAY - timedelta(days=1), TODAY + timedelta(days=9), slot=2 * n + 1)
        visitor_at(clinic_a, TODAY + timedelta(days=3), TODAY + timedelta(days=9), slot=2 * n + 2)
    with django_assert_num_queries(2):
        panel_context(panels.visitors_in_the_field, coordinator, rf)
