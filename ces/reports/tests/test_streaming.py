"""The CSV of a large table streams: the first chunks arrive while the cursor still has rows to give,
and reading them takes little memory, whatever the size of the whole result."""

import tracemalloc

import psycopg
import pytest
from django import forms
from django.db import DataError, connection
from django.http import StreamingHttpResponse
from django.urls import reverse

from ces.accounts.roles import Role
from ces.reports import registry, services
from ces.reports.registry import Column, EmptyFilters, Report, Sql
from tests.kit import LAYOUT_QUERIES

ROWS = 50_000


@pytest.fixture
def big_report():
    report = registry.register(Report(
        key="tests-big",
        title="Big",
        columns=[Column("n", "Number"), Column("day", "Day"), Column("text", "Text")],
        rows=lambda user, filters: Sql(
            # ~20 MB in all: more than the socket's buffers hold, so the COPY cannot be done before we read.
            "SELECT n, DATE '2026-01-01' + mod(n, 365), repeat('x', 400) || n FROM generate_series(1, %s) AS n",
            [ROWS],
        ),
        allowed=lambda user: user.has_role(Role.COORDINATOR),
    ))
    yield report
    registry.unregister(report.key)


@pytest.fixture
def failing_report():
    """Rows 1, 2, ... until ``upto`` (5000): the second column divides by zero at row 3000, the second chunk."""

    def rows(user, filters):
        return Sql("SELECT n, 1 / (3000 - n) FROM generate_series(1, %s) AS n", [filters["upto"]])

    class UptoForm(EmptyFilters):
        upto = forms.IntegerField(required=False, min_value=1)

        def clean_upto(self):
            return self.cleaned_data["upto"] or 5000

    report = registry.register(Report(
        key="tests-failing", title="Failing", columns=[Column("n", "Number"), Column("ratio", "Ratio")],
        rows=rows, form=UptoForm,
        allowed=lambda user: user.has_role(Role.COORDINATOR),
    ))
    yield report
    registry.unregister(report.key)


def test_a_large_csv_streams_in_constant_memory(client, coordinator, big_report, settings):
    settings.REPORTS_CHUNK_SIZE = 2000
    full = _memory_to_hold_every_row(big_report)  # first: the stream then holds the connection
    client.force_login(coordinator)
    response = client.get(reverse("reports:report-csv", args=["tests-big"]))
    assert isinstance(response, StreamingHttpResponse)
    chunks = iter(response.streaming_content)
    try:
        _check_the_first_chunks_then_the_rest(chunks, full)
    finally:
        for _ in chunks:  # a COPY left halfway would hold the connection, and the test's teardown would wait
            pass


def _check_the_first_chunks_then_the_rest(chunks, full):
    tracemalloc.start()
    try:
        header = next(chunks)
        first_rows = next(chunks)
        second_rows = next(chunks)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert header.startswith(b"\xef\xbb\xbf") and b"Number,Day,Text" in header
    assert first_rows.count(b"\n") == second_rows.count(b"\n") == 2000
    assert first_rows.startswith(b"1,02/01/2026,") and b"\n2000," in first_rows
    # Reading the first chunks took a small fraction of what holding every row would take.
    assert peak < full / 4, (peak, full)
    # The COPY is still running, with rows left to give: the query has not been read to the end.
    running = _copies_running()
    rest = b"".join(chunks)
    assert running == 1
    total = first_rows.count(b"\n") + second_rows.count(b"\n") + rest.count(b"\n")
    assert total == ROWS + 1  # and the end line
    assert rest.endswith(b"x" * 400 + b"50000\r\n# Fin del reporte: 50000 filas\r\n")


def test_a_stream_that_fails_midway_raises_and_never_writes_the_end_line(client, coordinator, failing_report,
                                                                        settings):
    settings.REPORTS_CHUNK_SIZE = 2000
    client.force_login(coordinator)
    response = client.get(reverse("reports:report-csv", args=["tests-failing"]))
    assert response.status_code == 200  # the headers went out before the query ran
    received = []
    # The error reaches the server (which then drops the connection rather than end the response).
    with pytest.raises(DataError, match="division by zero"):
        for piece in response.streaming_content:
            received.append(piece)
    body = b"".join(received).decode("utf-8-sig")
    assert body.count("\n") == 1 + 2000  # the header and the first chunk, then the failure at row 3000
    assert "Fin del reporte" not in body and "#" not in body


def test_the_same_report_without_the_failure_ends_with_its_line(client, coordinator, failing_report, settings):
    settings.REPORTS_CHUNK_SIZE = 2000
    client.force_login(coordinator)
    response = client.get(reverse("reports:report-csv", args=["tests-failing"]), {"upto": "2999"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert body.endswith("\r\n2998,0\r\n2999,1\r\n# Fin del reporte: 2999 filas\r\n")


def _copies_running() -> int:
    """The exports' COPY statements under way in this database, seen from another connection (the test's
    own one is busy streaming)."""
    db = connection.settings_dict
    with psycopg.connect(dbname=db["NAME"], host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432,
                         user=db["USER"], password=db["PASSWORD"] or None, autocommit=True) as other:
        return other.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active'"
            " AND query LIKE 'COPY (SELECT %' AND pid <> pg_backend_pid()").fetchone()[0]


def _memory_to_hold_every_row(report) -> int:
    sql = report.rows(None, {})
    tracemalloc.start()
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.text, sql.params)
            rows = cursor.fetchall()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(rows) == ROWS
    return peak


def test_the_preview_of_a_sql_report_reads_one_page(client, coordinator, big_report, django_assert_num_queries):
    client.force_login(coordinator)
    with django_assert_num_queries(LAYOUT_QUERIES + 3):  # layout; count, page, recent exports
        response = client.get(reverse("reports:report-detail", args=["tests-big"]), {"page": 2})
    body = response.content.decode()
    assert "<td>26</td>" in body and "<td>50</td>" in body and "<td>51</td>" not in body


def test_a_download_abandoned_halfway_leaves_the_connection_usable(coordinator, big_report, settings):
    settings.REPORTS_CHUNK_SIZE = 2000
    stream = services.csv_stream(report=big_report, user=coordinator, filters={}, language="es")
    next(stream), next(stream)

    stream.close()  # the browser went away: the server closes the response, and so the generator

    assert _copies_running() == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def _peak_of_whole_stream(report, user, rows) -> int:
    stream = services.csv_stream(report=report, user=user, filters={"upto": rows}, language="es")
    tracemalloc.start()
    try:
        lines = sum(piece.count(b"\n") for piece in stream)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert lines == 1 + rows + 1  # header, rows, end line
    return peak


def test_streaming_memory_is_flat_from_10k_to_50k_rows(coordinator, settings):
    settings.REPORTS_CHUNK_SIZE = 2000
    report = registry.register(Report(
        key="tests-sized", title="Sized", columns=[Column("n", "Number"), Column("day", "Day"), Column("text", "Text")],
        rows=lambda user, filters: Sql("SELECT n, DATE '2026-01-01' + mod(n, 365), repeat('x', 40) || n"
                                       " FROM generate_series(1, %s) AS n", [filters["upto"]]),
        allowed=lambda user: True,
    ))
    try:
        small, large = (_peak_of_whole_stream(report, coordinator, n) for n in (10_000, 50_000))
    finally:
        registry.unregister(report.key)

    # Five times the rows, the same memory: one chunk (2000 rows of ~60 bytes) at a time, give or take.
    assert large < small + 256 * 1024, (small, large)
