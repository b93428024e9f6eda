"""Physical counts, the clinic's monthly report posted to the ledger at submit, client keys on requests and
warehouse deliveries, the pharmacy settings: the services of pharmacy/services.py that keep the stock true
between dispatches."""

import threading
import time
import uuid
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Sum

from clinics.tests.factories import ClinicFactory
from pharmacy import selectors, services
from pharmacy.models import (
    PharmacySettings,
    RestockLine,
    RestockRequest,
    StockBalance,
    StockCount,
    StockCountLine,
    StockMovement,
    WarehouseDelivery,
)
from tests.kit import run_concurrently

from .factories import ItemFactory, LotFactory

State = RestockRequest.State
Kind = StockMovement.Kind
PERIOD = date(2026, 6, 1)  # 30 days
TODAY = date(2026, 6, 20)
THREADS = 8


def ledger_matches_balances():
    """Every balance is the sum of its ledger rows, and no ledger row lacks its balance."""
    sums = {
        (row["clinic_id"], row["lot_id"]): row["total"]
        for row in StockMovement.objects.values("clinic_id", "lot_id").annotate(total=Sum("quantity")).order_by()
    }
    balances = {(b.clinic_id, b.lot_id): b.quantity for b in StockBalance.objects.all()}
    return sums == {k: v for k, v in balances.items() if v or k in sums}


def balance(clinic, lot):
    row = StockBalance.objects.filter(clinic=clinic, lot=lot).first() if clinic else \
        StockBalance.objects.filter(clinic__isnull=True, lot=lot).first()
    return row.quantity if row else 0


def at_clinic(clinic, lot, quantity):
    """Put stock at a clinic the short way (as a receipt would)."""
    services.ledger_move(moves=[services.Move(clinic, lot, quantity)], kind=Kind.CLINIC_RECEIPT, document="test")


def moved(document, kind):
    """``{lot_number: quantity}`` moved under ``document`` as ``kind``, in ledger order."""
    rows = StockMovement.objects.filter(document=document, kind=kind).order_by("pk")
    return {m.lot.lot_number: m.quantity for m in rows}


def snapshot():
    """Everything a refused write must leave as it was."""
    return (
        sorted(StockBalance.objects.values_list("clinic_id", "lot_id", "quantity")),
        StockMovement.objects.count(),
        StockCount.objects.count(),
        StockCountLine.objects.count(),
    )


@pytest.fixture
def item(db):
    return ItemFactory(name="Paracetamol", max_months_of_stock=3)


@pytest.fixture
def lots(item):
    """Three lots of the item, first to expire first: SOON, MID, LATE."""
    return {
        number: LotFactory(item=item, lot_number=number, expiry=expiry)
        for number, expiry in (("SOON", date(2027, 1, 31)), ("MID", date(2027, 6, 30)), ("LATE", date(2028, 1, 31)))
    }


@pytest.fixture
def warehouse(lots, pharmacy):
    """The warehouse holds SOON 50, MID 30, LATE 20."""
    for number, quantity in (("SOON", 50), ("MID", 30), ("LATE", 20)):
        services.ledger_move(moves=[services.Move(None, lots[number], quantity)], kind=Kind.RECEIPT,
                             document="invoice-1", by=pharmacy)
    return lots


# --- Physical counts ------------------------------------------------------------------------------

def test_warehouse_count_records_expected_counted_and_the_variance(warehouse, pharmacy):
    soon, mid, late = warehouse["SOON"], warehouse["MID"], warehouse["LATE"]
    count = services.stock_count_record(clinic=None, counts={soon.pk: 45, mid.pk: 30, late.pk: 26}, by=pharmacy,
                                        remarks="  Annual count ")

    assert (count.clinic, count.counted_by, count.remarks) == (None, pharmacy, "Annual count")
    lines = {line.lot.lot_number: (line.expected, line.counted, line.variance) for line in count.lines.all()}
    assert lines == {"SOON": (50, 45, -5), "MID": (30, 30, 0), "LATE": (20, 26, 6)}
    # Only the lots that differ enter the ledger, as count movements with the count as their document.
    assert moved(count.document, Kind.COUNT) == {"SOON": -5, "LATE": 6}
    assert set(StockMovement.objects.filter(document=count.document).values_list("clinic", "reason", "by")) == {
        (None, "Annual count", pharmacy.pk)}
    assert [balance(None, lot) for lot in (soon, mid, late)] == [45, 30, 26]
    assert ledger_matches_balances()


