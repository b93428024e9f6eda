"""The pharmacy's reports (see ces.reports.registry): restock requests with their fill rates (and a chart of
them by month), stock-outs reported, stock on hand with expiries, and consumption by item and clinic.

Rows start from the pages' selectors, so an export is scoped exactly like the pages: pharmacy,
coordinators and admins see every clinic (and the central warehouse); a pasante, their clinic only;
nobody else may run them. Drafts are the pasante's work in progress and are in no report.
"""

from datetime import date
from functools import cache, lru_cache

from django import forms
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django.utils.choices import CallableChoiceIterator
from django.utils.translation import get_language, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from ces.core.forms import UNKNOWN_CHOICE, DateField
from ces.reports.registry import ChartData, Column, Month, Report, Series, register
from ces.reports.rows import Percent, choice_label, percent
from clinics.models import Clinic

from . import selectors
from .models import RestockLine, RestockRequest, StockBalance

CHART_MAX_MONTHS = 24
# The months a report's period may name: a date outside is a slip (0026 for 2026), and the chart's month
# arithmetic would leave the calendar (year 0, year 10000): a server error.
FIRST_YEAR, LAST_YEAR = 2000, 2100
WAREHOUSE = "warehouse"  # the location filter's value for the central warehouse


# A filter's select offers at most this many clinics at once (with the one chosen); its search finds the others.
# Every clinic as an <option> (950 of them) was most of a preview's time at the larger size, and no help to choose.
CLINIC_CHOICES = 20


def _clinic_search_field():
    return forms.CharField(
        label=_("Find a clinic"), required=False, max_length=100, strip=True,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "placeholder": _("Part of its name")}),
        help_text=_("Then press Show: the list of clinics offers those whose name contains it."))


def _pk_or_none(value) -> int | None:
    value = str(value or "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


def _clinic_options(clinics: QuerySet, *, search: str, chosen) -> list[tuple[int, str]]:
    """``(pk, name)`` of the clinics a filter's select offers: the one ``chosen`` (if among ``clinics``) and the
    first ``CLINIC_CHOICES`` by name, of those whose name contains ``search`` when it is given. One query."""
    chosen = _pk_or_none(chosen)
    rows = clinics
    if search:
        rows = rows.filter(Q(name__icontains=search) | Q(pk=chosen) if chosen else Q(name__icontains=search))
    if chosen:
        rows = rows.alias(is_chosen=ExpressionWrapper(Q(pk=chosen), output_field=BooleanField())).order_by(
            "-is_chosen", "name")
    else:
        rows = rows.order_by("name")
    return sorted(rows.values_list("pk", "name")[:CLINIC_CHOICES], key=lambda row: row[1])


class PeriodFilterForm(forms.Form):
    """A period (months of the requests) and one of the clinics the person may see."""

    date_from = DateField(label=_("From"), required=False, help_text=_("The month of this day is included."))
    date_to = DateField(label=_("To"), required=False)
    clinic_search = _clinic_search_field()
    clinic = forms.ModelChoiceField(label=_("Clinic"), required=False, queryset=Clinic.objects.none(),
                                    empty_label=_("All clinics"), error_messages=UNKNOWN_CHOICE)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        clinics = selectors.stock_clinics_visible_to(user)
        field = self.fields["clinic"]
        field.queryset = clinics.order_by("name")  # what may be chosen; the select offers a few of them
        data = self.data if self.is_bound else {}
        # Lazy: read when the select is drawn, not when a CSV or an export only checks the filters.
        field.choices = cache(lambda: [("", field.empty_label), *_clinic_options(
            clinics, search=str(data.get("clinic_search", ""))[:100], chosen=data.get("clinic"))])

    def clean(self):
        data = super().clean()
        for name in ("date_from", "date_to"):
            if data.get(name) and not FIRST_YEAR <= data[name].year <= LAST_YEAR:
                self.add_error(name, _("Choose a date from the year %(first)d to %(last)d.")
                               % {"first": FIRST_YEAR, "last": LAST_YEAR})
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("The end of the period cannot be before its start."))
        return data


def _sent_requests(user, filters: dict) -> QuerySet:
    """The requests the person may see that reached the pharmacy at least once (no drafts), filtered."""
    rows = selectors.restock_requests_visible_to(user).exclude(state=RestockRequest.State.DRAFT)
    if filters.get("clinic"):
        rows = rows.filter(clinic=filters["clinic"])
    if filters.get("date_from"):
        rows = rows.filter(period__gte=filters["date_from"].replace(day=1))
    if filters.get("date_to"):
        rows = rows.filter(period__lte=filters["date_to"])
    return rows


@lru_cache(maxsize=64)
def _label(choices: type, value: str, language: str) -> str:
    # get_FOO_display() resolves the lazy choices on every call; once per language is enough.
    return str(choices(value).label) if value in choices.values else value




