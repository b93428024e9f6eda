"""The clinics pages, through the Django test client: who may open what, the forms and their refusals
(a clear message and nothing written), the duplicate-patient flow, the home panels, and the number of
queries of the list and detail pages pinned at two data sizes."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ces.accounts.roles import Role
from ces.accounts.tests.factories import UserFactory
from clinics.models import Assignment, Cadre, Clinic, Patient, SupervisionVisit
from clinics.tests.factories import (
    AssignmentFactory,
    ClinicFactory,
    CohortFactory,
    HostFamilyFactory,
    PatientFactory,
    StaffFactory,
    SupervisionVisitFactory,
)
from tests.kit import LAYOUT_QUERIES, client_for

pytestmark = pytest.mark.django_db


TODAY = timezone.localdate()


def page(user, name, *args, query=None):
    url = reverse(f"clinics:{name}", args=args)
    return client_for(user).get(url, query or {})


def text(response) -> str:
    return response.content.decode()


def dmy(day: date) -> str:
    return day.strftime("%d/%m/%Y")


@pytest.fixture
def incoming(db):
    """A pasante of the next cohort, not yet placed."""
    cohort = CohortFactory(name="Promoción 2027", start_date=TODAY + timedelta(days=20),
                           end_date=TODAY + timedelta(days=400))
    return StaffFactory(full_name="Itzel Moreno Cruz", cadre=Cadre.PASANTE, cohort=cohort)


# --- Clinic list and detail ----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(clinic_a):
    response = page(None, "clinic-list")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("persona", ["outsider", "applicant"])
def test_role_without_clinics_is_refused_the_clinic_list(persona, request):
    assert page(request.getfixturevalue(persona), "clinic-list").status_code == 403


def test_coordinator_sees_every_clinic_with_its_pasante_and_coverage(coordinator, pasante_a, clinic_a, clinic_b):
    Assignment.objects.filter(clinic=clinic_a).update(end_date=TODAY + timedelta(days=40))
    response = page(coordinator, "clinic-list")
    assert response.status_code == 200
    body = text(response)
    assert "Clínica Capitán" in body and "Clínica Reforma" in body
    assert pasante_a.full_name in body
    assert f"Gap from {dmy(TODAY + timedelta(days=41))}" in body
    assert 'data-testid="coverage-badge-gap"' in body


def test_pasante_sees_only_their_clinic_in_the_list(pasante_b, clinic_a):
    body = text(page(pasante_b, "clinic-list"))
    assert "Clínica Reforma" in body
    assert "Capitán" not in body


def test_clinic_list_searches_and_filters_by_kind(coordinator, clinic_a, clinic_b):
    ClinicFactory(name="Casa Materna", community__name="Jaltenango", kind=Clinic.Kind.MATERNAL_HOME)
    body = text(page(coordinator, "clinic-list", query={"q": "capit"}))
    assert "Clínica Capitán" in body and "Reforma" not in body
    body = text(page(coordinator, "clinic-list", query={"kind": "maternal_home"}))
    assert "Casa Materna" in body and "Capitán" not in body


def test_clinic_list_ignores_an_unknown_kind(coordinator, clinic_a):
    response = page(coordinator, "clinic-list", query={"kind": "spaceport", "page": "abc"})
    assert response.status_code == 200
    assert "Clínica Capitán" in text(response)


def test_clinic_list_is_paginated_by_25(coordinator):
    ClinicFactory.create_batch(30)
    first = page(coordinator, "clinic-list")
    second = page(coordinator, "clinic-list", query={"page": 2})
    assert text(first).count('data-testid="clinic-row"') == 25
    assert text(second).count('data-testid="clinic-row"') == 5


def test_pasante_sees_own_clinic(pasante_a, clinic_a):
    response = page(pasante_a, "clinic-detail", clinic_a.pk)
    assert response.status_code == 200
    assert "Clínica Capitán" in text(response)


def test_pasante_cannot_see_other_clinic(pasante_b, clinic_a):
    assert page(pasante_b, "clinic-detail", clinic_a.pk).status_code == 404


def test_clinic_detail_shows_team_families_visits_and_gaps_for_coordinator(coordinator, pasante_a, chw, clinic_a):
    gap_start = TODAY + timedelta(days=100)
    Assignment.objects.filter(clinic=clinic_a, role="pasante").update(end_date=gap_start - timedelta(days=1))
    AssignmentFactory(clinic=clinic_a, start_date=TODAY + timedelta(days=130), end_date=None,
                      staff__full_name="Tomás Ruiz Solís")
    HostFamilyFactory(community=clinic_a.community, head_of_household="Doña Rosa Pérez",
                      rate_per_night=Decimal("180.00"), rate_per_meal=Decimal("55.50"))
    SupervisionVisitFactory(clinic=clinic_a, visited_on=TODAY - timedelta(days=3), notes="Farmacia en orden.")

    body = text(page(coordinator, "clinic-detail", clinic_a.pk))

    assert pasante_a.full_name in body and chw.full_name in body
    assert "Tomás Ruiz Solís" in body
    assert "Doña Rosa Pérez" in body and "$180.00 MXN" in body and "$55.50 MXN" in body
    assert "Farmacia en orden." in body
    assert f"No pasante from {dmy(gap_start)} to {dmy(TODAY + timedelta(days=129))} (30 days)" in body
    assign = reverse("clinics:assignment-create") + f"?clinic={clinic_a.pk}&amp;start={gap_start.isoformat()}"
    assert assign in body
    assignment = Assignment.objects.get(staff__user=pasante_a)
    assert reverse("clinics:assignment-end", args=[assignment.pk]) in body
    assert reverse("clinics:assignment-move", args=[assignment.pk]) in body
    assert '<rect class="gap"' in body and "style=" not in body


def test_clinic_detail_has_no_staffing_links_for_pasante(pasante_a, clinic_a):
    Assignment.objects.filter(clinic=clinic_a).update(end_date=TODAY + timedelta(days=10))
    body = text(page(pasante_a, "clinic-detail", clinic_a.pk))
    assert 'data-testid="coverage-gap"' in body
    assert "Assign pasante" not in body
    assert reverse("clinics:assignment-create") not in body


@pytest.mark.parametrize(("persona", "offers_visit", "offers_staffing"), [
    ("coordinator", True, True),
    ("supervisor", True, False),
    ("pasante_a", False, False),
    ("pharmacy", False, False),
])
def test_clinic_detail_offers_each_person_what_they_may_do(request, clinic_a, persona, offers_visit,
                                                          offers_staffing):
    body = text(page(request.getfixturevalue(persona), "clinic-detail", clinic_a.pk))
    assert (reverse("clinics:supervision-create", args=[clinic_a.pk]) in body) is offers_visit
    assert (reverse("clinics:assignment-create") in body) is offers_staffing


@pytest.mark.parametrize(("persona", "offers_people"), [
    ("coordinator", True),
    ("supervisor", False),
    ("pasante_a", False),
])
def test_clinic_detail_links_its_team_to_the_people_pages_for_who_manages_people(request, clinic_a, pasante_a,
                                                                                 persona, offers_people):
    response = page(request.getfixturevalue(persona), "clinic-detail", clinic_a.pk)
    assert response.status_code == 200
    body = text(response)
    for link in (reverse("clinics:person-create"), reverse("clinics:person-edit", args=[pasante_a.staff.pk]),
                 reverse("clinics:person-invite", args=[pasante_a.staff.pk])):
        assert (f'href="{link}"' in body) is offers_people


def test_staff_list_links_each_person_to_edit_and_invite_for_the_coordinator(coordinator, supervisor, pasante_a,
                                                                           clinic_a):
    gone = StaffFactory(full_name="Ausencio Ruiz", active=False)
    body = text(page(coordinator, "staff-list"))
    assert f'href="{reverse("clinics:person-edit", args=[pasante_a.staff.pk])}"' in body
    assert f'href="{reverse("clinics:person-invite", args=[pasante_a.staff.pk])}"' in body
    # An inactive person can be edited, not invited.
    assert f'href="{reverse("clinics:person-edit", args=[gone.pk])}"' in body
    assert f'href="{reverse("clinics:person-invite", args=[gone.pk])}"' not in body
    response = page(supervisor, "staff-list")
    assert response.status_code == 200
    assert 'data-testid="staff-row"' in text(response)
    assert 'data-testid="person-edit-link"' not in text(response)


def test_staff_detail_offers_the_staffing_actions_to_the_coordinator_only(coordinator, supervisor, pasante_a,
                                                                          clinic_a):
    assign = f'{reverse("clinics:assignment-create")}?staff={pasante_a.staff.pk}'
    assert assign in text(page(coordinator, "staff-detail", pasante_a.staff.pk))
    assert assign not in text(page(supervisor, "staff-detail", pasante_a.staff.pk))


def test_clinic_fully_covered_says_so(coordinator, pasante_a, clinic_a):
    body = text(page(coordinator, "clinic-detail", clinic_a.pk))
    assert 'data-testid="coverage-covered"' in body
    assert 'data-testid="coverage-gap"' not in body


# --- Staff and cohorts -----------------------------------------------------------------------------------------


def test_staff_directory_searches_and_filters(coordinator, pasante_a, pasante_b, clinic_a):
    StaffFactory(full_name="Fermín Inactivo Gómez", cadre=Cadre.DRIVER, active=False)
    assert pasante_a.full_name in text(page(coordinator, "staff-list", query={"q": pasante_a.full_name[:6]}))

    body = text(page(coordinator, "staff-list", query={"cadre": "driver"}))
    assert "Fermín Inactivo Gómez" in body and pasante_a.full_name not in body

    body = text(page(coordinator, "staff-list", query={"clinic": clinic_a.pk}))
    assert pasante_a.full_name in body and pasante_b.full_name not in body

    body = text(page(coordinator, "staff-list", query={"active": "1"}))
    assert "Fermín Inactivo Gómez" not in body and pasante_a.full_name in body


def test_staff_directory_shows_the_phone_or_e_mail_each_person_has(coordinator, pasante_a):
    import re

    StaffFactory(full_name="Tomasa Teléfono Cruz", cadre=Cadre.DRIVER, phone="962 100 2000", email="")
    StaffFactory(full_name="Nadie Contacto Ruiz", cadre=Cadre.COOK, phone="", email="")
    pasante_a.staff.email = ""
    pasante_a.staff.save(update_fields=["email"])

    body = text(page(coordinator, "staff-list"))

    contact = {name: cell for name, cell in re.findall(
        r'<td class="title"><a [^>]*>([^<]+)</a>.*?data-testid="staff-contact">(.*?)</td>', body, flags=re.S)}
    assert 'href="tel:962 100 2000"' in contact["Tomasa Teléfono Cruz"]
    assert f'href="mailto:{pasante_a.email}"' in contact[pasante_a.staff.full_name]  # from the account
    assert '<span class="empty">—</span>' in contact["Nadie Contacto Ruiz"]


@pytest.mark.parametrize(("start", "named"), [(date(2026, 12, 1), True), (date(2026, 12, 29), False)])
def test_the_coverage_bar_names_the_month_it_starts_in_when_it_fits(start, named):
    from types import SimpleNamespace

    from django.template.loader import render_to_string
    from django.utils import translation

    from clinics.views.staffing import _timeline

    with translation.override("en"):
        svg = render_to_string("clinics/_timeline.html", {"timeline": _timeline(SimpleNamespace(coverage=[]), start)})

    # From the 1st, December has a month of room before January's tick; from the 29th, only January is named.
    assert ('<text x="0%" y="42" data-testid="timeline-first-month">Dec</text>' in svg) is named
    assert '<text x="' in svg and ">Jan</text>" in svg


def test_pasante_sees_only_colleagues_in_the_directory(pasante_b, pasante_a, clinic_a):
    body = text(page(pasante_b, "staff-list"))
    assert pasante_b.full_name in body
    assert pasante_a.full_name not in body
    assert "Capitán" not in body  # not even in the clinic filter


def test_staff_detail_shows_the_assignment_history(coordinator, pasante_a, clinic_a, clinic_b):
    staff = pasante_a.staff
    AssignmentFactory(staff=staff, clinic=clinic_b, start_date=TODAY - timedelta(days=400),
                      end_date=TODAY - timedelta(days=200))
    body = text(page(coordinator, "staff-detail", staff.pk))
    assert "Clínica Capitán" in body and "Clínica Reforma" in body


def test_pasante_cannot_see_staff_of_other_clinic(pasante_b, pasante_a):
    assert page(pasante_b, "staff-detail", pasante_a.staff.pk).status_code == 404


def test_coordinator_sees_cohort_roster(coordinator, pasante_a, clinic_a, incoming):
    staff = pasante_a.staff
    staff.cohort = incoming.cohort
    staff.save()
    assert "Promoción 2027" in text(page(coordinator, "cohort-list"))
    body = text(page(coordinator, "cohort-detail", incoming.cohort.pk))
    assert staff.full_name in body and "Clínica Capitán" in body
    assert "Itzel Moreno Cruz" in body and "Not assigned" in body


@pytest.mark.parametrize("name", ["cohort-list", "assignment-create"])
def test_pasante_may_not_manage_staffing(pasante_a, name):
    assert page(pasante_a, name).status_code == 403


# --- Assignments ---------------------------------------------------------------------------------------------


@pytest.fixture
def gap(clinic_a, pasante_a):
    """Clinic A's pasante leaves in 50 days: from then on, a gap."""
    Assignment.objects.filter(staff__user=pasante_a).update(end_date=TODAY + timedelta(days=49))
    return TODAY + timedelta(days=50)


