"""Reading a report's rows: counted, one page of them (the preview), or all of them as a stream.

Streams use a server-side cursor: ``QuerySet.iterator(chunk_size=...)`` or, for an ``Sql`` report,
Django's ``chunked_cursor()`` (a named PostgreSQL cursor). Either way the process holds one chunk at a
time, whatever the size of the result. The stream runs inside a transaction: outside one, psycopg
declares the cursor ``WITH HOLD`` and PostgreSQL computes the whole result before the first row comes
back (see docs/decisions/0007-reports-streaming-and-xlsx.md).
"""

from collections.abc import Iterator
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import get_language, gettext

from .registry import Month, Report, Sql


def chunk_size() -> int:
    return getattr(settings, "REPORTS_CHUNK_SIZE", 2000)


def _getter(report: Report, source, index: int, column):
    if column.value is not None:
        return column.value
    if isinstance(source, Sql):
        return lambda row: row[index]
    return lambda row: getattr(row, column.key)


def getters(report: Report, source) -> list:
    return [_getter(report, source, i, c) for i, c in enumerate(report.columns)]


def headers(report: Report) -> list[str]:
    return [str(c.header) for c in report.columns]


def count(source) -> int:
    if isinstance(source, QuerySet):
        return source.count()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({source.text}) AS report_rows", source.params)
        return cursor.fetchone()[0]


def page(source, offset: int, limit: int) -> list:
    if isinstance(source, QuerySet):
        return list(source[offset:offset + limit])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({source.text}) AS report_rows LIMIT %s OFFSET %s",
                       [*source.params, limit, offset])
        return cursor.fetchall()


def stream(source) -> Iterator[list]:
    """Every row, in chunks (lists of rows) of ``REPORTS_CHUNK_SIZE``, from a server-side cursor."""
    size = chunk_size()
    with transaction.atomic():
        if isinstance(source, QuerySet):
            chunk = []
            for row in source.iterator(chunk_size=size):
                chunk.append(row)
                if len(chunk) >= size:
                    yield chunk
                    chunk = []
            if chunk:
                yield chunk
            return
        with connection.chunked_cursor() as cursor:
            cursor.execute(source.text, source.params)
            while chunk := cursor.fetchmany(size):
                yield chunk


@lru_cache(maxsize=16)
def _yes_no(language: str) -> tuple[str, str]:
    return gettext("No"), gettext("Yes")


def as_text(value) -> str:
    """A cell as a person reads it: dates dd/mm/yyyy, months mm/yyyy, yes/no in their language, nothing for
    None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _yes_no(get_language())[value]
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


MAX_PERCENT_PLACES = 6


def percent(part, whole) -> Decimal | None:
    """``part / whole`` as a percentage with one decimal, halves up; empty while ``part`` is not known.

    Rounding never hides that a part is not all (or not nothing): 9,620 of 9,622 reads 99.98, not 100.0,
    and 1 of 20,000 reads 0.01, not 0.0. Each further decimal is added only when the rounding would lie.
    """
    if part is None or not whole:
        return None
    exact = Decimal(part) * 100 / Decimal(whole)
    for places in range(1, MAX_PERCENT_PLACES + 1):
        rounded = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if (rounded == 100) == (exact == 100) and (rounded == 0) == (exact == 0):
            return rounded
    return rounded


class SqlRows:
    """An ``Sql`` source that Django's Paginator can page: ``count()`` and slices run one query each."""

    def __init__(self, source: Sql):
        self.source = source

    def count(self) -> int:
        return count(self.source)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item: slice) -> list:
        return page(self.source, item.start or 0, item.stop - (item.start or 0))


def pageable(source):
    return source if isinstance(source, QuerySet) else SqlRows(source)
