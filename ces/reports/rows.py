"""Reading a report's rows: counted, one page of them (the preview), or all of them as a stream.

A report whose cells the database can compute (an ``Sql`` report read by position, or a QuerySet report
whose every column has ``sql``) has a *row source*: one SELECT of the typed cells, which the XLSX task
streams as tuples and which the CSV wraps in ``COPY (SELECT <the cells as text>) TO STDOUT`` (``copy_sql``,
``copy_stream``): PostgreSQL formats dates, months and yes/no, writes the CSV, and Python only passes the
bytes on. Any other report is read as model instances and formatted here, one chunk at a time.

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
from django.db.models import Case, CharField, DecimalField, F, Func, QuerySet, Value, When
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


def choice_label(field: str, choices) -> Case:
    """A TextChoices field as its label in the active language, translated once (per request), not per row;
    an unknown value as it is stored, as ``_label`` functions do."""
    return Case(*[When(**{field: value}, then=Value(str(label))) for value, label in choices.choices],
                default=F(field), output_field=CharField())


class Percent(Func):
    """``percent(part, whole)`` computed by PostgreSQL: the same digits, the same empty cells.

    One decimal, halves up (``round`` on a numeric rounds halves away from zero: the same for these
    non-negative figures), and a further one only while rounding would read 100 for less than all or 0 for
    more than nothing, up to ``MAX_PERCENT_PLACES``. ``round(x, n)`` keeps n decimals, as ``quantize`` does.
    """

    output_field = DecimalField()

    def __init__(self, part, whole):
        super().__init__(part, whole)

    def as_sql(self, compiler, connection, **extra):
        (part, part_params), (whole, whole_params) = (compiler.compile(e) for e in self.get_source_expressions())
        exact = f"(({part})::numeric * 100 / ({whole}))"
        exact_params = [*part_params, *whole_params]
        whens, params = [], [*part_params, *whole_params, *whole_params]
        for places in range(1, MAX_PERCENT_PLACES):
            rounded = f"round({exact}, {places})"
            whens.append(f"WHEN ({rounded} = 100) = ({exact} = 100) AND ({rounded} = 0) = ({exact} = 0) "
                         f"THEN {rounded}")
            params += exact_params * 5
        params += exact_params
        sql = (f"CASE WHEN ({part}) IS NULL OR ({whole}) IS NULL OR ({whole}) = 0 THEN NULL "
               f"{' '.join(whens)} ELSE round({exact}, {MAX_PERCENT_PLACES}) END")
        return sql, params


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


class CountedRows:
    """A source whose number of rows is known (``Report.count``): the paginator asks ``count()`` for it and
    slices the source for its page."""

    def __init__(self, source, count: int):
        self.source, self._count = source, count

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, item: slice) -> list:
        return list(self.source[item])


def pageable(source, count: int | None = None):
    rows = source if isinstance(source, QuerySet) else SqlRows(source)
    return rows if count is None else CountedRows(rows, count)


# --- The row source and COPY ------------------------------------------------------------------------------

BOOL, FLOAT4, FLOAT8, DATE, TIMESTAMP, TIMESTAMPTZ = 16, 700, 701, 1082, 1114, 1184  # PostgreSQL type oids


def row_source(report: Report, source) -> Sql | None:
    """The report's cells, typed, as one plain SELECT (columns by position), or None when a column is
    computed in Python (a ``value`` on an Sql report, no ``sql`` on a QuerySet one)."""
    if isinstance(source, Sql):
        return source if all(c.value is None for c in report.columns) else None
    if any(c.sql is None for c in report.columns):
        return None
    names = [f"report_cell_{i}" for i in range(len(report.columns))]
    expressions = [c.sql() if callable(c.sql) else c.sql for c in report.columns]
    cells = source.prefetch_related(None).annotate(**dict(zip(names, expressions, strict=True)))
    text, params = cells.values_list(*names).query.sql_with_params()
    return Sql(text, params)


def source_getters(report: Report) -> list:
    """Cell readers for the tuples of a ``row_source``."""
    return [(lambda row, i=i: Month.of(row[i])) if c.month else (lambda row, i=i: row[i])
            for i, c in enumerate(report.columns)]


def _cell_as_text(name: str, type_code: int, column, params: list) -> str:
    # As ``as_text``: None stays NULL (an empty field), and so does an empty text: COPY quotes an empty
    # string ("") to tell it from NULL, where Python's csv writes nothing.
    if type_code == BOOL:
        params.extend(_yes_no(get_language())[::-1])
        return f"CASE WHEN {name} THEN %s WHEN NOT {name} THEN %s END"
    if type_code in (TIMESTAMP, TIMESTAMPTZ):
        local = name
        if type_code == TIMESTAMPTZ:
            params.append(timezone.get_current_timezone_name())
            local = f"({name} AT TIME ZONE %s)"
        return f"to_char({local}, 'DD/MM/YYYY HH24:MI')"
    if type_code in (FLOAT4, FLOAT8):  # Python writes a whole float as "2.0", PostgreSQL as "2"
        return f"CASE WHEN {name} = trunc({name}) AND abs({name}) < 1e16 THEN trunc({name})::text || '.0' " \
               f"ELSE {name}::text END"
    if type_code == DATE:
        return f"to_char({name}, '{'MM/YYYY' if column.month else 'DD/MM/YYYY'}')"
    return f"NULLIF({name}::text, '')"


def copy_sql(report: Report, source: Sql) -> str:
    """``COPY (SELECT the row source's cells as a person reads them) TO STDOUT`` as CSV, parameters bound.

    The types come from the row source's own description (a ``LIMIT 0`` of it: planned, not run)."""
    names = [f"c{i}" for i in range(len(report.columns))]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({source.text}) AS report_rows LIMIT 0", source.params)
        types = [d.type_code for d in cursor.description]
        params: list = []
        cells = [_cell_as_text(f"report_rows.{n}", t, c, params)
                 for n, t, c in zip(names, types, report.columns, strict=True)]
        select = (f"SELECT {', '.join(cells)} FROM ({source.text}) AS report_rows({', '.join(names)})")
        query = connection.ops.compose_sql(select, [*params, *source.params])  # in the order they appear
    return f"COPY ({query}) TO STDOUT WITH (FORMAT csv)"


def _crlf(data: bytes) -> bytes:
    """COPY ends rows with LF; Python's csv (and so every CSV this app has written) with CRLF. A line break
    inside a quoted value stays as it is: quotes split the text into outside (even) and inside (odd) parts,
    a doubled quote included."""
    if b'"' not in data:
        return data.replace(b"\n", b"\r\n")
    parts = data.split(b'"')
    parts[::2] = [part.replace(b"\n", b"\r\n") for part in parts[::2]]
    return b'"'.join(parts)


def copy_stream(report: Report, source: Sql) -> Iterator[tuple[bytes, int]]:
    """The CSV rows of ``copy_sql``: pieces of ``REPORTS_CHUNK_SIZE`` rows as they come from PostgreSQL,
    each with its number of rows (COPY sends one message a row). Nothing is read ahead: the query is still
    running while the first piece goes out, and one piece at a time is in memory."""
    size = chunk_size()
    statement = copy_sql(report, source)
    # In a transaction (a savepoint inside one): a download abandoned midway cancels the COPY, which
    # aborts the transaction it ran in; rolling back the savepoint leaves the connection as it was.
    with transaction.atomic(), connection.wrap_database_errors, connection.cursor() as cursor:
        with cursor.cursor.copy(statement) as copy:
            pending = []
            for row in copy:
                pending.append(row)
                if len(pending) >= size:
                    yield _crlf(b"".join(pending)), len(pending)
                    pending = []
            if pending:
                yield _crlf(b"".join(pending)), len(pending)
