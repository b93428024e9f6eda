"""The pharmacy's reads: stock by lot and by item, expiring lots, below minimum at the warehouse and at the
clinics, the request queue and history, and what the request form pre-fills."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinics.tests.factories import ClinicFactory
from pharmacy import calculations, selectors, services
from pharmacy.models import RestockRequest, StockMovement

from .factories import ItemFactory, LotFactory

State = RestockRequest.State
Kind = StockMovement.Kind
TODAY = date(2026, 6, 20)
APRIL, MAY, JUNE, JULY = date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 1), date(2026, 7, 1)


def put(clinic, lot, quantity):
    """Stock into a location the short way (``clinic`` None: the warehouse)."""
    kind = Kind.RECEIPT if clinic is None else Kind.CLINIC_RECEIPT
    services.ledger_move(moves=[services.Move(clinic, lot, quantity)], kind=kind, document="test")


def figures(item, **extra):
    # 30 consumed in a 30-day month, 20 on hand: AMC 30, max 90, suggested 70 (for a clinic's first month).
    return {"item": item.pk, "beginning_balance": 50, "received": 0, "consumed": 30, "stock_on_hand": 20,
            "stockout_days": 0, **extra}


def regular(clinic, period, *lines, to=State.SUBMITTED, received=None, kind=RestockRequest.Kind.REGULAR):
    """A request walked up to state ``to`` (the warehouse must hold what a dispatch needs)."""
    extra = {"emergency_reason": "Outbreak"} if kind == RestockRequest.Kind.EMERGENCY else {}
    request = services.restock_request_create_draft(clinic=clinic, period=period, lines=list(lines), kind=kind,
                                                    **extra)
    steps = [
        (State.SUBMITTED, lambda r: services.restock_request_submit(request=r)),
        (State.APPROVED, lambda r: services.restock_request_approve(request=r)),
        (State.DISPATCHED, lambda r: services.restock_request_dispatch(request=r, today=TODAY)),
        (State.RECEIVED, lambda r: services.restock_request_receive(request=r, received=received)),
        (State.CLOSED, lambda r: services.restock_request_close(request=r)),
    ]
    if to == State.DRAFT:
        return request
    for state, step in steps:
        request = step(request)
        if state == to:
            return request
    raise AssertionError(to)


@pytest.fixture
def item(db):
    return ItemFactory(name="Paracetamol", code="PAR", max_months_of_stock=3)


@pytest.fixture
def other_item(db):
    return ItemFactory(name="Amoxicilina", code="AMX", max_months_of_stock=3)


# --- Stock by lot and by item ----------------------------------------------------------------------

@pytest.fixture
def shelves(item, other_item, clinic_a, clinic_b):
    """Warehouse: Paracetamol LATE 30 and SOON 10, EMPTY 0 (it had 5, all gone); Amoxicilina A1 7.
    Clinic A: Paracetamol SOON 4. Clinic B: nothing."""
    lots = {
        "SOON": LotFactory(item=item, lot_number="SOON", expiry=date(2027, 1, 31)),
        "LATE": LotFactory(item=item, lot_number="LATE", expiry=date(2028, 1, 31)),
        "EMPTY": LotFactory(item=item, lot_number="EMPTY", expiry=date(2026, 12, 31)),
        "A1": LotFactory(item=other_item, lot_number="A1", expiry=date(2029, 1, 31)),
    }
    put(None, lots["LATE"], 30)
    put(None, lots["SOON"], 10)
    put(None, lots["EMPTY"], 5)
    put(None, lots["EMPTY"], -5)
    put(None, lots["A1"], 7)
    put(clinic_a, lots["SOON"], 4)
    return lots


def test_stock_by_lot_lists_the_warehouse_lots_held_by_item_then_first_expiry(shelves):
    rows = [(b.lot.item.name, b.lot.lot_number, b.quantity) for b in selectors.stock_by_lot(clinic=None)]
    assert rows == [("Amoxicilina", "A1", 7), ("Paracetamol", "SOON", 10), ("Paracetamol", "LATE", 30)]


def test_stock_by_lot_of_a_clinic_or_an_item_keeps_to_them(shelves, item, other_item, clinic_a, clinic_b):
    assert [(b.lot.lot_number, b.quantity) for b in selectors.stock_by_lot(clinic=clinic_a)] == [("SOON", 4)]
    assert not selectors.stock_by_lot(clinic=clinic_b).exists()
    assert [b.lot.lot_number for b in selectors.stock_by_lot(clinic=None, item=item)] == ["SOON", "LATE"]
    assert not selectors.stock_by_lot(clinic=clinic_a, item=other_item).exists()


def test_stock_by_item_totals_each_active_item_with_its_first_expiry_held(shelves, item, other_item, clinic_a):
    ItemFactory(name="Retired", active=False)
    ItemFactory(name="Zinc")
    rows = {i.name: (i.on_hand, i.first_expiry) for i in selectors.stock_by_item(clinic=None)}
    # The emptied lot expires first but is not held: it gives no first expiry.
    assert rows == {"Amoxicilina": (7, date(2029, 1, 31)), "Paracetamol": (40, date(2027, 1, 31)),
                    "Zinc": (0, None)}
    assert [i.name for i in selectors.stock_by_item(clinic=None)] == ["Amoxicilina", "Paracetamol", "Zinc"]


def test_stock_by_item_of_a_clinic_counts_only_its_stock(shelves, clinic_a, clinic_b):
    assert {i.name: (i.on_hand, i.first_expiry) for i in selectors.stock_by_item(clinic=clinic_a)} == {
        "Amoxicilina": (0, None), "Paracetamol": (4, date(2027, 1, 31))}
    assert {i.name: i.on_hand for i in selectors.stock_by_item(clinic=clinic_b)} == {"Amoxicilina": 0,
                                                                                   "Paracetamol": 0}


# --- Expiring lots ---------------------------------------------------------------------------------

@pytest.fixture
def expiries(item, clinic_a, clinic_b):
    """Lots of the item by days to expiry from TODAY, at the warehouse unless named for a clinic."""
    lots = {}
    for name, days, clinic, quantity in (
        ("EXPIRED", -1, None, 3),
        ("TODAY", 0, None, 3),
        ("DAY60", 60, None, 3),
        ("DAY61", 61, None, 3),
        ("EMPTY", 10, None, 0),
        ("AT_A", 30, "a", 2),
        ("AT_B", 20, "b", 2),
    ):
        lots[name] = LotFactory(item=item, lot_number=name, expiry=TODAY + timedelta(days=days))
        location = {"a": clinic_a, "b": clinic_b, None: None}[clinic]
        put(location, lots[name], quantity or 1)
        if not quantity:
            put(location, lots[name], -1)
    return lots


def test_lots_expiring_within_60_days_include_the_expired_and_exclude_the_empty(expiries):
    rows = [b.lot.lot_number for b in selectors.lots_expiring(today=TODAY)]
    assert rows == ["EXPIRED", "TODAY", "AT_B", "AT_A", "DAY60"]


def test_lots_expiring_keep_to_the_warehouse_or_to_a_clinic(expiries, clinic_a):
    assert [b.lot.lot_number for b in selectors.lots_expiring(today=TODAY, clinic=None)] == [
        "EXPIRED", "TODAY", "DAY60"]
    assert [(b.lot.lot_number, b.clinic) for b in selectors.lots_expiring(today=TODAY, clinic=clinic_a)] == [
        ("AT_A", clinic_a)]


def test_lots_expiring_take_another_window(expiries):
    assert [b.lot.lot_number for b in selectors.lots_expiring(today=TODAY, within_days=61, clinic=None)] == [
        "EXPIRED", "TODAY", "DAY60", "DAY61"]
    assert [b.lot.lot_number for b in selectors.lots_expiring(today=TODAY, within_days=0, clinic=None)] == [
        "EXPIRED", "TODAY"]


# --- Below minimum ---------------------------------------------------------------------------------

def test_minimum_stock_is_one_month_of_the_amc():
    assert [calculations.minimum_stock(amc) for amc in (0, 1, 30)] == [0, 1, 30]


@pytest.mark.parametrize(("on_hand", "below"), [(99, True), (100, False), (101, False)])
def test_warehouse_below_minimum_is_strictly_below_the_reorder_level(item, clinic_a, on_hand, below):
    item.warehouse_minimum = 100
    item.save()
    lot = LotFactory(item=item)
    put(None, lot, on_hand)
    put(clinic_a, lot, 500)  # a clinic's stock is not the warehouse's
    assert [i.name for i in selectors.warehouse_below_minimum()] == (["Paracetamol"] if below else [])


def test_expired_stock_does_not_hide_a_shortage_at_the_warehouse(item):
    item.warehouse_minimum = 100
    item.save()
    put(None, LotFactory(item=item, expiry=TODAY - timedelta(days=1)), 500)
    fresh = LotFactory(item=item, expiry=TODAY)  # expires today: still usable today
    put(None, fresh, 40)
    [row] = selectors.warehouse_below_minimum(today=TODAY)
    assert (row.on_hand, row.first_expiry) == (40, TODAY)
    put(None, fresh, 60)
    assert not selectors.warehouse_below_minimum(today=TODAY).exists()


def test_warehouse_below_minimum_reports_an_item_with_none_left_but_not_one_without_a_level(item, other_item):
    item.warehouse_minimum = 10
    item.save()
    ItemFactory(name="Retired", warehouse_minimum=10, active=False)
    rows = list(selectors.warehouse_below_minimum())
    assert [(i.name, i.on_hand) for i in rows] == [("Paracetamol", 0)]


def test_latest_clinic_lines_are_those_of_the_last_report_sent(item, other_item, clinic_a, clinic_b):
    services.warehouse_receive(item=item, lot_number="W", expiry=date(2030, 1, 31), quantity=500)
    regular(clinic_a, APRIL, figures(item, stock_on_hand=1), figures(other_item, stock_on_hand=2))
    regular(clinic_a, MAY, figures(item, stock_on_hand=3))
    regular(clinic_a, JUNE, figures(item, stock_on_hand=4), to=State.DRAFT)  # not sent yet
    regular(clinic_a, JUNE, figures(item, stock_on_hand=5), kind=RestockRequest.Kind.EMERGENCY)
    regular(clinic_b, APRIL, figures(item, stock_on_hand=6), to=State.CLOSED)

    rows = {(line.request.clinic, line.item.name): line.stock_on_hand for line in selectors.latest_clinic_lines()}
    assert rows == {(clinic_a, "Paracetamol"): 3, (clinic_a, "Amoxicilina"): 2, (clinic_b, "Paracetamol"): 6}


def test_latest_clinic_lines_reach_back_only_for_an_item_the_last_report_left_out(item, other_item, clinic_a,
                                                                                   clinic_b):
    retired = ItemFactory(name="Retirado")
    regular(clinic_a, APRIL, figures(item, stock_on_hand=1), figures(other_item, stock_on_hand=2),
            figures(retired, stock_on_hand=3))
    regular(clinic_a, MAY, figures(item, stock_on_hand=4), figures(retired, stock_on_hand=5))
    june = regular(clinic_a, JUNE, figures(item, stock_on_hand=6))
    services.restock_request_reject(request=june, reason="Revisa el conteo")  # sent once: it counts
    regular(clinic_b, MAY, figures(other_item, stock_on_hand=7))
    retired.active = False
    retired.save()

    def latest(**kwargs):
        return {(line.request.clinic, line.item.name): (line.request.period, line.stock_on_hand)
                for line in selectors.latest_clinic_lines(**kwargs)}

    assert latest() == {(clinic_a, "Paracetamol"): (JUNE, 6), (clinic_a, "Amoxicilina"): (APRIL, 2),
                        (clinic_b, "Amoxicilina"): (MAY, 7)}
    assert latest(clinic=clinic_b) == {(clinic_b, "Amoxicilina"): (MAY, 7)}
    assert latest(clinic=clinic_a.pk) == {(clinic_a, "Paracetamol"): (JUNE, 6), (clinic_a, "Amoxicilina"): (APRIL, 2)}


def test_below_minimum_counts_the_items_and_the_clinics(item, other_item, clinic_a, clinic_b):
    regular(clinic_a, MAY, figures(item, stock_on_hand=29), figures(other_item, stock_on_hand=0))
    regular(clinic_b, MAY, figures(item, stock_on_hand=1), figures(other_item, stock_on_hand=30))
    assert selectors.clinic_items_below_minimum_counts() == {"lines": 3, "clinics": 2}
    regular(clinic_b, JUNE, figures(item, stock_on_hand=30), figures(other_item, stock_on_hand=30))
    assert selectors.clinic_items_below_minimum_counts() == {"lines": 2, "clinics": 1}


def test_clinic_items_below_minimum_is_strictly_below_one_month_of_amc(item, other_item, clinic_a, clinic_b):
    # First month, no stock-out: AMC is the consumption (30).
    regular(clinic_a, MAY, figures(item, stock_on_hand=29), figures(other_item, stock_on_hand=30))
    regular(clinic_b, MAY, figures(item, stock_on_hand=0), figures(other_item, stock_on_hand=31))
    rows = [(line.request.clinic.name, line.item.name, line.stock_on_hand, line.amc)
            for line in selectors.clinic_items_below_minimum()]
    assert rows == [("Clínica Capitán", "Paracetamol", 29, 30), ("Clínica Reforma", "Paracetamol", 0, 30)]
    assert [line.request.clinic for line in selectors.clinic_items_below_minimum(clinic=clinic_b)] == [clinic_b]


def test_a_later_report_above_minimum_clears_the_clinic(item, clinic_a):
    regular(clinic_a, APRIL, figures(item, stock_on_hand=0))
    regular(clinic_a, MAY, figures(item, stock_on_hand=40))
    assert list(selectors.clinic_items_below_minimum(clinic=clinic_a)) == []


def test_an_item_never_consumed_is_not_below_minimum(item, clinic_a):
    regular(clinic_a, MAY, figures(item, consumed=0, stock_on_hand=0))
    assert list(selectors.clinic_items_below_minimum()) == []


# --- The queue and the history ---------------------------------------------------------------------

def test_restock_queue_is_the_submitted_requests_oldest_first_with_their_line_count(
        item, other_item, clinic_a, clinic_b, pharmacy, pasante_a):
    newer = regular(clinic_a, JUNE, figures(item), figures(other_item))
    older = regular(clinic_b, JUNE, figures(item))
    RestockRequest.objects.filter(pk=older.pk).update(submitted_at=newer.submitted_at - timedelta(days=3))
    regular(clinic_a, MAY, figures(item), to=State.DRAFT)
    regular(clinic_b, MAY, figures(item), to=State.APPROVED)

    assert [(r.pk, r.line_count) for r in selectors.restock_queue(pharmacy)] == [(older.pk, 1), (newer.pk, 2)]
    assert [r.pk for r in selectors.restock_queue(pasante_a)] == [newer.pk]


def test_restock_queue_is_empty_for_a_role_without_requests(item, clinic_a, chw, outsider):
    regular(clinic_a, JUNE, figures(item))
    assert not selectors.restock_queue(chw).exists()
    assert not selectors.restock_queue(outsider).exists()


def test_restock_history_is_the_clinic_requests_newest_first_before_a_period(item, clinic_a, clinic_b):
    april = regular(clinic_a, APRIL, figures(item))
    may = regular(clinic_a, MAY, figures(item, stock_on_hand=7))
    emergency = regular(clinic_a, MAY, figures(item), kind=RestockRequest.Kind.EMERGENCY)
    june = regular(clinic_a, JUNE, figures(item))
    regular(clinic_b, MAY, figures(item))

    assert [r.pk for r in selectors.restock_history(clinic_a)] == [june.pk, emergency.pk, may.pk, april.pk]
    assert [r.pk for r in selectors.restock_history(clinic_a, before=JUNE)] == [emergency.pk, may.pk, april.pk]
    assert [r.pk for r in selectors.restock_history(clinic_a, before=JUNE, limit=2)] == [emergency.pk, may.pk]
    assert [line.stock_on_hand for line in selectors.restock_history(clinic_a, before=JUNE)[1].lines.all()] == [7]


# --- What the request form pre-fills ---------------------------------------------------------------

def test_the_first_month_prefills_nothing(item, clinic_a):
    regular(clinic_a, JUNE, figures(item), to=State.DRAFT)
    assert selectors.restock_form_prefill(clinic_a, JULY) == {}
    assert selectors.restock_form_prefill(clinic_a, JUNE) == {}


def test_prefill_begins_with_the_last_report_sent_and_adds_what_was_dispatched_since(
        item, other_item, clinic_a, clinic_b):
    services.warehouse_receive(item=item, lot_number="W1", expiry=date(2030, 1, 31), quantity=1000)
    services.warehouse_receive(item=other_item, lot_number="W2", expiry=date(2030, 1, 31), quantity=1000)
    # April's delivery arrived before May's count: it is in May's stock on hand, not received again.
    regular(clinic_a, APRIL, figures(item), to=State.RECEIVED)
    # May's report: Paracetamol 20 on hand, 70 sent, 65 arrived; Amoxicilina 12 on hand, 78 sent and arrived.
    may = regular(clinic_a, MAY, figures(item), figures(other_item, stock_on_hand=12), to=State.DISPATCHED)
    services.restock_request_receive(request=may, received={item.pk: (65, "five broken")})
    # An emergency dispatched after May's report, not yet confirmed: its dispatched quantity counts.
    regular(clinic_a, JUNE, figures(item, requested=30, explanation="Until the June delivery"),
            kind=RestockRequest.Kind.EMERGENCY, to=State.DISPATCHED)
    # Another clinic's delivery and a request approved but not dispatched count for nothing.
    regular(clinic_b, MAY, figures(item), to=State.DISPATCHED)

    prefill = selectors.restock_form_prefill(clinic_a, JUNE)

    assert prefill == {item.pk: {"beginning_balance": 20, "received": 65 + 30},
                       other_item.pk: {"beginning_balance": 12, "received": 78}}


def test_prefill_takes_a_delivery_confirmed_as_zero_as_zero(item, clinic_a):
    services.warehouse_receive(item=item, lot_number="W1", expiry=date(2030, 1, 31), quantity=1000)
    may = regular(clinic_a, MAY, figures(item), to=State.DISPATCHED)
    services.restock_request_receive(request=may, received={item.pk: (0, "lost on the road")})
    assert selectors.restock_form_prefill(clinic_a, JUNE) == {item.pk: {"beginning_balance": 20, "received": 0}}


def test_prefill_skips_drafts_and_emergencies_for_the_beginning_balance(item, clinic_a):
    regular(clinic_a, APRIL, figures(item, stock_on_hand=11))
    regular(clinic_a, MAY, figures(item, stock_on_hand=22), to=State.DRAFT)
    regular(clinic_a, MAY, figures(item, stock_on_hand=33), kind=RestockRequest.Kind.EMERGENCY)
    assert selectors.restock_form_prefill(clinic_a, date(2026, 6, 15)) == {
        item.pk: {"beginning_balance": 11, "received": 0}}


def test_prefill_of_an_items_not_in_the_last_report_is_absent(item, other_item, clinic_a):
    regular(clinic_a, MAY, figures(item))
    assert set(selectors.restock_form_prefill(clinic_a, JUNE)) == {item.pk}


# --- Query counts do not grow with the data ----------------------------------------------------------

def network(size):
    """``size`` clinics and items; each clinic holds every item, sent May's report (dispatched and received)
    and June's (waiting in the queue)."""
    items = [ItemFactory(warehouse_minimum=10_000) for _ in range(size)]
    for item in items:
        put(None, LotFactory(item=item, expiry=TODAY + timedelta(days=30)), 40 * size)
        put(None, LotFactory(item=item, expiry=TODAY + timedelta(days=400)), 40 * size)
    clinics = [ClinicFactory() for _ in range(size)]
    for clinic in clinics:
        lines = [figures(item, consumed=10, stock_on_hand=5) for item in items]
        regular(clinic, MAY, *lines, to=State.RECEIVED)
        regular(clinic, JUNE, *lines)
    return clinics


