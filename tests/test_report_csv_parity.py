"""Every registered report's CSV is, byte for byte, what the row-by-row formatter wrote before the exports
streamed through ``COPY``: same rows for each persona, same Spanish (or English) labels and headers, same
dates, quoting and line ends, same last line.

``old_csv`` below is that formatter, kept here as it was (model instances, one ``as_text`` per cell), so
that the fast path is always compared with the behaviour it replaced, on the same data.
"""

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from ces.reports import registry, services
from ces.reports.registry import Month
from clinics.models import Assignment, Cadre
from clinics.tests.factories import AssignmentFactory, CohortFactory, StaffFactory
from pharmacy import services as pharmacy_services
from pharmacy.models import RestockRequest
from pharmacy.tests.factories import ItemFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
THIS_MONTH = TODAY.replace(day=1)
LAST_MONTH = (THIS_MONTH - timedelta(days=1)).replace(day=1)


# --- The formatter as it was -----------------------------------------------------------------------------


def old_as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return (gettext("No"), gettext("Yes"))[value]
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, Month):
        return value.strftime("%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def old_csv(report, user, filters, language) -> bytes:
    with translation.override(language):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([str(c.header) for c in report.columns])
        getters = [c.value or (lambda row, key=c.key: getattr(row, key)) for c in report.columns]
        written = 0
        for row in report.rows(user, filters):
            writer.writerow([old_as_text(get(row)) for get in getters])
            written += 1
        end = ngettext("End of report: %(count)s row", "End of report: %(count)s rows", written)
        writer.writerow(["# " + end % {"count": written}])
    return ("\ufeff" + buffer.getvalue()).encode()


def new_csv(report, user, filters, language) -> bytes:
    return b"".join(services.csv_stream(report=report, user=user, filters=filters, language=language))


def filters_of(report, user, data):
    form = report.build_form(data, user)
    assert form.is_valid(), form.errors
    return form.cleaned_data


# --- The same data for every report ------------------------------------------------------------------------


def entry(item, **figures):
    return {"item": item.pk, "beginning_balance": 0, "received": 0, "stockout_days": 0, **figures}


@pytest.fixture
def data(clinic_a, clinic_b, supervisor, pasante_a, pasante_b, pharmacy, coordinator):
    """Staff whose names need quoting (commas, quotes, a line break), one inactive, one without e-mail; a
    past pasante in a cohort; requests in every state the reports show, with cuts, a stock-out and an
    emergency; lots at the warehouse and at clinic A."""
    cohort = CohortFactory(name='Promoción "2025", Los Altos')
    AssignmentFactory(clinic=clinic_a, staff=StaffFactory(full_name="Ana Pérez, Ñúñez", cadre=Cadre.PASANTE,
                                                          cohort=cohort),
                      start_date=TODAY - timedelta(days=400), end_date=TODAY - timedelta(days=31))
    AssignmentFactory(clinic=clinic_a, role=Assignment.Role.NURSE,
                      staff=StaffFactory(full_name='Beatriz "Bety"\nLópez', cadre=Cadre.NURSE, email="",
                                         phone="961 000 0000", active=False),
                      start_date=TODAY - timedelta(days=10))
    AssignmentFactory(clinic=clinic_b, role=Assignment.Role.NURSE, staff__cadre=Cadre.NURSE,
                      staff__full_name="Enfermera de Reforma", start_date=TODAY - timedelta(days=10))
    nurse_two = StaffFactory(full_name="Carmen Dos Clínicas", cadre=Cadre.NURSE)
    AssignmentFactory(clinic=clinic_b, role=Assignment.Role.NURSE, staff=nurse_two,
                      start_date=TODAY - timedelta(days=20))
    AssignmentFactory(clinic=clinic_a, role=Assignment.Role.OTHER, staff=nurse_two,
                      start_date=TODAY - timedelta(days=5))

    para = ItemFactory(code="PARA", name="Paracetamol", strength="500 mg", form="tablet", unit="tablet")
    amox = ItemFactory(code="AMOX", name="Amoxicilina, suspensión", strength="", form="bottle", unit="bottle")
    pharmacy_services.warehouse_receive(item=para, lot_number="P-SOON", expiry=TODAY + timedelta(days=30),
                                        quantity=200, by=pharmacy)
    pharmacy_services.warehouse_receive(item=para, lot_number="P-LATE", expiry=TODAY + timedelta(days=400),
                                        quantity=500, by=pharmacy)
    pharmacy_services.warehouse_receive(item=amox, lot_number="A-1", expiry=TODAY + timedelta(days=300),
                                        quantity=300, by=pharmacy)
    a_last = pharmacy_services.restock_request_create_draft(clinic=clinic_a, period=LAST_MONTH, by=pasante_a, lines=[
        entry(para, beginning_balance=50, consumed=30, stock_on_hand=20, requested=70),
        entry(amox, beginning_balance=15, consumed=15, stock_on_hand=0, stockout_days=5, requested=60,
              explanation="Brote de infecciones"),
    ])
    pharmacy_services.restock_request_submit(request=a_last, by=pasante_a)
    pharmacy_services.restock_request_approve(request=a_last, by=pharmacy, cuts={para.pk: (50, "Poco en almacén")})
    pharmacy_services.restock_request_dispatch(request=a_last, by=pharmacy)
    pharmacy_services.restock_request_receive(request=a_last, by=pasante_a, received={para.pk: (45, "Llegaron 45")})
    a_this = pharmacy_services.restock_request_create_draft(clinic=clinic_a, period=THIS_MONTH, by=pasante_a, lines=[
        entry(para, beginning_balance=20, received=45, consumed=25, stock_on_hand=40),
    ])
    pharmacy_services.restock_request_submit(request=a_this, by=pasante_a)
    emergency = pharmacy_services.restock_request_create_draft(
        clinic=clinic_a, period=THIS_MONTH, by=pasante_a, kind=RestockRequest.Kind.EMERGENCY,
        emergency_reason="Brote", lines=[entry(amox, consumed=5, stock_on_hand=0, stockout_days=3, requested=9,
                                                              explanation="Brote, urgente")],
    )
    pharmacy_services.restock_request_submit(request=emergency, by=pasante_a)
    pharmacy_services.restock_request_create_draft(  # a draft: in no report
        clinic=clinic_b, period=THIS_MONTH, by=pasante_b, kind=RestockRequest.Kind.EMERGENCY,
        emergency_reason="Borrador", lines=[entry(amox, consumed=1, stock_on_hand=0, stockout_days=1)],
    )
    b_last = pharmacy_services.restock_request_create_draft(clinic=clinic_b, period=LAST_MONTH, by=pasante_b, lines=[
        entry(para, beginning_balance=25, consumed=25, stock_on_hand=0, requested=75),
    ])
    pharmacy_services.restock_request_submit(request=b_last, by=pasante_b)
    pharmacy_services.restock_request_approve(request=b_last, by=pharmacy)
    return {"clinic_a": clinic_a}


# Each report, as a person who sees everything and as one who sees one clinic (and what they may filter).
CASES = [
    ("pasante-roster", "coordinator", {}),
    ("pasante-roster", "supervisor", {}),
    ("pasante-roster", "coordinator", {"by_clinic": "on", "date_from": "01/01/2020"}),
    ("staff-directory", "coordinator", {}),
    ("staff-directory", "pasante_a", {}),
    ("staff-directory", "coordinator", {"active": "0"}),
    ("staff-directory", "coordinator", {"cadre": Cadre.NURSE, "q": "a"}),
    ("restock-requests", "pharmacy", {}),
    ("restock-requests", "pasante_a", {}),
    ("stockouts", "coordinator", {}),
    ("stockouts", "pasante_b", {}),
    ("stock-on-hand", "pharmacy", {}),
    ("stock-on-hand", "pasante_a", {}),
    ("stock-on-hand", "pharmacy", {"location": "warehouse"}),
    ("consumption", "admin_user", {}),
    ("consumption", "pasante_a", {}),
]


# Reports whose rows are worked out in Python (a host family's months, each balance carrying the months
# before), with no SELECT that COPY could stream: they keep the chunked row formatter, which their own
# report tests read (clinics/tests/test_hosts.py).
PYTHON_ROWS = {"host-family-balances"}
# Reports pinned the same way on their own app's data (old formatter, COPY, both languages, the Excel file).
PINNED_ELSEWHERE = {
    # visitors/tests/test_reports.py
    "visitor-log", "visitor-placements", "visitor-host-nights", "visitor-exit-surveys",
}


def test_every_registered_report_has_a_case():
    assert {key for key, _, _ in CASES} | PYTHON_ROWS | PINNED_ELSEWHERE == {r.key for r in registry.reports()}


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize("key, persona, params", CASES)
def test_the_csv_is_byte_for_byte_what_the_row_formatter_wrote(request, data, key, persona, params, language):
    user = request.getfixturevalue(persona)
    report = registry.report_by_key(key)
    filters = filters_of(report, user, params)

    expected = old_csv(report, user, filters, language)

    assert expected.count(b"\r\n") > 2, expected  # the case has rows, not just the header and the end line
    assert new_csv(report, user, filters, language) == expected


def test_a_clinic_filter_gives_the_same_bytes_too(data, coordinator, pharmacy):
    clinic = str(data["clinic_a"].pk)
    for key, user, params in [("pasante-roster", coordinator, {"clinic": clinic}),
                              ("staff-directory", coordinator, {"clinic": clinic}),
                              ("stock-on-hand", pharmacy, {"location": clinic}),
                              ("restock-requests", pharmacy, {"clinic": clinic}),
                              ("consumption", pharmacy, {"clinic": clinic})]:
        report = registry.report_by_key(key)
        filters = filters_of(report, user, params)
        assert new_csv(report, user, filters, "es") == old_csv(report, user, filters, "es"), key


@pytest.mark.parametrize("key", sorted({key for key, _, _ in CASES}))
def test_every_report_streams_from_copy(data, coordinator, pharmacy, key):
    from ces.reports import rows

    report = registry.report_by_key(key)
    user = pharmacy if report.allowed(pharmacy) else coordinator
    source = report.rows(user, filters_of(report, user, {}))

    assert rows.row_source(report, source) is not None, "a column is still computed in Python"


def _sheet(report, source, path) -> bytes:
    import zipfile

    services._write_xlsx(str(path), report, source, export_id=0, progress_every=1000)
    with zipfile.ZipFile(path) as xlsx:
        return xlsx.read("xl/worksheets/sheet1.xml")


@pytest.mark.parametrize("key", sorted({key for key, _, _ in CASES}))
def test_the_excel_file_from_the_row_source_holds_the_same_cells(data, coordinator, pharmacy, key, tmp_path,
                                                                 monkeypatch):
    from ces.reports import rows

    report = registry.report_by_key(key)
    user = pharmacy if report.allowed(pharmacy) else coordinator
    with translation.override("es"):
        source = report.rows(user, filters_of(report, user, {}))
        fast = _sheet(report, source, tmp_path / "fast.xlsx")
        monkeypatch.setattr(rows, "row_source", lambda report, source: None)  # the model instances, as before
        before = _sheet(report, report.rows(user, filters_of(report, user, {})), tmp_path / "before.xlsx")

    assert fast.count(b"<row ") > 1
    assert fast == before


def test_a_plain_sql_report_of_every_kind_of_cell_gives_the_same_bytes(coordinator):
    from ces.reports.registry import Column, Report, Sql

    report = registry.register(Report(
        key="tests-kinds", title="Kinds", allowed=lambda user: True,
        columns=[Column(k, k) for k in ("flag", "whole", "float", "numeric", "day", "at", "text", "empty")],
        rows=lambda user, filters: Sql(
            "SELECT * FROM (VALUES"
            " (true, 1, 2.0::float8, 12.50::numeric, DATE '2026-03-09', TIMESTAMPTZ '2026-03-09 23:30+00',"
            "  'a, \"b\"' || chr(10) || 'c', ''),"
            " (false, -3, 0.25::float8, 0::numeric, DATE '2026-12-31', TIMESTAMPTZ '2026-01-01 05:59+00',"
            "  'línea' || chr(13) || chr(10) || 'dos', 'x'),"
            " (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)) AS v", []),
    ))
    try:
        for language in ("es", "en"):
            assert new_csv(report, coordinator, {}, language) == old_csv_of_tuples(report, language)
    finally:
        registry.unregister(report.key)


def old_csv_of_tuples(report, language) -> bytes:
    """``old_csv`` for an Sql report: the cells by position."""
    from django.db import connection

    source = report.rows(None, {})
    with connection.cursor() as cursor:
        cursor.execute(source.text, source.params)
        rows = cursor.fetchall()
    with translation.override(language):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([str(c.header) for c in report.columns])
        writer.writerows([old_as_text(cell) for cell in row] for row in rows)
        end = ngettext("End of report: %(count)s row", "End of report: %(count)s rows", len(rows))
        writer.writerow(["# " + end % {"count": len(rows)}])
    return ("\ufeff" + buffer.getvalue()).encode()