def test_clinic_count_moves_the_clinic_stock_only(warehouse, clinic_a, clinic_b, pasante_a):
    soon, mid = warehouse["SOON"], warehouse["MID"]
    at_clinic(clinic_a, soon, 12)
    at_clinic(clinic_a, mid, 8)
    at_clinic(clinic_b, soon, 5)

    count = services.stock_count_record(clinic=clinic_a, counts={soon.pk: 10, mid.pk: 9}, by=pasante_a)

    lines = {line.lot.lot_number: (line.expected, line.counted, line.variance) for line in count.lines.all()}
    assert lines == {"SOON": (12, 10, -2), "MID": (8, 9, 1)}
    assert set(StockMovement.objects.filter(document=count.document).values_list("clinic", flat=True)) == {clinic_a.pk}
    assert (balance(clinic_a, soon), balance(clinic_a, mid)) == (10, 9)
    assert (balance(clinic_b, soon), balance(None, soon), balance(None, mid)) == (5, 50, 30)
    assert ledger_matches_balances()


def test_a_count_that_matches_the_ledger_keeps_its_lines_and_moves_nothing(warehouse, pharmacy):
    soon, mid = warehouse["SOON"], warehouse["MID"]
    movements = StockMovement.objects.count()
    count = services.stock_count_record(clinic=None, counts={soon.pk: 50, mid.pk: 30}, by=pharmacy)
    assert sorted(count.lines.values_list("expected", "counted")) == [(30, 30), (50, 50)]
    assert StockMovement.objects.count() == movements


def test_a_lot_found_where_the_ledger_has_none_is_counted_from_zero(warehouse, clinic_a, pasante_a):
    late = warehouse["LATE"]
    count = services.stock_count_record(clinic=clinic_a, counts={late.pk: 4}, by=pasante_a)
    assert count.lines.get().expected == 0
    assert moved(count.document, Kind.COUNT) == {"LATE": 4}
    assert (balance(clinic_a, late), balance(None, late)) == (4, 20)
    assert ledger_matches_balances()


def test_a_lot_counted_to_zero_empties_it(warehouse, pharmacy):
    soon = warehouse["SOON"]
    count = services.stock_count_record(clinic=None, counts={soon.pk: 0}, by=pharmacy)
    assert count.lines.get().variance == -50
    assert balance(None, soon) == 0
    assert ledger_matches_balances()


@pytest.mark.parametrize(("counted", "message"), [
    (-1, "whole number, zero or more"),
    (2.5, "whole number, zero or more"),
    ("7", "whole number, zero or more"),
    (None, "whole number, zero or more"),
    (True, "whole number, zero or more"),
])
def test_a_bad_count_is_refused_and_nothing_is_written(warehouse, pharmacy, counted, message):
    soon, mid = warehouse["SOON"], warehouse["MID"]
    before = snapshot()
    with pytest.raises(ValidationError, match=message):
        # The good line is not written either: a count is all or nothing.
        services.stock_count_record(clinic=None, counts={soon.pk: 45, mid.pk: counted}, by=pharmacy)
    assert snapshot() == before


def test_an_unknown_lot_is_refused_and_nothing_is_written(warehouse, pharmacy):
    soon = warehouse["SOON"]
    before = snapshot()
    with pytest.raises(ValidationError, match="Unknown lot: 999999"):
        services.stock_count_record(clinic=None, counts={soon.pk: 45, 999999: 3}, by=pharmacy)
    with pytest.raises(ValidationError, match="Unknown lot: abc"):
        services.stock_count_record(clinic=None, counts={soon.pk: 45, "abc": 3}, by=pharmacy)
    assert snapshot() == before


def test_an_empty_count_is_refused_and_nothing_is_written(warehouse, pharmacy):
    before = snapshot()
    with pytest.raises(ValidationError, match="Count at least one lot"):
        services.stock_count_record(clinic=None, counts={}, by=pharmacy)
    assert snapshot() == before


def test_every_bad_line_of_a_count_is_reported_at_once(warehouse, pharmacy):
    soon = warehouse["SOON"]
    with pytest.raises(ValidationError) as raised:
        services.stock_count_record(clinic=None, counts={soon.pk: -3, 999999: 1}, by=pharmacy)
    assert len(raised.value.messages) == 2


# --- The monthly report posted to the clinic's ledger at submit -------------------------------------

