"""The pharmacy API (/api/v1/pharmacy/): who reaches what, each transition through its action, bad input."""

import uuid
from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, pgettext

from ces.accounts.roles import Role
from clinics.tests.factories import ClinicFactory
from pharmacy import services
from pharmacy.models import Item, RestockLine, RestockRequest, StockBalance, StockMovement
from tests.kit import log_in

from .factories import ItemFactory, LotFactory, restock_request_advance
from .factories import restock_line as line

pytestmark = pytest.mark.django_db

State = RestockRequest.State
PERIOD = date(2026, 6, 1)  # 30 days
FAR = date(2031, 12, 31)
NEAR = date(2030, 6, 30)


def _url(name, *args):
    return reverse(f"api:pharmacy:{name}", args=args)


def _results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def _ids(response):
    return {row["id"] for row in _results(response)}


def body(clinic, item, **extra):
    return {"clinic": clinic.pk, "period": PERIOD.isoformat(), "lines": [line(item)], **extra}


def nothing_written():
    return not RestockRequest.objects.exists() and not RestockLine.objects.exists()


def clinic_stock(clinic, item):
    return StockBalance.objects.filter(clinic=clinic, lot__item=item).aggregate(t=Sum("quantity"))["t"] or 0


def warehouse_stock(item):
    return clinic_stock(None, item)


@pytest.fixture
def item(db):
    return ItemFactory(name="Paracetamol", code="PARA-500", category="Analgésicos")


@pytest.fixture
def stocked(item, pharmacy):
    services.warehouse_receive(item=item, lot_number="LATE", expiry=FAR, quantity=100, by=pharmacy)
    services.warehouse_receive(item=item, lot_number="SOON", expiry=NEAR, quantity=50, by=pharmacy)
    return item


@pytest.fixture
def draft(clinic_a, item, pasante_a):
    return services.restock_request_create_draft(clinic=clinic_a, period=PERIOD, lines=[line(item)], by=pasante_a)


# --- Catalogue: items ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["pharmacy", "coordinator", "admin_user", "pasante_a", "pasante_b"])
def test_catalogue_is_read_by_the_pharmacy_roles_and_pasantes(api_client, request, persona, item):
    log_in(api_client, request.getfixturevalue(persona))

    rows = _results(api_client.get(_url("item-list")))

    assert [row["code"] for row in rows] == ["PARA-500"]
    assert api_client.get(_url("item-detail", item.pk)).json()["name"] == "Paracetamol"


@pytest.mark.parametrize("persona", ["supervisor", "chw", "visitor_program", "applicant", "outsider"])
@pytest.mark.parametrize("url_name", ["item-list", "lot-list", "stock-list", "restock-request-list"])
def test_roles_without_pharmacy_business_are_refused(api_client, request, persona, url_name, item):
    log_in(api_client, request.getfixturevalue(persona))

    assert api_client.get(_url(url_name)).status_code == 403


@pytest.mark.parametrize("url_name", ["item-list", "lot-list", "stock-list", "restock-request-list"])
def test_anonymous_is_refused(api_client, url_name):
    assert api_client.get(_url(url_name)).status_code == 401


def test_items_are_searched_and_filtered(api_client, pharmacy, item):
    ibuprofen = ItemFactory(name="Ibuprofeno", code="IBU-400", category="Analgésicos")
    retired = ItemFactory(name="Metamizol", code="META-1", category="analgésicos", active=False)
    gauze = ItemFactory(name="Gasa estéril", code="GAS-1", category="Material de curación")
    log_in(api_client, pharmacy)

    assert _ids(api_client.get(_url("item-list"), {"q": "para"})) == {item.pk}
    assert _ids(api_client.get(_url("item-list"), {"q": "ibu-4"})) == {ibuprofen.pk}
    assert _ids(api_client.get(_url("item-list"), {"category": "analgésicos"})) == {item.pk, ibuprofen.pk, retired.pk}
    assert _ids(api_client.get(_url("item-list"), {"active": "false"})) == {retired.pk}
    assert _ids(api_client.get(_url("item-list"), {"active": "true", "category": "analgésicos"})) == {
        item.pk, ibuprofen.pk}
    assert gauze.pk in _ids(api_client.get(_url("item-list")))


def test_item_filter_that_is_not_a_yes_or_no_is_400(api_client, pharmacy, item):
    log_in(api_client, pharmacy)

    response = api_client.get(_url("item-list"), {"active": "maybe"})

    assert response.status_code == 400
    assert "active" in response.json()


ITEM = {"code": "AMOX-500", "name": "Amoxicilina", "form": "cápsula", "strength": "500 mg", "unit": "cápsula",
        "category": "Antibióticos", "controlled": False, "max_months_of_stock": 3, "warehouse_minimum": 200}


@pytest.mark.parametrize("persona", ["pharmacy", "admin_user"])
def test_pharmacy_and_admin_add_an_item(api_client, request, persona):
    log_in(api_client, request.getfixturevalue(persona))

    response = api_client.post(_url("item-list"), ITEM, format="json")

    assert response.status_code == 201, response.content
    created = Item.objects.get(code="AMOX-500")
    assert response.json() == {"id": created.pk, **ITEM, "active": True}


@pytest.mark.parametrize("persona", ["coordinator", "pasante_a"])
def test_other_readers_of_the_catalogue_cannot_change_it(api_client, request, persona, item):
    log_in(api_client, request.getfixturevalue(persona))

    created = api_client.post(_url("item-list"), ITEM, format="json")
    changed = api_client.patch(_url("item-detail", item.pk), {"name": "Otro"}, format="json")

    assert (created.status_code, changed.status_code) == (403, 403)
    assert list(Item.objects.values_list("name", flat=True)) == ["Paracetamol"]


@pytest.mark.parametrize("bad", [{"code": "PARA-500"}, {"max_months_of_stock": 0}, {"unit": ""},
                                 {"warehouse_minimum": -1}, {"controlled": "tal vez"}])
