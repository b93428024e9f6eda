from datetime import date

import factory
from django.utils import timezone

from pharmacy import services
from pharmacy.models import Item, Lot, RestockRequest

State = RestockRequest.State


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    code = factory.Sequence(lambda n: f"MED-{n:04d}")
    name = factory.Sequence(lambda n: f"Paracetamol {n}")
    form = "tablet"
    strength = "500 mg"
    unit = "tablet"
    category = "Analgesics"
    max_months_of_stock = 3


class LotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lot

    item = factory.SubFactory(ItemFactory)
    lot_number = factory.Sequence(lambda n: f"L{n:05d}")
    expiry = date(2030, 1, 31)


def restock_line(item, /, **figures) -> dict:
    """A line of the pasante's monthly report as the services take it: 50 at the start of the month, nothing
    received, 30 consumed, 20 on hand, no stock-out. In a 30-day month with no history: AMC 30, minimum 30
    (so 20 is below it), maximum 90 for three months of stock, suggestion 70. A figure given replaces its
    default, ``item`` included (an unknown id, say)."""
    return {"item": item.pk, "beginning_balance": 50, "received": 0, "consumed": 30, "stock_on_hand": 20,
            "stockout_days": 0, **figures}


def restock_request_in_state(state, *, clinic, items=(), lines=None, period=None, kind=RestockRequest.Kind.REGULAR,
                             pasante=None, reviewer=None, cuts=None, received=None, today=None,
                             rejection_reason="The figures do not add up", **figures) -> RestockRequest:
    """A request of ``clinic`` written and walked up to ``state`` through the real services.

    Its lines are ``lines`` (dicts as the services take them) or a ``restock_line(item, **figures)`` for
    each of ``items``. ``period`` defaults to this month; an emergency gives a reason. The other arguments
    go to ``restock_request_advance``; the pasante also writes the draft.
    """
    if lines is None:
        lines = [restock_line(item, **figures) for item in items]
    elif figures:
        raise TypeError("figures go with items, not with lines")
    request = services.restock_request_create_draft(
        clinic=clinic, period=period or timezone.localdate().replace(day=1), kind=kind, lines=lines, by=pasante,
        emergency_reason="Dengue outbreak" if kind == RestockRequest.Kind.EMERGENCY else "",
    )
    return restock_request_advance(request, state, pasante=pasante, reviewer=reviewer, cuts=cuts,
                                   received=received, today=today, rejection_reason=rejection_reason)


def restock_request_advance(request, state, *, pasante=None, reviewer=None, cuts=None, received=None, today=None,
                            rejection_reason="The figures do not add up") -> RestockRequest:
    """Walk ``request`` from where it is up to ``state`` through the services, one transition at a time.

    The happy path, or a rejection when ``state`` is rejected: the ``pasante`` submits and confirms receipt
    (of ``received``, else all), the ``reviewer`` approves (with ``cuts``), rejects, dispatches (as of
    ``today``) and closes. A state the request cannot reach forward is an error, raised before any write.
    """
    def approve_or_reject(r):
        if state == State.REJECTED:
            return services.restock_request_reject(request=r, reason=rejection_reason, by=reviewer)
        return services.restock_request_approve(request=r, by=reviewer, cuts=cuts)

    def submit(r):
        return services.restock_request_submit(request=r, by=pasante)

    next_step = {
        State.DRAFT: submit,
        State.REJECTED: submit,
        State.SUBMITTED: approve_or_reject,
        State.APPROVED: lambda r: services.restock_request_dispatch(request=r, by=reviewer, today=today),
        State.DISPATCHED: lambda r: services.restock_request_receive(request=r, by=pasante, received=received),
        State.RECEIVED: lambda r: services.restock_request_close(request=r, by=reviewer),
    }
    if not _reachable(request.state, state):
        raise ValueError(f"a request cannot be walked from {request.state} to {state}")
    while request.state != state:
        request = next_step[request.state](request)
    return request


# The happy path; a rejected request is a draft again, and only a submitted one is rejected.
_PATH = [State.DRAFT, State.SUBMITTED, State.APPROVED, State.DISPATCHED, State.RECEIVED, State.CLOSED]


def _reachable(current, target) -> bool:
    if target == State.REJECTED:
        return current in (State.DRAFT, State.SUBMITTED, State.REJECTED)
    position = _PATH.index(State.DRAFT if current == State.REJECTED else current)
    return position <= _PATH.index(target)