def report(item, **figures):
    """A line of the pasante's monthly report."""
    return {"item": item.pk, "beginning_balance": 60, "received": 0, "consumed": 30, "stock_on_hand": 20,
            "stockout_days": 0, **figures}


@pytest.fixture
def clinic_stock(lots, clinic_a):
    """Clinic A holds SOON 15, MID 25, LATE 20 of the item: 60 in the ledger."""
    for number, quantity in (("SOON", 15), ("MID", 25), ("LATE", 20)):
        at_clinic(clinic_a, lots[number], quantity)
    return lots


def submit(clinic, pasante, *lines):
    request = services.restock_request_create_draft(clinic=clinic, period=PERIOD, lines=list(lines), by=pasante)
    return services.restock_request_submit(request=request, by=pasante)


def clinic_balances(clinic, lots):
    return {number: balance(clinic, lot) for number, lot in lots.items()}


def test_submit_posts_dispensed_then_count_variance_first_expiry_first(clinic_stock, item, clinic_a, pasante_a):
    # 60 in the ledger, 30 consumed, 20 counted: 30 dispensed, and 10 unexplained.
    request = submit(clinic_a, pasante_a, report(item))

    document = f"restock-request:{request.pk}"
    assert moved(document, Kind.DISPENSED) == {"SOON": -15, "MID": -15}
    assert moved(document, Kind.COUNT) == {"MID": -10}
    assert not StockMovement.objects.filter(document=document).exclude(kind__in=[Kind.DISPENSED, Kind.COUNT])
    assert clinic_balances(clinic_a, clinic_stock) == {"SOON": 0, "MID": 0, "LATE": 20}
    assert set(StockMovement.objects.filter(document=document).values_list("clinic", "by")) == {
        (clinic_a.pk, pasante_a.pk)}
    assert ledger_matches_balances()


def test_submit_posts_reported_losses_as_loss_and_only_the_rest_as_count_variance(
        clinic_stock, item, clinic_a, pasante_a):
    # 60 in the ledger, 30 consumed, 5 lost, 20 counted: 30 dispensed, 5 lost, 5 unexplained.
    request = submit(clinic_a, pasante_a,
                     report(item, losses_adjustments=-5, adjustment_reason="Broken bottles"))

    document = f"restock-request:{request.pk}"
    assert moved(document, Kind.DISPENSED) == {"SOON": -15, "MID": -15}
    assert moved(document, Kind.LOSS) == {"MID": -5}
    assert moved(document, Kind.COUNT) == {"MID": -5}
    assert clinic_balances(clinic_a, clinic_stock) == {"SOON": 0, "MID": 0, "LATE": 20}
    assert ledger_matches_balances()


def test_submit_posts_no_more_loss_than_the_ledger_holds_above_the_count(clinic_stock, item, clinic_a, pasante_a):
    # 60 in the ledger, 30 consumed, 10 lost, 25 counted: only 5 left to lose.
    request = submit(clinic_a, pasante_a,
                     report(item, losses_adjustments=-10, adjustment_reason="Expired", stock_on_hand=25))
    document = f"restock-request:{request.pk}"
    assert moved(document, Kind.DISPENSED) == {"SOON": -15, "MID": -15}
    assert moved(document, Kind.LOSS) == {"MID": -5}
    assert not moved(document, Kind.COUNT)
    assert sum(clinic_balances(clinic_a, clinic_stock).values()) == 25


def test_submit_dispenses_no_more_than_the_ledger_holds(lots, item, clinic_a, pasante_a):
    at_clinic(clinic_a, lots["LATE"], 10)
    request = submit(clinic_a, pasante_a, report(item, consumed=30, stock_on_hand=0))
    assert moved(f"restock-request:{request.pk}", Kind.DISPENSED) == {"LATE": -10}
    assert balance(clinic_a, lots["LATE"]) == 0
    assert ledger_matches_balances()


def test_a_count_above_the_ledger_writes_nothing(lots, item, clinic_a, pasante_a):
    # The clinic counted 25 but the ledger knows of 10: the 15 cannot be put on a lot.
    at_clinic(clinic_a, lots["LATE"], 10)
    movements = StockMovement.objects.count()
    request = submit(clinic_a, pasante_a, report(item, stock_on_hand=25))
    assert request.state == State.SUBMITTED
    assert StockMovement.objects.count() == movements
    assert balance(clinic_a, lots["LATE"]) == 10


