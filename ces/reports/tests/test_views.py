import csv
import io
from datetime import timedelta

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import translation

from ces.reports.services import csv_end_line
from clinics.tests.factories import AssignmentFactory, ClinicFactory
from tests.kit import LAYOUT_QUERIES, log_in

from .conftest import TODAY


def _csv(client, key, **params):
    response = client.get(reverse("reports:report-csv", args=[key]), params)
    assert response.status_code == 200, response.content[:500]
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content)
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    # Every complete CSV ends with the line that says so, counting the rows between it and the header.
    end = table.pop()
    with translation.override(response["Content-Language"]):
        assert end == [csv_end_line(len(table) - 1)], end
    return body, table


# --- Who may run what --------------------------------------------------------------------------------


def test_reports_page_lists_the_reports_the_person_may_run(client, supervisor):
    client.force_login(supervisor)
    body = client.get(reverse("reports:report-list")).content.decode()
    assert 'data-testid="report-pasante-roster"' in body and 'data-testid="report-staff-directory"' in body


@pytest.mark.parametrize("persona", ["outsider", "applicant"])
def test_a_person_with_no_report_gets_403_on_the_reports_page(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("reports:report-list")).status_code == 403


@pytest.mark.parametrize("name", ["report-detail", "report-csv"])
def test_a_role_not_allowed_gets_403_on_the_roster(client, roster, pasante_a, name):
    client.force_login(pasante_a)
    assert client.get(reverse(f"reports:{name}", args=["pasante-roster"])).status_code == 403
    assert client.post(reverse("reports:export-create", args=["pasante-roster"])).status_code == 403


def test_an_unknown_report_is_404(client, coordinator):
    client.force_login(coordinator)
    assert client.get(reverse("reports:report-detail", args=["no-such-report"])).status_code == 404


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("reports:report-csv", args=["pasante-roster"]))
    assert response.status_code == 302 and "/cuentas/login/" in response["Location"]


# --- Scoping ------------------------------------------------------------------------------------------


def test_coordinator_roster_csv_has_every_clinic(client, roster, coordinator, pasante_a, pasante_b):
    client.force_login(coordinator)
    _, table = _csv(client, "pasante-roster")
    clinics = {row[0] for row in table[1:]}
    assert clinics == {"Clínica Capitán", "Clínica Reforma"}
    assert len(table) == 1 + 3


def test_supervisor_roster_csv_has_only_their_clinics(client, roster, supervisor, pasante_a, pasante_b):
    client.force_login(supervisor)
    _, table = _csv(client, "pasante-roster")
    assert {row[0] for row in table[1:]} == {"Clínica Capitán"}
    assert pasante_a.full_name in {row[2] for row in table[1:]}
    assert pasante_b.full_name not in {row[2] for row in table[1:]}


def test_supervisor_cannot_pick_another_clinic_in_the_filter(client, roster, supervisor, clinic_b):
    client.force_login(supervisor)
    response = client.get(reverse("reports:report-csv", args=["pasante-roster"]), {"clinic": clinic_b.pk})
    assert response.status_code == 400
    assert not isinstance(response, StreamingHttpResponse)
    assert "Clínica Reforma" not in response.content.decode().split('data-testid="preview"')[-1]


def test_pasante_b_staff_directory_never_has_clinic_a_people(client, roster, pasante_a, pasante_b, supervisor):
    client.force_login(pasante_b)
    _, table = _csv(client, "staff-directory")
    names = {row[0] for row in table[1:]}
    assert pasante_b.full_name in names and "Enfermera de Reforma" in names
    assert pasante_a.full_name not in names and supervisor.full_name not in names
    assert all("Capitán" not in cell for row in table for cell in row)


def test_supervisor_staff_directory_has_their_clinic_people_only(client, roster, pasante_a, pasante_b, supervisor):
    client.force_login(supervisor)
    _, table = _csv(client, "staff-directory")
    names = {row[0] for row in table[1:]}
    assert pasante_a.full_name in names and pasante_b.full_name not in names


# --- CSV content ----------------------------------------------------------------------------------------


def test_csv_has_a_bom_spanish_headers_and_dates_as_dd_mm_yyyy(client, roster, coordinator):
    client.force_login(coordinator)
    body, table = _csv(client, "pasante-roster")
    assert body.startswith(b"\xef\xbb\xbf")
    assert table[0] == ["Clínica", "Comunidad", "Pasante", "Promoción", "Inicio", "Fin"]
    past = roster["past"]
    row = next(r for r in table if r[2] == "Ana Pérez Ñúñez")
    assert row[3] == "Promoción 2025"
    assert row[4] == past.start_date.strftime("%d/%m/%Y") and row[5] == past.end_date.strftime("%d/%m/%Y")


def test_csv_headers_follow_the_persons_language(client, roster, coordinator):
    log_in(client, coordinator, language="en")
    _, table = _csv(client, "pasante-roster")
    assert table[0] == ["Clinic", "Community", "Pasante", "Cohort", "Start", "End"]


def test_csv_filters_by_period(client, roster, coordinator):
    client.force_login(coordinator)
    _, table = _csv(client, "pasante-roster", date_from=TODAY.strftime("%d/%m/%Y"))
    assert "Ana Pérez Ñúñez" not in {row[2] for row in table[1:]}
    assert len(table) == 1 + 2