READS = {
    "stock_by_lot": (1, lambda clinic: [(b.lot.item.name, b.quantity) for b in selectors.stock_by_lot(clinic=None)]),
    "stock_by_lot of a clinic": (1, lambda clinic: [b.lot.item.name for b in selectors.stock_by_lot(clinic=clinic)]),
    "stock_by_item": (1, lambda clinic: [(i.on_hand, i.first_expiry) for i in selectors.stock_by_item(clinic=None)]),
    "lots_expiring": (1, lambda clinic: [(b.lot.item.name, b.clinic and b.clinic.name)
                                         for b in selectors.lots_expiring(today=TODAY)]),
    "warehouse_below_minimum": (1, lambda clinic: [i.on_hand for i in selectors.warehouse_below_minimum()]),
    "latest_clinic_lines": (1, lambda clinic: [(line.request.clinic.name, line.item.name)
                                               for line in selectors.latest_clinic_lines()]),
    "clinic_items_below_minimum": (1, lambda clinic: [(line.request.clinic.name, line.item.name)
                                                      for line in selectors.clinic_items_below_minimum()]),
    "clinic_items_below_minimum_counts": (1, lambda clinic: selectors.clinic_items_below_minimum_counts()["lines"]),
    "clinic_minimums": (1, lambda clinic: selectors.clinic_minimums(clinic)),
    "restock_history": (2, lambda clinic: [[line.item.name for line in r.lines.all()]
                                           for r in selectors.restock_history(clinic)]),
    "restock_form_prefill": (2, lambda clinic: selectors.restock_form_prefill(clinic, JULY)),
}