def test_a_clinic_with_nothing_in_the_ledger_submits_without_moving_stock(item, clinic_a, pasante_a):
    request = submit(clinic_a, pasante_a, report(item))
    assert request.state == State.SUBMITTED
    assert not StockMovement.objects.exists()


def test_submit_moves_only_the_clinic_stock_of_the_items_reported(clinic_stock, item, clinic_a, clinic_b,
                                                                  pasante_a):
    other = LotFactory(item=ItemFactory(name="Amoxicilina"), lot_number="AMX")
    at_clinic(clinic_a, other, 40)
    at_clinic(clinic_b, clinic_stock["SOON"], 7)
    services.ledger_move(moves=[services.Move(None, clinic_stock["SOON"], 100)], kind=Kind.RECEIPT)

    submit(clinic_a, pasante_a, report(item))

    assert (balance(clinic_a, other), balance(clinic_b, clinic_stock["SOON"]), balance(None, clinic_stock["SOON"])) \
        == (40, 7, 100)


def test_submit_posts_each_item_of_the_report(clinic_stock, item, clinic_a, pasante_a):
    other_item = ItemFactory(name="Amoxicilina")
    amx = LotFactory(item=other_item, lot_number="AMX")
    at_clinic(clinic_a, amx, 40)
    request = submit(clinic_a, pasante_a, report(item), report(other_item, consumed=12, stock_on_hand=28))
    document = f"restock-request:{request.pk}"
    assert moved(document, Kind.DISPENSED) == {"SOON": -15, "MID": -15, "AMX": -12}
    assert balance(clinic_a, amx) == 28
    assert sum(clinic_balances(clinic_a, clinic_stock).values()) == 20


def test_submitting_again_after_a_rejection_moves_nothing_more(clinic_stock, item, clinic_a, pasante_a, pharmacy):
    request = submit(clinic_a, pasante_a, report(item))
    movements = StockMovement.objects.count()
    request = services.restock_request_reject(request=request, reason="Check the remarks", by=pharmacy)
    request = services.restock_request_submit(request=request, by=pasante_a)
    assert request.state == State.SUBMITTED
    assert StockMovement.objects.count() == movements
    assert clinic_balances(clinic_a, clinic_stock) == {"SOON": 0, "MID": 0, "LATE": 20}


def test_a_count_corrected_upwards_after_a_rejection_puts_back_what_the_first_submit_took(
        clinic_stock, item, clinic_a, pasante_a, pharmacy):
    # The pasante typed 2 instead of 20: the first submit took 58 out; the corrected report takes 40.
    request = submit(clinic_a, pasante_a, report(item, stock_on_hand=2))
    assert sum(clinic_balances(clinic_a, clinic_stock).values()) == 2
    request = services.restock_request_reject(request=request, reason="2 on hand?", by=pharmacy)
    services.restock_request_update_lines(request=request, lines=[report(item)], by=pasante_a)
    services.restock_request_submit(request=request, by=pasante_a)

    assert clinic_balances(clinic_a, clinic_stock) == {"SOON": 0, "MID": 0, "LATE": 20}
    document = f"restock-request:{request.pk}"
    net = dict(StockMovement.objects.filter(document=document).values("kind").annotate(t=Sum("quantity"))
               .order_by().values_list("kind", "t"))
    assert net == {Kind.DISPENSED: -30, Kind.COUNT: -10}
    assert ledger_matches_balances()


def test_an_item_dropped_from_a_corrected_report_gets_its_stock_back(clinic_stock, item, clinic_a, pasante_a,
                                                                    pharmacy):
    other_item = ItemFactory(name="Amoxicilina")
    amx = LotFactory(item=other_item, lot_number="AMX")
    at_clinic(clinic_a, amx, 40)
    request = submit(clinic_a, pasante_a, report(item), report(other_item, consumed=12, stock_on_hand=28))
    request = services.restock_request_reject(request=request, reason="Amoxicilina is not yours", by=pharmacy)
    services.restock_request_update_lines(request=request, lines=[report(item)], by=pasante_a)
    services.restock_request_submit(request=request, by=pasante_a)
    assert balance(clinic_a, amx) == 40
    assert sum(clinic_balances(clinic_a, clinic_stock).values()) == 20
    assert ledger_matches_balances()