def test_csv_ends_with_the_line_that_says_it_is_whole_and_how_many_rows(client, roster, coordinator):
    client.force_login(coordinator)
    body, table = _csv(client, "pasante-roster")
    assert len(table) == 1 + 3
    assert body.decode("utf-8-sig").endswith("\r\n# Fin del reporte: 3 filas\r\n")


def test_the_end_line_follows_the_persons_language_and_counts_an_empty_report(client, roster, coordinator):
    coordinator.preferred_language = "en"
    coordinator.save(update_fields=["preferred_language"])
    client.force_login(coordinator)
    body, table = _csv(client, "pasante-roster", date_to="01/01/1990")
    assert len(table) == 1
    assert body.decode("utf-8-sig").endswith("\r\n# End of report: 0 rows\r\n")


def test_staff_directory_says_yes_and_no_in_spanish(client, roster, coordinator):
    client.force_login(coordinator)
    _, table = _csv(client, "staff-directory")
    assert table[0][-1] == "Activo" and {row[-1] for row in table[1:]} == {"Sí"}


# --- Bad input ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("params, message", [
    ({"date_from": "31/02/2026"}, "dd/mm/yyyy"),
    ({"date_from": "ayer"}, "dd/mm/yyyy"),
    ({"clinic": "999999"}, "Choose one of the options"),
    ({"clinic": "abc"}, "Choose one of the options"),
    ({"date_from": "10/03/2026", "date_to": "01/03/2026"}, "cannot be before"),
])
@pytest.mark.parametrize("name", ["report-csv", "report-detail"])
def test_bad_filters_give_a_clear_message_and_export_nothing(client, roster, coordinator, params, message, name):
    log_in(client, coordinator, language="en")
    response = client.get(reverse(f"reports:{name}", args=["pasante-roster"]), params)
    assert response.status_code == (400 if name == "report-csv" else 200)
    body = response.content.decode()
    assert message in body and "nothing was exported" in body
    assert 'data-testid="preview"' not in body and "Clínica Reforma</td>" not in body


def test_bad_filters_start_no_excel_file(client, roster, coordinator):
    from ces.reports.models import Export

    client.force_login(coordinator)
    url = reverse("reports:export-create", args=["pasante-roster"]) + "?date_from=nope"
    assert client.post(url).status_code == 400
    assert not Export.objects.exists()


# --- The report page ------------------------------------------------------------------------------------


def test_report_page_shows_filters_preview_chart_and_downloads(client, roster, coordinator):
    client.force_login(coordinator)
    body = client.get(reverse("reports:report-detail", args=["pasante-roster"])).content.decode()
    assert 'data-testid="preview"' in body and "Ana Pérez Ñúñez" in body
    assert 'data-testid="chart"' in body and "<svg" in body
    assert reverse("reports:report-csv", args=["pasante-roster"]) in body
    assert reverse("reports:export-create", args=["pasante-roster"]) in body
    assert " style=" not in body and "<script>" not in body


def test_report_page_tells_how_to_know_a_csv_was_cut_off(client, roster, coordinator):
    client.force_login(coordinator)
    body = client.get(reverse("reports:report-detail", args=["pasante-roster"])).content.decode()
    note = body.split('data-testid="csv-end-note">', 1)[1].split("</p>", 1)[0]
    assert "«# Fin del reporte»" in note and "descárgalo de nuevo" in note


def _network(size):
    for _ in range(size):
        clinic = ClinicFactory()
        AssignmentFactory(clinic=clinic, start_date=TODAY - timedelta(days=10), end_date=TODAY + timedelta(days=90))
        AssignmentFactory(clinic=clinic, start_date=TODAY + timedelta(days=120), end_date=None)




@pytest.mark.parametrize("size", [3, 30])
def test_reports_page_query_count_is_fixed(client, coordinator, django_assert_num_queries, size):
    _network(size)
    client.force_login(coordinator)
    with django_assert_num_queries(LAYOUT_QUERIES):
        client.get(reverse("reports:report-list"))


@pytest.mark.parametrize("size", [3, 30])
def test_roster_preview_query_count_is_fixed(client, coordinator, django_assert_num_queries, size):
    _network(size)
    client.force_login(coordinator)
    # clinic choices, count, page, chart, recent exports
    with django_assert_num_queries(LAYOUT_QUERIES + 5):
        client.get(reverse("reports:report-detail", args=["pasante-roster"]))


@pytest.mark.parametrize("size", [3, 30])
def test_staff_preview_query_count_is_fixed(client, coordinator, django_assert_num_queries, size):
    _network(size)
    client.force_login(coordinator)
    # clinic choices, count, page, current assignments, recent exports
    with django_assert_num_queries(LAYOUT_QUERIES + 5):
        client.get(reverse("reports:report-detail", args=["staff-directory"]))


@pytest.mark.parametrize("persona, shown", [("coordinator", True), ("pasante_b", True), ("applicant", False)])
def test_the_menu_links_to_reports_for_roles_that_may_run_one(client, request, persona, shown):
    client.force_login(request.getfixturevalue(persona))
    body = client.get(reverse("accounts:home")).content.decode()
    assert (f'href="{reverse("reports:report-list")}"' in body) is shown


def test_coordinator_home_shows_the_coverage_chart(client, coordinator, roster):
    client.force_login(coordinator)
    body = client.get(reverse("accounts:home")).content.decode()
    panel = body.split('id="panel-reports-pasante-roster"')[1]
    assert 'data-testid="chart"' in panel and "<svg" in panel
    assert reverse("reports:report-detail", args=["pasante-roster"]) in panel
