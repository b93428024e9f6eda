"""The visitor program's reports (visitors/reports.py): their rows, who may run them, and their CSV byte for byte
what the row-by-row formatter writes (tests/test_report_csv_parity.py, which leaves these four to this file),
streamed by COPY, with the end line, and the Excel file from the same rows."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import ngettext

from ces.reports import registry, rows
from clinics.tests.factories import ClinicFactory, HostFamilyFactory, StaffFactory
from tests.kit import client_for
from tests.test_report_csv_parity import _sheet, new_csv, old_as_text
from visitors.models import Application, Category, ExitSurvey, Placement

from .test_insights_pages import visit

pytestmark = pytest.mark.django_db

KEYS = ("visitor-log", "visitor-placements", "visitor-host-nights", "visitor-exit-surveys")


def cells(report_key, user, data=None, language="en"):
    """The report's rows as tuples, as the preview and the row-by-row formatter read them."""
    report = registry.report_by_key(report_key)
    form = report.build_form(data or {}, user)
    assert form.is_valid(), form.errors
    with translation.override(language):
        source = report.rows(user, form.cleaned_data)
        with connection.cursor() as cursor:
            cursor.execute(source.text, source.params)
            return cursor.fetchall()


def old_csv(report_key, user, data, language) -> bytes:
    """The formatter as it was (tests/test_report_csv_parity.py), for a report read by position."""
    table = cells(report_key, user, data, language)
    report = registry.report_by_key(report_key)
    with translation.override(language):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([str(c.header) for c in report.columns])
        writer.writerows([old_as_text(cell) for cell in row] for row in table)
        end = ngettext("End of report: %(count)s row", "End of report: %(count)s rows", len(table))
        writer.writerow(["# " + end % {"count": len(table)}])
    return ("\ufeff" + buffer.getvalue()).encode()


@pytest.fixture
def program():
    """Visits in three years and two clinics, one across a month's end, with surveys and a repeat visitor; a
    placement proposed and one cancelled (in no report); names that need quoting."""
    capitan = ClinicFactory(name="Clínica Laguna", community__name="Laguna del Cofre")
    reforma = ClinicFactory(name='Clínica "Reforma", Los Altos', community__name="Monte Verde")
    ana = StaffFactory(full_name="Dra. Ana López")
    rosa = HostFamilyFactory(community=capitan.community, head_of_household="Rosa Pérez, Ñúñez",
                             rate_per_night=Decimal("150.00"), rate_per_meal=Decimal("50.00"))
    first = visit(year=2019, category=Category.RESIDENT, country="US", institution="Brigham and Women's Hospital",
                  clinic=capitan, pasante=ana, family=rosa, start=date(2019, 1, 20), days=28,
                  survey={"mentorship": 5, "clinical": 4, "community": 5, "host_family": 5, "logistics": 3})
    visit(year=2020, category=Category.RESIDENT, country="US", institution="brigham and women's hospital ",
          clinic=capitan, pasante=ana, family=rosa, start=date(2020, 2, 1), days=14, applicant=first.applicant,
          previous=first, survey={"mentorship": 4, "clinical": 4, "community": 4, "host_family": 3, "logistics": 4})
    visit(year=2020, category=Category.STUDENT, country="CA", institution="McGill University", clinic=reforma,
          start=date(2020, 6, 1), days=180)
    visit(year=2021, category=Category.NURSE, country="", institution="", clinic=reforma, start=date(2021, 3, 1),
          days=14, survey={"clinical": 2})
    proposed = visit(year=2026, state=Application.State.PLACEMENT_PROPOSED, clinic=capitan)
    Placement.objects.filter(application=proposed).update(state=Placement.State.PROPOSED, host_stay=None)
    return {"capitan": capitan, "reforma": reforma, "rosa": rosa, "ana": ana}


def test_the_visitor_log_report_counts_by_year_category_country_and_institution(program, coordinator):
    assert cells("visitor-log", coordinator) == [
        (2019, "Resident physician", "United States of America", "Brigham and Women's Hospital", 1),
        (2020, "Medical student", "Canada", "McGill University", 1),
        (2020, "Resident physician", "United States of America", "brigham and women's hospital", 1),
        (2021, "Nurse or advanced practice provider", "", "", 1),
    ]


def test_the_visitor_log_report_follows_the_pages_filters(program, coordinator):
    assert [row[0] for row in cells("visitor-log", coordinator, {"year_from": "2020", "category": "resident"})] == [
        2020]


def test_placements_by_clinic_and_month_split_a_stay_at_the_months_end(program, coordinator):
    table = cells("visitor-placements", coordinator)

    capitan = [row for row in table if row[0] == "Clínica Laguna"]
    assert capitan == [("Clínica Laguna", "Laguna del Cofre", "01/2019", 1, 12),
                       ("Clínica Laguna", "Laguna del Cofre", "02/2019", 1, 16),
                       ("Clínica Laguna", "Laguna del Cofre", "02/2020", 1, 14)]
    reforma = [row for row in table if row[0].startswith("Clínica \"Reforma")]
    assert sum(row[4] for row in reforma) == 180 + 14 and len(reforma) == 6 + 1  # June to November, March