@pytest.mark.parametrize("size", [2, 5])
def test_each_read_runs_a_fixed_number_of_queries(db, size):
    clinic = network(size)[0]
    counted = {}
    for read, (_queries, run) in READS.items():
        with CaptureQueriesContext(connection) as queries:
            assert run(clinic), read
        counted[read] = len(queries)
    assert counted == {read: queries for read, (queries, _run) in READS.items()}


@pytest.mark.parametrize("size", [2, 5])
def test_the_queue_runs_a_fixed_number_of_queries(django_assert_num_queries, pharmacy, pasante_a, size):
    network(size)
    for user, expected in ((pharmacy, size), (pasante_a, 0)):
        assert user.roles is not None  # the roles are read once per user, before the queue
        with django_assert_num_queries(1):
            rows = [(r.clinic.name, r.submitted_by, r.line_count) for r in selectors.restock_queue(user)]
        assert len(rows) == expected


# --- Who may do what ------------------------------------------------------------------------------------

PERSONAS = ["coordinator", "supervisor", "pasante_a", "chw", "pharmacy", "visitor_program", "applicant",
            "admin_user", "outsider"]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_each_pharmacy_permission_is_held_by_its_roles(request, persona):
    user = request.getfixturevalue(persona)
    wide = persona in {"coordinator", "pharmacy", "admin_user"}
    assert selectors.is_pharmacy_wide(user) is wide
    assert selectors.is_pharmacy_staff(user) is (persona == "pharmacy")
    assert selectors.can_raise_restock_requests(user) is (persona == "pasante_a")
    assert selectors.can_use_pharmacy(user) is (wide or persona == "pasante_a")
    assert selectors.can_edit_catalogue(user) is (persona in {"pharmacy", "admin_user"})
    assert selectors.can_change_pharmacy_settings(user) is (persona in {"coordinator", "admin_user"})
    assert selectors.can_see_pharmacy_settings(user) is (persona in {"coordinator", "admin_user", "pharmacy"})


