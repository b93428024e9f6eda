"""seed_pharmacy_demo on the demo network, both played once for the module (a run of each is several
seconds), then read by each test; the second run is made inside a test's own transaction, rolled back. The
database is put back as it was at the end (``tests.kit.committed_for_the_module``). The refusals, which want
no demo network, are in ``test_seed_pharmacy_demo_refusals.py``."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, reset_queries, transaction
from django.db.models import F, Sum
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ces.accounts.models import User
from clinics.models import Clinic
from clinics.selectors import clinics_visible_to
from pharmacy import selectors
from pharmacy.demo import add_months
from pharmacy.models import (
    Item,
    Lot,
    RestockLine,
    RestockRequest,
    StockBalance,
    StockCount,
    StockCountLine,
    StockMovement,
)
from tests.kit import FAST_HASHERS, committed_for_the_module

State = RestockRequest.State
MODELS = [Item, Lot, StockMovement, StockBalance, RestockRequest, RestockLine, StockCount, StockCountLine]


def seed(*args):
    out = StringIO()
    call_command("seed_pharmacy_demo", *args, stdout=out)
    return out.getvalue()


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def ledger_sums():
    return {(row["clinic_id"], row["lot_id"]): row["total"]
            for row in StockMovement.objects.values("clinic_id", "lot_id").annotate(total=Sum("quantity"))}


def balances():
    return {(b.clinic_id, b.lot_id): b.quantity for b in StockBalance.objects.exclude(quantity=0)}


def this_months_request(email):
    clinic = clinics_visible_to(User.objects.get(email=email)).get()
    return RestockRequest.objects.get(clinic=clinic, period=timezone.localdate().replace(day=1))


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHERS), committed_for_the_module(django_db_blocker):
        with transaction.atomic():  # as in a test's transaction (and one commit, not one per row)
            call_command("seed_demo", stdout=StringIO())
        # The demo must load in seconds: its cost is pinned (most of it is the services' own queries). The
        # query log keeps 9000 and seed_demo filled it: empty it, so the count starts from zero. Counted in a
        # transaction, as in a test's (its savepoints are queries too).
        reset_queries()
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            out = seed()
        yield {"out": out, "queries": len(queries), "first": counts()}


@pytest.fixture
def network(seeded, db, settings):
    """The demo network and its pharmacy, seeded (once for the module), in this test's transaction."""
    settings.DEBUG = True
    return seeded


def test_seed_pharmacy_demo_run_twice_adds_nothing_and_the_ledger_is_the_balances(network):
    assert network["queries"] <= 8000, f"the first run made {network['queries']} queries, more than 8000"
    first = network["first"]

    assert "Pharmacy demo ready: 58 items" in network["out"]
    assert "added 0 restock requests" in seed()
    assert counts() == first
    assert {key: total for key, total in ledger_sums().items() if total} == balances()


def test_this_month_has_a_request_in_every_state_and_each_demo_pasante_has_something_to_do(network):
    today = timezone.localdate()
    period = today.replace(day=1)
    rural = Clinic.objects.filter(kind=Clinic.Kind.RURAL_CLINIC)

    for months_ago in (1, 2, 3):
        past = add_months(period, -months_ago)
        closed = RestockRequest.objects.filter(period=past, state=State.CLOSED, kind=RestockRequest.Kind.REGULAR)
        assert set(closed.values_list("clinic", flat=True)) == set(rural.values_list("pk", flat=True)), past

    capitan = this_months_request("pasante@demo.ces.mx")
    assert capitan.clinic.name == "Clínica Capitán"
    assert capitan.state == State.DISPATCHED
    assert capitan.lines.filter(dispatched__gt=0).exists()
    assert this_months_request("pasante2@demo.ces.mx").state == State.REJECTED

    this_month = RestockRequest.objects.filter(period=period)
    states = list(this_month.values_list("state", flat=True))
    assert sorted(states) == sorted([State.DISPATCHED, State.REJECTED, State.SUBMITTED, State.SUBMITTED,
                                     State.SUBMITTED, State.APPROVED, State.DRAFT])
    assert this_month.count() < rural.count()  # some clinics have not started
    waiting = this_month.filter(state=State.SUBMITTED, submitted_at__lt=timezone.now() - timedelta(days=3))
    assert waiting.count() == 1
    approved = this_month.get(state=State.APPROVED)
    assert approved.lines.exclude(cut_reason="").exists()

    lines = RestockLine.objects.filter(request__period__lt=period)
    assert lines.filter(stockout_days__gt=0).exists()
    assert lines.filter(losses_adjustments__lt=0).exclude(adjustment_reason="").exists()
    assert lines.exclude(explanation="").exists()
    assert lines.exclude(remarks="").filter(received_quantity__lt=F("dispatched")).exists()


def test_every_sent_request_names_the_pasante_who_submitted_it(client, network):
    sent = RestockRequest.objects.exclude(state=State.DRAFT).select_related("submitted_by__staff")

    assert sent.exists() and not sent.filter(submitted_by__isnull=True).exists()
    assert {r.submitted_by.staff.cadre for r in sent} == {"pasante"}
    # The pasantes without a demo login got an account nobody can log in with.
    assert not any(r.submitted_by.has_usable_password() for r in sent if r.submitted_by.email.endswith(
        "@pasantes.demo.ces.mx"))
    client.force_login(User.objects.get(email="pharmacy@demo.ces.mx"))
    queue = client.get(reverse("pharmacy:request-queue")).content.decode()
    for request in sent.filter(period=timezone.localdate().replace(day=1), state=State.SUBMITTED):
        assert request.submitted_by.full_name in queue


def test_the_warehouse_has_several_lots_per_item_and_something_in_every_alert(network):
    today = timezone.localdate()

    assert Lot.objects.count() >= 2 * Item.objects.count()
    warehouse = StockBalance.objects.filter(clinic__isnull=True, quantity__gt=0)
    assert warehouse.values("lot__item").distinct().count() == Item.objects.count()
    expiring = selectors.lots_expiring(today=today, clinic=None)
    assert expiring.filter(lot__expiry__lt=today).count() == 1  # the expired lot
    assert expiring.filter(lot__expiry__gte=today).exists()
    assert selectors.lots_expiring(today=today).filter(clinic__isnull=False).exists()
    assert 0 < selectors.warehouse_below_minimum().count() < Item.objects.count()
    assert selectors.clinic_items_below_minimum()
    count = StockCount.objects.get(clinic__isnull=True)
    assert any(line.variance for line in count.lines.all())
    assert any(not line.variance for line in count.lines.all())