def test_assignment_form_is_prefilled_from_the_gap_link(coordinator, clinic_a, incoming, gap):
    response = page(coordinator, "assignment-create",
                    query={"clinic": clinic_a.pk, "start": gap.isoformat(), "staff": incoming.pk})
    form = response.context["form"]
    assert form.initial == {"clinic": str(clinic_a.pk), "staff": str(incoming.pk), "start_date": gap}
    assert f'value="{gap.isoformat()}"' in text(response)


@pytest.mark.parametrize("query", [{"clinic": "abc", "staff": "999999", "start": "mañana"}, {"start": "31/02/2026"}])
def test_assignment_form_ignores_a_bad_prefill(coordinator, query):
    response = page(coordinator, "assignment-create", query=query)
    assert response.status_code == 200
    assert "start_date" not in response.context["form"].initial


def _create(user, **data):
    return client_for(user).post(reverse("clinics:assignment-create"), data)


def test_assignment_form_offers_the_unplaced_first_and_says_where_the_others_are(coordinator, clinic_a, pasante_a,
                                                                                 incoming):
    body = text(page(coordinator, "assignment-create"))

    unplaced = body.index('<optgroup label="Not assigned">')
    placed = body.index('<optgroup label="Already assigned">')
    placed_pasante = Assignment.objects.select_related("staff").get(staff__user=pasante_a)
    assert unplaced < body.index("Itzel Moreno Cruz") < placed < body.index(placed_pasante.staff.full_name)
    assert f"{placed_pasante.staff.full_name} · " in body and "Clínica Capitán (" in body


