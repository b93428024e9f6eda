"""The pharmacy's reports through the reports pages: their rows, their scoping (a pasante sees their clinic
only; pharmacy, coordinators and admins everything), the fill-rate chart, and fixed query counts."""

import csv
import io
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from ces.reports import registry
from ces.reports import services as report_services
from ces.reports.models import Export
from ces.reports.rows import percent
from clinics.tests.factories import ClinicFactory
from pharmacy import services
from pharmacy.models import RestockLine, RestockRequest, StockMovement
from pharmacy.reports import fill_rate_chart
from pharmacy.services import Move
from tests.kit import LAYOUT_QUERIES

from .factories import ItemFactory, LotFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
THIS_MONTH = TODAY.replace(day=1)
LAST_MONTH = (THIS_MONTH - timedelta(days=1)).replace(day=1)


def d(day) -> str:
    return day.strftime("%d/%m/%Y")


def m(day) -> str:
    """A month column reads as every page shows a request's month: mm/yyyy."""
    return day.strftime("%m/%Y")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _english(coordinator, pharmacy, pasante_a, pasante_b, admin_user):
    # The CSV headers follow the person's language; the Spanish words come from locale/ once translated.
    for user in (coordinator, pharmacy, pasante_a, pasante_b, admin_user):
        user.preferred_language = "en"
        user.save(update_fields=["preferred_language"])


def csv_table(client, key, **params):
    response = client.get(reverse("reports:report-csv", args=[key]), params)
    assert response.status_code == 200, response.content[:500]
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(body)))
    end = table.pop()  # the line that says the file is whole (ces.reports), with the number of rows
    assert end == [f"# End of report: {len(table) - 1} row{'' if len(table) == 2 else 's'}"], end
    return table


def entry(item, **figures):
    return {"item": item.pk, "beginning_balance": 0, "received": 0, "stockout_days": 0, **figures}


@pytest.fixture
def network(clinic_a, clinic_b, pasante_a, pasante_b, pharmacy):
    """Clinic A: last month's request approved with a cut, dispatched and received short; this month's
    submitted; an emergency draft. Clinic B: last month's request approved. Lots at the warehouse and at A."""
    para = ItemFactory(code="PARA", name="Paracetamol", strength="500 mg", form="tablet", unit="tablet")
    amox = ItemFactory(code="AMOX", name="Amoxicilina", strength="500 mg", form="capsule", unit="capsule")
    services.warehouse_receive(item=para, lot_number="P-SOON", expiry=TODAY + timedelta(days=30), quantity=200,
                               by=pharmacy)
    services.warehouse_receive(item=para, lot_number="P-LATE", expiry=TODAY + timedelta(days=400), quantity=500,
                               by=pharmacy)
    services.warehouse_receive(item=amox, lot_number="A-1", expiry=TODAY + timedelta(days=300), quantity=300,
                               by=pharmacy)

    a_last = services.restock_request_create_draft(clinic=clinic_a, period=LAST_MONTH, by=pasante_a, lines=[
        entry(para, beginning_balance=50, consumed=30, stock_on_hand=20, requested=70),
        entry(amox, beginning_balance=15, consumed=15, stock_on_hand=0, stockout_days=5, requested=60,
              explanation="Brote de infecciones"),
    ])
    services.restock_request_submit(request=a_last, by=pasante_a)
    services.restock_request_approve(request=a_last, by=pharmacy, cuts={para.pk: (50, "Poco en almacén")})
    services.restock_request_dispatch(request=a_last, by=pharmacy)
    services.restock_request_receive(request=a_last, by=pasante_a, received={para.pk: (45, "Llegaron 45")})

    a_this = services.restock_request_create_draft(clinic=clinic_a, period=THIS_MONTH, by=pasante_a, lines=[
        entry(para, beginning_balance=20, received=45, consumed=25, stock_on_hand=40),
    ])
    services.restock_request_submit(request=a_this, by=pasante_a)
    services.restock_request_create_draft(
        clinic=clinic_a, period=THIS_MONTH, by=pasante_a, kind=RestockRequest.Kind.EMERGENCY,
        emergency_reason="Brote", lines=[entry(amox, consumed=5, stock_on_hand=0, stockout_days=3)],
    )

    b_last = services.restock_request_create_draft(clinic=clinic_b, period=LAST_MONTH, by=pasante_b, lines=[
        entry(para, beginning_balance=25, consumed=25, stock_on_hand=0, requested=75),
    ])
    services.restock_request_submit(request=b_last, by=pasante_b)
    services.restock_request_approve(request=b_last, by=pharmacy)
    return {"para": para, "amox": amox, "a_last": a_last, "a_this": a_this, "b_last": b_last}


