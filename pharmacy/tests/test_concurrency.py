"""Many pharmacists dispatching against the same lots at once, on real PostgreSQL transactions."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum

from clinics.tests.factories import ClinicFactory
from pharmacy import services
from pharmacy.models import RestockRequest, StockBalance, StockMovement
from tests.kit import run_concurrently

from .factories import ItemFactory

THREADS = 8
PERIOD = date(2026, 6, 1)
TODAY = date(2026, 6, 20)


@pytest.mark.django_db(transaction=True)
def test_concurrent_dispatches_never_oversell_nor_lose_an_update():
    item = ItemFactory(max_months_of_stock=3)
    # 100 units in two lots; each request is for 30 (AMC 10, max 30, nothing on hand): three fit.
    services.warehouse_receive(item=item, lot_number="A", expiry=date(2027, 1, 31), quantity=45)
    services.warehouse_receive(item=item, lot_number="B", expiry=date(2028, 1, 31), quantity=55)
    requests = []
    for _ in range(THREADS):
        request = services.restock_request_create_draft(
            clinic=ClinicFactory(), period=PERIOD,
            lines=[{"item": item.pk, "consumed": 10, "stock_on_hand": 0, "stockout_days": 0}])
        services.restock_request_submit(request=request)
        requests.append(services.restock_request_approve(request=request))
    assert {r.lines.get().approved for r in requests} == {30}

    outcomes = run_concurrently(lambda i: services.restock_request_dispatch(request=requests[i], today=TODAY),
                                THREADS)

    dispatched = [o for o in outcomes if isinstance(o, RestockRequest)]
    short = [o for o in outcomes if type(o) is ValidationError]
    assert (len(dispatched), len(short)) == (3, 5), outcomes
    balances = StockBalance.objects.filter(clinic__isnull=True).order_by("lot__lot_number")
    assert [b.quantity for b in balances] == [0, 10]
    assert all(b.quantity >= 0 for b in StockBalance.objects.all())
    ledger = StockMovement.objects.filter(clinic__isnull=True).aggregate(t=Sum("quantity"))["t"]
    assert ledger == sum(b.quantity for b in balances) == 10
    assert RestockRequest.objects.filter(state=RestockRequest.State.DISPATCHED).count() == 3
    assert StockMovement.objects.filter(kind=StockMovement.Kind.DISPATCH_OUT).aggregate(t=Sum("quantity"))["t"] == -90
