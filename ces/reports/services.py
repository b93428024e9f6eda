"""Every write and every export of ces.reports: the CSV stream, XLSX exports and their expiry."""

import csv
import io
import logging
import os
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from . import registry, rows
from .models import Export

logger = logging.getLogger(__name__)
BOM = "\ufeff"


def export_ttl() -> timedelta:
    return timedelta(hours=getattr(settings, "REPORTS_EXPORT_TTL_HOURS", 24))


# --- CSV ------------------------------------------------------------------------------------------------


def csv_stream(*, report: registry.Report, user, filters: dict, language: str) -> Iterator[bytes]:
    """The report as CSV bytes: the BOM and the header row at once, one piece per chunk of rows, and last
    the line that says the file is whole (``csv_end_line``).

    Excel opens UTF-8 correctly only with the BOM. Nothing is read before the first piece is sent, and
    only one chunk of rows is in memory at a time. A failure once rows have gone out is raised, never
    swallowed: the server then drops the connection instead of ending the response, so the browser
    reports a failed download, and the file it kept lacks its last line.
    """
    with translation.override(language):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(rows.headers(report))
        yield (BOM + buffer.getvalue()).encode()
        written = 0
        try:
            for piece, count in _csv_pieces(report, report.rows(user, filters), buffer, writer):
                written += count
                yield piece
        except Exception:
            logger.exception("CSV of report %s cut off after %s rows", report.key, written)
            raise
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_end_line(written)])
        yield buffer.getvalue().encode()


def _csv_pieces(report: registry.Report, source, buffer: io.StringIO, writer) -> Iterator[tuple[bytes, int]]:
    """The rows as CSV bytes, a chunk at a time, each with its number of rows: COPY's own output where the
    report has a row source, else each chunk of rows formatted here."""
    cells = rows.row_source(report, source)
    if cells is not None:
        yield from rows.copy_stream(report, cells)
        return
    getters = rows.getters(report, source)
    for chunk in rows.stream(source):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([rows.as_text(get(row)) for get in getters] for row in chunk)
        yield buffer.getvalue().encode(), len(chunk)


def csv_end_line(count: int) -> str:
    """The CSV's last line, in the active language: a file without it was cut off.

    One cell, in the first column under the last row, where a person scrolling a spreadsheet sees it; it
    starts with ``#`` so that tools skip it as a comment (pandas ``comment="#"``), and gives the number of
    rows above it (the header aside) to compare with what the spreadsheet shows.
    """
    return "# " + ngettext("End of report: %(count)s row", "End of report: %(count)s rows", count) % {"count": count}


def csv_filename(report: registry.Report, today: date | None = None) -> str:
    today = today or timezone.localdate()
    return f"{report.key}-{today:%Y-%m-%d}.csv"


# --- XLSX -----------------------------------------------------------------------------------------------


def export_request(*, user, report: registry.Report, params: dict, language: str) -> Export:
    """Record a pending XLSX export. The caller enqueues ``tasks.build_export`` once the row is committed
    (``tasks`` imports this module, so this one does not import it back).

    ``params`` are the raw filter values (strings); the task validates them again, as ``user``, so the
    file holds what the person may see when it is built.
    """
    export = Export(user=user, report_key=report.key, params=params, language=language)
    export.full_clean(exclude=["file"])
    export.save()
    return export


def _progress(export_id: int, **fields) -> None:
    Export.objects.filter(pk=export_id).update(**fields)


def _xlsx_value(value):
    """Dates stay dates (shown dd/mm/yyyy, a ``Month`` mm/yyyy); text and numbers as they are; the rest as text."""
    if value is None or isinstance(value, (int, float, str)) and not isinstance(value, bool):
        return value
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, date):
        return value
    if isinstance(value, Decimal):
        return float(value)
    return rows.as_text(value)