def test_an_anonymous_visitor_holds_no_pharmacy_permission():
    anonymous = AnonymousUser()
    for predicate in (selectors.is_pharmacy_wide, selectors.is_pharmacy_staff, selectors.can_raise_restock_requests,
                      selectors.can_use_pharmacy, selectors.can_edit_catalogue, selectors.can_change_pharmacy_settings,
                      selectors.can_see_pharmacy_settings):
        assert predicate(anonymous) is False


@pytest.mark.parametrize(("state", "reviewer", "pasante"), [
    (State.DRAFT, set(), {"edit"}),
    (State.SUBMITTED, {"review"}, set()),
    (State.REJECTED, set(), {"edit"}),
    (State.APPROVED, {"dispatch"}, set()),
    (State.DISPATCHED, {"pick_list"}, {"receive", "pick_list"}),
    (State.RECEIVED, {"close", "pick_list"}, {"pick_list"}),
    (State.CLOSED, {"pick_list"}, {"pick_list"}),
])
def test_the_actions_follow_the_state_machine_and_the_role(pharmacy, pasante_a, state, reviewer, pasante):
    restock = RestockRequest(state=state)

    def offered(user, posted_here):
        actions = selectors.restock_request_actions(user, restock, posted_here=posted_here)
        return {name for name, value in vars(actions).items() if value}

    assert offered(pharmacy, posted_here=False) == reviewer
    assert offered(pasante_a, posted_here=True) == pasante
    assert offered(pasante_a, posted_here=False) == pasante - {"edit", "receive"}