def test_a_refused_submit_moves_no_stock(clinic_stock, item, clinic_a, pasante_a):
    request = submit(clinic_a, pasante_a, report(item))
    movements = StockMovement.objects.count()
    with pytest.raises(ValidationError, match="cannot be submitted"):
        services.restock_request_submit(request=request, by=pasante_a)
    assert StockMovement.objects.count() == movements


# --- Client keys: a form posted twice is one request -------------------------------------------------

def test_the_same_client_key_returns_the_same_request_and_writes_nothing(item, clinic_a, pasante_a):
    key = uuid.uuid4()
    first = services.restock_request_create_draft(clinic=clinic_a, period=PERIOD, lines=[report(item)],
                                                  by=pasante_a, client_key=key)
    again = services.restock_request_create_draft(clinic=clinic_a, period=PERIOD, by=pasante_a, client_key=str(key),
                                                  lines=[report(item, consumed=99, stock_on_hand=1)])
    assert again.pk == first.pk
    assert RestockRequest.objects.count() == 1
    assert list(RestockLine.objects.values_list("consumed", "stock_on_hand")) == [(30, 20)]


def test_the_same_client_key_for_another_clinic_is_refused(item, clinic_a, clinic_b, pasante_a, pasante_b):
    key = uuid.uuid4()
    services.restock_request_create_draft(clinic=clinic_a, period=PERIOD, lines=[report(item)], by=pasante_a,
                                          client_key=key)
    with pytest.raises(ValidationError, match="already used for another clinic"):
        services.restock_request_create_draft(clinic=clinic_b, period=PERIOD, lines=[report(item)], by=pasante_b,
                                              client_key=key)
    assert list(RestockRequest.objects.values_list("clinic", flat=True)) == [clinic_a.pk]


def test_another_client_key_for_the_same_month_is_still_one_regular_request(item, clinic_a, pasante_a):
    services.restock_request_create_draft(clinic=clinic_a, period=PERIOD, lines=[report(item)], by=pasante_a,
                                          client_key=uuid.uuid4())
    with pytest.raises(ValidationError, match="already has a regular request"):
        services.restock_request_create_draft(clinic=clinic_a, period=PERIOD, lines=[report(item)], by=pasante_a,
                                              client_key=uuid.uuid4())
    assert RestockRequest.objects.count() == 1


def test_a_request_without_client_key_leaves_it_empty(item, clinic_a, pasante_a):
    request = services.restock_request_create_draft(clinic=clinic_a, period=PERIOD, lines=[report(item)],
                                                    by=pasante_a)
    assert request.client_key is None


# --- Client keys: a delivery posted twice is one delivery -------------------------------------------

def deliver(item, *, key, lot="NEW", expiry=date(2028, 1, 31), quantity=40, document="FAC-9"):
    return services.warehouse_receive_delivery(
        lines=[{"item": item, "lot_number": lot, "expiry": expiry, "quantity": quantity}],
        document=document, by=None, today=TODAY, client_key=key)


def test_a_delivery_sent_again_with_its_key_is_the_same_delivery_and_moves_nothing(item):
    key = uuid.uuid4()
    first = deliver(item, key=key)
    again = deliver(item, key=key, quantity=99, document="FAC-OTHER")
    assert again.pk == first.pk
    assert (again.document, again.lines, again.units) == ("FAC-9", 1, 40)
    assert StockMovement.objects.filter(kind=Kind.RECEIPT).aggregate(t=Sum("quantity"))["t"] == 40


def test_deliveries_without_a_key_are_each_received(item):
    deliver(item, key=None)
    deliver(item, key=None)
    assert WarehouseDelivery.objects.count() == 2
    assert StockMovement.objects.filter(kind=Kind.RECEIPT).aggregate(t=Sum("quantity"))["t"] == 80


def test_a_refused_delivery_leaves_its_key_free_for_the_corrected_one(item, lots):
    key = uuid.uuid4()
    before = snapshot()
    with pytest.raises(ValidationError, match="on file with another expiry date"):
        deliver(item, key=key, lot="SOON", expiry=date(2030, 1, 1))  # SOON expires on 31/01/2027
    assert snapshot() == before
    assert not WarehouseDelivery.objects.exists()
    delivery = deliver(item, key=key, lot="SOON", expiry=date(2027, 1, 31), quantity=7)
    assert delivery.client_key == key
    assert balance(None, lots["SOON"]) == 7