def test_assignment_form_runs_the_same_queries_whatever_the_staff(coordinator, clinic_a, incoming):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(coordinator)
    client.get(reverse("clinics:assignment-create"))
    counts = []
    for extra in (1, 6):
        for _ in range(extra):
            AssignmentFactory(clinic=ClinicFactory(), staff=StaffFactory(cadre=Cadre.PASANTE),
                              start_date=TODAY, end_date=None)
            StaffFactory(cadre=Cadre.PASANTE)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("clinics:assignment-create")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_refusal_says_where_the_pasante_already_is(coordinator, clinic_a, pasante_a, incoming):
    placed = Assignment.objects.select_related("staff").get(staff__user=pasante_a)
    other = ClinicFactory(name="Clínica Reforma")
    before = Assignment.objects.count()

    response = _create(coordinator, staff=placed.staff.pk, clinic=other.pk, role="pasante", start_date=dmy(TODAY))

    assert response.status_code == 200
    end = f" to {placed.end_date:%d/%m/%Y}." if placed.end_date else ", with no end date."
    assert (f"{placed.staff.full_name} is already at Clínica Capitán from {placed.start_date:%d/%m/%Y}{end}"
            in text(response))
    assert Assignment.objects.count() == before


def test_coordinator_assigns_the_incoming_pasante_and_the_gap_closes(coordinator, clinic_a, incoming, gap):
    client = client_for(coordinator)
    data = {"staff": incoming.pk, "clinic": clinic_a.pk, "role": "pasante", "start_date": dmy(gap)}
    response = client.post(reverse("clinics:assignment-create"), data)
    assert response.status_code == 302
    assert response.headers["Location"] == clinic_a.get_absolute_url()
    assignment = Assignment.objects.get(staff=incoming)
    assert (assignment.start_date, assignment.end_date) == (gap, incoming.cohort.end_date)
    followed = client.get(response.headers["Location"])
    assert "Itzel Moreno Cruz is assigned to Clínica Capitán" in text(followed)
    assert 'data-testid="coverage-gap"' not in text(followed)