# --- Who may run them ------------------------------------------------------------------------------------

KEYS = ["restock-requests", "stockouts", "stock-on-hand", "consumption"]


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("persona, allowed", [
    ("pharmacy", True), ("coordinator", True), ("admin_user", True), ("pasante_a", True),
    ("supervisor", False), ("chw", False), ("visitor_program", False), ("outsider", False),
])
def test_pharmacy_reports_are_for_pharmacy_coordinators_admins_and_pasantes(client, request, key, persona, allowed):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse("reports:report-detail", args=[key]))

    assert response.status_code == (200 if allowed else 403)
    assert client.get(reverse("reports:report-csv", args=[key])).status_code == (200 if allowed else 403)


def test_the_reports_page_lists_the_pharmacy_reports(client, pasante_a):
    client.force_login(pasante_a)
    body = client.get(reverse("reports:report-list")).content.decode()

    assert all(f'data-testid="report-{key}"' in body for key in KEYS)


# --- Restock requests and fill rate ----------------------------------------------------------------------

REQUEST_HEADERS = ["Clinic", "Month", "Kind", "State", "Items", "Requested", "Approved", "Dispatched", "Received",
                   "Approved / requested (%)", "Dispatched / approved (%)", "Received / dispatched (%)",
                   "Submitted"]


def test_restock_requests_have_their_totals_and_fill_rates(client, network, coordinator):
    client.force_login(coordinator)
    table = csv_table(client, "restock-requests")

    assert table[0] == REQUEST_HEADERS
    assert [row[:12] for row in table[1:]] == [
        ["Clínica Capitán", m(LAST_MONTH), "Regular", "Received", "2", "130", "110", "110", "105", "84.6", "100.0",
         "95.5"],
        ["Clínica Capitán", m(THIS_MONTH), "Regular", "Submitted", "1", "44", "", "", "", "", "", ""],
        ["Clínica Reforma", m(LAST_MONTH), "Regular", "Approved", "1", "75", "75", "", "", "100.0", "", ""],
    ]


def test_a_draft_is_in_no_report(client, network, pharmacy):
    client.force_login(pharmacy)

    assert "Emergency" not in {row[2] for row in csv_table(client, "restock-requests")}
    assert "Emergency" not in {row[7] for row in csv_table(client, "stockouts")}


def test_pasante_b_sees_only_their_clinics_requests(client, network, pasante_b):
    client.force_login(pasante_b)

    table = csv_table(client, "restock-requests")

    assert [row[:2] for row in table[1:]] == [["Clínica Reforma", m(LAST_MONTH)]]


def test_a_pasante_cannot_pick_another_clinic(client, network, pasante_b, clinic_a):
    client.force_login(pasante_b)

    response = client.get(reverse("reports:report-csv", args=["restock-requests"]), {"clinic": clinic_a.pk})

    assert response.status_code == 400
    assert not isinstance(response, StreamingHttpResponse)
    assert "Choose one of the options" in response.content.decode()


def test_restock_requests_filter_by_clinic_and_month(client, network, coordinator, clinic_a):
    client.force_login(coordinator)

    table = csv_table(client, "restock-requests", clinic=clinic_a.pk, date_from=d(THIS_MONTH + timedelta(days=3)))

    assert [row[:2] for row in table[1:]] == [["Clínica Capitán", m(THIS_MONTH)]]


def test_the_fill_rate_chart_counts_only_decided_lines(network, coordinator):
    data = fill_rate_chart(coordinator, {"date_from": LAST_MONTH, "date_to": THIS_MONTH})

    assert data.labels == [LAST_MONTH, THIS_MONTH]
    rates = {s.name: list(s.values) for s in data.series}
    # Last month: 185 approved of the 205 requested by A and B; A's 110 dispatched, 105 of them received.
    # This month nothing is decided yet: a gap in the chart (None), never a 0 %.
    assert rates == {"Approved / requested": [90.2, None], "Dispatched / approved": [100.0, None],
                     "Received / dispatched": [95.5, None]}


def test_the_fill_rate_chart_of_a_pasante_is_their_clinics(network, pasante_b):
    data = fill_rate_chart(pasante_b, {"date_from": LAST_MONTH, "date_to": LAST_MONTH})

    assert {s.name: list(s.values) for s in data.series}["Approved / requested"] == [100.0]


def test_the_fill_rate_chart_shows_the_last_twelve_months_by_default(network, coordinator):
    data = fill_rate_chart(coordinator, {})

    assert len(data.labels) == 12 and data.labels[-1] == THIS_MONTH


