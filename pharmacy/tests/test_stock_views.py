"""The warehouse and stock pages through the Django test client: stock on hand by item and lot, lots
expiring, items below minimum, supplier deliveries, physical counts and the deadline-day setting. Who may
open what (a pasante: their own clinic only), every refusal (a clear message and nothing written), and
the number of queries of each list pinned at two data sizes."""

import re
import uuid
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinics.tests.factories import ClinicFactory
from pharmacy.models import Lot, PharmacySettings, StockBalance, StockCount, StockMovement, WarehouseDelivery
from pharmacy.selectors import pharmacy_settings
from pharmacy.services import (
    Move,
    ledger_move,
    restock_request_create_draft,
    restock_request_submit,
    stock_count_record,
)
from pharmacy.tests.factories import ItemFactory, LotFactory
from tests.kit import LAYOUT_QUERIES, client_for

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
# A two-line delivery, savepoints included: the items; the key and the delivery's row; per line its lot,
# balance and movement. Its replay: the items of the form and the delivery already under the key.
DELIVERY_POST_QUERIES = 42
DELIVERY_REPLAY_QUERIES = 5


def text(response) -> str:
    return response.content.decode()


def url(name, *args):
    return reverse(f"pharmacy:{name}", args=args)


def receive(clinic, lot, quantity, **kw):
    ledger_move(moves=[Move(clinic, lot, quantity)], kind=StockMovement.Kind.RECEIPT, **kw)


def balance(clinic, lot) -> int:
    row = StockBalance.objects.filter(clinic=clinic, lot=lot).first()
    return row.quantity if row else 0


@pytest.fixture
def stock(clinic_a, clinic_b, pharmacy):
    """Paracetamol in the warehouse (two lots) and at clinic A; amoxicillin at clinic B only;
    metformin in the catalogue with no stock anywhere."""
    para = ItemFactory(name="Paracetamol", code="PAR-500", category="Analgesics", warehouse_minimum=100)
    amox = ItemFactory(name="Amoxicilina", code="AMX-500", category="Antibiotics")
    metf = ItemFactory(name="Metformina", code="MET-850", category="Antidiabetics", warehouse_minimum=50)
    early = LotFactory(item=para, lot_number="PAR-EARLY", expiry=TODAY + timedelta(days=20))
    late = LotFactory(item=para, lot_number="PAR-LATE", expiry=TODAY + timedelta(days=400))
    amox_lot = LotFactory(item=amox, lot_number="AMX-1", expiry=TODAY + timedelta(days=300))
    receive(None, early, 30, by=pharmacy, document="FAC-100")
    receive(None, late, 40, by=pharmacy, document="FAC-100")
    receive(clinic_a, late, 12, by=pharmacy, document="REM-7")
    receive(clinic_b, amox_lot, 9, by=pharmacy, document="REM-8")
    return {"para": para, "amox": amox, "metf": metf, "early": early, "late": late, "amox_lot": amox_lot}


def rows(response, testid="stock-row"):
    """``{data-item: data-on-hand}`` of the stock rows of a page."""
    return dict(re.findall(rf'data-testid="{testid}" data-item="([^"]+)" data-on-hand="(-?\d+)"', text(response)))


# --- Stock on hand --------------------------------------------------------------------------------------------


def test_stock_list_shows_the_warehouse_by_default(pharmacy, stock):
    response = client_for(pharmacy).get(url("stock-list"))
    assert response.status_code == 200
    assert rows(response) == {"PAR-500": "70", "AMX-500": "0", "MET-850": "0"}
    body = text(response)
    assert "Central warehouse" in body
    assert stock["early"].expiry.strftime("%d/%m/%Y") in body  # first expiry of paracetamol
    assert body.count('data-testid="expires-soon"') == 1  # within 60 days


def test_stock_list_does_not_flag_a_far_expiry(coordinator, clinic_a, stock):
    body = text(client_for(coordinator).get(url("stock-list"), {"clinic": clinic_a.pk}))
    assert stock["late"].expiry.strftime("%d/%m/%Y") in body
    assert 'data-testid="expires-soon"' not in body


def test_stock_list_flags_warehouse_items_below_their_reorder_level(pharmacy, stock):
    body = text(client_for(pharmacy).get(url("stock-list")))
    flagged = [line for line in body.split('data-testid="stock-row"')[1:] if 'data-testid="below-minimum"' in line]
    assert len(flagged) == 2  # paracetamol 70 < 100, metformin 0 < 50
    assert all('data-item="AMX-500"' not in line for line in flagged)


def test_stock_list_shows_a_clinic_on_request(coordinator, clinic_a, stock):
    response = client_for(coordinator).get(url("stock-list"), {"clinic": clinic_a.pk})
    assert rows(response) == {"PAR-500": "12", "AMX-500": "0", "MET-850": "0"}
    assert 'data-testid="stock-location">Clínica Capitán' in text(response)