def test_iso_dates_from_the_phone_picker_are_accepted(coordinator, clinic_a, incoming, gap):
    response = _create(coordinator, staff=incoming.pk, clinic=clinic_a.pk, role="pasante", start_date=gap.isoformat())
    assert response.status_code == 302
    assert Assignment.objects.get(staff=incoming).start_date == gap


def test_overlapping_assignment_is_refused_and_nothing_written(coordinator, clinic_a, incoming, gap):
    before = Assignment.objects.count()
    response = _create(coordinator, staff=incoming.pk, clinic=clinic_a.pk, role="pasante",
                       start_date=dmy(gap - timedelta(days=10)))
    assert response.status_code == 200
    assert "The clinic already has a pasante during those dates." in text(response)
    assert Assignment.objects.count() == before


@pytest.mark.parametrize("bad", [{"clinic": "999999"}, {"clinic": "Capitán"}, {"staff": "999999"}])
def test_unknown_clinic_or_person_is_refused(coordinator, clinic_a, incoming, gap, bad):
    before = Assignment.objects.count()
    data = {"staff": incoming.pk, "clinic": clinic_a.pk, "role": "pasante", "start_date": dmy(gap), **bad}
    response = _create(coordinator, **data)
    assert response.status_code == 200
    assert "Choose one of the options in the list." in text(response)
    assert Assignment.objects.count() == before


@pytest.mark.parametrize("bad_date", ["31/02/2026", "mañana", "2026-13-01"])
def test_malformed_start_date_is_refused(coordinator, clinic_a, incoming, gap, bad_date):
    before = Assignment.objects.count()
    response = _create(coordinator, staff=incoming.pk, clinic=clinic_a.pk, role="pasante", start_date=bad_date)
    assert response.status_code == 200
    assert response.context["form"].errors["start_date"] == [
        "Write a real date as dd/mm/yyyy, for example 15/03/2026."]
    assert Assignment.objects.count() == before


def test_missing_start_date_is_refused(coordinator, clinic_a, incoming, gap):
    response = _create(coordinator, staff=incoming.pk, clinic=clinic_a.pk, role="pasante", start_date="")
    assert response.context["form"].errors["start_date"]
    assert not Assignment.objects.filter(staff=incoming).exists()


def test_end_before_start_is_refused(coordinator, clinic_a, incoming, gap):
    response = _create(coordinator, staff=incoming.pk, clinic=clinic_a.pk, role="pasante", start_date=dmy(gap),
                       end_date=dmy(gap - timedelta(days=1)))
    assert "The assignment cannot end before it starts." in text(response)
    assert not Assignment.objects.filter(staff=incoming).exists()