def test_the_fill_rate_chart_of_a_period_starting_after_today_is_its_first_month(network, coordinator):
    # With no month between the start and today, the chart had none and the page was a server error.
    next_month = (THIS_MONTH + timedelta(days=31)).replace(day=1)

    data = fill_rate_chart(coordinator, {"date_from": next_month})

    assert data.labels == [next_month]


@pytest.mark.parametrize("params", [
    {"date_from": "01/01/9999"}, {"date_to": "31/12/9999"}, {"date_to": "01/01/0001"}, {"date_from": "01/01/1999"},
])
def test_a_period_outside_the_years_of_the_network_is_a_message(client, network, coordinator, params):
    # The chart's month arithmetic left the calendar (year 0, year 10000): a server error.
    client.force_login(coordinator)

    response = client.get(reverse("reports:report-detail", args=["restock-requests"]), params)

    assert response.status_code == 200
    assert "Choose a date from the year 2000 to 2100." in response.content.decode()
    assert 'data-testid="preview"' not in response.content.decode()


def test_the_restock_requests_page_draws_the_chart(client, network, pharmacy):
    client.force_login(pharmacy)
    body = client.get(reverse("reports:report-detail", args=["restock-requests"])).content.decode()

    assert 'data-testid="chart"' in body and "<svg" in body and 'data-testid="preview"' in body
    assert " style=" not in body and "<script>" not in body


# --- Stock-outs --------------------------------------------------------------------------------------------


def test_stockouts_are_days_out_of_stock_or_nothing_left_after_consuming(client, network, coordinator):
    client.force_login(coordinator)
    table = csv_table(client, "stockouts")

    assert table[0] == ["Clinic", "Month", "Code", "Item", "Stock-out days", "Stock on hand", "Consumed", "Request"]
    assert table[1:] == [
        ["Clínica Capitán", m(LAST_MONTH), "AMOX", "Amoxicilina 500 mg capsule", "5", "0", "15", "Regular"],
        ["Clínica Reforma", m(LAST_MONTH), "PARA", "Paracetamol 500 mg tablet", "0", "0", "25", "Regular"],
    ]


def test_pasante_b_never_sees_clinic_as_stockouts(client, network, pasante_b):
    client.force_login(pasante_b)

    assert {row[0] for row in csv_table(client, "stockouts")[1:]} == {"Clínica Reforma"}


# --- Stock on hand and expiries ----------------------------------------------------------------------------

STOCK_HEADERS = ["Location", "Code", "Item", "Unit", "Lot", "Expiry", "Days to expiry", "Quantity"]


def test_stock_on_hand_lists_every_lot_warehouse_first(client, network, pharmacy):
    client.force_login(pharmacy)
    table = csv_table(client, "stock-on-hand")

    soon, late, amox = TODAY + timedelta(days=30), TODAY + timedelta(days=400), TODAY + timedelta(days=300)
    assert table[0] == STOCK_HEADERS
    assert table[1:] == [
        ["Central warehouse", "AMOX", "Amoxicilina 500 mg capsule", "capsule", "A-1", d(amox), "300", "240"],
        ["Central warehouse", "PARA", "Paracetamol 500 mg tablet", "tablet", "P-SOON", d(soon), "30", "150"],
        ["Central warehouse", "PARA", "Paracetamol 500 mg tablet", "tablet", "P-LATE", d(late), "400", "500"],
        ["Clínica Capitán", "AMOX", "Amoxicilina 500 mg capsule", "capsule", "A-1", d(amox), "300", "60"],
        # 45 received, 5 of them dispensed by the count submitted this month
        ["Clínica Capitán", "PARA", "Paracetamol 500 mg tablet", "tablet", "P-SOON", d(soon), "30", "40"],
    ]


def test_stock_on_hand_filters_by_location_and_expiry(client, network, coordinator, clinic_a):
    client.force_login(coordinator)

    warehouse = csv_table(client, "stock-on-hand", location="warehouse")
    soon = csv_table(client, "stock-on-hand", expires_before=d(TODAY + timedelta(days=60)))
    clinic = csv_table(client, "stock-on-hand", location=clinic_a.pk)

    assert {row[0] for row in warehouse[1:]} == {"Central warehouse"} and len(warehouse) == 1 + 3
    assert {row[4] for row in soon[1:]} == {"P-SOON"} and len(soon) == 1 + 2
    assert {row[0] for row in clinic[1:]} == {"Clínica Capitán"} and len(clinic) == 1 + 2