def test_stock_list_flags_clinic_items_below_one_month_of_consumption(coordinator, pasante_a, clinic_a, stock):
    request = restock_request_create_draft(
        clinic=clinic_a, period=TODAY.replace(day=1), by=pasante_a,
        lines=[{"item": stock["para"].pk, "consumed": 30, "stock_on_hand": 12},
               {"item": stock["amox"].pk, "consumed": 0, "stock_on_hand": 0}],
    )
    restock_request_submit(request=request, by=pasante_a)
    body = text(client_for(coordinator).get(url("stock-list"), {"clinic": clinic_a.pk}))
    para = body.split('data-item="PAR-500"')[1].split("</tr>")[0]
    amox = body.split('data-item="AMX-500"')[1].split("</tr>")[0]
    assert 'data-testid="below-minimum"' in para  # 12 on hand, AMC 30
    assert 'data-testid="below-minimum"' not in amox  # no consumption: no minimum


def test_stock_list_searches_by_name_or_code_and_filters_by_category(pharmacy, stock):
    client = client_for(pharmacy)
    assert set(rows(client.get(url("stock-list"), {"q": "amox"}))) == {"AMX-500"}
    assert set(rows(client.get(url("stock-list"), {"q": "MET-8"}))) == {"MET-850"}
    assert set(rows(client.get(url("stock-list"), {"category": "Analgesics"}))) == {"PAR-500"}
    assert set(rows(client.get(url("stock-list"), {"category": "No such category"}))) == {
        "PAR-500", "AMX-500", "MET-850"}


def test_pasante_sees_their_own_clinic_stock(pasante_a, stock):
    response = client_for(pasante_a).get(url("stock-list"))
    assert response.status_code == 200
    assert rows(response) == {"PAR-500": "12", "AMX-500": "0", "MET-850": "0"}
    assert "Central warehouse" not in text(response)


def test_pasante_cannot_see_another_clinic_stock(pasante_a, clinic_b, stock):
    assert client_for(pasante_a).get(url("stock-list"), {"clinic": clinic_b.pk}).status_code == 404


@pytest.mark.parametrize("value", ["abc", "999999", "-1"])
def test_stock_list_answers_404_for_an_unknown_clinic(coordinator, stock, value):
    assert client_for(coordinator).get(url("stock-list"), {"clinic": value}).status_code == 404


@pytest.mark.parametrize("persona", ["supervisor", "chw", "visitor_program", "outsider"])
def test_stock_pages_are_closed_to_roles_with_no_business_there(request, stock, persona):
    client = client_for(request.getfixturevalue(persona))
    for name, args in [("stock-list", ()), ("stock-item", (stock["para"].pk,)), ("stock-expiring", ()),
                       ("stock-below-minimum", ()), ("warehouse-receipt-create", ()), ("count-list", ()),
                       ("count-create", ()), ("settings", ())]:
        assert client.get(url(name, *args)).status_code == 403, name


def _many_items(size):
    for n in range(size):
        item = ItemFactory(category=f"Cat {n % 4}", warehouse_minimum=n)
        lot = LotFactory(item=item)
        receive(None, lot, 5 + n)


@pytest.mark.parametrize("size", [3, 30])
def test_stock_list_query_count_is_fixed(pharmacy, django_assert_num_queries, size):
    _many_items(size)
    client = client_for(pharmacy)
    # categories, clinics to choose from, count, page
    with django_assert_num_queries(LAYOUT_QUERIES + 4):
        response = client.get(url("stock-list"), {"q": "", "category": ""})
    assert response.status_code == 200


@pytest.mark.parametrize("size", [3, 30])
def test_pasante_stock_list_query_count_is_fixed(pasante_a, clinic_a, django_assert_num_queries, size):
    for n in range(size):
        receive(clinic_a, LotFactory(item=ItemFactory()), 3 + n)
    client = client_for(pasante_a)
    # categories, their clinic, count, page, the clinic's minimums
    with django_assert_num_queries(LAYOUT_QUERIES + 5):
        response = client.get(url("stock-list"))
    assert response.status_code == 200


# --- One item: lots and movements -----------------------------------------------------------------------------


def test_stock_item_shows_lots_by_location_and_the_ledger(pharmacy, clinic_a, stock):
    response = client_for(pharmacy).get(url("stock-item", stock["para"].pk))
    assert response.status_code == 200
    body = text(response)
    assert body.count('data-testid="item-lot"') == 3  # two lots at the warehouse, one at clinic A
    assert 'data-testid="item-total">82<' in body
    assert body.count('data-testid="item-movement"') == 3
    assert "FAC-100" in body and "REM-7" in body
    assert "Receipt at the warehouse" in body
    assert pharmacy.full_name in body


def test_pasante_sees_only_their_clinic_in_an_item(pasante_a, stock):
    body = text(client_for(pasante_a).get(url("stock-item", stock["para"].pk)))
    assert body.count('data-testid="item-lot"') == 1
    assert 'data-lot="PAR-LATE" data-quantity="12"' in body
    assert "FAC-100" not in body and body.count('data-testid="item-movement"') == 1