def test_wrong_cadre_for_the_role_is_refused(coordinator, clinic_a, gap):
    driver = StaffFactory(cadre=Cadre.DRIVER)
    response = _create(coordinator, staff=driver.pk, clinic=clinic_a.pk, role="pasante", start_date=dmy(gap))
    assert response.status_code == 200
    assert response.context["form"].errors["role"]
    assert not Assignment.objects.filter(staff=driver).exists()


def test_supervisor_may_not_create_assignments(supervisor, clinic_a, incoming, gap):
    response = _create(supervisor, staff=incoming.pk, clinic=clinic_a.pk, role="pasante", start_date=dmy(gap))
    assert response.status_code == 403
    assert not Assignment.objects.filter(staff=incoming).exists()


@pytest.fixture
def current(pasante_a):
    return Assignment.objects.get(staff__user=pasante_a)


def _end(user, assignment, **data):
    return client_for(user).post(reverse("clinics:assignment-end", args=[assignment.pk]), data)


def test_coordinator_ends_an_assignment(coordinator, current):
    last_day = TODAY + timedelta(days=5)
    response = _end(coordinator, current, end_date=dmy(last_day), reason="Renuncia")
    assert response.status_code == 302
    current.refresh_from_db()
    assert (current.end_date, current.end_reason) == (last_day, "Renuncia")


@pytest.mark.parametrize("bad_date", ["31/02/2026", "mañana"])
def test_ending_with_a_malformed_date_writes_nothing(coordinator, current, bad_date):
    response = _end(coordinator, current, end_date=bad_date, reason="Renuncia")
    assert response.status_code == 200
    assert "Write a real date as dd/mm/yyyy" in text(response)
    current.refresh_from_db()
    assert current.end_date is None


def test_ending_before_the_start_is_refused(coordinator, current):
    response = _end(coordinator, current, end_date=dmy(current.start_date - timedelta(days=1)))
    assert response.status_code == 200
    assert "cannot end before it starts" in text(response)
    current.refresh_from_db()
    assert current.end_date is None


def test_supervisor_may_not_end_an_assignment(supervisor, current):
    assert _end(supervisor, current, end_date=dmy(TODAY)).status_code == 403
    current.refresh_from_db()
    assert current.end_date is None


def _move(user, assignment, **data):
    return client_for(user).post(reverse("clinics:assignment-move", args=[assignment.pk]), data)


def test_coordinator_moves_a_pasante_to_another_clinic(coordinator, current, clinic_b):
    clinic_c = ClinicFactory(name="Clínica Matazano")
    move_day = TODAY + timedelta(days=7)
    response = _move(coordinator, current, clinic=clinic_c.pk, move_date=dmy(move_day))
    assert response.status_code == 302
    assert response.headers["Location"] == clinic_c.get_absolute_url()
    current.refresh_from_db()
    assert current.end_date == move_day - timedelta(days=1)
    assert Assignment.objects.get(clinic=clinic_c).start_date == move_day


def test_moving_into_an_occupied_clinic_writes_nothing(coordinator, current, pasante_b, clinic_b):
    before = list(Assignment.objects.values_list("pk", "end_date"))
    response = _move(coordinator, current, clinic=clinic_b.pk, move_date=dmy(TODAY + timedelta(days=7)))
    assert response.status_code == 200
    assert "The clinic already has a pasante during those dates." in text(response)
    assert list(Assignment.objects.values_list("pk", "end_date")) == before


@pytest.mark.parametrize("data", [{"clinic": "999999", "move_date": "01/01/2027"}, {"move_date": "mañana"}])
def test_moving_with_bad_input_writes_nothing(coordinator, current, data):
    clinic_c = ClinicFactory(name="Clínica Matazano")
    before = list(Assignment.objects.values_list("pk", "end_date"))
    response = _move(coordinator, current, **{"clinic": clinic_c.pk, **data})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert list(Assignment.objects.values_list("pk", "end_date")) == before


# --- Supervision -------------------------------------------------------------------------------------------


def _visit(user, clinic, **data):
    return client_for(user).post(reverse("clinics:supervision-create", args=[clinic.pk]), data)


def test_supervisor_records_a_visit_as_themselves(supervisor, clinic_a):
    response = _visit(supervisor, clinic_a, visited_on=dmy(TODAY), notes="Revisé expedientes.")
    assert response.status_code == 302
    visit = SupervisionVisit.objects.get()
    assert (visit.supervisor, visit.clinic, visit.recorded_by) == (supervisor.staff, clinic_a, supervisor)


def test_supervisor_form_has_no_supervisor_choice(supervisor, clinic_a):
    response = page(supervisor, "supervision-create", clinic_a.pk)
    assert "supervisor" not in response.context["form"].fields


def test_supervisor_cannot_record_a_visit_elsewhere(supervisor, clinic_b):
    assert _visit(supervisor, clinic_b, visited_on=dmy(TODAY), notes="x").status_code == 404
    assert not SupervisionVisit.objects.exists()