@pytest.mark.django_db(transaction=True)
def test_the_same_delivery_posted_at_the_same_moment_waits_for_the_first_and_gets_its_delivery(item):
    key = uuid.uuid4()
    outcome = first_holds_then(lambda: deliver(item, key=key), lambda: deliver(item, key=key))

    assert outcome["second"].pk == outcome["first"].pk
    assert WarehouseDelivery.objects.count() == 1
    assert StockMovement.objects.filter(kind=Kind.RECEIPT).aggregate(t=Sum("quantity"))["t"] == 40
    assert ledger_matches_balances()


@pytest.mark.django_db(transaction=True)
def test_a_delivery_posted_by_many_at_once_is_received_once(item):
    key = uuid.uuid4()
    barrier = threading.Barrier(THREADS)
    delivered, errors = [], []

    def post():
        try:
            barrier.wait(10)
            delivered.append(deliver(item, key=key).pk)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    assert errors == []
    assert len(delivered) == THREADS and len(set(delivered)) == 1
    assert StockMovement.objects.filter(kind=Kind.RECEIPT).aggregate(t=Sum("quantity"))["t"] == 40
    assert ledger_matches_balances()


# --- Settings --------------------------------------------------------------------------------------

def test_the_settings_row_is_made_by_the_migration_with_the_default_deadline(db):
    assert list(PharmacySettings.objects.values_list("pk", "request_deadline_day")) == [(1, 25)]


def test_reading_the_settings_without_their_row_gives_the_defaults_and_writes_nothing(db):
    PharmacySettings.objects.all().delete()
    current = selectors.pharmacy_settings()
    assert (current.request_deadline_day, current.updated_by) == (25, None)
    assert selectors.request_deadline_day() == 25
    assert not PharmacySettings.objects.exists()


@pytest.mark.parametrize("day", [1, 28])
def test_settings_update_keeps_a_day_within_the_month(coordinator, day):
    settings = services.pharmacy_settings_update(request_deadline_day=day, by=coordinator)
    assert (settings.request_deadline_day, settings.updated_by) == (day, coordinator)
    assert selectors.pharmacy_settings().request_deadline_day == day
    assert PharmacySettings.objects.count() == 1


def test_settings_update_without_the_row_creates_it(coordinator):
    PharmacySettings.objects.all().delete()
    services.pharmacy_settings_update(request_deadline_day=10, by=coordinator)
    assert selectors.pharmacy_settings().request_deadline_day == 10


@pytest.mark.parametrize("day", [0, 29, -1, 5.5, "7", "x", None, True])
def test_settings_update_refuses_a_day_outside_1_to_28_and_keeps_the_old_one(coordinator, day):
    with pytest.raises(ValidationError):
        services.pharmacy_settings_update(request_deadline_day=day, by=coordinator)
    settings = selectors.pharmacy_settings()
    assert (settings.request_deadline_day, settings.updated_by) == (25, None)


# --- Concurrency, on real PostgreSQL transactions ---------------------------------------------------

def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0] > 0


def first_holds_then(first, second) -> dict:
    """Run ``first`` in a thread whose transaction stays open until ``second`` (another thread) waits on a
    lock it holds; then commit it. The outcomes (a result or the exception) as ``{"first", "second"}``."""
    done_first, release = threading.Event(), threading.Event()
    outcome = {}

    def run(name, action, hold):
        try:
            with transaction.atomic():
                outcome[name] = action()
                if hold:
                    done_first.set()
                    release.wait(10)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            outcome[name] = exc
        finally:
            done_first.set()
            connection.close()

    holder = threading.Thread(target=run, args=("first", first, True))
    holder.start()
    assert done_first.wait(10)
    waiter = threading.Thread(target=run, args=("second", second, False))
    waiter.start()
    deadline = time.monotonic() + 10
    while not _waiting_on_a_lock() and waiter.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    release.set()
    holder.join(10)
    waiter.join(10)
    return outcome


@pytest.fixture
def approved_for_30(lots):
    """The warehouse holds SOON 50 and MID 30; a clinic's request for 30 is approved (FEFO: all from SOON)."""
    for number, quantity in (("SOON", 50), ("MID", 30)):
        services.ledger_move(moves=[services.Move(None, lots[number], quantity)], kind=Kind.RECEIPT)
    request = services.restock_request_create_draft(
        clinic=ClinicFactory(), period=PERIOD, lines=[{"item": lots["SOON"].item_id, "consumed": 10}])
    request = services.restock_request_submit(request=request)
    request = services.restock_request_approve(request=request)
    assert request.lines.get().approved == 30
    return request