def test_pasante_sees_nothing_of_another_clinic_in_an_item(pasante_a, stock):
    body = text(client_for(pasante_a).get(url("stock-item", stock["amox"].pk)))
    assert 'data-testid="item-lot"' not in body
    assert "REM-8" not in body


def test_stock_item_answers_404_for_an_unknown_item(pharmacy, stock):
    assert client_for(pharmacy).get(url("stock-item", 999999)).status_code == 404


def test_stock_item_pages_the_movements(pharmacy, stock):
    for _ in range(30):
        receive(None, stock["late"], 1, by=pharmacy, document="FAC-PAGE")
    client = client_for(pharmacy)
    first = text(client.get(url("stock-item", stock["para"].pk)))
    second = text(client.get(url("stock-item", stock["para"].pk), {"page": 2}))
    assert first.count('data-testid="item-movement"') == 25
    assert second.count('data-testid="item-movement"') == 8


@pytest.mark.parametrize("size", [3, 30])
def test_stock_item_query_count_is_fixed(pharmacy, clinic_a, django_assert_num_queries, size):
    item = ItemFactory()
    for _ in range(size):
        lot = LotFactory(item=item)
        receive(None, lot, 10, by=pharmacy)
        receive(clinic_a, lot, 2, by=pharmacy)
    client = client_for(pharmacy)
    # item, balances, movements count, movements page
    with django_assert_num_queries(LAYOUT_QUERIES + 4):
        response = client.get(url("stock-item", item.pk))
    assert response.status_code == 200


# --- Expiring and below minimum -------------------------------------------------------------------------------


def test_stock_expiring_shows_lots_expiring_soon_or_expired_and_where(coordinator, clinic_a, stock):
    expired = LotFactory(item=stock["amox"], lot_number="AMX-OLD", expiry=TODAY - timedelta(days=3))
    receive(clinic_a, expired, 4)
    body = text(client_for(coordinator).get(url("stock-expiring")))
    assert 'data-lot="PAR-EARLY" data-quantity="30"' in body
    assert 'data-lot="AMX-OLD" data-quantity="4"' in body
    assert "PAR-LATE" not in body  # 400 days away
    assert body.count('data-testid="expired"') == 1
    assert "Clínica Capitán" in body and "Central warehouse" in body


def test_stock_expiring_ignores_lots_with_no_stock(coordinator, stock):
    ledger_move(moves=[Move(None, stock["early"], -30)], kind=StockMovement.Kind.DISPATCH_OUT)
    body = text(client_for(coordinator).get(url("stock-expiring")))
    assert 'data-testid="expiring-none"' in body


@pytest.mark.parametrize("size", [3, 30])
def test_stock_expiring_query_count_is_fixed(pharmacy, clinic_a, django_assert_num_queries, size):
    for n in range(size):
        lot = LotFactory(expiry=TODAY + timedelta(days=n))
        receive(None, lot, 5)
        receive(clinic_a, lot, 5)
    client = client_for(pharmacy)
    with django_assert_num_queries(LAYOUT_QUERIES + 2):  # count, page
        response = client.get(url("stock-expiring"))
    assert response.status_code == 200


def test_stock_below_minimum_lists_the_warehouse_and_the_clinics(pharmacy, pasante_a, clinic_a, stock):
    request = restock_request_create_draft(
        clinic=clinic_a, period=TODAY.replace(day=1), by=pasante_a,
        lines=[{"item": stock["para"].pk, "consumed": 30, "stock_on_hand": 12}],
    )
    restock_request_submit(request=request, by=pasante_a)
    body = text(client_for(pharmacy).get(url("stock-below-minimum")))
    warehouse = body.split('data-testid="warehouse-below"')[1].split("</table>")[0]
    clinics = body.split('data-testid="clinic-below"')[1].split("</table>")[0]
    assert 'data-item="PAR-500"' in warehouse and 'data-item="MET-850"' in warehouse
    assert 'data-item="AMX-500"' not in warehouse  # no reorder level
    assert f'data-item="PAR-500" data-clinic="{clinic_a.pk}"' in clinics


def test_stock_below_minimum_is_empty_when_all_is_well(pharmacy, stock):
    receive(None, stock["late"], 100)
    receive(None, LotFactory(item=stock["metf"]), 50)
    body = text(client_for(pharmacy).get(url("stock-below-minimum")))
    assert 'data-testid="warehouse-below-row"' not in body
    assert 'data-testid="clinic-below-row"' not in body