def test_pasante_cannot_record_a_visit(pasante_a, clinic_a):
    assert _visit(pasante_a, clinic_a, visited_on=dmy(TODAY), notes="x").status_code == 403
    assert not SupervisionVisit.objects.exists()


def test_coordinator_records_a_visit_for_a_chosen_supervisor(coordinator, supervisor, clinic_b):
    response = _visit(coordinator, clinic_b, supervisor=supervisor.staff.pk, visited_on=dmy(TODAY), notes="Bien.")
    assert response.status_code == 302
    assert SupervisionVisit.objects.get().supervisor == supervisor.staff


def test_visit_in_the_future_is_refused(supervisor, clinic_a):
    response = _visit(supervisor, clinic_a, visited_on=dmy(TODAY + timedelta(days=2)), notes="x")
    assert response.status_code == 200
    assert "The visit cannot be in the future." in text(response)
    assert not SupervisionVisit.objects.exists()


def test_coordinator_cannot_pick_a_pasante_as_supervisor(coordinator, pasante_a, clinic_a):
    response = _visit(coordinator, clinic_a, supervisor=pasante_a.staff.pk, visited_on=dmy(TODAY), notes="x")
    assert response.status_code == 200
    assert "Choose one of the options in the list." in text(response)
    assert not SupervisionVisit.objects.exists()


# --- Patients -----------------------------------------------------------------------------------------------


def test_patient_list_searches_by_name_and_curp(pasante_a, clinic_a):
    PatientFactory(clinic=clinic_a, given_names="Rosalba", family_names="Gómez Pérez", curp="GOPR850312MCSMRS09")
    PatientFactory(clinic=clinic_a, given_names="Juan", family_names="López")
    body = text(page(pasante_a, "patient-list", query={"q": "rosalba gómez"}))
    assert "Rosalba" in body and "Juan" not in body
    body = text(page(pasante_a, "patient-list", query={"q": "gopr85"}))
    assert "Rosalba" in body and "Juan" not in body


def test_pasante_sees_only_patients_of_their_clinic(pasante_b, clinic_a, clinic_b):
    PatientFactory(clinic=clinic_a, given_names="Rosalba", family_names="Gómez")
    PatientFactory(clinic=clinic_b, given_names="Juan", family_names="López")
    body = text(page(pasante_b, "patient-list"))
    assert "Juan" in body and "Rosalba" not in body


def test_pasante_cannot_see_a_patient_of_another_clinic(pasante_b, clinic_a):
    patient = PatientFactory(clinic=clinic_a)
    assert page(pasante_b, "patient-detail", patient.pk).status_code == 404


def test_chw_sees_a_patient_of_their_clinic(chw, clinic_a):
    patient = PatientFactory(clinic=clinic_a, given_names="Rosalba")
    assert "Rosalba" in text(page(chw, "patient-detail", patient.pk))


@pytest.mark.parametrize("name", ["patient-list", "patient-create"])
def test_pharmacy_may_not_use_the_patient_registry(pharmacy, name):
    assert page(pharmacy, name).status_code == 403


def _patient(user, **data):
    return client_for(user).post(reverse("clinics:patient-create"), data)


@pytest.fixture
def patient_data(clinic_a):
    return {"clinic": clinic_a.pk, "given_names": "María José", "family_names": "Hernández Ruiz", "sex": "F",
            "birth_date": "12/03/1985", "curp": "", "phone": ""}


def test_pasante_registers_a_patient(pasante_a, patient_data):
    response = _patient(pasante_a, **patient_data)
    patient = Patient.objects.get()
    assert response.headers["Location"] == patient.get_absolute_url()
    assert (patient.birth_date, patient.created_by, patient.duplicate_reviewed) == (date(1985, 3, 12), pasante_a,
                                                                                    False)


def test_pasante_cannot_register_a_patient_in_another_clinic(pasante_a, patient_data, clinic_b):
    response = _patient(pasante_a, **{**patient_data, "clinic": clinic_b.pk})
    assert "Choose one of the options in the list." in text(response)
    assert not Patient.objects.exists()


def test_patient_with_malformed_birth_date_is_refused(pasante_a, patient_data):
    response = _patient(pasante_a, **{**patient_data, "birth_date": "31/02/1985"})
    assert "Write a real date as dd/mm/yyyy" in text(response)
    assert not Patient.objects.exists()


def test_patient_with_bad_curp_shows_the_service_message(pasante_a, patient_data):
    response = _patient(pasante_a, **{**patient_data, "curp": "XYZ"})
    assert response.context["form"].errors["curp"]
    assert not Patient.objects.exists()


def test_possible_duplicate_is_listed_and_needs_confirmation(pasante_a, patient_data, clinic_a):
    existing = PatientFactory(clinic=clinic_a, given_names="María José", family_names="Hernández Ruiz",
                              birth_date=date(1985, 3, 12))

    response = _patient(pasante_a, **patient_data)
    assert response.status_code == 200
    body = text(response)
    assert 'data-testid="duplicate-candidates"' in body
    assert existing.get_absolute_url() in body
    assert 'type="checkbox" name="confirm_not_duplicate"' in body
    assert Patient.objects.count() == 1

    response = _patient(pasante_a, **patient_data, confirm_not_duplicate="on")
    assert response.status_code == 302
    created = Patient.objects.exclude(pk=existing.pk).get()
    assert created.duplicate_reviewed


