"""The reports that domain apps declare, and their discovery.

A domain app declares its reports in a ``reports.py`` module, imported at start-up by ``autodiscover()``,
which calls ``register(Report(...))``. ``ces.reports`` imports no domain app: the reports come to it.

A report answers:

- ``key`` (the slug in its URL), ``title`` (translated) and ``columns`` (key, translated header, value);
- ``form``: a Django form class of its filters, built as ``form(data, user=user)``;
- ``rows(user, filters)``: the rows, already limited to what the user may see (scoping comes from the
  app's selectors, exactly as on its pages): a QuerySet, or ``Sql(text, params)`` for a plain query;
- ``allowed(user)``: may this person run it at all (403 otherwise);
- optionally ``chart(user, filters)``: a ``ChartData`` drawn as an inline SVG, and ``home_roles``: the
  roles whose home page shows that chart as a panel;
- optionally ``count(user, filters)``: how many rows ``rows`` gives, from something smaller than the rows
  (sums the app keeps), for the preview's pages: counting every row grows with the history.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django import forms
from django.utils.module_loading import autodiscover_modules

# ChartData and Series are the charts' own types; a report declares its chart with them from here.
from .charts import ChartData, Series, chart_for

__all__ = ["ChartData", "Column", "Month", "Report", "Series", "Sql", "register", "report_by_key", "reports_for"]

DISCOVERY_MODULE = "reports"


@dataclass(frozen=True)
class Sql:
    """A plain SELECT and its parameters; columns are read by position, in the order of ``Report.columns``."""

    text: str
    params: Sequence = ()


class Month(date):
    """A date that stands for its whole month (a request's period): previews, CSV and XLSX read it mm/yyyy,
    as every page does, never as the first day of the month."""

    @classmethod
    def of(cls, day: date | None) -> "Month | None":
        return None if day is None else cls(day.year, day.month, 1)


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # lazily translated
    # Reads the cell from a row (a model instance or a tuple). Default: the attribute ``key``; for an
    # Sql report, the value at the column's position.
    value: Callable | None = None
    # The same cell computed by the database: a Django expression over the report's QuerySet, or a function
    # of nothing that returns one (called with the requester's language active, for labels and the day).
    # When every column has one, the CSV is PostgreSQL's COPY of those cells and the XLSX reads them as
    # tuples: no model instance, no Python per cell.
    sql: Callable | None = None
    month: bool = False  # a date that stands for its month: read mm/yyyy (see ``Month``)


class EmptyFilters(forms.Form):
    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)


@dataclass(frozen=True)
class Report:
    key: str
    title: str
    columns: Sequence[Column]
    rows: Callable  # (user, filters: dict) -> QuerySet | Sql
    allowed: Callable  # (user) -> bool
    form: type[forms.Form] = EmptyFilters
    description: str = ""
    chart: Callable | None = None  # (user, filters: dict) -> ChartData
    count: Callable | None = None  # (user, filters: dict) -> int, the rows' number without reading them
    home_roles: frozenset[str] = field(default_factory=frozenset)
    order: int = 100

    def build_form(self, data, user):
        return self.form(data if data is not None else None, user=user)


_reports: dict[str, Report] = {}


def register(report: Report) -> Report:
    if not report.key:
        raise ValueError("a report needs a key")
    _reports[report.key] = report
    if report.home_roles and report.chart is not None:
        _register_home_panel(report)
    return report


def unregister(key: str) -> None:
    _reports.pop(key, None)


def report_by_key(key: str) -> Report | None:
    return _reports.get(key)


def reports() -> list[Report]:
    return sorted(_reports.values(), key=lambda r: (r.order, r.key))


def reports_for(user) -> list[Report]:
    """The reports this person may run."""
    if not user.is_authenticated:
        return []
    return [r for r in reports() if r.allowed(user)]


def autodiscover():
    autodiscover_modules(DISCOVERY_MODULE)


def _register_home_panel(report: Report) -> None:
    """The report's chart, with its default filters, as a panel on the home page of ``home_roles``."""
    from ces.accounts.panels import register as register_panel

    def context(request):
        return {"chart": chart_for(report, request.user, report.build_form({}, request.user)), "report": report}

    register_panel(key=f"reports-{report.key}", title=report.title, template="reports/panel_chart.html",
                   roles=report.home_roles, order=report.order + 50)(context)