def test_the_request_detail_brings_its_actions_in_its_two_queries(pasante_a, clinic_a, django_assert_num_queries):
    restock = regular(clinic_a, JUNE, figures(ItemFactory()), to=State.DRAFT)
    pasante_a.roles  # noqa: B018 - read once per user and cached on it; what is counted is the detail
    with django_assert_num_queries(2):
        detail = selectors.restock_request_detail(pasante_a, restock.pk)
    assert detail.actions == selectors.RestockActions(edit=True)


# --- Below minimum as the stock-alert page pages it, and the requests' totals -------------------------------

def _page_rows(lines):
    return [(line.request.clinic.name, line.item.name, line.request.period, line.stock_on_hand) for line in lines]


def test_below_minimum_pages_give_the_query_sets_lines_in_its_order_and_its_count(item, other_item, clinic_a,
                                                                                 clinic_b):
    third, retired = ItemFactory(name="Zinc", code="ZNC"), ItemFactory(name="Retirado", code="RET")
    regular(clinic_a, APRIL, figures(item, stock_on_hand=1), figures(other_item, stock_on_hand=2),
            figures(third, stock_on_hand=50), figures(retired, stock_on_hand=3))
    # May leaves out Amoxicilina: its April count still stands for clinic A.
    regular(clinic_a, MAY, figures(item, stock_on_hand=4), figures(third, stock_on_hand=5),
            figures(retired, stock_on_hand=0))
    regular(clinic_b, MAY, figures(item, stock_on_hand=0), figures(other_item, stock_on_hand=31),
            figures(third, stock_on_hand=29))
    regular(clinic_b, JUNE, figures(item, stock_on_hand=9), to=State.DRAFT)  # not sent: not counted
    retired.active = False
    retired.save()

    expected = _page_rows(selectors.clinic_items_below_minimum())
    assert expected == [("Clínica Capitán", "Amoxicilina", APRIL, 2), ("Clínica Capitán", "Paracetamol", MAY, 4),
                        ("Clínica Capitán", "Zinc", MAY, 5), ("Clínica Reforma", "Paracetamol", MAY, 0),
                        ("Clínica Reforma", "Zinc", MAY, 29)]
    pages = selectors.ClinicItemsBelowMinimumPages()
    assert pages.count() == len(pages) == 5
    assert _page_rows(pages[0:2]) + _page_rows(pages[2:4]) + _page_rows(pages[4:6]) == expected