def test_duplicate_checkbox_is_hidden_until_there_is_a_duplicate(pasante_a):
    body = text(page(pasante_a, "patient-create"))
    assert 'type="checkbox" name="confirm_not_duplicate"' not in body


# --- Home panels ---------------------------------------------------------------------------------------------


def home(user):
    return text(client_for(user).get(reverse("accounts:home")))


def test_coordinator_home_lists_gaps_and_assignments_ending(coordinator, pasante_a, pasante_b, clinic_a, clinic_b):
    Assignment.objects.filter(staff__user=pasante_a).update(end_date=TODAY + timedelta(days=20))
    Assignment.objects.filter(staff__user=pasante_b).update(end_date=TODAY + timedelta(days=200))
    body = home(coordinator)
    gaps = body.split('data-testid="panel-coverage-gaps"')[1].split("</ul>")[0]
    assert gaps.index("Clínica Capitán") < gaps.index("Clínica Reforma")
    assert dmy(TODAY + timedelta(days=21)) in gaps
    ending = body.split('data-testid="panel-assignments-ending"')[1].split("</ul>")[0]
    assert pasante_a.full_name in ending and pasante_b.full_name not in ending


def test_supervisor_home_shows_last_supervision_visit(supervisor, clinic_a):
    SupervisionVisitFactory(clinic=clinic_a, visited_on=TODAY - timedelta(days=9))
    SupervisionVisitFactory(clinic=clinic_a, visited_on=TODAY - timedelta(days=40))
    body = home(supervisor)
    assert 'data-testid="panel-my-clinics"' in body
    assert f"Last supervision visit: {dmy(TODAY - timedelta(days=9))}" in body


@pytest.mark.parametrize("persona", ["pasante_a", "chw"])
def test_pasante_and_chw_home_shows_their_clinic_and_team(persona, request, pasante_a, chw, clinic_b):
    body = home(request.getfixturevalue(persona))
    panel = body.split('data-testid="panel-my-clinic"')[1]
    assert "Clínica Capitán" in panel and pasante_a.full_name in panel and chw.full_name in panel
    assert "Reforma" not in panel


def test_pasante_of_the_coming_cohort_sees_where_and_when_her_post_starts(pasante_a, clinic_a, clinic_b):
    # Her first post starts in three weeks (her cohort's year); a later one does not matter yet.
    Assignment.objects.filter(staff=pasante_a.staff).update(start_date=TODAY + timedelta(days=21),
                                                             end_date=TODAY + timedelta(days=200))
    AssignmentFactory(staff=pasante_a.staff, clinic=clinic_b, start_date=TODAY + timedelta(days=201))
    panel = home(pasante_a).split('id="panel-clinics-my-clinic"')[1].split("</section>")[0]
    assert "You have no clinic assigned today." in panel
    assert (f'<p data-testid="next-post">Your post starts on {dmy(TODAY + timedelta(days=21))} at Clínica Capitán'
            " (Capitán).</p>") in panel
    assert "Reforma" not in panel


def test_pasante_with_nothing_coming_sees_no_post(pasante_a, clinic_a):
    Assignment.objects.filter(staff=pasante_a.staff).update(end_date=TODAY - timedelta(days=1))
    panel = home(pasante_a).split('id="panel-clinics-my-clinic"')[1].split("</section>")[0]
    assert "You have no clinic assigned today." in panel
    assert 'data-testid="next-post"' not in panel


def test_pasante_with_a_clinic_today_is_not_told_of_her_next_post(pasante_a, clinic_b):
    Assignment.objects.filter(staff=pasante_a.staff).update(end_date=TODAY + timedelta(days=100))
    AssignmentFactory(staff=pasante_a.staff, clinic=clinic_b, start_date=TODAY + timedelta(days=101))
    panel = home(pasante_a).split('id="panel-clinics-my-clinic"')[1].split("</section>")[0]
    assert "Clínica Capitán" in panel
    assert 'data-testid="next-post"' not in panel


# --- Query counts --------------------------------------------------------------------------------------------


# Every page of the layout reads the user with their roles (tests.kit.LAYOUT_QUERIES).


def _network(size):
    for _ in range(size):
        clinic = ClinicFactory()
        AssignmentFactory(clinic=clinic, start_date=TODAY - timedelta(days=10), end_date=TODAY + timedelta(days=90))
        AssignmentFactory(clinic=clinic, start_date=TODAY + timedelta(days=120), end_date=None)


@pytest.mark.parametrize("size", [3, 30])
def test_clinic_list_query_count_is_fixed(coordinator, django_assert_num_queries, size):
    _network(size)
    client = client_for(coordinator)
    # clinics with their communities, pasante assignments with their people
    with django_assert_num_queries(LAYOUT_QUERIES + 2):
        response = client.get(reverse("clinics:clinic-list"))
    assert response.status_code == 200