def test_host_nights_and_amounts_owed_by_family_and_month(program, coordinator):
    table = cells("visitor-host-nights", coordinator, {"community": str(program["rosa"].community_id)})

    per_night = Decimal("150.00") + 3 * Decimal("50.00")
    assert table == [
        ("Laguna del Cofre", "Rosa Pérez, Ñúñez", "01/2019", 1, 12, 12 * per_night),
        ("Laguna del Cofre", "Rosa Pérez, Ñúñez", "02/2019", 1, 16, 16 * per_night),
        ("Laguna del Cofre", "Rosa Pérez, Ñúñez", "02/2020", 1, 14, 14 * per_night),
    ]


def test_exit_survey_scores_by_clinic_pasante_and_family(program, coordinator):
    table = cells("visitor-exit-surveys", coordinator)

    capitan = next(row for row in table if row[0] == "Clinic" and row[1] == "Clínica Laguna")
    assert capitan[3:] == (2, Decimal("4.50"), Decimal("4.00"), Decimal("4.50"), Decimal("4.00"), Decimal("3.50"),
                           Decimal("4.10"))
    ana = next(row for row in table if row[0] == "Pasante" and row[1] == "Dra. Ana López")
    assert ana[3] == 2
    rosa = next(row for row in table if row[0] == "Host family" and row[1] == "Rosa Pérez, Ñúñez")
    assert rosa[1:4] == ("Rosa Pérez, Ñúñez", "Laguna del Cofre", 2)
    assert sum(row[3] for row in table if row[0] == "Clinic") == ExitSurvey.objects.count() == 3


def test_the_survey_period_filter_counts_the_surveys_of_those_days(program, coordinator):
    ExitSurvey.objects.update(submitted_at=timezone.now() - timedelta(days=400))
    ExitSurvey.objects.filter(placement__clinic=program["reforma"]).update(submitted_at=timezone.now())

    table = cells("visitor-exit-surveys", coordinator, {"date_from": timezone.localdate().isoformat()})

    assert [row[1] for row in table if row[0] == "Clinic"] == ['Clínica "Reforma", Los Altos']


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("persona", ["coordinator", "visitor_program", "admin_user"])
def test_the_program_coordinators_and_admins_run_the_reports(request, program, persona, key):
    client = client_for(request.getfixturevalue(persona))

    assert client.get(reverse("reports:report-detail", args=[key])).status_code == 200
    response = client.get(reverse("reports:report-csv", args=[key]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).decode("utf-8-sig").rstrip().splitlines()[-1].startswith(
        "# End of report: ")


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("persona", ["pasante_a", "applicant", "pharmacy", "supervisor"])
def test_no_one_else_may_run_them(request, program, persona, key):
    client = client_for(request.getfixturevalue(persona))

    assert client.get(reverse("reports:report-detail", args=[key])).status_code == 403
    assert client.get(reverse("reports:report-csv", args=[key])).status_code == 403


@pytest.mark.parametrize("key", KEYS)
def test_the_rows_are_empty_for_anyone_else_should_a_report_ever_be_opened_to_them(program, pasante_a, key):
    assert cells(key, pasante_a) == []


CASES = [
    ("visitor-log", {}),
    ("visitor-log", {"category": "resident", "year_from": "2019", "year_to": "2020"}),
    ("visitor-placements", {}),
    ("visitor-placements", {"date_from": "2019-02-01", "date_to": "2020-12-31"}),
    ("visitor-host-nights", {}),
    ("visitor-exit-surveys", {}),
]


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize("key, data", CASES)
def test_the_csv_is_byte_for_byte_what_the_row_formatter_writes(program, coordinator, key, data, language):
    report = registry.report_by_key(key)
    form = report.build_form(data, coordinator)
    assert form.is_valid()

    expected = old_csv(key, coordinator, data, language)

    assert expected.count(b"\r\n") > 2, expected
    assert new_csv(report, coordinator, form.cleaned_data, language) == expected


def test_the_csv_reads_spanish_labels_for_a_spanish_speaker(program, coordinator):
    report = registry.report_by_key("visitor-exit-surveys")
    text = new_csv(report, coordinator, {}, "es").decode("utf-8-sig")

    assert text.splitlines()[0].startswith("Para,Nombre,Comunidad,Encuestas")
    assert "\r\nClínica,Clínica Laguna," in text and "\r\nFamilia anfitriona,\"Rosa Pérez, Ñúñez\"" in text
    assert text.rstrip().endswith("# Fin del reporte: " + str(text.count("\r\n") - 2) + " filas")


@pytest.mark.parametrize("key", KEYS)
def test_every_visitor_report_streams_from_copy_and_its_excel_file_holds_the_same_cells(program, coordinator, key,
                                                                                     tmp_path, monkeypatch):
    report = registry.report_by_key(key)
    with translation.override("es"):
        form = report.build_form({}, coordinator)
        assert form.is_valid()
        source = report.rows(coordinator, form.cleaned_data)
        assert rows.row_source(report, source) is not None
        fast = _sheet(report, source, tmp_path / "fast.xlsx")
        monkeypatch.setattr(rows, "row_source", lambda report, source: None)
        before = _sheet(report, source, tmp_path / "before.xlsx")

    assert fast.count(b"<row ") > 1
    assert fast == before