def test_below_minimum_pages_run_one_query_for_the_count_and_one_for_a_page(item, clinic_a, clinic_b):
    regular(clinic_a, MAY, figures(item, stock_on_hand=1))
    regular(clinic_b, MAY, figures(item, stock_on_hand=2))
    pages = selectors.ClinicItemsBelowMinimumPages()
    with CaptureQueriesContext(connection) as queries:
        assert pages.count() == 2
        assert [line.request.clinic for line in pages[0:25]] == [clinic_a, clinic_b]
    assert len(queries) == 2


def _totals_from_lines(request):
    lines = list(request.lines.all())

    def total(values):
        values = [v for v in values if v is not None]
        return sum(values) if values else None

    return {
        "lines": len(lines),
        "requested_decided": total(line.requested for line in lines if line.approved is not None),
        "approved": total(line.approved for line in lines),
        "approved_dispatched": total(line.approved for line in lines if line.dispatched is not None),
        "dispatched": total(line.dispatched for line in lines),
        "dispatched_received": total(line.dispatched for line in lines if line.received_quantity is not None),
        "received": total(line.received_quantity for line in lines),
        "stockout_lines": sum(1 for line in lines
                              if line.stockout_days > 0 or (line.stock_on_hand == 0 and line.consumed > 0)),
    }