def export_build(*, export_id: int, progress_every: int | None = None) -> str:
    """Build one pending export. Safe to run twice: only the run that moves it to ``running`` builds it.

    Returns the export's final state, or ``"skipped"`` when another run has it.
    """
    progress_every = progress_every or rows.chunk_size()
    if not Export.objects.filter(pk=export_id, state=Export.State.PENDING).update(state=Export.State.RUNNING):
        return "skipped"
    export = Export.objects.select_related("user").get(pk=export_id)
    report = registry.report_by_key(export.report_key)
    with translation.override(export.language):
        if report is None or not report.allowed(export.user):
            return _fail(export, gettext("This report is not available to you."))
        form = report.build_form(export.params, export.user)
        if not form.is_valid():
            return _fail(export, "; ".join(str(e) for errors in form.errors.values() for e in errors))
        source = report.rows(export.user, form.cleaned_data)
        total = report.count(export.user, form.cleaned_data) if report.count else rows.count(source)
        _progress(export.pk, rows_total=total)
        name = default_storage.generate_filename(f"exports/{report.key}-{uuid.uuid4().hex}.xlsx")
        path = default_storage.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        try:
            done = _write_xlsx(path, report, source, export.pk, progress_every)
        except Exception as exc:  # the file is useless; say so on the page, never leave it running
            logger.exception("export %s failed", export.pk)
            if os.path.exists(path):
                os.remove(path)
            return _fail(export, f"{type(exc).__name__}: {exc}")
    now = timezone.now()
    _progress(export.pk, state=Export.State.DONE, rows_done=done, rows_total=max(total, done), file=name,
              finished_at=now, expires_at=now + export_ttl())
    return Export.State.DONE


# Excel refuses these in a sheet's name, and names longer than 31 characters.
_SHEET_NAME_REFUSED = str.maketrans({c: "-" for c in "[]:*?/\\"})


def sheet_name(title) -> str:
    """The report's title as Excel accepts a sheet's name ("Familias: adeudos" is "Familias- adeudos")."""
    return str(title).translate(_SHEET_NAME_REFUSED).strip("' ")[:31] or "Reporte"


def _write_xlsx(path: str, report: registry.Report, source, export_id: int, progress_every: int) -> int:
    import xlsxwriter

    # constant_memory: each row is flushed to disk when the next one starts; memory stays flat.
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "remove_timezone": True})
    try:
        sheet = workbook.add_worksheet(sheet_name(report.title))
        bold = workbook.add_format({"bold": True})
        date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
        month_format = workbook.add_format({"num_format": "mm/yyyy"})
        datetime_format = workbook.add_format({"num_format": "dd/mm/yyyy hh:mm"})
        sheet.write_row(0, 0, rows.headers(report), bold)
        sheet.set_column(0, len(report.columns) - 1, 20)
        # The same row source as the CSV where the report has one: typed tuples, no model instances.
        cells = rows.row_source(report, source)
        if cells is not None:
            source, getters = cells, rows.source_getters(report)
        else:
            getters = rows.getters(report, source)
        done = 0
        for chunk in rows.stream(source):
            for row in chunk:
                done += 1
                for col, get in enumerate(getters):
                    value = _xlsx_value(get(row))
                    if isinstance(value, datetime):
                        sheet.write_datetime(done, col, value, datetime_format)
                    elif isinstance(value, date):
                        sheet.write_datetime(done, col, value,
                                             month_format if isinstance(value, registry.Month) else date_format)
                    else:
                        sheet.write(done, col, value)
                if done % progress_every == 0:
                    _progress(export_id, rows_done=done)
    finally:
        workbook.close()
    return done


def _fail(export: Export, error: str) -> str:
    _progress(export.pk, state=Export.State.FAILED, error=error[:2000], finished_at=timezone.now())
    return Export.State.FAILED


def exports_purge(*, now: datetime | None = None) -> int:
    """Delete the files of exports past their expiry; the rows stay, marked expired. Returns how many."""
    now = now or timezone.now()
    purged = 0
    for export in Export.objects.filter(state=Export.State.DONE, expires_at__lte=now).only("pk", "file"):
        if export.file:
            export.file.storage.delete(export.file.name)
        purged += Export.objects.filter(pk=export.pk, state=Export.State.DONE).update(
            state=Export.State.EXPIRED, file="")
    return purged
