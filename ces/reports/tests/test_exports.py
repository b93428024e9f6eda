import io
import os
import time
import zipfile
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.urls import reverse
from django.utils import timezone

from ces.celery import app
from ces.reports import services
from ces.reports.models import Export
from ces.reports.tasks import build_export, purge_expired_exports


def _sheet(export: Export) -> str:
    with zipfile.ZipFile(export.file.path) as book:
        return book.read("xl/worksheets/sheet1.xml").decode()


def _request_export(client, django_capture_on_commit_callbacks, **params):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:export-create", args=["pasante-roster"]) + "?" +
                               "&".join(f"{k}={v}" for k, v in params.items()))
    assert response.status_code == 302
    return Export.objects.latest("pk"), response


def test_excel_export_end_to_end(client, roster, supervisor, eager, django_capture_on_commit_callbacks):
    client.force_login(supervisor)
    export, response = _request_export(client, django_capture_on_commit_callbacks)
    assert response["Location"] == reverse("reports:export-status", args=[export.pk])
    assert export.state == Export.State.DONE and export.user == supervisor
    assert export.rows_done == export.rows_total == 2
    sheet = _sheet(export)
    assert "Clínica Capitán" in sheet and "Clínica Reforma" not in sheet and "Inicio" in sheet

    page = client.get(response["Location"]).content.decode()
    assert reverse("reports:export-download", args=[export.pk]) in page and "<progress" not in page
    download = client.get(reverse("reports:export-download", args=[export.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content)[:2] == b"PK"


def test_excel_export_is_only_downloadable_by_who_asked(client, roster, supervisor, coordinator, eager,
                                                        django_capture_on_commit_callbacks):
    client.force_login(supervisor)
    export, _ = _request_export(client, django_capture_on_commit_callbacks)
    client.force_login(coordinator)
    assert client.get(reverse("reports:export-download", args=[export.pk])).status_code == 404
    assert client.get(reverse("reports:export-status", args=[export.pk])).status_code == 404


def test_the_status_polls_with_a_progress_bar_until_the_file_is_ready(client, roster, coordinator,
                                                                     django_capture_on_commit_callbacks):
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("reports:export-create", args=["pasante-roster"]))
    assert len(callbacks) == 1  # enqueued only once the transaction commits
    export = Export.objects.get()
    Export.objects.filter(pk=export.pk).update(rows_total=200, rows_done=50)
    fragment = client.get(reverse("reports:export-status", args=[export.pk]), headers={"HX-Request": "true"})
    body = fragment.content.decode()
    assert '<progress class="export-progress" max="100" value="25"' in body and 'hx-trigger="every 2s"' in body
    assert "<html" not in body and " style=" not in body
    assert client.get(reverse("reports:export-download", args=[export.pk])).status_code == 404

    assert services.export_build(export_id=export.pk) == Export.State.DONE
    body = client.get(reverse("reports:export-status", args=[export.pk]), headers={"HX-Request": "true"})
    body = body.content.decode()
    assert "hx-trigger" not in body and reverse("reports:export-download", args=[export.pk]) in body


def test_progress_is_written_while_the_file_is_built(roster, coordinator, monkeypatch):
    seen = []
    original = services._progress

    def spy(export_id, **fields):
        seen.append(fields)
        original(export_id, **fields)

    monkeypatch.setattr(services, "_progress", spy)
    export = Export.objects.create(user=coordinator, report_key="pasante-roster", params={})
    services.export_build(export_id=export.pk, progress_every=1)
    assert {"rows_total": 3} in seen and {"rows_done": 1} in seen and {"rows_done": 3} in seen


def test_building_twice_builds_once(roster, coordinator):
    export = Export.objects.create(user=coordinator, report_key="pasante-roster", params={})
    assert services.export_build(export_id=export.pk) == Export.State.DONE
    assert services.export_build(export_id=export.pk) == "skipped"


def test_an_export_whose_filters_went_bad_fails_with_a_message(roster, coordinator):
    export = Export.objects.create(user=coordinator, report_key="pasante-roster", params={"clinic": "999999"},
                                   language="en")
    assert services.export_build(export_id=export.pk) == Export.State.FAILED
    export.refresh_from_db()
    assert "Choose one of the options" in export.error and not export.file


def test_an_export_is_built_as_its_owner_sees_today(roster, supervisor):
    """Scoping is applied when the file is built: a supervisor who lost the role gets nothing."""
    export = Export.objects.create(user=supervisor, report_key="pasante-roster", params={})
    supervisor.groups.clear()
    assert services.export_build(export_id=export.pk) == Export.State.FAILED


def test_expired_files_are_not_downloadable_and_are_purged(client, roster, coordinator, eager,
                                                           django_capture_on_commit_callbacks):
    client.force_login(coordinator)
    export, _ = _request_export(client, django_capture_on_commit_callbacks)
    path = export.file.path
    assert export.expires_at - export.finished_at == timedelta(hours=24)
    Export.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(reverse("reports:export-download", args=[export.pk])).status_code == 404
    status = client.get(reverse("reports:export-status", args=[export.pk])).content.decode()
    assert reverse("reports:export-download", args=[export.pk]) not in status

    assert purge_expired_exports() == 1
    export.refresh_from_db()
    assert export.state == Export.State.EXPIRED and not export.file
    assert not os.path.exists(path)


def test_the_time_to_live_is_a_setting(roster, coordinator, settings):
    settings.REPORTS_EXPORT_TTL_HOURS = 2
    export = Export.objects.create(user=coordinator, report_key="pasante-roster", params={})
    services.export_build(export_id=export.pk)
    export.refresh_from_db()
    assert export.expires_at - export.finished_at == timedelta(hours=2)


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_builds_the_excel_file(roster, coordinator):
    export = Export.objects.create(user=coordinator, report_key="pasante-roster", params={})
    queue = f"test-reports-{time.monotonic_ns()}"
    with start_worker(app, perform_ping_check=False, pool="solo", queues=[queue], shutdown_timeout=10):
        build_export.apply_async(args=[export.pk], queue=queue)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not Export.objects.filter(pk=export.pk, state="done").exists():
            time.sleep(0.2)
    export.refresh_from_db()
    assert export.state == Export.State.DONE and export.rows_done == 3
    assert "Clínica Reforma" in _sheet(export)


def test_beat_purges_expired_exports_every_hour():
    entry = app.conf.beat_schedule["purge-expired-exports"]
    assert entry["task"] == purge_expired_exports.name == "ces.reports.tasks.purge_expired_exports"
    assert entry["schedule"] == 3600.0


def test_every_report_title_makes_a_sheet_name_excel_accepts():
    # A colon, a slash or a question mark in a title made XlsxWriter refuse the sheet: the export failed.
    import xlsxwriter

    from ces.reports import registry
    from ces.reports.services import sheet_name

    workbook = xlsxwriter.Workbook(io.BytesIO(), {"in_memory": True})
    names = {sheet_name("Familias anfitrionas: adeudos y pagos por mes [2026] ¿a/b?*")}
    from django.utils import translation

    for language in ("es", "en"):
        with translation.override(language):
            names |= {sheet_name(report.title) for report in registry.reports()}
    for name in names:
        workbook.add_worksheet(name)  # raises InvalidWorksheetName otherwise
    assert all(len(name) <= 31 for name in names)
