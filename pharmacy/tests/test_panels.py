"""The pharmacy panels of the home pages: the pasante's request of the month with its deadline and the next
thing to do, the requests waiting for the pharmacy, the stock alerts; the "Pharmacy" menu entry; and the
number of queries of each panel pinned at two data sizes."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from ces.accounts.roles import Role
from clinics.tests.factories import ClinicFactory
from pharmacy import panels, services
from pharmacy.models import RestockRequest, StockMovement
from pharmacy.tests.factories import ItemFactory, LotFactory, restock_request_in_state
from tests.kit import client_for

pytestmark = pytest.mark.django_db

State = RestockRequest.State
TODAY = timezone.localdate()
PERIOD = TODAY.replace(day=1)


def home(user, role=None) -> str:
    response = client_for(user).get(reverse("accounts:home"), {"role": role} if role else {})
    assert response.status_code == 200
    return response.content.decode()


def panel_context(panel, user, rf):
    request = rf.get("/")
    request.user = user
    return panel(request)


@pytest.fixture
def item(db):
    item = ItemFactory(name="Paracetamol")
    services.warehouse_receive(item=item, lot_number="W1", expiry=TODAY + timedelta(days=400), quantity=10_000)
    return item


@pytest.fixture
def deadline_28(db):
    services.pharmacy_settings_update(request_deadline_day=28)


# --- The pasante's panel --------------------------------------------------------------------------------


def test_pasante_with_no_request_this_month_is_offered_to_start_it_before_the_deadline(pasante_a, deadline_28):
    content = home(pasante_a)
    assert 'data-testid="my-request" data-clinic' in content and 'data-state="none"' in content
    assert f'data-testid="my-request-start" href="{reverse("pharmacy:request-create")}"' in content
    assert f"Due on {PERIOD.replace(day=28).strftime('%d/%m/%Y')}." in content
    assert f'href="{reverse("pharmacy:request-emergency-create")}"' in content


@pytest.mark.parametrize(("state", "testid", "name"), [
    (State.DRAFT, "my-request-edit", "pharmacy:request-edit"),
    (State.SUBMITTED, "my-request-view", "pharmacy:request-detail"),
    (State.APPROVED, "my-request-view", "pharmacy:request-detail"),
    (State.DISPATCHED, "my-request-receive", "pharmacy:request-receive"),
    (State.RECEIVED, "my-request-view", "pharmacy:request-detail"),
])
def test_pasante_is_offered_the_next_step_of_this_months_request(pasante_a, clinic_a, item, deadline_28, state,
                                                                   testid, name):
    request = restock_request_in_state(state, clinic=clinic_a, items=[item])
    content = home(pasante_a)
    assert f'data-state="{state}"' in content
    assert f'data-testid="{testid}" href="{reverse(name, args=[request.pk])}"' in content
    assert ('data-testid="my-request-deadline"' in content) == (state == State.DRAFT)


def test_a_rejected_request_shows_the_reason_and_offers_to_correct_it(pasante_a, clinic_a, item, pharmacy):
    request = restock_request_in_state(State.SUBMITTED, clinic=clinic_a, items=[item])
    services.restock_request_reject(request=request, reason="Counts do not add up", by=pharmacy)
    content = home(pasante_a)
    assert "Counts do not add up" in content
    assert f'data-testid="my-request-edit" href="{reverse("pharmacy:request-edit", args=[request.pk])}"' in content


def test_pasante_sees_the_other_deliveries_waiting_for_confirmation(pasante_a, clinic_a, clinic_b, item, rf):
    earlier = restock_request_in_state(State.DISPATCHED, clinic=clinic_a, items=[item],
                                       period=(PERIOD - timedelta(days=1)).replace(day=1))
    emergency = restock_request_in_state(State.DISPATCHED, clinic=clinic_a, items=[item],
                                         kind=RestockRequest.Kind.EMERGENCY)
    this_month = restock_request_in_state(State.DISPATCHED, clinic=clinic_a, items=[item])
    restock_request_in_state(State.DISPATCHED, clinic=clinic_b, items=[item])
    context = panel_context(panels.my_request, pasante_a, rf)
    assert [r.pk for r in context["waiting"]] == [earlier.pk, emergency.pk]
    assert context["clinics"][0]["request"] == this_month
    content = home(pasante_a)
    assert content.count(f'href="{reverse("pharmacy:request-receive", args=[earlier.pk])}"') == 1


def test_a_pasante_who_also_works_the_warehouse_sees_only_their_own_clinic_in_the_panel(pasante_b, clinic_a,
                                                                                         clinic_b, item, rf):
    pasante_b.groups.add(Group.objects.get(name=Role.PHARMACY))
    restock_request_in_state(State.DISPATCHED, clinic=clinic_a, items=[item],
                             period=(PERIOD - timedelta(days=1)).replace(day=1))
    restock_request_in_state(State.DISPATCHED, clinic=clinic_a, items=[item])
    context = panel_context(panels.my_request, pasante_b, rf)
    assert [entry["clinic"] for entry in context["clinics"]] == [clinic_b]
    assert context["clinics"][0]["request"] is None
    assert context["waiting"] == []


@pytest.mark.parametrize(("today", "late"), [(date(2026, 3, 20), True), (date(2026, 3, 10), False)])
def test_the_request_is_late_after_the_deadline_day(pasante_a, rf, monkeypatch, today, late):
    services.pharmacy_settings_update(request_deadline_day=15)
    monkeypatch.setattr(panels.timezone, "localdate", lambda *args: today)
    context = panel_context(panels.my_request, pasante_a, rf)
    assert context["deadline"] == date(2026, 3, 15)
    assert context["late"] is late


def test_a_pasante_with_no_clinic_today_is_told_so(pasante_a, rf):
    pasante_a.staff.assignments.update(end_date=TODAY - timedelta(days=1))
    assert panel_context(panels.my_request, pasante_a, rf)["clinics"] == []


# --- The pharmacy's panels ------------------------------------------------------------------------------


def test_pharmacy_sees_the_queue_the_oldest_waiting_and_the_approved_to_dispatch(pharmacy, clinic_a, clinic_b,
                                                                                 item):
    fresh = restock_request_in_state(State.SUBMITTED, clinic=clinic_a, items=[item])
    old = restock_request_in_state(State.SUBMITTED, clinic=clinic_b, items=[item])
    RestockRequest.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - timedelta(days=6))
    approved = restock_request_in_state(State.APPROVED, clinic=ClinicFactory(name="Clínica Laguna"), items=[item])
    restock_request_in_state(State.DRAFT, clinic=ClinicFactory(), items=[item])
    content = home(pharmacy)
    assert 'data-testid="panel-queue-count" data-count="2"' in content
    assert 'data-testid="panel-queue-oldest" data-days="6"' in content
    assert f'href="{reverse("pharmacy:request-approve", args=[old.pk])}"' in content
    assert f'href="{reverse("pharmacy:request-approve", args=[fresh.pk])}"' not in content
    assert f'href="{reverse("pharmacy:request-detail", args=[approved.pk])}"' in content
    assert f'href="{reverse("pharmacy:request-queue")}"' in content


def test_pharmacy_sees_lots_expiring_and_items_below_minimum(pharmacy, clinic_a, clinic_b, rf):
    soon = LotFactory(expiry=TODAY + timedelta(days=20), item__warehouse_minimum=100)
    gone = LotFactory(expiry=TODAY - timedelta(days=3))
    later = LotFactory(expiry=TODAY + timedelta(days=200))
    services.ledger_move(moves=[services.Move(None, soon, 50), services.Move(clinic_a, gone, 5),
                                services.Move(None, later, 500)], kind=StockMovement.Kind.RECEIPT)
    # Clinic B counted nothing left of an item it uses: below its minimum.
    restock_request_in_state(State.SUBMITTED, clinic=clinic_b, items=[later.item], stock_on_hand=0)
    context = panel_context(panels.stock_alerts, pharmacy, rf)
    assert (context["expiring"], context["expired"], context["first_expiry"]) == (2, 1, gone.expiry)
    assert (context["warehouse_below"], context["clinic_below"], context["clinics_below"]) == (1, 1, 1)
    content = home(pharmacy)
    assert 'data-testid="panel-expiring" data-count="2"' in content
    assert 'data-testid="panel-below-minimum" data-warehouse="1" data-clinics="1"' in content
    assert f'href="{reverse("pharmacy:stock-expiring")}"' in content
    assert f'href="{reverse("pharmacy:stock-below-minimum")}"' in content


def test_coordinator_sees_the_requests_waiting_but_not_the_stock_alerts(coordinator):
    content = home(coordinator)
    assert 'data-testid="panel-requests"' in content
    assert 'data-testid="panel-stock-alerts"' not in content


def test_empty_pharmacy_panels_say_so(pharmacy):
    content = home(pharmacy)
    assert 'data-testid="panel-queue-count" data-count="0"' in content
    assert "Nothing waits to be dispatched." in content
    assert 'data-testid="panel-expiring" data-count="0"' in content


# --- The menu -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "shown"), [
    ("pasante_a", True), ("pharmacy", True), ("coordinator", True), ("admin_user", True),
    ("supervisor", False), ("chw", False), ("visitor_program", False),
])
def test_the_pharmacy_menu_entry_is_for_those_who_work_the_requests(request, persona, shown):
    content = home(request.getfixturevalue(persona))
    assert (f'href="{reverse("pharmacy:request-list")}" data-testid="nav-pharmacy"' in content) is shown


# --- Query counts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [2, 12])
def test_pharmacy_panels_run_a_fixed_number_of_queries(pharmacy, pasante_a, clinic_a, item, rf,
                                                       django_assert_num_queries, size):
    for n in range(size):
        clinic = ClinicFactory()
        restock_request_in_state(State.SUBMITTED if n % 2 else State.APPROVED, clinic=clinic, items=[item],
                                 stock_on_hand=n % 3)
        LotFactory(item=item, expiry=TODAY + timedelta(days=n - 2))
        services.ledger_move(moves=[services.Move(clinic, LotFactory(expiry=TODAY + timedelta(days=n)), 3)],
                             kind=StockMovement.Kind.RECEIPT)
        restock_request_in_state(State.DISPATCHED, clinic=clinic_a, items=[item], kind=RestockRequest.Kind.EMERGENCY)
    cases = [
        (pasante_a, panels.my_request, 3),  # settings, clinics, requests
        (pharmacy, panels.requests_waiting, 3),  # oldest waiting, approved, count
        (pharmacy, panels.stock_alerts, 3),  # expiring, warehouse below minimum, clinics below minimum
    ]
    for user, panel, queries in cases:
        request = rf.get("/")
        request.user = user
        assert user.roles  # the layout has loaded the roles already
        with django_assert_num_queries(queries):
            panel(request)