@pytest.mark.parametrize("size", [3, 30])
def test_staff_list_query_count_is_fixed(coordinator, django_assert_num_queries, size):
    _network(size)
    StaffFactory.create_batch(size, cadre=Cadre.DRIVER)
    client = client_for(coordinator)
    # clinic filter choices, count, page, current assignments
    with django_assert_num_queries(LAYOUT_QUERIES + 4):
        response = client.get(reverse("clinics:staff-list"), {"q": "", "cadre": ""})
    assert response.status_code == 200


@pytest.mark.parametrize("size", [3, 30])
def test_clinic_detail_query_count_is_fixed(coordinator, clinic_a, django_assert_num_queries, size):
    for n in range(size):
        AssignmentFactory(clinic=clinic_a, role=Assignment.Role.CHW, staff__cadre=Cadre.CHW,
                          start_date=TODAY - timedelta(days=5))
        AssignmentFactory(clinic=clinic_a, start_date=TODAY + timedelta(days=10 * n), end_date=TODAY + timedelta(
            days=10 * n + 5))
        HostFamilyFactory(community=clinic_a.community)
        SupervisionVisitFactory(clinic=clinic_a)
    client = client_for(coordinator)
    # clinic with its community, assignments, host families, supervision visits, the supervision frequency
    with django_assert_num_queries(LAYOUT_QUERIES + 5):
        response = client.get(reverse("clinics:clinic-detail", args=[clinic_a.pk]))
    assert response.status_code == 200


@pytest.mark.parametrize("size", [3, 30])
def test_supervisor_clinic_detail_query_count_is_fixed(supervisor, clinic_a, django_assert_num_queries, size):
    for _ in range(size):
        AssignmentFactory(clinic=clinic_a, role=Assignment.Role.CHW, staff__cadre=Cadre.CHW,
                          start_date=TODAY - timedelta(days=5))
    client = client_for(supervisor)
    # the coordinator's: the clinic came through the supervisor's scope, so offering the visit asks nothing more
    with django_assert_num_queries(LAYOUT_QUERIES + 5):
        client.get(reverse("clinics:clinic-detail", args=[clinic_a.pk]))



@pytest.mark.parametrize("size", [3, 30])
def test_home_panels_run_a_fixed_number_of_queries(coordinator, supervisor, chw, clinic_a, rf,
                                                   django_assert_num_queries, size):
    from clinics import panels

    _network(size)
    for n in range(size):
        AssignmentFactory(clinic=clinic_a, role=Assignment.Role.CHW, staff__cadre=Cadre.CHW,
                          start_date=TODAY - timedelta(days=5), end_date=TODAY + timedelta(days=n + 1))
        SupervisionVisitFactory(clinic=clinic_a, visited_on=TODAY - timedelta(days=n))
    coming = UserFactory(roles=[Role.PASANTE])
    coming_staff = StaffFactory(user=coming, cadre=Cadre.PASANTE)
    for n in range(size):
        AssignmentFactory(staff=coming_staff, clinic=clinic_a if n == 0 else ClinicFactory(),
                          start_date=TODAY + timedelta(days=10 + n), end_date=TODAY + timedelta(days=10 + n))
    cases = [
        (coordinator, panels.coverage_gaps, 2, "clinics"),
        (coordinator, panels.assignments_ending, 1, "assignments"),
        (supervisor, panels.my_clinics, 2, "clinics"),  # the supervision frequency, the clinics
        (chw, panels.my_clinic, 2, "clinics"),
        (coming, panels.my_clinic, 2, "next_post"),  # no clinic (nothing to prefetch), her next post
    ]
    for user, panel, queries, key in cases:
        request = rf.get("/")
        request.user = user
        assert user.roles  # the layout has loaded the roles already
        with django_assert_num_queries(queries):
            assert panel(request)[key]


@pytest.mark.parametrize("size", [3, 30])
def test_patient_list_query_count_is_fixed(pasante_a, clinic_a, django_assert_num_queries, size):
    PatientFactory.create_batch(size, clinic=clinic_a)
    client = client_for(pasante_a)
    # clinic filter choices, count, page with clinic and community
    with django_assert_num_queries(LAYOUT_QUERIES + 3):
        response = client.get(reverse("clinics:patient-list"))
    assert text(response).count('data-testid="patient-row"') == min(size, 25)


@pytest.mark.parametrize("size", [3, 30])
def test_cohort_roster_query_count_is_fixed(coordinator, incoming, django_assert_num_queries, size):
    for _ in range(size):
        AssignmentFactory(staff__cohort=incoming.cohort, start_date=TODAY + timedelta(days=20),
                          end_date=TODAY + timedelta(days=380))
    client = client_for(coordinator)
    # cohort, pasantes, their posts with the clinics
    with django_assert_num_queries(LAYOUT_QUERIES + 3):
        response = client.get(reverse("clinics:cohort-detail", args=[incoming.cohort.pk]))
    assert text(response).count('data-testid="roster-row"') == size + 1