def test_a_pasante_sees_their_clinics_stock_only(client, network, pasante_a, pasante_b):
    client.force_login(pasante_a)
    assert {row[0] for row in csv_table(client, "stock-on-hand")[1:]} == {"Clínica Capitán"}

    client.force_login(pasante_b)
    assert csv_table(client, "stock-on-hand")[1:] == []


@pytest.mark.parametrize("location", ["warehouse", "clinic_a", "999999"])
def test_a_pasante_cannot_pick_the_warehouse_or_another_clinic(client, request, network, pasante_b, location):
    client.force_login(pasante_b)
    value = request.getfixturevalue(location).pk if location == "clinic_a" else location

    response = client.get(reverse("reports:report-csv", args=["stock-on-hand"]), {"location": value})

    assert response.status_code == 400
    assert "Choose one of the options" in response.content.decode()


def test_the_stock_excel_file_holds_what_its_owner_sees(network, pasante_a):
    export = Export.objects.create(user=pasante_a, report_key="stock-on-hand", params={}, language="en")

    assert report_services.export_build(export_id=export.pk) == Export.State.DONE

    export.refresh_from_db()
    with zipfile.ZipFile(export.file.path) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert export.rows_done == 2
    assert "Clínica Capitán" in sheet and "Central warehouse" not in sheet and "Location" in sheet


def test_the_month_column_of_the_excel_file_is_formatted_as_a_month(network, coordinator):
    export = Export.objects.create(user=coordinator, report_key="restock-requests", params={}, language="en")

    assert report_services.export_build(export_id=export.pk) == Export.State.DONE

    export.refresh_from_db()
    with zipfile.ZipFile(export.file.path) as book:
        styles = book.read("xl/styles.xml").decode()
    assert 'formatCode="mm/yyyy"' in styles


def test_the_preview_shows_the_month_as_mm_yyyy(client, network, coordinator):
    client.force_login(coordinator)

    body = client.get(reverse("reports:report-detail", args=["restock-requests"])).content.decode()

    assert f"<td>{m(LAST_MONTH)}</td>" in body and f"<td>{d(LAST_MONTH)}</td>" not in body


# --- Consumption ---------------------------------------------------------------------------------------------


def test_consumption_by_clinic_item_and_month_from_the_monthly_requests(client, network, admin_user):
    client.force_login(admin_user)
    table = csv_table(client, "consumption")

    assert table[0] == ["Clinic", "Code", "Item", "Unit", "Month", "Consumed", "Losses and adjustments",
                        "Stock-out days", "Stock on hand", "Average monthly consumption"]
    assert [row[:6] for row in table[1:]] == [
        ["Clínica Capitán", "AMOX", "Amoxicilina 500 mg capsule", "capsule", m(LAST_MONTH), "15"],
        ["Clínica Capitán", "PARA", "Paracetamol 500 mg tablet", "tablet", m(LAST_MONTH), "30"],
        ["Clínica Capitán", "PARA", "Paracetamol 500 mg tablet", "tablet", m(THIS_MONTH), "25"],
        ["Clínica Reforma", "PARA", "Paracetamol 500 mg tablet", "tablet", m(LAST_MONTH), "25"],
    ]


def test_pasante_a_sees_their_clinics_consumption_only(client, network, pasante_a):
    client.force_login(pasante_a)

    assert {row[0] for row in csv_table(client, "consumption")[1:]} == {"Clínica Capitán"}


# --- Query counts ----------------------------------------------------------------------------------------


def grow(size, pharmacy):
    """``size`` clinics, each with last month's request submitted and a lot in stock."""
    item = ItemFactory()
    for _ in range(size):
        clinic = ClinicFactory()
        request = services.restock_request_create_draft(clinic=clinic, period=LAST_MONTH, by=pharmacy, lines=[
            entry(item, consumed=10, stock_on_hand=0, stockout_days=2),
        ])
        services.restock_request_submit(request=request, by=pharmacy)
        lot = LotFactory(item=item)
        services.ledger_move(moves=[Move(clinic, lot, 10), Move(None, lot, 10)], kind=StockMovement.Kind.ADJUSTMENT,
                             reason="Alta")




@pytest.mark.parametrize("size", [2, 20])
@pytest.mark.parametrize("key, queries", [
    # clinic choices, count, page, chart, recent exports
    ("restock-requests", 5),
    # clinic (or location) choices, count, page, recent exports
    ("stockouts", 4), ("stock-on-hand", 4), ("consumption", 4),
])
def test_report_previews_run_a_fixed_number_of_queries(client, pharmacy, django_assert_num_queries, size, key,
                                                       queries):
    grow(size, pharmacy)
    client.force_login(pharmacy)

    with django_assert_num_queries(LAYOUT_QUERIES + queries):
        response = client.get(reverse("reports:report-detail", args=[key]))

    assert response.status_code == 200