def _item_text(prefix: str) -> Func:
    """``str(item)`` computed by the database: name, strength and form, the empty ones left out."""
    parts = [NullIf(F(f"{prefix}{name}"), Value("")) for name in ("name", "strength", "form")]
    return Func(Value(" "), *parts, function="concat_ws", output_field=CharField())


def _days_to_expiry() -> Func:
    """Days from today (the clinic network's day, not the database server's) to the lot's expiry."""
    return Func(F("lot__expiry"), Value(timezone.localdate()), template="(%(expressions)s)", arg_joiner=" - ",
                output_field=IntegerField())


# --- Restock requests and fill rate -------------------------------------------------------------------


def _lines_total(aggregate):
    """``aggregate`` over the lines of the request of the row, as a correlated subquery."""
    return Subquery(RestockLine.objects.filter(request=OuterRef("pk")).order_by().values("request")
                    .annotate(total=aggregate).values("total"))


def restock_request_rows(user, filters: dict) -> QuerySet:
    """One row per request (a clinic's regular request of a month, or an emergency one), with the totals of
    its lines. One query.

    The totals are correlated subqueries rather than a JOIN and GROUP BY: the preview's page computes
    them for its 25 requests only, and its count reads no line at all (Django drops unused annotations
    there); grouped, both aggregated every line of the period first (375 ms, then 1,062 ms at ten times
    the clinics)."""
    return (
        _sent_requests(user, filters)
        .select_related("clinic")
        .annotate(line_count=Coalesce(_lines_total(Count("*")), 0), requested_total=_lines_total(Sum("requested")),
                  approved_total=_lines_total(Sum("approved")), dispatched_total=_lines_total(Sum("dispatched")),
                  received_total=_lines_total(Sum("received_quantity")))
        .order_by("clinic__name", "period", "kind", "pk")
    )