@pytest.mark.parametrize("size", [3, 30])
def test_stock_below_minimum_query_count_is_fixed(pharmacy, pasante_a, clinic_a, django_assert_num_queries, size):
    items = [ItemFactory(warehouse_minimum=10) for _ in range(size)]
    request = restock_request_create_draft(
        clinic=clinic_a, period=TODAY.replace(day=1), by=pasante_a,
        lines=[{"item": item.pk, "consumed": 10, "stock_on_hand": 1} for item in items],
    )
    restock_request_submit(request=request, by=pasante_a)
    client = client_for(pharmacy)
    with django_assert_num_queries(LAYOUT_QUERIES + 3):  # warehouse items, clinic lines counted, their page
        response = client.get(url("stock-below-minimum"))
    assert response.status_code == 200
    assert text(response).count('data-testid="clinic-below-row"') == size


# --- Supplier deliveries --------------------------------------------------------------------------------------


def receipt_data(lines, document="FAC-2026-001", reason=""):
    data = {"document": document, "reason": reason, "lines-TOTAL_FORMS": str(len(lines)),
            "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "1", "lines-MAX_NUM_FORMS": "50"}
    for n, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{n}-{key}"] = value
    return data


def line(item, lot_number="NEW-1", expiry=None, quantity="100"):
    return {"item": str(item.pk) if hasattr(item, "pk") else str(item), "lot_number": lot_number,
            "expiry": (expiry or TODAY + timedelta(days=365)).isoformat(), "quantity": quantity}


def test_receipt_form_shows_one_line(pharmacy):
    response = client_for(pharmacy).get(url("warehouse-receipt-create"))
    assert response.status_code == 200
    assert text(response).count('data-testid="receipt-line"') == 1


def test_receipt_receives_every_line_into_the_warehouse(pharmacy, stock):
    data = receipt_data([line(stock["metf"], "MET-NEW", quantity="200"),
                         line(stock["para"], "PAR-LATE", expiry=stock["late"].expiry, quantity="60")],
                        reason="Donation")
    response = client_for(pharmacy).post(url("warehouse-receipt-create"), data, follow=True)
    assert response.redirect_chain[-1][0] == url("stock-list")
    assert "Delivery FAC-2026-001 received: 2 lines, 260 units." in text(response)
    new_lot = Lot.objects.get(item=stock["metf"], lot_number="MET-NEW")
    assert balance(None, new_lot) == 200
    assert balance(None, stock["late"]) == 100
    moves = StockMovement.objects.filter(document="FAC-2026-001")
    assert moves.count() == 2
    assert {(m.kind, m.reason, m.by_id) for m in moves} == {("receipt", "Donation", pharmacy.pk)}


def test_receipt_add_line_adds_a_blank_line_and_writes_nothing(pharmacy, stock):
    data = receipt_data([line(stock["metf"])])
    data["add-line"] = "1"
    response = client_for(pharmacy).post(url("warehouse-receipt-create"), data)
    assert response.status_code == 200
    assert text(response).count('data-testid="receipt-line"') == 2
    assert not StockMovement.objects.filter(document="FAC-2026-001").exists()


def test_receipt_ignores_a_blank_extra_line(pharmacy, stock):
    data = receipt_data([line(stock["metf"]), {"item": "", "lot_number": "", "expiry": "", "quantity": ""}])
    response = client_for(pharmacy).post(url("warehouse-receipt-create"), data)
    assert response.status_code == 302
    assert StockMovement.objects.filter(document="FAC-2026-001").count() == 1


@pytest.mark.parametrize("bad, message", [
    ({"quantity": "0"}, "The quantity must be above zero."),
    ({"quantity": "-5"}, "The quantity must be above zero."),
    ({"quantity": "2.5"}, "Write a whole number."),
    # Beyond any real delivery, and beyond the ledger's integer: a message, not a server error.
    ({"quantity": str(2**31)}, "The quantity cannot be above 1000000."),
    ({"quantity": str(2**63)}, "The quantity cannot be above 1000000."),
    ({"expiry": (TODAY - timedelta(days=1)).isoformat()}, "This lot has expired: expired stock cannot be received."),
    ({"expiry": "31/02/2027"}, "Write a real date as dd/mm/yyyy"),
    ({"item": "999999"}, "Choose one of the options in the list."),
    ({"lot_number": "  "}, "This field is required."),
])
def test_receipt_refuses_bad_lines_and_writes_nothing(pharmacy, stock, bad, message):
    data = receipt_data([line(stock["metf"], "MET-OK"), {**line(stock["metf"], "MET-BAD"), **bad}])
    response = client_for(pharmacy).post(url("warehouse-receipt-create"), data)
    assert response.status_code == 200
    assert message in text(response)
    assert not Lot.objects.filter(lot_number__in=["MET-OK", "MET-BAD"]).exists()
    assert not StockMovement.objects.filter(document="FAC-2026-001").exists()


def test_receipt_needs_a_document(pharmacy, stock):
    response = client_for(pharmacy).post(url("warehouse-receipt-create"),
                                         receipt_data([line(stock["metf"])], document="  "))
    assert response.status_code == 200
    assert "This field is required." in text(response)
    assert not Lot.objects.filter(lot_number="NEW-1").exists()


def test_receipt_needs_at_least_one_line(pharmacy, stock):
    data = receipt_data([{"item": "", "lot_number": "", "expiry": "", "quantity": ""}])
    response = client_for(pharmacy).post(url("warehouse-receipt-create"), data)
    assert response.status_code == 200
    assert "This field is required." in text(response)
    assert not StockMovement.objects.filter(document="FAC-2026-001").exists()


def test_receipt_is_all_or_nothing_when_the_service_refuses_a_line(pharmacy, stock):
    # The second line names a known lot with another expiry: only the service can tell.
    data = receipt_data([line(stock["metf"], "MET-OK"),
                         line(stock["para"], "PAR-LATE", expiry=TODAY + timedelta(days=90))])
    response = client_for(pharmacy).post(url("warehouse-receipt-create"), data)
    assert response.status_code == 200
    assert "Line 2: Lot PAR-LATE of this item is on file with another expiry date." in text(response)
    assert not Lot.objects.filter(lot_number="MET-OK").exists()
    assert balance(None, stock["late"]) == 40


def form_key(client) -> str:
    return re.search(r'name="client_key" value="([0-9a-f-]+)"', text(client.get(url("warehouse-receipt-create"))))[1]


def test_a_delivery_posted_twice_is_received_once_and_both_posts_land_on_it(pharmacy, stock):
    client = client_for(pharmacy)
    data = {**receipt_data([line(stock["metf"], "MET-TWICE", quantity="50")]), "client_key": form_key(client)}
    first = client.post(url("warehouse-receipt-create"), data, follow=True)
    cache.clear()  # the key lives in the database: a flushed Redis does not forget it
    again = client.post(url("warehouse-receipt-create"), data, follow=True)
    for response in (first, again):
        assert response.redirect_chain[-1][0] == url("stock-list")
        assert "Delivery FAC-2026-001 received: 1 line, 50 units." in text(response)
    assert balance(None, Lot.objects.get(lot_number="MET-TWICE")) == 50
    assert StockMovement.objects.filter(document="FAC-2026-001").count() == 1
    assert WarehouseDelivery.objects.get().client_key is not None


def test_two_forms_of_the_same_delivery_note_are_two_deliveries(pharmacy, stock):
    # A second form is a second key: the pharmacy may receive a second box under the same note.
    client = client_for(pharmacy)
    for _ in range(2):
        data = {**receipt_data([line(stock["metf"], "MET-TWO", quantity="50")]), "client_key": form_key(client)}
        assert client.post(url("warehouse-receipt-create"), data).status_code == 302
    assert balance(None, Lot.objects.get(lot_number="MET-TWO")) == 100
    assert WarehouseDelivery.objects.count() == 2


def test_a_refused_delivery_can_be_corrected_and_sent_with_the_same_form(pharmacy, stock):
    client = client_for(pharmacy)
    key = form_key(client)
    refused = {**receipt_data([line(stock["para"], "PAR-LATE", expiry=TODAY + timedelta(days=90))]),
               "client_key": key}
    response = client.post(url("warehouse-receipt-create"), refused)
    assert response.status_code == 200
    assert "Line 1: Lot PAR-LATE of this item is on file with another expiry date." in text(response)
    assert not WarehouseDelivery.objects.exists()
    corrected = {**receipt_data([line(stock["para"], "PAR-LATE", expiry=stock["late"].expiry, quantity="5")]),
                 "client_key": key}
    response = client.post(url("warehouse-receipt-create"), corrected, follow=True)
    assert "Delivery FAC-2026-001 received: 1 line, 5 units." in text(response)
    assert balance(None, stock["late"]) == 45
    assert WarehouseDelivery.objects.get().client_key == uuid.UUID(key)


@pytest.mark.parametrize("size", [2, 12])
def test_a_delivery_post_and_its_replay_run_a_fixed_number_of_queries(pharmacy, stock, django_assert_num_queries,
                                                                      size):
    client = client_for(pharmacy)
    for n in range(size):  # a bigger catalogue and more deliveries already received
        other = ItemFactory()
        data = {**receipt_data([line(other, f"OLD-{n}")], document=f"FAC-OLD-{n}"), "client_key": str(uuid.uuid4())}
        assert client.post(url("warehouse-receipt-create"), data).status_code == 302
    data = {**receipt_data([line(stock["metf"], "MET-PIN", quantity="20"),
                            line(stock["para"], "PAR-LATE", expiry=stock["late"].expiry, quantity="5")]),
            "client_key": str(uuid.uuid4())}
    with django_assert_num_queries(LAYOUT_QUERIES + DELIVERY_POST_QUERIES):
        assert client.post(url("warehouse-receipt-create"), data).status_code == 302
    with django_assert_num_queries(LAYOUT_QUERIES + DELIVERY_REPLAY_QUERIES):
        assert client.post(url("warehouse-receipt-create"), data).status_code == 302
    assert balance(None, stock["late"]) == 45


def test_pasante_cannot_receive_deliveries(pasante_a, stock):
    client = client_for(pasante_a)
    assert client.get(url("warehouse-receipt-create")).status_code == 403
    response = client.post(url("warehouse-receipt-create"), receipt_data([line(stock["metf"])]))
    assert response.status_code == 403
    assert not Lot.objects.filter(lot_number="NEW-1").exists()


# --- Physical counts ------------------------------------------------------------------------------------------


def count_data(counts=None, found=(), remarks=""):
    data = {"remarks": remarks, "found-TOTAL_FORMS": str(len(found)), "found-INITIAL_FORMS": "0",
            "found-MIN_NUM_FORMS": "0", "found-MAX_NUM_FORMS": "50"}
    for lot, counted in (counts or {}).items():
        data[f"lot_{lot.pk}"] = str(counted)
    for n, entry in enumerate(found):
        for key, value in entry.items():
            data[f"found-{n}-{key}"] = value
    return data


def found_lot(item, lot_number="FOUND-1", expiry=None, counted="7"):
    return {"item": str(item.pk), "lot_number": lot_number,
            "expiry": (expiry or TODAY + timedelta(days=200)).isoformat(), "counted": counted}


def test_count_form_lists_the_lots_of_the_warehouse(pharmacy, stock):
    body = text(client_for(pharmacy).get(url("count-create")))
    assert body.count('data-testid="count-lot"') == 2
    assert 'data-lot="PAR-EARLY"' in body and 'data-lot="PAR-LATE"' in body
    assert 'data-testid="count-place"><strong>Central warehouse' in body


def test_count_form_lists_the_lots_of_a_clinic(coordinator, clinic_b, stock):
    body = text(client_for(coordinator).get(url("count-create"), {"clinic": clinic_b.pk}))
    assert body.count('data-testid="count-lot"') == 1 and 'data-lot="AMX-1"' in body


def test_a_count_sets_the_stock_and_shows_the_variances(pharmacy, stock):
    client = client_for(pharmacy)
    response = client.post(url("count-create"), count_data({stock["early"]: 28, stock["late"]: 40}, remarks="Q1"),
                           follow=True)
    count = StockCount.objects.get()
    assert response.redirect_chain[-1][0] == url("count-detail", count.pk)
    body = text(response)
    assert "The count is recorded; the stock now matches it." in body
    assert 'data-lot="PAR-EARLY" data-expected="30" data-counted="28" data-variance="-2"' in body
    assert 'data-lot="PAR-LATE" data-expected="40" data-counted="40" data-variance="0"' in body
    assert 'data-testid="count-totals" data-expected="70" data-counted="68" data-variance="-2"' in body
    assert balance(None, stock["early"]) == 28
    assert count.clinic is None and count.counted_by == pharmacy and count.remarks == "Q1"


def test_a_count_leaves_blank_lots_uncounted(pharmacy, stock):
    client_for(pharmacy).post(url("count-create"), count_data({stock["early"]: 31}))
    count = StockCount.objects.get()
    assert [line.lot for line in count.lines.all()] == [stock["early"]]
    assert balance(None, stock["late"]) == 40


def test_a_count_adds_a_lot_found_on_the_shelf(pharmacy, stock):
    data = count_data({stock["late"]: 40}, found=[found_lot(stock["metf"], "MET-SHELF", counted="15")])
    response = client_for(pharmacy).post(url("count-create"), data)
    assert response.status_code == 302
    lot = Lot.objects.get(item=stock["metf"], lot_number="MET-SHELF")
    assert balance(None, lot) == 15
    line = StockCount.objects.get().lines.get(lot=lot)
    assert (line.expected, line.counted) == (0, 15)


def test_a_count_finds_a_known_lot_missing_from_this_place(coordinator, clinic_a, stock):
    # PAR-EARLY is in the warehouse, not at clinic A; the pasante finds some there.
    data = count_data(found=[found_lot(stock["para"], "PAR-EARLY", expiry=stock["early"].expiry, counted="3")])
    response = client_for(coordinator).post(url("count-create") + f"?clinic={clinic_a.pk}", data)
    assert response.status_code == 302
    assert balance(clinic_a, stock["early"]) == 3
    assert balance(None, stock["early"]) == 30


def test_count_add_found_lot_button_adds_a_blank_lot_and_writes_nothing(pharmacy, stock):
    data = count_data({stock["early"]: 1})
    data["add-line"] = "1"
    response = client_for(pharmacy).post(url("count-create"), data)
    assert response.status_code == 200
    assert text(response).count('data-testid="found-lot"') == 1
    assert not StockCount.objects.exists()
    assert balance(None, stock["early"]) == 30


@pytest.mark.parametrize("counts, found, message", [
    ({"early": "-1"}, [], "The quantity cannot be negative."),
    ({"early": "many"}, [], "Write a whole number."),
    ({"early": str(2**63)}, [], "The quantity cannot be above 1000000."),
    ({"early": "5"}, [{"counted": str(2**31)}], "The quantity cannot be above 1000000."),
    ({}, [], "Count at least one lot."),
    ({"early": "5"}, [{"counted": "0"}], "The quantity must be above zero."),
    ({"early": "5"}, [{"item": "999999"}], "Choose one of the options in the list."),
    ({"early": "5"}, [{"lot_number": "PAR-LATE", "item": "para"}],
     "Paracetamol 500 mg tablet, lot PAR-LATE is on file with the expiry"),
    ({"early": "5"}, [{"lot_number": "PAR-EARLY", "item": "para", "expiry": "early"}],
     "Paracetamol 500 mg tablet, lot PAR-EARLY is counted twice."),
])
def test_a_bad_count_is_refused_and_writes_nothing(pharmacy, stock, counts, found, message):
    entries = []
    for entry in found:
        entry = {**found_lot(stock["metf"], "MET-SHELF"), **entry}
        if entry["item"] == "para":
            entry["item"] = str(stock["para"].pk)
        if entry["expiry"] == "early":
            entry["expiry"] = stock["early"].expiry.isoformat()
        entries.append(entry)
    data = count_data(found=entries)
    data.update({f"lot_{stock[key].pk}": value for key, value in counts.items()})
    response = client_for(pharmacy).post(url("count-create"), data)
    assert response.status_code == 200
    assert message in text(response)
    assert not StockCount.objects.exists()
    assert not Lot.objects.filter(lot_number="MET-SHELF").exists()
    assert balance(None, stock["early"]) == 30


def test_a_count_ignores_posted_names_that_are_no_lot_id(pharmacy, stock):
    # "²" is a digit to str.isdigit() but not to int(), nor is a 5,000-digit number (Python's limit is
    # 4,300): a hand-made post with such a name is counted as if they were not there.
    data = {**count_data({stock["early"]: 28}), "lot_²": "3", "lot_" + "9" * 5000: "3", "lot_": "3"}
    response = client_for(pharmacy).post(url("count-create"), urlencode(data),
                                         content_type="application/x-www-form-urlencoded")
    assert response.status_code == 302
    count = StockCount.objects.get()
    assert [(line.lot, line.counted) for line in count.lines.all()] == [(stock["early"], 28)]


def test_a_lot_that_left_while_counting_is_still_counted(pharmacy, stock):
    # The page listed PAR-EARLY; it was all dispatched before the count was posted.
    ledger_move(moves=[Move(None, stock["early"], -30)], kind=StockMovement.Kind.DISPATCH_OUT)
    response = client_for(pharmacy).post(url("count-create"), count_data({stock["early"]: 2}))
    assert response.status_code == 302
    line = StockCount.objects.get().lines.get()
    assert (line.lot, line.expected, line.counted) == (stock["early"], 0, 2)


def test_pasante_counts_their_own_clinic(pasante_a, clinic_a, stock):
    client = client_for(pasante_a)
    body = text(client.get(url("count-create")))
    assert 'data-testid="count-place"><strong>Clínica Capitán' in body
    assert body.count('data-testid="count-lot"') == 1
    assert 'data-testid="count-location"' not in body  # nowhere else to choose
    response = client.post(url("count-create"), count_data({stock["late"]: 11}))
    assert response.status_code == 302
    count = StockCount.objects.get()
    assert count.clinic == clinic_a and count.counted_by == pasante_a
    assert balance(clinic_a, stock["late"]) == 11
    assert balance(None, stock["late"]) == 40


def test_pasante_cannot_count_another_clinic(pasante_a, clinic_b, stock):
    client = client_for(pasante_a)
    target = url("count-create") + f"?clinic={clinic_b.pk}"
    assert client.get(target).status_code == 404
    assert client.post(target, count_data({stock["amox_lot"]: 1})).status_code == 404
    assert not StockCount.objects.exists()
    assert balance(clinic_b, stock["amox_lot"]) == 9


def test_count_list_shows_each_count_with_its_variances(pharmacy, clinic_a, stock):
    stock_count_record(clinic=None, counts={stock["early"].pk: 29, stock["late"].pk: 38}, by=pharmacy)
    stock_count_record(clinic=clinic_a, counts={stock["late"].pk: 12}, by=pharmacy)
    body = text(client_for(pharmacy).get(url("count-list")))
    assert body.count('data-testid="count-row"') == 2
    assert 'data-variances="2"' in body and 'data-variances="0"' in body
    assert "Clínica Capitán" in body and "Central warehouse" in body


def test_pasante_sees_only_their_clinic_counts(pasante_a, pasante_b, pharmacy, clinic_a, clinic_b, stock):
    mine = stock_count_record(clinic=clinic_a, counts={stock["late"].pk: 12}, by=pasante_a)
    theirs = stock_count_record(clinic=clinic_b, counts={stock["amox_lot"].pk: 8}, by=pasante_b)
    warehouse = stock_count_record(clinic=None, counts={stock["early"].pk: 30}, by=pharmacy)
    client = client_for(pasante_a)
    body = text(client.get(url("count-list")))
    assert body.count('data-testid="count-row"') == 1
    assert url("count-detail", mine.pk) in body
    assert client.get(url("count-detail", mine.pk)).status_code == 200
    assert client.get(url("count-detail", theirs.pk)).status_code == 404
    assert client.get(url("count-detail", warehouse.pk)).status_code == 404


def test_count_detail_answers_404_for_an_unknown_count(pharmacy):
    assert client_for(pharmacy).get(url("count-detail", 999999)).status_code == 404


@pytest.mark.parametrize("size", [3, 30])
def test_count_list_query_count_is_fixed(pharmacy, clinic_a, django_assert_num_queries, size):
    for _ in range(size):
        lot = LotFactory()
        receive(clinic_a, lot, 5)
        stock_count_record(clinic=clinic_a, counts={lot.pk: 4}, by=pharmacy)
    client = client_for(pharmacy)
    with django_assert_num_queries(LAYOUT_QUERIES + 2):  # count, page
        response = client.get(url("count-list"))
    assert response.status_code == 200


@pytest.mark.parametrize("size", [3, 30])
def test_count_detail_query_count_is_fixed(pasante_a, clinic_a, django_assert_num_queries, size):
    lots = [LotFactory() for _ in range(size)]
    receive(clinic_a, lots[0], 5)
    count = stock_count_record(clinic=clinic_a, counts={lot.pk: 1 for lot in lots}, by=pasante_a)
    client = client_for(pasante_a)
    with django_assert_num_queries(LAYOUT_QUERIES + 2):  # the count, its lines with lots and items
        response = client.get(url("count-detail", count.pk))
    assert response.status_code == 200


@pytest.mark.parametrize("size", [3, 30])
def test_count_form_query_count_is_fixed(pharmacy, django_assert_num_queries, size):
    for _ in range(size):
        receive(None, LotFactory(), 5)
    ClinicFactory.create_batch(size)
    client = client_for(pharmacy)
    # clinics to choose from, lots in stock
    with django_assert_num_queries(LAYOUT_QUERIES + 2):
        response = client.get(url("count-create"))
    assert response.status_code == 200


# --- Settings -------------------------------------------------------------------------------------------------


def test_coordinator_sets_the_deadline_day(coordinator):
    client = client_for(coordinator)
    response = client.post(url("settings"), {"request_deadline_day": "20"}, follow=True)
    assert "The monthly request is now due on day 20." in text(response)
    assert 'data-day="20"' in text(response)
    current = pharmacy_settings()
    assert current.request_deadline_day == 20 and current.updated_by == coordinator


@pytest.mark.parametrize("value, message", [
    ("0", "Choose a day from 1 to 28."),
    ("29", "Choose a day from 1 to 28."),
    ("-3", "Choose a day from 1 to 28."),
    ("quince", "Write a whole number."),
    ("", "This field is required."),
])
def test_a_bad_deadline_day_is_refused_and_changes_nothing(coordinator, value, message):
    client = client_for(coordinator)
    response = client.post(url("settings"), {"request_deadline_day": value})
    assert response.status_code == 200
    assert message in text(response)
    assert pharmacy_settings().request_deadline_day == 25


def test_pharmacy_reads_the_deadline_day_but_cannot_change_it(pharmacy):
    client = client_for(pharmacy)
    body = text(client.get(url("settings")))
    assert 'data-day="25"' in body and 'data-testid="settings-form"' not in body
    assert client.post(url("settings"), {"request_deadline_day": "10"}).status_code == 403
    assert pharmacy_settings().request_deadline_day == 25


def test_reading_the_settings_without_their_row_writes_nothing_and_shows_the_default(coordinator, pasante_a,
                                                                                  clinic_a):
    PharmacySettings.objects.all().delete()  # a database where migration 0003's row is gone
    pages = [(client_for(coordinator), url("settings"), 'data-day="25"'),
             (client_for(pasante_a), reverse("accounts:home"), f"Due on {TODAY.replace(day=25):%d/%m/%Y}.")]
    for client, page, default in pages:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page)
        assert response.status_code == 200
        assert default in text(response)
        writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith(("SELECT", "SAVEPOINT",
                                                                                         "RELEASE"))]
        assert writes == [], writes
    assert not PharmacySettings.objects.exists()


def test_pasante_cannot_open_the_settings(pasante_a):
    assert client_for(pasante_a).get(url("settings")).status_code == 403


@pytest.mark.parametrize(("persona", "shown"), [("pharmacy", True), ("admin_user", True), ("coordinator", False)])
def test_the_catalogue_import_is_linked_for_those_who_may_import(client, request, persona, shown):
    client.force_login(request.getfixturevalue(persona))
    page = client.get(reverse("pharmacy:stock-list"))
    assert page.status_code == 200
    assert ('data-testid="catalogue-import-link"' in page.content.decode()) is shown