def test_item_with_bad_values_is_refused_and_not_written(api_client, pharmacy, item, bad):
    log_in(api_client, pharmacy)

    response = api_client.post(_url("item-list"), {**ITEM, **bad}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == set(bad)
    assert not Item.objects.exclude(pk=item.pk).exists()


def test_pharmacy_retires_an_item_and_renames_another(api_client, pharmacy, item):
    other = ItemFactory(name="Ibuprofeno")
    log_in(api_client, pharmacy)

    retired = api_client.patch(_url("item-detail", item.pk), {"active": False}, format="json")
    renamed = api_client.put(_url("item-detail", other.pk), {**ITEM, "code": other.code, "name": "Ibuprofeno 400"},
                             format="json")

    assert retired.status_code == 200, retired.content
    assert retired.json()["active"] is False
    assert renamed.status_code == 200, renamed.content
    item.refresh_from_db()
    other.refresh_from_db()
    assert (item.active, item.name) == (False, "Paracetamol")
    assert (other.name, other.warehouse_minimum) == ("Ibuprofeno 400", 200)


def test_item_cannot_take_the_code_of_another(api_client, pharmacy, item):
    other = ItemFactory(code="IBU-400")
    log_in(api_client, pharmacy)

    response = api_client.patch(_url("item-detail", other.pk), {"code": "PARA-500"}, format="json")

    assert response.status_code == 400
    assert "code" in response.json()
    other.refresh_from_db()
    assert other.code == "IBU-400"


# --- Lots and stock -----------------------------------------------------------------------------------


def test_lots_filtered_by_item_and_expiry(api_client, pasante_a, item):
    today = timezone.localdate()
    expired = LotFactory(item=item, lot_number="OLD", expiry=today - timedelta(days=3))
    soon = LotFactory(item=item, lot_number="SOON", expiry=today + timedelta(days=30))
    late = LotFactory(item=item, lot_number="LATE", expiry=today + timedelta(days=400))
    other = LotFactory(lot_number="OTHER", expiry=today + timedelta(days=10))
    log_in(api_client, pasante_a)

    everything = _results(api_client.get(_url("lot-list")))
    assert [row["lot_number"] for row in everything] == ["OLD", "OTHER", "SOON", "LATE"]
    assert everything[0] == {"id": expired.pk, "item": item.pk, "item_code": "PARA-500", "item_name": "Paracetamol",
                             "lot_number": "OLD", "expiry": expired.expiry.isoformat()}
    assert _ids(api_client.get(_url("lot-list"), {"item": item.pk})) == {expired.pk, soon.pk, late.pk}
    assert _ids(api_client.get(_url("lot-list"), {"item": item.pk, "expiring_within": 60})) == {expired.pk, soon.pk}
    assert _ids(api_client.get(_url("lot-list"), {"expiring_within": 0})) == {expired.pk}
    assert api_client.get(_url("lot-detail", other.pk)).json()["lot_number"] == "OTHER"


@pytest.mark.parametrize("params", [{"expiring_within": -1}, {"expiring_within": "pronto"}, {"item": "x"}])
def test_lot_filters_out_of_range_are_400(api_client, pharmacy, params):
    log_in(api_client, pharmacy)

    response = api_client.get(_url("lot-list"), params)

    assert response.status_code == 400
    assert set(response.json()) == set(params)


@pytest.fixture
def spread(stocked, clinic_a, clinic_b):
    """Stock of the item in the warehouse (two lots), at clinic A and at clinic B; another item at clinic A."""
    late = stocked.lots.get(lot_number="LATE")
    other_lot = LotFactory(lot_number="ORS-1", item__name="Suero oral", expiry=NEAR)
    services.ledger_move(moves=[services.Move(clinic_a, late, 12), services.Move(clinic_b, late, 7),
                                services.Move(clinic_a, other_lot, 3)], kind=StockMovement.Kind.ADJUSTMENT)
    return stocked


def _stock(response):
    return [(row["clinic"], row["lot_number"], row["quantity"]) for row in _results(response)]


def test_pharmacy_reads_the_warehouse_and_any_clinic(api_client, pharmacy, spread, clinic_a, clinic_b):
    log_in(api_client, pharmacy)

    assert _stock(api_client.get(_url("stock-list"))) == [(None, "SOON", 50), (None, "LATE", 100)]
    assert _stock(api_client.get(_url("stock-list"), {"location": "warehouse"})) == [
        (None, "SOON", 50), (None, "LATE", 100)]
    assert _stock(api_client.get(_url("stock-list"), {"clinic": clinic_a.pk})) == [
        (clinic_a.pk, "LATE", 12), (clinic_a.pk, "ORS-1", 3)]
    assert _stock(api_client.get(_url("stock-list"), {"clinic": clinic_a.pk, "item": spread.pk})) == [
        (clinic_a.pk, "LATE", 12)]
    assert _stock(api_client.get(_url("stock-list"), {"clinic": clinic_b.pk})) == [(clinic_b.pk, "LATE", 7)]
    row = _results(api_client.get(_url("stock-list"), {"clinic": clinic_b.pk}))[0]
    assert row == {"clinic": clinic_b.pk, "item": spread.pk, "item_code": "PARA-500", "item_name": "Paracetamol",
                   "unit": "tablet", "lot": spread.lots.get(lot_number="LATE").pk, "lot_number": "LATE",
                   "expiry": FAR.isoformat(), "quantity": 7}


def test_pasante_reads_only_their_clinic_stock(api_client, pasante_a, pasante_b, spread, clinic_a, clinic_b):
    log_in(api_client, pasante_a)

    assert _stock(api_client.get(_url("stock-list"))) == [(clinic_a.pk, "LATE", 12), (clinic_a.pk, "ORS-1", 3)]
    assert _stock(api_client.get(_url("stock-list"), {"clinic": clinic_a.pk})) == [
        (clinic_a.pk, "LATE", 12), (clinic_a.pk, "ORS-1", 3)]

    other = api_client.get(_url("stock-list"), {"clinic": clinic_b.pk})
    assert other.status_code == 400
    assert other.json() == {"clinic": ["Unknown clinic."]}

    warehouse = api_client.get(_url("stock-list"), {"location": "warehouse"})
    assert warehouse.status_code == 403


def test_pasante_between_posts_sees_no_stock_and_never_the_warehouse(api_client, pasante_a, spread):
    pasante_a.staff.assignments.update(end_date=timezone.localdate() - timedelta(days=1))
    log_in(api_client, pasante_a)

    assert _results(api_client.get(_url("stock-list"))) == []
    assert api_client.get(_url("stock-list"), {"location": "warehouse"}).status_code == 403


@pytest.mark.parametrize("params", [{"clinic": "abc"}, {"clinic": 999999}, {"location": "bodega"}, {"item": "x"},
                                    {"location": "warehouse", "clinic": "CLINIC_A"}])
def test_stock_with_a_bad_location_is_400(api_client, coordinator, clinic_a, params):
    log_in(api_client, coordinator)
    params = {name: clinic_a.pk if value == "CLINIC_A" else value for name, value in params.items()}

    assert api_client.get(_url("stock-list"), params).status_code == 400


# --- Restock requests: reading --------------------------------------------------------------------------


def test_pasante_sees_only_their_clinic_requests(api_client, pasante_a, pasante_b, clinic_a, clinic_b, item):
    mine = services.restock_request_create_draft(clinic=clinic_a, period=PERIOD, lines=[line(item)], by=pasante_a)
    theirs = services.restock_request_create_draft(clinic=clinic_b, period=PERIOD, lines=[line(item)], by=pasante_b)
    log_in(api_client, pasante_a)

    assert _ids(api_client.get(_url("restock-request-list"))) == {mine.pk}
    assert _ids(api_client.get(_url("restock-request-list"), {"clinic": clinic_b.pk})) == set()
    assert api_client.get(_url("restock-request-detail", mine.pk)).status_code == 200
    assert api_client.get(_url("restock-request-detail", theirs.pk)).status_code == 404


@pytest.mark.parametrize("action", ["restock-request-lines", "restock-request-submit", "restock-request-receive"])
def test_pasante_b_cannot_act_on_clinic_a_requests(api_client, pasante_b, draft, item, action):
    log_in(api_client, pasante_b)
    payload = {"lines": [line(item, consumed=1)]} if action == "restock-request-lines" else {}

    response = api_client.post(_url(action, draft.pk), payload, format="json")

    assert response.status_code == 404
    draft.refresh_from_db()
    assert draft.state == State.DRAFT
    assert list(draft.lines.values_list("consumed", flat=True)) == [30]


@pytest.mark.parametrize(("action", "state"), [("restock-request-lines", State.DRAFT),
                                                ("restock-request-submit", State.DRAFT),
                                                ("restock-request-receive", State.DISPATCHED)])
def test_a_pasante_who_also_works_the_warehouse_does_the_pasante_steps_only_at_their_clinic(
        api_client, pasante_b, pharmacy, draft, stocked, action, state):
    restock = draft if state == State.DRAFT else restock_request_advance(draft, State.DISPATCHED, pasante=pharmacy,
                                                                         reviewer=pharmacy)
    pasante_b.groups.add(Group.objects.get(name=Role.PHARMACY))
    log_in(api_client, pasante_b)
    payload = {"lines": [line(stocked, consumed=1)]} if action == "restock-request-lines" else {}

    response = api_client.post(_url(action, restock.pk), payload, format="json")

    assert response.status_code == 403
    restock.refresh_from_db()
    assert restock.state == state
    assert list(restock.lines.values_list("consumed", flat=True)) == [30]


def test_unknown_request_is_404(api_client, pharmacy):
    log_in(api_client, pharmacy)

    assert api_client.get(_url("restock-request-detail", 999999)).status_code == 404
    assert api_client.post(_url("restock-request-approve", 999999), {}, format="json").status_code == 404


def test_request_shows_its_lines_with_the_computed_figures(api_client, coordinator, draft, clinic_a, item):
    log_in(api_client, coordinator)

    answer = api_client.get(_url("restock-request-detail", draft.pk)).json()

    assert {k: answer[k] for k in ("id", "clinic", "clinic_name", "period", "kind", "state")} == {
        "id": draft.pk, "clinic": clinic_a.pk, "clinic_name": "Clínica Capitán", "period": "2026-06-01",
        "kind": "regular", "state": "draft"}
    [only] = answer["lines"]
    assert {k: only[k] for k in ("item", "item_code", "consumed", "stock_on_hand", "amc", "maximum", "suggested",
                                 "requested", "approved")} == {
        "item": item.pk, "item_code": "PARA-500", "consumed": 30, "stock_on_hand": 20, "amc": 30, "maximum": 90,
        "suggested": 70, "requested": 70, "approved": None}


def test_pharmacy_filters_requests_by_state_clinic_period_and_kind(api_client, pharmacy, pasante_a, pasante_b,
                                                                  clinic_a, clinic_b, item):
    june_a = services.restock_request_create_draft(clinic=clinic_a, period=PERIOD, lines=[line(item)], by=pasante_a)
    restock_request_advance(june_a, State.SUBMITTED, pasante=pasante_a)
    may_a = services.restock_request_create_draft(clinic=clinic_a, period=date(2026, 5, 1), lines=[line(item)],
                                                  by=pasante_a)
    june_b = services.restock_request_create_draft(clinic=clinic_b, period=PERIOD, lines=[line(item)], by=pasante_b)
    urgent_b = services.restock_request_create_draft(clinic=clinic_b, period=PERIOD, lines=[line(item)],
                                                     by=pasante_b, kind="emergency", emergency_reason="Brote")
    log_in(api_client, pharmacy)
    url = _url("restock-request-list")

    assert _ids(api_client.get(url)) == {june_a.pk, may_a.pk, june_b.pk, urgent_b.pk}
    assert _ids(api_client.get(url, {"state": "submitted"})) == {june_a.pk}
    assert _ids(api_client.get(url, {"clinic": clinic_a.pk})) == {june_a.pk, may_a.pk}
    assert _ids(api_client.get(url, {"period": "2026-05"})) == {may_a.pk}
    assert _ids(api_client.get(url, {"period": "2026-06-17", "clinic": clinic_b.pk})) == {june_b.pk, urgent_b.pk}
    assert _ids(api_client.get(url, {"kind": "emergency"})) == {urgent_b.pk}


HEADER = {"id", "clinic", "clinic_name", "period", "kind", "state", "emergency_reason", "rejection_reason",
          "receipt_remarks", "client_key", "created_at", "submitted_at", "decided_at", "dispatched_at", "received_at",
          "closed_at", "updated_at"}


def test_request_list_gives_each_header_with_its_line_count_and_the_detail_its_lines(
        api_client, pasante_a, clinic_a, item):
    zinc = ItemFactory(name="Zinc")  # after Paracetamol: the detail's lines go by name
    two = services.restock_request_create_draft(clinic=clinic_a, period=PERIOD, lines=[line(item), line(zinc)],
                                                by=pasante_a)
    one = services.restock_request_create_draft(clinic=clinic_a, period=date(2026, 5, 1), lines=[line(item)],
                                                by=pasante_a)
    log_in(api_client, pasante_a)

    rows = _results(api_client.get(_url("restock-request-list")))
    detail = api_client.get(_url("restock-request-detail", two.pk)).json()

    assert [(row["id"], row["line_count"]) for row in rows] == [(two.pk, 2), (one.pk, 1)]
    assert [set(row) for row in rows] == [HEADER | {"line_count"}] * 2
    assert set(detail) == HEADER | {"lines"}
    assert {k: detail[k] for k in HEADER} == {k: rows[0][k] for k in HEADER}
    assert [row["item"] for row in detail["lines"]] == [item.pk, zinc.pk]


def test_request_list_items_are_what_the_summary_serializer_writes_of_each_request(
        api_client, pasante_a, pharmacy, clinic_a, clinic_b, item):
    """The list writes its items from values() rows; byte for byte what the serializer gives the model rows:
    empty stamps, a client key, an emergency's reason, a rejection, another clinic, times in the clinic's zone."""
    from pharmacy.api import RestockRequestSummarySerializer
    from pharmacy.selectors import restock_request_list

    services.warehouse_receive(item=item, lot_number="L1", expiry=date(2030, 1, 31), quantity=500)
    draft = services.restock_request_create_draft(clinic=clinic_a, period=PERIOD, lines=[line(item)], by=pasante_a,
                                                  client_key=uuid.uuid4())
    services.restock_request_create_draft(clinic=clinic_b, period=PERIOD, lines=[line(item)], by=pharmacy,
                                          kind=RestockRequest.Kind.EMERGENCY, emergency_reason="Brote «grave»")
    rejected = services.restock_request_create_draft(clinic=clinic_a, period=date(2026, 5, 1), lines=[line(item)])
    restock_request_advance(rejected, RestockRequest.State.REJECTED, reviewer=pharmacy)
    closed = services.restock_request_create_draft(clinic=clinic_b, period=date(2026, 4, 1), lines=[line(item)])
    restock_request_advance(closed, RestockRequest.State.CLOSED, reviewer=pharmacy, pasante=pasante_a)
    log_in(api_client, pharmacy)

    response = api_client.get(_url("restock-request-list"))

    expected = RestockRequestSummarySerializer(restock_request_list(pharmacy), many=True).data
    assert _results(response) == [dict(row) for row in expected]
    assert len(expected) == 4 and draft.client_key
    assert response.content.count(b'"closed_at":null') == 3


def _as_drf_writes(response, serializer_class, rows):
    """The body DRF's own list would answer: the serializer over the model rows, paginated by DRF."""
    from rest_framework.pagination import PageNumberPagination
    from rest_framework.renderers import JSONRenderer
    from rest_framework.request import Request

    pagination = PageNumberPagination()
    page = pagination.paginate_queryset(rows, Request(response.wsgi_request))
    body = pagination.get_paginated_response(serializer_class(page, many=True).data).data
    return JSONRenderer().render(body)


def test_request_list_body_is_byte_for_byte_drfs(api_client, pharmacy, clinic_a, clinic_b, item):
    """A year of requests of two clinics, one closed (every stamp set), with the count in the page's query: the
    same bytes as the serializer and DRF's paginator give, in the project's zone and in UTC."""
    from pharmacy.api import RestockRequestSummarySerializer
    from pharmacy.selectors import restock_request_list

    services.warehouse_receive(item=item, lot_number="L1", expiry=date(2030, 1, 31), quantity=500)
    for month in range(1, 13):
        for clinic in (clinic_a, clinic_b):
            restock = services.restock_request_create_draft(clinic=clinic, period=date(2025, month, 1),
                                                            lines=[line(item)])
    restock_request_advance(restock, RestockRequest.State.CLOSED, reviewer=pharmacy)
    log_in(api_client, pharmacy)

    for query in ("", "?page=1", "?page=last"):
        response = api_client.get(_url("restock-request-list") + query)
        assert response.content == _as_drf_writes(response, RestockRequestSummarySerializer,
                                                  restock_request_list(pharmacy))
    with timezone.override("UTC"):  # times written with a Z
        response = api_client.get(_url("restock-request-list"))
        assert response.content == _as_drf_writes(response, RestockRequestSummarySerializer,
                                                  restock_request_list(pharmacy))
    assert b'Z"' in response.content


def test_item_list_body_is_byte_for_byte_drfs(api_client, coordinator, item):
    """The item list writes values() rows (ces.core.flat) with the count in the page's query: the same bytes
    as ItemSerializer over the items and DRF's paginator give, for every filter and on a second page."""
    from pharmacy.api import ItemSerializer
    from pharmacy.selectors import item_list

    ItemFactory(name="Ácido fólico «5 mg»", code="FOL-5", form="", strength="", category="", controlled=True,
                warehouse_minimum=0, active=False)
    ItemFactory.create_batch(55, warehouse_minimum=120)
    log_in(api_client, coordinator)

    for query, rows in [("", item_list()), ("?page=2", item_list()),
                        ("?q=fol&active=false", item_list(search="fol", active=False)),
                        ("?category=ANALGÉSICOS", item_list(category="ANALGÉSICOS"))]:
        response = api_client.get(_url("item-list") + query)
        assert response.status_code == 200
        assert response.content == _as_drf_writes(response, ItemSerializer, rows), query
    assert api_client.get(_url("item-list") + "?page=3").json() == {"detail": "Invalid page."}


def test_lot_and_stock_lists_bodies_are_byte_for_byte_drfs(api_client, coordinator, pasante_a, clinic_a, item):
    """Lots and stock are written from values() rows with their item's and lot's fields read in the same query
    (ces.core.flat): the same bytes as their serializers over the model rows and DRF's paginator give."""
    from pharmacy.api import LotSerializer, StockSerializer
    from pharmacy.models import Lot
    from pharmacy.selectors import lot_list, stock_by_lot

    for n in range(60):
        other = ItemFactory(name=f"Ácido «{n}»", unit="frasco")
        lot = LotFactory(item=other if n % 3 else item, expiry=NEAR + timedelta(days=n))
        services.ledger_move(moves=[services.Move(None, lot, 10 + n), services.Move(clinic_a, lot, 1 + n)],
                             kind=StockMovement.Kind.RECEIPT)
    log_in(api_client, coordinator)
    first = Lot.objects.order_by("pk").first()

    for query, rows in [("", lot_list()), ("?page=2", lot_list()), (f"?item={item.pk}", lot_list(item=item.pk))]:
        response = api_client.get(_url("lot-list") + query)
        assert response.status_code == 200
        assert response.content == _as_drf_writes(response, LotSerializer, rows), query
    for query, rows in [("?location=warehouse", stock_by_lot()), ("?location=warehouse&page=2", stock_by_lot()),
                        (f"?clinic={clinic_a.pk}", stock_by_lot(clinic=clinic_a)),
                        (f"?clinic={clinic_a.pk}&item={first.item_id}",
                         stock_by_lot(clinic=clinic_a, item=first.item_id))]:
        response = api_client.get(_url("stock-list") + query)
        assert response.status_code == 200
        assert response.content == _as_drf_writes(response, StockSerializer, rows), query
    assert b'"clinic":null' in api_client.get(_url("stock-list") + "?location=warehouse").content

    log_in(api_client, pasante_a)  # their own clinic's, by default
    response = api_client.get(_url("stock-list"))
    assert response.content == _as_drf_writes(response, StockSerializer, stock_by_lot(clinic=clinic_a))


def _updated_at(api_client, restock):
    [row] = [row for row in _results(api_client.get(_url("restock-request-list"))) if row["id"] == restock.pk]
    return datetime.fromisoformat(row["updated_at"])


def test_updated_at_moves_when_the_lines_or_the_state_change(api_client, pasante_a, pharmacy, draft, item):
    log_in(api_client, pasante_a)
    created = _updated_at(api_client, draft)

    assert api_client.post(_url("restock-request-lines", draft.pk), {"lines": [line(item, consumed=20)]},
                           format="json").status_code == 200
    edited = _updated_at(api_client, draft)
    assert api_client.post(_url("restock-request-submit", draft.pk), {}, format="json").status_code == 200
    submitted = _updated_at(api_client, draft)
    log_in(api_client, pharmacy)
    answer = api_client.post(_url("restock-request-reject", draft.pk), {"reason": "Faltan cifras"}, format="json")

    rejected = datetime.fromisoformat(answer.json()["updated_at"])
    assert created < edited < submitted < rejected == _updated_at(api_client, draft)


def test_pasante_asks_only_for_the_requests_changed_since_their_copy(api_client, pasante_a, pasante_b, clinic_a,
                                                                    clinic_b, item):
    kept = services.restock_request_create_draft(clinic=clinic_a, period=date(2026, 5, 1), lines=[line(item)],
                                                 by=pasante_a)
    changed = services.restock_request_create_draft(clinic=clinic_a, period=PERIOD, lines=[line(item)],
                                                    by=pasante_a)
    services.restock_request_create_draft(clinic=clinic_b, period=PERIOD, lines=[line(item)], by=pasante_b)
    since = timezone.now()
    RestockRequest.objects.filter(pk=kept.pk).update(updated_at=since - timedelta(seconds=1))
    services.restock_request_submit(request=changed, by=pasante_a)
    log_in(api_client, pasante_a)

    assert _ids(api_client.get(_url("restock-request-list"), {"updated_since": since.isoformat()})) == {changed.pk}
    assert _ids(api_client.get(_url("restock-request-list"),
                               {"updated_since": (since - timedelta(seconds=1)).isoformat()})) == {kept.pk, changed.pk}


@pytest.mark.parametrize("params", [{"state": "lost"}, {"kind": "weekly"}, {"period": "junio"}, {"clinic": "A"},
                                    {"updated_since": "ayer"}])
def test_request_filters_that_make_no_sense_are_400(api_client, pharmacy, params):
    log_in(api_client, pharmacy)

    response = api_client.get(_url("restock-request-list"), params)

    assert response.status_code == 400
    assert set(response.json()) == set(params)


# --- Restock requests: the draft --------------------------------------------------------------------------


def test_pasante_creates_a_draft_for_their_clinic(api_client, pasante_a, clinic_a, item):
    log_in(api_client, pasante_a)
    payload = body(clinic_a, item, period="2026-06-14",
                   lines=[line(item, requested=80, explanation="Temporada de lluvias")])

    response = api_client.post(_url("restock-request-list"), payload, format="json")

    assert response.status_code == 201, response.content
    created = RestockRequest.objects.get()
    answer = response.json()
    assert answer["id"] == created.pk
    assert (answer["state"], answer["period"], answer["kind"]) == ("draft", "2026-06-01", "regular")
    assert (created.clinic, created.created_by, created.period) == (clinic_a, pasante_a, PERIOD)
    [only] = answer["lines"]
    assert (only["suggested"], only["requested"], only["explanation"]) == (70, 80, "Temporada de lluvias")


def test_pasante_creates_an_emergency_request(api_client, pasante_a, clinic_a, item, draft):
    log_in(api_client, pasante_a)

    response = api_client.post(_url("restock-request-list"),
                               body(clinic_a, item, kind="emergency", emergency_reason="Brote de diarrea"),
                               format="json")

    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "emergency"
    assert RestockRequest.objects.get(pk=response.json()["id"]).emergency_reason == "Brote de diarrea"


def test_request_for_another_clinic_is_refused_and_nothing_is_written(api_client, pasante_a, clinic_b, item):
    log_in(api_client, pasante_a)

    response = api_client.post(_url("restock-request-list"), body(clinic_b, item), format="json")

    assert response.status_code == 400
    assert response.json() == {"clinic": ["You can raise requests only for the clinic you are assigned to as pasante."]}
    assert nothing_written()


@pytest.mark.parametrize("persona", ["pharmacy", "coordinator", "supervisor"])
def test_only_pasantes_write_requests(api_client, request, persona, clinic_a, item):
    log_in(api_client, request.getfixturevalue(persona))

    response = api_client.post(_url("restock-request-list"), body(clinic_a, item), format="json")

    assert response.status_code == 403
    assert nothing_written()


BAD_LINES = {
    "negative consumption": ({"consumed": -5}, "Paracetamol 500 mg tablet: quantities cannot be negative."),
    "negative stock": ({"stock_on_hand": -1}, "Paracetamol 500 mg tablet: quantities cannot be negative."),
    "negative request": ({"requested": -3, "explanation": "x"}, "Quantities cannot be negative."),
    "unknown item": ({"item": 999999}, "Unknown item: 999999."),
    "too many stock-out days": ({"stockout_days": 31}, "Paracetamol 500 mg tablet: a month has at most 30 stock-out "
                                                       "days."),
    "loss without reason": ({"losses_adjustments": -2}, "Give the reason for the losses or adjustments."),
    "request without explanation": ({"requested": 75}, "Explain why the requested quantity differs from the "
                                                       "suggested one."),
}


@pytest.mark.parametrize("case", BAD_LINES, ids=list(BAD_LINES))
def test_bad_line_is_refused_with_its_message_and_nothing_is_written(api_client, pasante_a, clinic_a, item, case):
    extra, message = BAD_LINES[case]
    log_in(api_client, pasante_a)

    response = api_client.post(_url("restock-request-list"), body(clinic_a, item, lines=[line(item, **extra)]),
                               format="json")

    assert response.status_code == 400
    assert message in response.json()["non_field_errors"]
    assert nothing_written()


@pytest.mark.parametrize("lines", [
    [{"item": "paracetamol", "consumed": 1, "stock_on_hand": 1}],
    [{"item": 1, "consumed": "treinta", "stock_on_hand": 1}],
    [{"item": 1, "consumed": 2.5, "stock_on_hand": 1}],
    [{"item": 1, "consumed": 10**10, "stock_on_hand": 1}],
    [{"item": 1, "stock_on_hand": 1}],
    "no es una lista",
])
def test_malformed_lines_are_400_and_nothing_is_written(api_client, pasante_a, clinic_a, item, lines):
    log_in(api_client, pasante_a)
    if isinstance(lines, list):
        lines = [{**row, "item": item.pk} if row["item"] == 1 else row for row in lines]

    response = api_client.post(_url("restock-request-list"), body(clinic_a, item, lines=lines), format="json")

    assert response.status_code == 400
    assert "lines" in response.json()
    assert nothing_written()


@pytest.mark.parametrize("raw", ["[" * 100_000 + "]" * 100_000, '{"lines": ' * 20_000 + "1" + "}" * 20_000])
def test_a_body_nested_too_deeply_is_400_and_nothing_is_written(api_client, pasante_a, clinic_a, item, raw):
    # Python's JSON decoder gives up with a RecursionError, which DRF let through as a server error.
    log_in(api_client, pasante_a)

    response = api_client.post(_url("restock-request-list"), raw, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": "The JSON body is nested too deeply to be read."}
    assert nothing_written()


def test_an_item_twice_in_a_request_is_refused(api_client, pasante_a, clinic_a, item):
    log_in(api_client, pasante_a)

    response = api_client.post(_url("restock-request-list"),
                               body(clinic_a, item, lines=[line(item), line(item, consumed=1)]), format="json")

    assert response.status_code == 400
    assert response.json() == {"lines": [f"Each item goes once in a request; repeated: {item.pk}."]}
    assert nothing_written()


@pytest.mark.parametrize("missing", ["clinic", "period", "lines"])
def test_request_without_a_required_field_is_400(api_client, pasante_a, clinic_a, item, missing):
    log_in(api_client, pasante_a)
    payload = body(clinic_a, item)
    del payload[missing]

    response = api_client.post(_url("restock-request-list"), payload, format="json")

    assert response.status_code == 400
    assert missing in response.json()
    assert nothing_written()


def test_request_without_lines_is_refused(api_client, pasante_a, clinic_a, item):
    log_in(api_client, pasante_a)

    response = api_client.post(_url("restock-request-list"), body(clinic_a, item, lines=[]), format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Add at least one item to the request."]}
    assert nothing_written()


def test_emergency_request_needs_its_reason(api_client, pasante_a, clinic_a, item):
    log_in(api_client, pasante_a)

    response = api_client.post(_url("restock-request-list"), body(clinic_a, item, kind="emergency"), format="json")

    assert response.status_code == 400
    assert response.json() == {"emergency_reason": ["Say why this emergency request is needed."]}
    assert nothing_written()


def test_second_regular_request_for_the_month_is_refused(api_client, pasante_a, clinic_a, item, draft):
    log_in(api_client, pasante_a)

    response = api_client.post(_url("restock-request-list"), body(clinic_a, item, period="2026-06-30"),
                               format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["This clinic already has a regular request for that month."]}
    assert RestockRequest.objects.get() == draft


def test_create_repeated_with_the_same_client_key_returns_the_first_request(api_client, pasante_a, clinic_a, item):
    key = str(uuid.uuid4())
    log_in(api_client, pasante_a)

    first = api_client.post(_url("restock-request-list"), body(clinic_a, item, client_key=key), format="json")
    # The offline client sends it again, without an Idempotency-Key and with a figure changed since.
    again = api_client.post(_url("restock-request-list"),
                            body(clinic_a, item, client_key=key, lines=[line(item, consumed=31)]), format="json")

    assert first.status_code == 201, first.content
    assert again.status_code == 201, again.content
    assert again.json() == first.json()
    assert first.json()["client_key"] == key
    assert RestockRequest.objects.get().client_key == uuid.UUID(key)
    assert list(RestockLine.objects.values_list("consumed", flat=True)) == [30]


def test_client_key_of_another_clinic_request_is_refused(api_client, pasante_a, pasante_b, clinic_b, item, draft):
    draft.client_key = uuid.uuid4()
    draft.save(update_fields=["client_key"])
    log_in(api_client, pasante_b)

    response = api_client.post(_url("restock-request-list"), body(clinic_b, item, client_key=str(draft.client_key)),
                               format="json")

    assert response.status_code == 400
    assert RestockRequest.objects.get() == draft


@pytest.mark.parametrize("client_key", ["no-es-uuid", "12", ""])
def test_client_key_that_is_not_a_uuid_is_400(api_client, pasante_a, clinic_a, item, client_key):
    log_in(api_client, pasante_a)

    response = api_client.post(_url("restock-request-list"), body(clinic_a, item, client_key=client_key),
                               format="json")

    assert response.status_code == 400
    assert "client_key" in response.json()
    assert nothing_written()


def test_pasante_replaces_the_lines_of_a_draft(api_client, pasante_a, draft, item):
    ors = ItemFactory(name="Suero oral")
    log_in(api_client, pasante_a)

    response = api_client.post(_url("restock-request-lines", draft.pk),
                               {"lines": [line(item, consumed=60), line(ors, consumed=6, stock_on_hand=0)]},
                               format="json")

    assert response.status_code == 200, response.content
    assert [(row["item_name"], row["consumed"], row["suggested"]) for row in response.json()["lines"]] == [
        ("Paracetamol", 60, 160), ("Suero oral", 6, 18)]
    assert draft.lines.count() == 2


def test_bad_lines_leave_the_draft_as_it_was(api_client, pasante_a, draft, item):
    log_in(api_client, pasante_a)

    response = api_client.post(_url("restock-request-lines", draft.pk), {"lines": [line(item, consumed=-1)]},
                               format="json")

    assert response.status_code == 400
    assert list(draft.lines.values_list("consumed", flat=True)) == [30]


def test_lines_of_a_submitted_request_cannot_change(api_client, pasante_a, draft, item):
    restock_request_advance(draft, State.SUBMITTED, pasante=pasante_a)
    log_in(api_client, pasante_a)

    response = api_client.post(_url("restock-request-lines", draft.pk), {"lines": [line(item, consumed=1)]},
                               format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["A request that is submitted cannot be edited."]}
    assert list(draft.lines.values_list("consumed", flat=True)) == [30]


# --- Restock requests: the transitions ---------------------------------------------------------------------


def test_the_whole_cycle_through_the_api(api_client, pasante_a, pharmacy, draft, stocked, clinic_a):
    def post(user, action, payload=None):
        log_in(api_client, user)
        response = api_client.post(_url(action, draft.pk), payload or {}, format="json")
        assert response.status_code == 200, response.content
        return response.json()

    assert post(pasante_a, "restock-request-submit")["state"] == "submitted"

    approved = post(pharmacy, "restock-request-approve",
                    {"cuts": [{"item": stocked.pk, "approved": 60, "reason": "Reparto entre clínicas"}]})
    assert approved["state"] == "approved"
    assert (approved["lines"][0]["approved"], approved["lines"][0]["cut_reason"]) == (60, "Reparto entre clínicas")

    dispatched = post(pharmacy, "restock-request-dispatch")
    assert dispatched["state"] == "dispatched"
    assert [(p["lot_number"], p["expiry"], p["quantity"]) for p in dispatched["pick_list"]] == [
        ("SOON", NEAR.isoformat(), 50), ("LATE", FAR.isoformat(), 10)]
    assert warehouse_stock(stocked) == 90

    received = post(pasante_a, "restock-request-receive",
                    {"lines": [{"item": stocked.pk, "received": 58, "remark": "Dos blísteres rotos"}],
                     "remarks": "Llegó con el chofer"})
    assert received["state"] == "received"
    assert (received["lines"][0]["received_quantity"], received["lines"][0]["remarks"]) == (58, "Dos blísteres rotos")
    assert received["receipt_remarks"] == "Llegó con el chofer"
    assert clinic_stock(clinic_a, stocked) == 58

    assert post(pharmacy, "restock-request-close")["state"] == "closed"


def test_rejected_request_is_corrected_and_submitted_again(api_client, pasante_a, coordinator, draft, item):
    restock_request_advance(draft, State.SUBMITTED, pasante=pasante_a)
    log_in(api_client, coordinator)

    rejected = api_client.post(_url("restock-request-reject", draft.pk), {"reason": "Revise el consumo"},
                               format="json")

    assert rejected.status_code == 200, rejected.content
    assert (rejected.json()["state"], rejected.json()["rejection_reason"]) == ("rejected", "Revise el consumo")
    log_in(api_client, pasante_a)
    assert api_client.post(_url("restock-request-lines", draft.pk), {"lines": [line(item, consumed=20)]},
                           format="json").status_code == 200
    assert api_client.post(_url("restock-request-submit", draft.pk), {}, format="json").json()["state"] == "submitted"


ILLEGAL = [
    # (state the request is in, action, who, body, verb in the message)
    (State.DRAFT, "restock-request-approve", "pharmacy", {}, "approved"),
    (State.DRAFT, "restock-request-reject", "pharmacy", {"reason": "No"}, "rejected"),
    (State.DRAFT, "restock-request-dispatch", "pharmacy", {}, "dispatched"),
    (State.DRAFT, "restock-request-receive", "pasante_a", {}, "received"),
    (State.DRAFT, "restock-request-close", "pharmacy", {}, "closed"),
    (State.SUBMITTED, "restock-request-submit", "pasante_a", {}, "submitted"),
    (State.SUBMITTED, "restock-request-dispatch", "coordinator", {}, "dispatched"),
    (State.APPROVED, "restock-request-approve", "coordinator", {}, "approved"),
    (State.APPROVED, "restock-request-reject", "pharmacy", {"reason": "Tarde"}, "rejected"),
    (State.DISPATCHED, "restock-request-lines", "pasante_a", None, "edited"),
    (State.RECEIVED, "restock-request-receive", "pasante_a", {}, "received"),
    (State.CLOSED, "restock-request-close", "admin_user", {}, "closed"),
]


@pytest.mark.parametrize(("state", "action", "persona", "payload", "verb"), ILLEGAL,
                         ids=[f"{a.split('-')[-1]} when {s}" for s, a, *_ in ILLEGAL])
def test_illegal_transition_is_400_with_the_service_message(api_client, request, pasante_a, pharmacy, draft, stocked,
                                                            state, action, persona, payload, verb):
    if state != State.DRAFT:
        restock_request_advance(draft, state, pasante=pasante_a, reviewer=pharmacy)
    moved = StockMovement.objects.count()
    log_in(api_client, request.getfixturevalue(persona))
    payload = {"lines": [line(stocked)]} if payload is None else payload

    response = api_client.post(_url(action, draft.pk), payload, format="json")

    assert response.status_code == 400
    label = State(state).label.lower()
    assert response.json() == {"non_field_errors": [f"A request that is {label} cannot be {verb}."]}
    draft.refresh_from_db()
    assert draft.state == state
    assert StockMovement.objects.count() == moved


def test_illegal_transition_answers_in_spanish_to_a_spanish_speaker(api_client, pharmacy, draft):
    log_in(api_client, pharmacy, language="es")

    response = api_client.post(_url("restock-request-dispatch", draft.pk), {}, format="json")

    assert response.status_code == 400
    with translation.override("es"):
        expected = gettext("A request that is %(state)s cannot be %(action)s.") % {
            "state": str(State.DRAFT.label).lower(), "action": pgettext("restock request action", "dispatched")}
    assert response.json() == {"non_field_errors": [expected]}
    assert expected.startswith("No se puede surtir")


WRONG_ROLE = [
    ("restock-request-submit", "pharmacy"),
    ("restock-request-submit", "coordinator"),
    ("restock-request-lines", "admin_user"),
    ("restock-request-approve", "pasante_a"),
    ("restock-request-reject", "pasante_a"),
    ("restock-request-dispatch", "pasante_a"),
    ("restock-request-receive", "pharmacy"),
    ("restock-request-close", "pasante_a"),
    ("restock-request-approve", "supervisor"),
    ("restock-request-submit", "chw"),
]


@pytest.mark.parametrize(("action", "persona"), WRONG_ROLE)
def test_a_role_with_no_part_in_the_step_is_403(api_client, request, draft, item, action, persona):
    log_in(api_client, request.getfixturevalue(persona))
    payload = {"lines": [line(item, consumed=1)], "reason": "x"}

    response = api_client.post(_url(action, draft.pk), payload, format="json")

    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.state == State.DRAFT
    assert list(draft.lines.values_list("consumed", flat=True)) == [30]


@pytest.mark.parametrize("payload", [{}, {"reason": ""}, {"reason": "   "}])
def test_rejection_needs_a_reason(api_client, pharmacy, pasante_a, draft, payload):
    restock_request_advance(draft, State.SUBMITTED, pasante=pasante_a)
    log_in(api_client, pharmacy)

    response = api_client.post(_url("restock-request-reject", draft.pk), payload, format="json")

    assert response.status_code == 400
    assert response.json() == {"reason": ["Give the reason for the rejection."]}
    draft.refresh_from_db()
    assert (draft.state, draft.rejection_reason) == (State.SUBMITTED, "")


BAD_CUTS = {
    "cut without reason": ([{"item": "ITEM", "approved": 10}], "Paracetamol 500 mg tablet: give the reason for the "
                                                                "cut."),
    "more than requested": ([{"item": "ITEM", "approved": 71, "reason": "x"}],
                            "Paracetamol 500 mg tablet: cannot approve more than was requested (70)."),
    "unknown item": ([{"item": 999999, "approved": 1, "reason": "x"}], "Unknown item: 999999."),
}


@pytest.mark.parametrize("case", BAD_CUTS, ids=list(BAD_CUTS))
def test_bad_cut_is_refused_and_the_request_stays_submitted(api_client, pharmacy, pasante_a, draft, item, case):
    cuts, message = BAD_CUTS[case]
    cuts = [{**cut, "item": item.pk if cut["item"] == "ITEM" else cut["item"]} for cut in cuts]
    restock_request_advance(draft, State.SUBMITTED, pasante=pasante_a)
    log_in(api_client, pharmacy)

    response = api_client.post(_url("restock-request-approve", draft.pk), {"cuts": cuts}, format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [message]}
    draft.refresh_from_db()
    assert draft.state == State.SUBMITTED
    assert draft.lines.get().approved is None


@pytest.mark.parametrize("cuts", [[{"item": "ITEM", "approved": -1, "reason": "x"}],
                                  [{"item": "ITEM", "approved": "diez", "reason": "x"}],
                                  [{"item": "ITEM", "approved": 1, "reason": "x"},
                                   {"item": "ITEM", "approved": 2, "reason": "y"}],
                                  "todo"])
def test_malformed_cuts_are_400(api_client, pharmacy, pasante_a, draft, item, cuts):
    if isinstance(cuts, list):
        cuts = [{**cut, "item": item.pk} for cut in cuts]
    restock_request_advance(draft, State.SUBMITTED, pasante=pasante_a)
    log_in(api_client, pharmacy)

    response = api_client.post(_url("restock-request-approve", draft.pk), {"cuts": cuts}, format="json")

    assert response.status_code == 400
    assert "cuts" in response.json()
    draft.refresh_from_db()
    assert draft.state == State.SUBMITTED


def test_dispatch_short_of_stock_moves_nothing(api_client, pharmacy, pasante_a, draft, item):
    services.warehouse_receive(item=item, lot_number="POCO", expiry=FAR, quantity=5, by=pharmacy)
    restock_request_advance(draft, State.APPROVED, pasante=pasante_a, reviewer=pharmacy)
    moved = StockMovement.objects.count()
    log_in(api_client, pharmacy)

    response = api_client.post(_url("restock-request-dispatch", draft.pk), {}, format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [
        "Not enough stock to dispatch the whole request; nothing was moved.",
        "Paracetamol 500 mg tablet: 65 short in the warehouse (unexpired stock)."]}
    draft.refresh_from_db()
    assert draft.state == State.APPROVED
    assert StockMovement.objects.count() == moved
    assert warehouse_stock(item) == 5


BAD_RECEIPTS = {
    "difference without remark": ([{"item": "ITEM", "received": 60}],
                                  {"non_field_errors": ["Paracetamol 500 mg tablet: explain the difference with what "
                                                        "was dispatched."]}),
    "more than dispatched": ([{"item": "ITEM", "received": 71, "remark": "x"}],
                             {"non_field_errors": ["Paracetamol 500 mg tablet: more received than dispatched (70); "
                                                   "check the count."]}),
    "unknown item": ([{"item": 999999, "received": 1, "remark": "x"}],
                     {"non_field_errors": ["Unknown item: 999999."]}),
    "negative": ([{"item": "ITEM", "received": -1, "remark": "x"}], "lines"),
    "not a number": ([{"item": "ITEM", "received": "todo", "remark": "x"}], "lines"),
}


@pytest.mark.parametrize("case", BAD_RECEIPTS, ids=list(BAD_RECEIPTS))
def test_bad_receipt_is_refused_and_nothing_enters_the_clinic(api_client, pharmacy, pasante_a, draft, stocked,
                                                              clinic_a, case):
    lines, expected = BAD_RECEIPTS[case]
    lines = [{**row, "item": stocked.pk if row["item"] == "ITEM" else row["item"]} for row in lines]
    restock_request_advance(draft, State.DISPATCHED, pasante=pasante_a, reviewer=pharmacy)
    before = clinic_stock(clinic_a, stocked)
    log_in(api_client, pasante_a)

    response = api_client.post(_url("restock-request-receive", draft.pk), {"lines": lines}, format="json")

    assert response.status_code == 400
    if isinstance(expected, dict):
        assert response.json() == expected
    else:
        assert expected in response.json()
    draft.refresh_from_db()
    assert draft.state == State.DISPATCHED
    assert clinic_stock(clinic_a, stocked) == before


def test_receipt_as_dispatched_needs_no_body(api_client, pharmacy, pasante_a, draft, stocked, clinic_a):
    restock_request_advance(draft, State.DISPATCHED, pasante=pasante_a, reviewer=pharmacy)
    before = clinic_stock(clinic_a, stocked)
    log_in(api_client, pasante_a)

    response = api_client.post(_url("restock-request-receive", draft.pk), format="json")

    assert response.status_code == 200, response.content
    assert response.json()["lines"][0]["received_quantity"] == 70
    assert clinic_stock(clinic_a, stocked) == before + 70


# --- Query counts ----------------------------------------------------------------------------------------


def _grow(n, pasante_a, clinic_a):
    """``n`` more of everything: items with lots in stock at the warehouse and clinic A, clinics with requests."""
    for _ in range(n):
        item = ItemFactory()
        lot = LotFactory(item=item)
        services.ledger_move(moves=[services.Move(None, lot, 10), services.Move(clinic_a, lot, 4)],
                             kind=StockMovement.Kind.RECEIPT)
        clinic = ClinicFactory()
        services.restock_request_create_draft(clinic=clinic, period=PERIOD,
                                              lines=[line(item), line(ItemFactory())])
    # One more request of clinic A, in another month each time, with as many lines as items exist.
    taken = set(RestockRequest.objects.filter(clinic=clinic_a).values_list("period", flat=True))
    period = next(date(2025, m, 1) for m in range(1, 13) if date(2025, m, 1) not in taken)
    services.restock_request_create_draft(clinic=clinic_a, period=period,
                                          lines=[line(i) for i in Item.objects.all()[:n + 1]], by=pasante_a)


def _get_counted(client, url, django_assert_num_queries, queries):
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json()["count"]


def _filters(url_name, clinic_a):
    """A query string that sets every filter the list declares, each matching some of the grown data."""
    return {
        "item-list": "?q=paracetamol&category=analgesics&active=true",
        "lot-list": f"?item={Item.objects.order_by('pk').first().pk}&expiring_within={MAX_DAYS}",
        "stock-list": f"?clinic={clinic_a.pk}&item={Item.objects.order_by('pk').first().pk}",
        "restock-request-list": f"?clinic={clinic_a.pk}&state=draft&kind=regular&updated_since=2000-01-01T00:00Z",
    }[url_name]


MAX_DAYS = 3650
# The user with their roles (the session is read from Redis), then: the page holding its count (ces.core.pagination) of
# items, of lots with their item, of stock with its item and lot (a pasante first finds their clinic, a
# ``clinic`` filter looks the clinic up), of requests each with its line count (the lines are the detail's).
# As (unfiltered, every filter set).
LIST_QUERIES = {
    ("item-list", "coordinator"): (2, 2), ("item-list", "pasante_a"): (2, 2),
    ("lot-list", "coordinator"): (2, 2), ("lot-list", "pasante_a"): (2, 2),
    ("stock-list", "coordinator"): (2, 3), ("stock-list", "pasante_a"): (3, 3),
    ("restock-request-list", "coordinator"): (2, 2), ("restock-request-list", "pasante_a"): (2, 2),
}


@pytest.mark.parametrize("filtered", [False, True], ids=["all", "filtered"])
@pytest.mark.parametrize(("url_name", "persona"), list(LIST_QUERIES))
def test_list_runs_a_fixed_number_of_queries_at_two_sizes(api_client, request, url_name, persona, filtered,
                                                          pasante_a, clinic_a, django_assert_num_queries):
    log_in(api_client, request.getfixturevalue(persona))
    queries = LIST_QUERIES[url_name, persona][filtered]
    _grow(2, pasante_a, clinic_a)
    url = _url(url_name) + (_filters(url_name, clinic_a) if filtered else "")
    small = _get_counted(api_client, url, django_assert_num_queries, queries)

    _grow(6, pasante_a, clinic_a)
    large = _get_counted(api_client, url, django_assert_num_queries, queries)

    assert large > small or filtered  # the data really grew (a filter may keep the same rows)
    assert small > 0


# --- Schema -----------------------------------------------------------------------------------------------


def test_schema_documents_every_pharmacy_endpoint(api_client, coordinator):
    log_in(api_client, coordinator)

    response = api_client.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    base = "/api/v1/pharmacy"
    assert {f"{base}/items/", f"{base}/items/{{id}}/", f"{base}/lots/", f"{base}/lots/{{id}}/", f"{base}/stock/",
            f"{base}/restock-requests/", f"{base}/restock-requests/{{id}}/"} <= set(paths)
    for action in ("lines", "submit", "approve", "reject", "dispatch", "receive", "close"):
        operation = paths[f"{base}/restock-requests/{{id}}/{action}/"]["post"]
        assert operation["description"]
    dispatch = paths[f"{base}/restock-requests/{{id}}/dispatch/"]["post"]
    assert dispatch["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/DispatchedRequest")
    approve = paths[f"{base}/restock-requests/{{id}}/approve/"]["post"]
    assert approve["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/ApproveRequest")