def _next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def _month_starts(first: date, last: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month <= last and len(months) < CHART_MAX_MONTHS:
        months.append(month)
        month = _next_month(month)
    return months


def fill_rate_chart(user, filters: dict, *, today: date | None = None) -> ChartData:
    """Fill rate by month (per cent of the units): approved of requested, over the lines already decided;
    dispatched of approved and received of dispatched likewise. By default the last twelve months. One
    query, over the requests' totals."""
    today = today or timezone.localdate()
    # A period starting after today with no end: its first month (the chart had no month at all).
    last = filters.get("date_to") or max(today, filters.get("date_from") or today)
    first = filters.get("date_from") or _next_month(date(last.year - 1, last.month, 1))
    months = _month_starts(first, last)
    # The sums of each request's lines (RestockRequestTotals, kept by the database): a row a request, not
    # every line of the period.
    totals = {
        row["period"]: row
        for row in _sent_requests(user, {**filters, "date_from": months[0], "date_to": months[-1]})
        .values("period").order_by("period")
        .annotate(requested=Sum("totals__requested_decided"), approved=Sum("totals__approved"),
                  approved_sent=Sum("totals__approved_dispatched"), dispatched=Sum("totals__dispatched"),
                  dispatched_seen=Sum("totals__dispatched_received"), received=Sum("totals__received"))
    }

    def series(name, part, whole):
        values = []
        for month in months:
            row = totals.get(month, {})
            rate = percent(row.get(part), row.get(whole))
            values.append(float(rate) if rate is not None else None)  # no decided line: a gap, not 0 %
        return Series(str(name), values)

    return ChartData(
        title=str(_("Fill rate by month")), labels=months, kind="lines", y_label="%",
        series=[series(_("Approved / requested"), "approved", "requested"),
                series(_("Dispatched / approved"), "dispatched", "approved_sent"),
                series(_("Received / dispatched"), "received", "dispatched_seen")],
    )


register(Report(
    key="restock-requests",
    title=_("Restock requests and fill rate"),
    description=_("Each request sent by a clinic, month by month: units requested, approved, dispatched and "
                  "received, and the fill rates between them."),
    columns=[
        Column("clinic", _("Clinic"), lambda r: r.clinic.name, sql=F("clinic__name")),
        Column("period", _("Month"), lambda r: Month.of(r.period), sql=F("period"), month=True),
        Column("kind", _("Kind"), lambda r: _label(RestockRequest.Kind, r.kind, get_language()),
               sql=lambda: choice_label("kind", RestockRequest.Kind)),
        Column("state", _("State"), lambda r: _label(RestockRequest.State, r.state, get_language()),
               sql=lambda: choice_label("state", RestockRequest.State)),
        Column("items", _("Items"), lambda r: r.line_count, sql=F("line_count")),
        Column("requested", _("Requested"), lambda r: r.requested_total, sql=F("requested_total")),
        Column("approved", pgettext_lazy("quantity", "Approved"), lambda r: r.approved_total, sql=F("approved_total")),
        Column("dispatched", pgettext_lazy("quantity", "Dispatched"), lambda r: r.dispatched_total,
               sql=F("dispatched_total")),
        Column("received", pgettext_lazy("quantity", "Received"), lambda r: r.received_total, sql=F("received_total")),
        Column("approved_rate", _("Approved / requested (%)"), lambda r: percent(r.approved_total, r.requested_total),
               sql=Percent(F("approved_total"), F("requested_total"))),
        Column("dispatched_rate", _("Dispatched / approved (%)"),
               lambda r: percent(r.dispatched_total, r.approved_total),
               sql=Percent(F("dispatched_total"), F("approved_total"))),
        Column("received_rate", _("Received / dispatched (%)"),
               lambda r: percent(r.received_total, r.dispatched_total),
               sql=Percent(F("received_total"), F("dispatched_total"))),
        Column("submitted", _("Submitted"), lambda r: r.submitted_at, sql=F("submitted_at")),
    ],
    form=PeriodFilterForm,
    rows=restock_request_rows,
    allowed=selectors.can_use_pharmacy,
    chart=fill_rate_chart,
    order=30,
))


# --- Stock-outs reported ------------------------------------------------------------------------------


def _lines_of(requests: QuerySet) -> QuerySet:
    return (
        RestockLine.objects.filter(request__in=requests.values("pk"))
        .select_related("request__clinic", "item")
    )


def _lines_counted(requests: QuerySet, total: str) -> int:
    """The sum of a ``RestockRequestTotals`` count over ``requests``: how many of their lines a report
    gives, read from a row a request rather than from every line. One query."""
    return requests.aggregate(n=Coalesce(Sum(f"totals__{total}"), 0))["n"]


def stockout_rows(user, filters: dict) -> QuerySet:
    """Lines that reported days out of stock, or nothing on hand after consuming (``STOCKOUT_SQL``, which
    ``RestockRequestTotals.stockout_lines`` counts). One query."""
    return (
        _lines_of(_sent_requests(user, filters))
        .filter(Q(stockout_days__gt=0) | Q(stock_on_hand=0, consumed__gt=0))
        .order_by("request__clinic__name", "request__period", "item__name", "item__code", "pk")
    )


register(Report(
    key="stockouts",
    title=_("Stock-outs reported"),
    description=_("The items each clinic reported out of stock in its requests: the days without it, or "
                  "nothing left on hand after consuming it."),
    columns=[
        Column("clinic", _("Clinic"), lambda line: line.request.clinic.name, sql=F("request__clinic__name")),
        Column("period", _("Month"), lambda line: Month.of(line.request.period), sql=F("request__period"),
               month=True),
        Column("code", _("Code"), lambda line: line.item.code, sql=F("item__code")),
        Column("item", _("Item"), lambda line: str(line.item), sql=_item_text("item__")),
        Column("stockout_days", _("Stock-out days"), lambda line: line.stockout_days, sql=F("stockout_days")),
        Column("stock_on_hand", _("Stock on hand"), lambda line: line.stock_on_hand, sql=F("stock_on_hand")),
        Column("consumed", _("Consumed"), lambda line: line.consumed, sql=F("consumed")),
        Column("kind", _("Request"), lambda line: _label(RestockRequest.Kind, line.request.kind, get_language()),
               sql=lambda: choice_label("request__kind", RestockRequest.Kind)),
    ],
    form=PeriodFilterForm,
    rows=stockout_rows,
    count=lambda user, filters: _lines_counted(_sent_requests(user, filters), "stockout_lines"),
    allowed=selectors.can_use_pharmacy,
    order=31,
))


# --- Stock on hand and expiries -----------------------------------------------------------------------


class StockFilterForm(forms.Form):
    location_search = _clinic_search_field()
    location = forms.CharField(label=_("Location"), required=False, widget=forms.Select)
    expires_before = DateField(label=_("Expiring on or before"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        data = self.data if self.is_bound else {}
        fixed = [("", _("All locations"))]
        if selectors.is_pharmacy_wide(user):
            fixed.append((WAREHOUSE, pgettext("stock location", "Central warehouse")))
        # Lazy: read when the select is drawn, not when a CSV or an export only checks the filters.
        self.fields["location"].widget.choices = CallableChoiceIterator(cache(lambda: [*fixed, *_clinic_options(
            selectors.stock_clinics_visible_to(user), search=str(data.get("location_search", ""))[:100],
            chosen=data.get("location"))]))

    def clean_location(self):
        """"", the warehouse (for those who see it) or the id of a clinic the person may see. One query for a clinic."""
        value = self.cleaned_data["location"]
        if not value or (value == WAREHOUSE and selectors.is_pharmacy_wide(self.user)):
            return value
        pk = _pk_or_none(value)
        if pk is None or not selectors.stock_clinics_visible_to(self.user).filter(pk=pk).exists():
            raise forms.ValidationError(UNKNOWN_CHOICE["invalid_choice"], code="invalid_choice")
        return str(pk)


@lru_cache(maxsize=16)
def _warehouse_name(language: str) -> str:
    return pgettext("stock location", "Central warehouse")


def stock_rows(user, filters: dict) -> QuerySet:
    """Every lot held, by location (warehouse first), item and expiry. One query."""
    rows = StockBalance.objects.filter(quantity__gt=0)
    if not selectors.is_pharmacy_wide(user):
        rows = rows.filter(clinic__in=selectors.stock_clinics_visible_to(user))
    location = filters.get("location")
    if location == WAREHOUSE:
        rows = rows.filter(clinic__isnull=True)
    elif location:
        rows = rows.filter(clinic_id=int(location))
    if filters.get("expires_before"):
        rows = rows.filter(lot__expiry__lte=filters["expires_before"])
    return (
        rows.select_related("clinic", "lot__item")
        .order_by(F("clinic__name").asc(nulls_first=True), "lot__item__name", "lot__item__code", "lot__expiry",
                  "lot__lot_number")
    )


register(Report(
    key="stock-on-hand",
    title=_("Stock on hand and expiries"),
    description=_("Every lot in stock at the central warehouse and at the clinics, with its expiry and the "
                  "days left before it."),
    columns=[
        Column("location", _("Location"),
               lambda b: b.clinic.name if b.clinic_id else _warehouse_name(get_language()),
               sql=lambda: Coalesce(F("clinic__name"), Value(_warehouse_name(get_language())))),
        Column("code", _("Code"), lambda b: b.lot.item.code, sql=F("lot__item__code")),
        Column("item", _("Item"), lambda b: str(b.lot.item), sql=_item_text("lot__item__")),
        Column("unit", _("Unit"), lambda b: b.lot.item.unit, sql=F("lot__item__unit")),
        Column("lot", _("Lot"), lambda b: b.lot.lot_number, sql=F("lot__lot_number")),
        Column("expiry", _("Expiry"), lambda b: b.lot.expiry, sql=F("lot__expiry")),
        Column("days_left", _("Days to expiry"), lambda b: (b.lot.expiry - timezone.localdate()).days,
               sql=_days_to_expiry),
        Column("quantity", _("Quantity"), lambda b: b.quantity, sql=F("quantity")),
    ],
    form=StockFilterForm,
    rows=stock_rows,
    allowed=selectors.can_use_pharmacy,
    order=32,
))


# --- Consumption by item and clinic ------------------------------------------------------------------


def _regular_requests(user, filters: dict) -> QuerySet:
    return _sent_requests(user, filters).filter(kind=RestockRequest.Kind.REGULAR)


def consumption_rows(user, filters: dict) -> QuerySet:
    """What each clinic reported consuming of each item, month by month: the lines of its regular requests
    (an emergency request reports no month of its own). One query."""
    return _lines_of(_regular_requests(user, filters)).order_by("request__clinic__name", "item__name", "item__code",
                                                                "request__period")


register(Report(
    key="consumption",
    title=_("Consumption by item and clinic"),
    description=_("The consumption each clinic reported for each item in its monthly requests, with the "
                  "stock-out days and the average monthly consumption computed then."),
    columns=[
        Column("clinic", _("Clinic"), lambda line: line.request.clinic.name, sql=F("request__clinic__name")),
        Column("code", _("Code"), lambda line: line.item.code, sql=F("item__code")),
        Column("item", _("Item"), lambda line: str(line.item), sql=_item_text("item__")),
        Column("unit", _("Unit"), lambda line: line.item.unit, sql=F("item__unit")),
        Column("period", _("Month"), lambda line: Month.of(line.request.period), sql=F("request__period"),
               month=True),
        Column("consumed", _("Consumed"), lambda line: line.consumed, sql=F("consumed")),
        Column("losses_adjustments", _("Losses and adjustments"), lambda line: line.losses_adjustments,
               sql=F("losses_adjustments")),
        Column("stockout_days", _("Stock-out days"), lambda line: line.stockout_days, sql=F("stockout_days")),
        Column("stock_on_hand", _("Stock on hand"), lambda line: line.stock_on_hand, sql=F("stock_on_hand")),
        Column("amc", _("Average monthly consumption"), lambda line: line.amc, sql=F("amc")),
    ],
    form=PeriodFilterForm,
    rows=consumption_rows,
    count=lambda user, filters: _lines_counted(_regular_requests(user, filters), "lines"),
    allowed=selectors.can_use_pharmacy,
    order=33,
))