@pytest.mark.parametrize("size", [2, 20])
@pytest.mark.parametrize("key", KEYS)
def test_report_rows_are_one_query(pharmacy, django_assert_num_queries, size, key):
    grow(size, pharmacy)
    pharmacy.roles  # noqa: B018 - the layout has read them already on a page
    report = registry.report_by_key(key)

    with django_assert_num_queries(1):
        rows = list(report.rows(pharmacy, {}))

    assert len(rows) >= size


def test_fill_rates_are_rounded_half_up_to_one_decimal():
    from pharmacy.reports import percent

    assert percent(1, 16) == Decimal("6.3") and percent(2, 3) == Decimal("66.7") and percent(1, 3) == Decimal("33.3")
    assert percent(None, 10) is None and percent(5, 0) is None
    assert percent(10, 10) == Decimal("100.0") and percent(0, 10) == Decimal("0.0")


def test_a_fill_rate_short_of_all_never_reads_100_percent():
    from pharmacy.reports import percent

    assert percent(9620, 9622) == Decimal("99.98")
    assert percent(99_999, 100_000) == Decimal("99.999")
    assert percent(1, 20_000) == Decimal("0.01") and percent(1, 300_000) == Decimal("0.0003")
    assert percent(10_001, 10_000) == Decimal("100.01")


# --- The clinic filters offer a few clinics and find the others -------------------------------------------


def offered(response, name) -> list[str]:
    select = response.content.decode().split(f'name="{name}"')[1].split("</select>")[0]
    return [part.split('"')[0] for part in select.split('<option value="')[1:]]


@pytest.mark.parametrize("key, field, search", [("restock-requests", "clinic", "clinic_search"),
                                                ("stock-on-hand", "location", "location_search")])
def test_a_filter_offers_a_few_clinics_and_its_search_finds_any_other(client, network, coordinator, clinic_b,
                                                                      key, field, search):
    from pharmacy.reports import CLINIC_CHOICES

    late = ClinicFactory(name="Zapata, la última")
    for n in range(CLINIC_CHOICES):
        ClinicFactory(name=f"Clínica de relleno {n:02d}")
    client.force_login(coordinator)
    url = reverse("reports:report-detail", args=[key])

    first = offered(client.get(url), field)
    found = offered(client.get(url, {search: "zapata"}), field)
    chosen = client.get(url, {field: late.pk})

    assert str(late.pk) not in first and len([v for v in first if v.isdigit()]) == CLINIC_CHOICES
    assert [v for v in found if v.isdigit()] == [str(late.pk)]
    assert chosen.status_code == 200 and str(late.pk) in offered(chosen, field)
    assert f'<option value="{late.pk}" selected>' in chosen.content.decode()


@pytest.mark.parametrize("key", ["stockouts", "consumption"])
@pytest.mark.parametrize("persona", ["coordinator", "pasante_a", "pasante_b"])
def test_a_line_reports_preview_counts_exactly_the_rows_it_pages(client, request, network, key, persona):
    """The count comes from the requests' totals, not from the rows: the two must agree, filters and scoping
    included."""
    user = request.getfixturevalue(persona)
    client.force_login(user)
    report = registry.report_by_key(key)
    for params in ({}, {"date_from": LAST_MONTH.isoformat(), "date_to": LAST_MONTH.isoformat()}):
        response = client.get(reverse("reports:report-detail", args=[key]), params)
        form = report.build_form(params, user)
        assert form.is_valid()
        assert response.context["page_obj"].paginator.count == len(list(report.rows(user, form.cleaned_data)))


def test_the_fill_rate_chart_follows_a_change_to_the_lines_at_once(client, network, coordinator):
    """The chart adds up the requests' totals, which the database keeps as the lines change."""
    report = registry.report_by_key("restock-requests")
    filters = {"date_from": LAST_MONTH, "date_to": LAST_MONTH}

    def approved_of_requested():
        return report.chart(coordinator, filters).series[0].values[0]

    before = approved_of_requested()
    network["a_last"].lines.filter(item=network["amox"]).update(approved=0, cut_reason="Sin existencias")
    after = approved_of_requested()
    assert before != after
    lines = RestockLine.objects.filter(request__period=LAST_MONTH, approved__isnull=False)
    assert after == float(percent(sum(line.approved for line in lines), sum(line.requested for line in lines)))
