"""The factory that walks a restock request to a state goes through the real services, so the tests built on
it start from a request the services themselves would have made."""

from datetime import timedelta

import pytest
from django.utils import timezone

from pharmacy import services
from pharmacy.models import RestockRequest, StockMovement

from .factories import ItemFactory, restock_request_advance, restock_request_in_state

pytestmark = pytest.mark.django_db

State = RestockRequest.State


@pytest.fixture
def item(pharmacy):
    item = ItemFactory()
    services.warehouse_receive(item=item, lot_number="W-1", expiry=timezone.localdate() + timedelta(days=400),
                               quantity=500, by=pharmacy)
    return item


@pytest.mark.parametrize("state", list(State))
def test_a_request_reaches_every_state_and_is_stored_there(clinic_a, item, pasante_a, pharmacy, state):
    request = restock_request_in_state(state, clinic=clinic_a, items=[item], pasante=pasante_a, reviewer=pharmacy)

    request.refresh_from_db()
    assert request.state == state
    assert request.created_by == pasante_a


def test_the_walk_moves_the_stock_as_the_services_do(clinic_a, item, pasante_a, pharmacy):
    request = restock_request_in_state(State.RECEIVED, clinic=clinic_a, items=[item], pasante=pasante_a,
                                       reviewer=pharmacy, cuts={item.pk: (40, "Shared out")})

    assert request.lines.get().approved == 40
    dispatched = StockMovement.objects.filter(document=f"restock-request:{request.pk}",
                                              kind=StockMovement.Kind.DISPATCH_OUT)
    assert [movement.quantity for movement in dispatched] == [-40]


def test_a_rejected_request_carries_the_reason_and_is_walked_on_from_there(clinic_a, item, pasante_a, pharmacy):
    request = restock_request_in_state(State.REJECTED, clinic=clinic_a, items=[item], reviewer=pharmacy,
                                       rejection_reason="Count again")
    assert request.rejection_reason == "Count again"

    assert restock_request_advance(request, State.APPROVED, reviewer=pharmacy).state == State.APPROVED


def test_a_state_behind_the_request_is_an_error_not_a_silent_stop(clinic_a, item):
    request = restock_request_in_state(State.APPROVED, clinic=clinic_a, items=[item])
    moved = StockMovement.objects.count()

    for behind in (State.SUBMITTED, State.REJECTED):
        with pytest.raises(ValueError, match=f"from approved to {behind}"):
            restock_request_advance(request, behind)

    request.refresh_from_db()
    assert request.state == State.APPROVED
    assert StockMovement.objects.count() == moved


def test_figures_are_for_items_not_for_ready_lines(clinic_a, item):
    with pytest.raises(TypeError):
        restock_request_in_state(State.DRAFT, clinic=clinic_a, lines=[{"item": item.pk}], consumed=3)
    assert not RestockRequest.objects.exists()
