"""The admin shows the stock ledger, balances and counts but never writes them: those change through
pharmacy.services only. The catalogue stays editable."""

import pytest
from django.urls import reverse

from pharmacy.models import Item, StockBalance, StockCount, StockMovement
from pharmacy.services import Move, ledger_move, stock_count_record
from pharmacy.tests.factories import ItemFactory, LotFactory
from tests.kit import client_for

pytestmark = pytest.mark.django_db

READ_ONLY = ("stockmovement", "stockbalance", "stockcount")


@pytest.fixture
def ledger(clinic_a, pharmacy):
    """A lot received at the warehouse and at clinic A, and a count of clinic A with a variance."""
    lot = LotFactory(item=ItemFactory(name="Amoxicilina", code="AMX-500"), lot_number="AMX-77")
    other = LotFactory(item=ItemFactory(name="Metformina", code="MET-850"), lot_number="MET-12")
    ledger_move(moves=[Move(None, lot, 40), Move(None, other, 5), Move(clinic_a, lot, 12)],
                kind=StockMovement.Kind.RECEIPT, by=pharmacy, document="FAC-1")
    count = stock_count_record(clinic=clinic_a, counts={lot.pk: 10}, by=pharmacy)
    return {"lot": lot, "other": other, "count": count}


@pytest.fixture
def admin_client(admin_user):
    return client_for(admin_user)  # in English: the assertions read the English labels


def _url(model, action, *args):
    return reverse(f"admin:pharmacy_{model}_{action}", args=args)


def _first(model):
    return {"stockmovement": StockMovement, "stockbalance": StockBalance, "stockcount": StockCount}[model] \
        .objects.order_by("pk").first()


@pytest.mark.parametrize("model", READ_ONLY)
def test_admin_lists_and_shows_the_ledger(admin_client, ledger, model):
    listing = admin_client.get(_url(model, "changelist"))
    assert listing.status_code == 200
    assert ("Clínica Capitán" if model == "stockcount" else "AMX-77") in listing.content.decode()
    detail = admin_client.get(_url(model, "change", _first(model).pk))
    assert detail.status_code == 200
    # Shown read-only: no save button, no delete link.
    assert 'name="_save"' not in detail.content.decode()
    assert _url(model, "delete", _first(model).pk) not in detail.content.decode()


@pytest.mark.parametrize("model", READ_ONLY)
def test_admin_cannot_add_to_the_ledger(admin_client, ledger, model):
    before = type(_first(model)).objects.count()
    assert admin_client.get(_url(model, "add")).status_code == 403
    assert admin_client.post(_url(model, "add"), {"quantity": 5}).status_code == 403
    assert type(_first(model)).objects.count() == before


@pytest.mark.parametrize("model", READ_ONLY)
def test_admin_cannot_delete_from_the_ledger(admin_client, ledger, model):
    row = _first(model)
    assert admin_client.get(_url(model, "delete", row.pk)).status_code == 403
    assert admin_client.post(_url(model, "delete", row.pk), {"post": "yes"}).status_code == 403
    response = admin_client.post(_url(model, "changelist"),
                                 {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"})
    assert response.status_code in (200, 302)
    assert type(row).objects.filter(pk=row.pk).exists()


def test_admin_cannot_change_a_movement(admin_client, ledger):
    movement = StockMovement.objects.filter(kind=StockMovement.Kind.RECEIPT).order_by("pk").first()
    response = admin_client.post(_url("stockmovement", "change", movement.pk),
                                 {"quantity": 999, "kind": "receipt", "lot": movement.lot_id, "at_0": "01/01/2030",
                                  "at_1": "10:00"})
    assert response.status_code == 403
    movement.refresh_from_db()
    assert movement.quantity == 40


def test_admin_cannot_change_a_balance(admin_client, ledger):
    balance = StockBalance.objects.get(clinic__isnull=True, lot=ledger["lot"])
    response = admin_client.post(_url("stockbalance", "change", balance.pk), {"quantity": 0, "lot": ledger["lot"].pk})
    assert response.status_code == 403
    balance.refresh_from_db()
    assert balance.quantity == 40


def test_admin_filters_movements_by_kind_and_location(admin_client, ledger):
    counts = admin_client.get(_url("stockmovement", "changelist"), {"kind__exact": "count"}).content.decode()
    assert "AMX-77" in counts and "MET-12" not in counts  # only AMX-77 was counted
    receipts = admin_client.get(_url("stockmovement", "changelist"), {"kind__exact": "receipt"}).content.decode()
    assert "MET-12" in receipts
    warehouse = admin_client.get(_url("stockmovement", "changelist"), {"location": "warehouse"}).content.decode()
    assert "MET-12" in warehouse
    clinics = admin_client.get(_url("stockmovement", "changelist"), {"location": "clinics"}).content.decode()
    assert "MET-12" not in clinics and "AMX-77" in clinics


def test_admin_searches_balances_by_lot_and_item(admin_client, ledger):
    by_lot = admin_client.get(_url("stockbalance", "changelist"), {"q": "MET-12"}).content.decode()
    assert "MET-12" in by_lot and "AMX-77" not in by_lot
    by_item = admin_client.get(_url("stockbalance", "changelist"), {"q": "Amoxicilina"}).content.decode()
    assert "AMX-77" in by_item and "MET-12" not in by_item


def test_admin_shows_a_count_with_its_lines(admin_client, ledger):
    response = admin_client.get(_url("stockcount", "change", ledger["count"].pk))
    body = response.content.decode()
    assert "AMX-77" in body
    assert "-2" in body  # 12 expected, 10 counted


def test_admin_still_edits_the_catalogue(admin_client, ledger):
    item = Item.objects.get(code="MET-850")
    assert admin_client.get(reverse("admin:pharmacy_item_add")).status_code == 200
    response = admin_client.post(reverse("admin:pharmacy_item_change", args=[item.pk]), {
        "code": "MET-850", "name": "Metformina", "unit": "tablet", "max_months_of_stock": 4, "warehouse_minimum": 100,
        "active": "on",
    })
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.warehouse_minimum == 100


def test_non_staff_cannot_open_the_ledger_admin(pharmacy, ledger):
    response = client_for(pharmacy).get(_url("stockmovement", "changelist"))
    assert response.status_code == 302
    assert "login" in response.headers["Location"]