def _totals(request):
    from pharmacy.models import RestockRequestTotals

    row = RestockRequestTotals.objects.filter(request=request).values(*_totals_from_lines(request)).first()
    return row


def test_a_requests_totals_follow_its_lines_through_every_step(item, other_item, clinic_a):
    services.warehouse_receive(item=item, lot_number="W1", expiry=date(2030, 1, 31), quantity=500)
    services.warehouse_receive(item=other_item, lot_number="W2", expiry=date(2030, 1, 31), quantity=500)
    request = services.restock_request_create_draft(clinic=clinic_a, period=MAY, lines=[
        figures(item, stock_on_hand=0, stockout_days=3), figures(other_item)])
    assert _totals(request) == _totals_from_lines(request)
    assert _totals(request)["approved"] is None and _totals(request)["stockout_lines"] == 1
    request = services.restock_request_update_lines(request=request, lines=[figures(item, stock_on_hand=20)])
    assert _totals(request) == _totals_from_lines(request) and _totals(request)["lines"] == 1
    request = services.restock_request_update_lines(request=request, lines=[figures(item), figures(other_item)])
    request = services.restock_request_submit(request=request)
    request = services.restock_request_approve(request=request, cuts={item.pk: (10, "Poco en almacén")})
    assert _totals(request) == _totals_from_lines(request) and _totals(request)["approved_dispatched"] is None
    request = services.restock_request_dispatch(request=request, today=TODAY)
    assert _totals(request) == _totals_from_lines(request)
    request = services.restock_request_receive(request=request, received={item.pk: (8, "Dos rotos")})
    totals = _totals(request)
    assert totals == _totals_from_lines(request)
    assert (totals["dispatched_received"], totals["received"]) == (totals["dispatched"], totals["dispatched"] - 2)


def test_a_request_without_lines_has_no_totals_and_deleting_one_leaves_none(item, clinic_a):
    from pharmacy.models import RestockLine, RestockRequestTotals

    request = services.restock_request_create_draft(clinic=clinic_a, period=MAY, lines=[figures(item)])
    assert RestockRequestTotals.objects.filter(request=request).exists()
    RestockLine.objects.filter(request=request).delete()
    assert not RestockRequestTotals.objects.filter(request=request).exists()
    other = services.restock_request_create_draft(clinic=clinic_a, period=JUNE, lines=[figures(item)])
    other.delete()
    assert not RestockRequestTotals.objects.exists()