def dispatch(request):
    return lambda: services.restock_request_dispatch(request=request, today=TODAY)


def count_warehouse(lots, **counted):
    return lambda: services.stock_count_record(clinic=None, counts={lots[n].pk: q for n, q in counted.items()})


@pytest.mark.django_db(transaction=True)
def test_a_count_committed_before_a_dispatch_is_what_the_dispatch_picks_from(lots, approved_for_30):
    outcome = first_holds_then(count_warehouse(lots, SOON=40, MID=30), dispatch(approved_for_30))

    count, request = outcome["first"], outcome["second"]
    assert request.state == State.DISPATCHED
    assert [(line.expected, line.counted) for line in count.lines.order_by("lot__expiry")] == [(50, 40), (30, 30)]
    assert (balance(None, lots["SOON"]), balance(None, lots["MID"])) == (10, 30)
    assert ledger_matches_balances()


@pytest.mark.django_db(transaction=True)
def test_a_count_waiting_on_a_dispatch_expects_what_the_dispatch_left(lots, approved_for_30):
    outcome = first_holds_then(dispatch(approved_for_30), count_warehouse(lots, SOON=40, MID=30))

    request, count = outcome["first"], outcome["second"]
    assert request.state == State.DISPATCHED
    # The count saw the 20 the dispatch left, not the 50 it read before waiting: the 20 found are a variance.
    assert [(line.expected, line.counted) for line in count.lines.order_by("lot__expiry")] == [(20, 40), (30, 30)]
    assert (balance(None, lots["SOON"]), balance(None, lots["MID"])) == (40, 30)
    assert ledger_matches_balances()


@pytest.mark.django_db(transaction=True)
def test_a_submit_waiting_on_a_clinic_count_posts_against_the_counted_stock(lots):
    clinic = ClinicFactory()
    for number, quantity in (("SOON", 15), ("MID", 25), ("LATE", 20)):
        at_clinic(clinic, lots[number], quantity)
    request = services.restock_request_create_draft(clinic=clinic, period=PERIOD, lines=[report(lots["SOON"].item)])

    outcome = first_holds_then(
        lambda: services.stock_count_record(clinic=clinic, counts={lots["MID"].pk: 5}),
        lambda: services.restock_request_submit(request=request),
    )

    # The count left 40; 30 consumed and 20 on hand: 20 dispensed, first expiry first.
    assert outcome["second"].state == State.SUBMITTED
    assert moved(f"restock-request:{request.pk}", Kind.DISPENSED) == {"SOON": -15, "MID": -5}
    assert clinic_balances(clinic, lots) == {"SOON": 0, "MID": 0, "LATE": 20}
    assert ledger_matches_balances()


@pytest.mark.django_db(transaction=True)
def test_a_client_key_replayed_while_the_first_post_is_being_written_answers_the_same_request(item):
    clinic, key = ClinicFactory(), uuid.uuid4()

    def post():
        return services.restock_request_create_draft(clinic=clinic, period=PERIOD, lines=[report(item)],
                                                     client_key=key)

    outcome = first_holds_then(post, post)

    assert outcome["second"].pk == outcome["first"].pk
    assert RestockRequest.objects.count() == 1
    assert RestockLine.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_client_key_replayed_by_many_at_once_makes_one_request(item):
    clinic, key = ClinicFactory(), uuid.uuid4()

    answers = run_concurrently(lambda _: services.restock_request_create_draft(
        clinic=clinic, period=PERIOD, lines=[report(item)], client_key=key, kind=RestockRequest.Kind.EMERGENCY,
        emergency_reason="Dengue outbreak").pk, THREADS)

    assert RestockRequest.objects.count() == 1
    assert answers == [RestockRequest.objects.get().pk] * THREADS


def test_a_move_past_what_a_balance_can_hold_is_refused_and_nothing_written(db):
    lot = LotFactory()
    services.ledger_move(moves=[services.Move(None, lot, services.BALANCE_CEILING)], kind=StockMovement.Kind.RECEIPT)
    with pytest.raises(ValidationError, match="more stock than the system can hold"):
        services.ledger_move(moves=[services.Move(None, lot, 1)], kind=StockMovement.Kind.RECEIPT)
    assert StockMovement.objects.count() == 1
    assert StockBalance.objects.get(lot=lot).quantity == services.BALANCE_CEILING
