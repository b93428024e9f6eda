"""Reads and per-user scoping for the pharmacy."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    F,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from ces.accounts.roles import Role
from clinics.models import Clinic
from clinics.selectors import clinics_posted_to, clinics_visible_to, pasante_posts_on

from . import calculations
from .models import (
    Item,
    Lot,
    PharmacySettings,
    RestockLine,
    RestockRequest,
    StockBalance,
    StockCount,
    StockCountLine,
    StockMovement,
)

# Roles that work on every clinic's requests and stock, and on the central warehouse.
PHARMACY_WIDE_ROLES = (Role.PHARMACY, Role.COORDINATOR, Role.ADMIN)
# The catalogue is reference data: the warehouse keeps it, and the data manager.
CATALOGUE_EDITOR_ROLES = (Role.PHARMACY, Role.ADMIN)
# The monthly deadline is the coordination's to set.
PHARMACY_SETTINGS_ROLES = (Role.COORDINATOR, Role.ADMIN)


# --- Who may do what: one predicate per permission, used by the pages, the API's permission classes,
# the reminders, the reports and the panels alike -------------------------------------------------------

def is_pharmacy_wide(user) -> bool:
    """Every clinic's requests and stock, the central warehouse, approving, rejecting, dispatching and
    closing requests: pharmacy, coordinators and admins."""
    if not user.is_authenticated:
        return False
    return user.has_role(*PHARMACY_WIDE_ROLES)


def is_pharmacy_staff(user) -> bool:
    """The pharmacy's own people (not the coordinators and admins who also work its requests): whom the
    warehouse's reminders go to (``pharmacy_user_ids`` lists them)."""
    if not user.is_authenticated:
        return False
    return user.has_role(Role.PHARMACY)


def can_raise_restock_requests(user) -> bool:
    """Drafting, correcting, submitting and confirming receipt: the pasante's side of a request."""
    if not user.is_authenticated:
        return False
    return user.has_role(Role.PASANTE)


def can_use_pharmacy(user) -> bool:
    """The pharmacy's pages, the catalogue and the reports: the pharmacy-wide roles, and pasantes (who
    see their own clinic's, and whose offline form needs the catalogue)."""
    if is_pharmacy_wide(user):
        return True
    return can_raise_restock_requests(user)


def can_edit_catalogue(user) -> bool:
    """Creating, changing and importing items: pharmacy and admins."""
    if not user.is_authenticated:
        return False
    return user.has_role(*CATALOGUE_EDITOR_ROLES)


def can_change_pharmacy_settings(user) -> bool:
    """Setting the monthly deadline day: coordinators and admins."""
    if not user.is_authenticated:
        return False
    return user.has_role(*PHARMACY_SETTINGS_ROLES)


def can_see_pharmacy_settings(user) -> bool:
    """Reading the settings: whoever may change them, and the pharmacy."""
    if can_change_pharmacy_settings(user):
        return True
    return is_pharmacy_staff(user)


# --- Requests: scoping ---------------------------------------------------------------------------------

def restock_requests_visible_to(user) -> QuerySet:
    """Pharmacy, coordinators and admins: every request; a pasante: their clinic's; others: none."""
    if is_pharmacy_wide(user):
        return RestockRequest.objects.all()
    if can_raise_restock_requests(user):
        return RestockRequest.objects.filter(clinic__in=clinics_visible_to(user))
    return RestockRequest.objects.none()


def restock_request_for(user, pk) -> RestockRequest:
    """The request, if the user may see it; ``RestockRequest.DoesNotExist`` otherwise."""
    return restock_requests_visible_to(user).select_related("clinic").get(pk=pk)


def restock_status_for_clinics(period: date) -> dict[int, str]:
    """``{clinic_id: state}`` of each clinic's regular request for the month of ``period``.

    For the course-day view: a clinic with no request that month is absent from the result.
    One query.
    """
    return dict(
        RestockRequest.objects.filter(period=period.replace(day=1), kind=RestockRequest.Kind.REGULAR)
        .values_list("clinic_id", "state")
    )


# --- Stock -----------------------------------------------------------------------------------------

EXPIRY_ALERT_DAYS = 60
EVERYWHERE = object()  # lots_expiring(): every location, warehouse and clinics


def _location(clinic) -> Q:
    return Q(clinic__isnull=True) if clinic is None else Q(clinic=clinic)


def stock_by_lot(*, clinic=None, item=None) -> QuerySet:
    """Balances above zero at ``clinic`` (None: the warehouse), with item and lot, first expiry first."""
    rows = StockBalance.objects.filter(_location(clinic), quantity__gt=0).select_related("lot__item")
    if item is not None:
        rows = rows.filter(lot__item=item)
    return rows.order_by("lot__item__name", "lot__item__code", "lot__expiry", "lot__lot_number")


def stock_by_item(*, clinic=None) -> QuerySet:
    """Active items with their total at ``clinic`` (None: the warehouse) as ``on_hand`` (0 when none),
    and the first expiry held as ``first_expiry``. One query."""
    location = Q(lots__balances__clinic__isnull=True) if clinic is None else Q(lots__balances__clinic=clinic)
    held = location & Q(lots__balances__quantity__gt=0)
    return (
        Item.objects.filter(active=True)
        .annotate(on_hand=Coalesce(Sum("lots__balances__quantity", filter=held), 0),
                  first_expiry=Min("lots__expiry", filter=held))
        .order_by("name", "code")
    )


def lots_expiring(*, today: date, within_days: int = EXPIRY_ALERT_DAYS, clinic=EVERYWHERE) -> QuerySet:
    """Balances above zero whose lot expires within ``within_days`` of ``today`` (already expired included),
    at every location unless ``clinic`` is given (None: the warehouse only)."""
    rows = StockBalance.objects.filter(quantity__gt=0, lot__expiry__lte=today + timedelta(days=within_days))
    if clinic is not EVERYWHERE:
        rows = rows.filter(_location(clinic))
    return rows.select_related("lot__item", "clinic").order_by("lot__expiry", "lot__item__name", "clinic__name")


def warehouse_below_minimum(*, today: date | None = None) -> QuerySet:
    """Items whose usable warehouse stock is below their reorder level (items with a level of 0 never are).

    Expired lots do not count: 500 expired units on the shelf must not hide a shortage. ``on_hand`` is
    the unexpired stock; ``first_expiry`` the first expiry among it. One query.
    """
    today = today or timezone.localdate()
    usable = Q(lots__balances__clinic__isnull=True, lots__balances__quantity__gt=0, lots__expiry__gte=today)
    return (
        Item.objects.filter(active=True, warehouse_minimum__gt=0)
        .annotate(on_hand=Coalesce(Sum("lots__balances__quantity", filter=usable), 0),
                  first_expiry=Min("lots__expiry", filter=usable))
        .filter(on_hand__lt=F("warehouse_minimum"))
        .order_by("name", "code")
    )


def _latest_lines_condition(clinic) -> RawSQL:
    """The WHERE condition of ``latest_clinic_lines``: reads only what the answer holds, however long the history.

    Each clinic's last sent regular request (one probe a clinic of ``restockrequest_last_sent``) gives its
    lines through their request's index; an active item that request left out (rare: the form sends every
    item) is looked for in the clinic's earlier requests, newest first, until one has it. DISTINCT ON over
    every regular line, which this replaces, read and sorted the whole history (4.1 s at 950 clinics and
    504k lines).
    """
    requests, lines, items = RestockRequest._meta.db_table, RestockLine._meta.db_table, Item._meta.db_table
    sent_regular = (f"r.kind = '{RestockRequest.Kind.REGULAR.value}' "
                    f"AND NOT (r.state = '{RestockRequest.State.DRAFT.value}')")
    where, params = ("", []) if clinic is None else ("WHERE c.id = %s", [getattr(clinic, "pk", clinic)])
    latest = f"""
        SELECT r.id, r.clinic_id, r.period
          FROM {Clinic._meta.db_table} c
         CROSS JOIN LATERAL (SELECT r.id, r.clinic_id, r.period FROM {requests} r
                              WHERE r.clinic_id = c.id AND {sent_regular}
                              ORDER BY r.period DESC LIMIT 1) AS r
         {where}
    """
    # Only a last request with fewer lines of active items than there are active items (a count through the
    # (request, item) index, no line read) can have left one out; its missing items alone are looked for.
    left_out = f"""
        WITH latest AS ({latest}),
             short AS (SELECT latest.* FROM latest
                        WHERE (SELECT count(*) FROM {lines} x JOIN {items} xi ON xi.id = x.item_id AND xi.active
                                WHERE x.request_id = latest.id)
                              < (SELECT count(*) FROM {items} WHERE active))
        SELECT earlier.id
          FROM short CROSS JOIN {items} i
         CROSS JOIN LATERAL (SELECT l.id FROM {requests} r JOIN {lines} l ON l.request_id = r.id AND l.item_id = i.id
                              WHERE r.clinic_id = short.clinic_id AND {sent_regular} AND r.period < short.period
                              ORDER BY r.period DESC LIMIT 1) AS earlier
         WHERE i.active AND NOT EXISTS (SELECT FROM {lines} p WHERE p.request_id = short.id AND p.item_id = i.id)
    """
    condition = (f"({lines}.request_id = ANY(ARRAY(SELECT id FROM ({latest}) AS latest)) "
                 f"OR {lines}.id = ANY(ARRAY({left_out})))")
    return RawSQL(condition, [*params, *params], output_field=BooleanField())


def latest_clinic_lines(*, clinic=None) -> QuerySet:
    """Per clinic (or only at ``clinic``, a clinic or its id) and active item, the line of the latest
    submitted (or later) regular request that has one: the pasante's last count, with the AMC computed
    then. One query. Filter, page and count it, but do not nest it in another query: its condition names
    the line table, which Django renames inside a subquery."""
    return (
        RestockLine.objects.filter(_latest_lines_condition(clinic), item__active=True)
        .select_related("request__clinic", "item")
        .order_by("request__clinic_id", "item_id")
    )


def clinic_items_below_minimum(*, clinic=None) -> QuerySet:
    """The ``latest_clinic_lines`` where the clinic's last counted stock is below its minimum (one month of
    AMC; ``calculations.minimum_stock`` in SQL), by clinic and item name: a clinic that reported a
    stock-out (stock 0) with consumption is always below. One query, paged and counted by the database."""
    return (
        latest_clinic_lines(clinic=clinic)
        .filter(stock_on_hand__lt=F("amc") * calculations.MIN_MONTHS_OF_STOCK)
        .order_by("request__clinic__name", "item__name", "request__clinic_id", "item_id")
    )


class ClinicItemsBelowMinimumPages:
    """``clinic_items_below_minimum()`` for a paginator (``count()`` and slices, one query each), reading only
    what a page and its count need however many clinics there are.

    A page walks the clinics by name and, for each active item by name, probes the clinic's latest sent
    regular request that has a line for it (the request's index, then the line's (request, item) one): it
    stops once the page is full, where the query set had every clinic's latest lines found, joined and sorted
    first (260 ms at 300 clinics). The count reads each clinic's latest request's lines through an index
    that holds the figures it compares (no table row read), and looks in earlier requests only for the
    items a latest request left out (``_latest_lines_condition`` explains when)."""

    def __init__(self):
        self._count = None

    @staticmethod
    def _sql():
        requests, lines, items = RestockRequest._meta.db_table, RestockLine._meta.db_table, Item._meta.db_table
        sent_regular = (f"r.kind = '{RestockRequest.Kind.REGULAR.value}' "
                        f"AND NOT (r.state = '{RestockRequest.State.DRAFT.value}')")
        below = f"l.stock_on_hand < l.amc * {int(calculations.MIN_MONTHS_OF_STOCK)}"
        return requests, lines, items, sent_regular, below

    def counts(self) -> dict[str, int]:
        """``{"lines", "clinics"}``: how many lines are below minimum, and at how many clinics. One query."""
        if self._count is None:
            requests, lines, items, sent_regular, below = self._sql()
            query = f"""
                WITH latest AS (
                    SELECT r.id, r.clinic_id, r.period FROM {Clinic._meta.db_table} c
                     CROSS JOIN LATERAL (SELECT r.id, r.clinic_id, r.period FROM {requests} r
                                          WHERE r.clinic_id = c.id AND {sent_regular}
                                          ORDER BY r.period DESC LIMIT 1) AS r),
                     short AS (SELECT latest.* FROM latest
                                WHERE (SELECT count(*) FROM {lines} x JOIN {items} xi ON xi.id = x.item_id AND xi.active
                                        WHERE x.request_id = latest.id)
                                      < (SELECT count(*) FROM {items} WHERE active)),
                     found AS (
                        SELECT latest.clinic_id FROM latest JOIN {lines} l ON l.request_id = latest.id
                          JOIN {items} i ON i.id = l.item_id AND i.active WHERE {below}
                        UNION ALL
                        SELECT short.clinic_id FROM short CROSS JOIN {items} i
                         CROSS JOIN LATERAL (SELECT l.stock_on_hand, l.amc FROM {requests} r
                                               JOIN {lines} l ON l.request_id = r.id AND l.item_id = i.id
                                              WHERE r.clinic_id = short.clinic_id AND {sent_regular}
                                                AND r.period < short.period
                                              ORDER BY r.period DESC LIMIT 1) AS l
                         WHERE i.active AND {below}
                           AND NOT EXISTS (SELECT FROM {lines} p WHERE p.request_id = short.id AND p.item_id = i.id))
                SELECT count(*), count(DISTINCT clinic_id) FROM found
            """
            with connection.cursor() as cursor:
                cursor.execute(query)
                found, clinics = cursor.fetchone()
            self._count = {"lines": found, "clinics": clinics}
        return self._count

    def count(self) -> int:
        return self.counts()["lines"]

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, page: slice) -> list[RestockLine]:
        requests, lines, items, sent_regular, below = self._sql()
        start = page.start or 0
        ids = f"""
            SELECT l.id FROM {Clinic._meta.db_table} c CROSS JOIN {items} i
             CROSS JOIN LATERAL (SELECT l.id, l.stock_on_hand, l.amc FROM {requests} r
                                   JOIN {lines} l ON l.request_id = r.id AND l.item_id = i.id
                                  WHERE r.clinic_id = c.id AND {sent_regular}
                                  ORDER BY r.period DESC LIMIT 1) AS l
             WHERE i.active AND {below}
             ORDER BY c.name, i.name, c.id, i.id LIMIT %s OFFSET %s
        """
        condition = RawSQL(f"{lines}.id = ANY(ARRAY({ids}))", [page.stop - start, start],
                           output_field=BooleanField())
        return list(
            RestockLine.objects.filter(condition).select_related("request__clinic", "item")
            .order_by("request__clinic__name", "item__name", "request__clinic_id", "item_id")
        )


def clinic_items_below_minimum_counts() -> dict[str, int]:
    """``{"lines", "clinics"}``: how many items are below minimum, and at how many clinics. One query, through
    ``ClinicItemsBelowMinimumPages`` (every clinic's latest lines through an index, no table row)."""
    return ClinicItemsBelowMinimumPages().counts()


# A correlated subquery rather than a JOIN and GROUP BY: PostgreSQL computes it only for the page of
# rows a LIMIT keeps, and the paginator's COUNT leaves it out (Django drops unused annotations there),
# so a list costs the same with 150k lines as with 15k.
_LINE_COUNT = Coalesce(
    Subquery(RestockLine.objects.filter(request=OuterRef("pk")).order_by().values("request")
             .annotate(n=Count("*")).values("n")),
    0,
)


# --- Requests --------------------------------------------------------------------------------------

def restock_queue(user) -> QuerySet:
    """Submitted requests the user may see, oldest submission first (the pharmacy's queue)."""
    return (
        restock_requests_visible_to(user).filter(state=RestockRequest.State.SUBMITTED)
        .select_related("clinic", "submitted_by").annotate(line_count=_LINE_COUNT)
        .order_by("submitted_at", "pk")
    )


def restock_history(clinic, *, before: date | None = None, limit: int = 6) -> list[RestockRequest]:
    """The clinic's last ``limit`` requests (before the period ``before`` if given), newest first,
    with their lines: the history a reviewer reads next to a request. Two queries."""
    rows = RestockRequest.objects.filter(clinic=clinic)
    if before is not None:
        rows = rows.filter(period__lt=before)
    # The lines with their items in one query: prefetching "lines__item" would take a third.
    lines = Prefetch("lines", queryset=RestockLine.objects.select_related("item"))
    return list(rows.order_by("-period", "-created_at").prefetch_related(lines)[:limit])


def restock_form_prefill(clinic, period: date) -> dict[int, dict]:
    """What the form can fill in for each item, ``{item_id: {"beginning_balance", "received"}}``:
    the beginning balance is the stock counted in the last regular request before ``period``; received
    is what the clinic confirmed from the dispatches received since that request was submitted
    (the received quantity, or the dispatched one while not yet confirmed). Two queries."""
    previous = (
        RestockRequest.objects.filter(clinic=clinic, kind=RestockRequest.Kind.REGULAR, period__lt=period.replace(day=1))
        .exclude(state=RestockRequest.State.DRAFT).order_by("-period").first()
    )
    prefill: dict[int, dict] = {}
    if previous is None:
        return prefill
    since = previous.submitted_at or previous.created_at
    # The requests first, then their lines through the line's request index: an OR across the lines and
    # their requests read every line of every clinic (31 ms at 30 clinics, 297 ms at 300).
    requests = RestockRequest.objects.filter(
        Q(pk=previous.pk)
        | Q(clinic=clinic, dispatched_at__gte=since,
            state__in=[RestockRequest.State.DISPATCHED, RestockRequest.State.RECEIVED, RestockRequest.State.CLOSED])
    )
    lines = RestockLine.objects.filter(request__in=requests.values("pk")).values_list(
        "request_id", "item_id", "stock_on_hand", "dispatched", "received_quantity")
    for request_id, item_id, on_hand, dispatched, received in lines:
        entry = prefill.setdefault(item_id, {"beginning_balance": 0, "received": 0})
        if request_id == previous.pk:
            entry["beginning_balance"] = on_hand
        if received is not None:
            entry["received"] += received
        elif dispatched is not None:
            entry["received"] += dispatched
    return prefill


# --- Stock pages: who sees which location, counts, an item's ledger ---------------------------------

def stock_clinics_visible_to(user) -> QuerySet:
    """Clinics whose stock the user may see and count: every clinic for pharmacy, coordinators and admins;
    a pasante's own clinic; none for anyone else."""

    if is_pharmacy_wide(user):
        return Clinic.objects.all()
    if can_raise_restock_requests(user):
        return clinics_visible_to(user)
    return Clinic.objects.none()


def _clinic_scope(clinics) -> Q:
    """Rows at any location when ``clinics`` is None, else only at those clinics (never the warehouse)."""
    return Q() if clinics is None else Q(clinic__in=clinics)


def stock_item_balances(item, *, clinics=None) -> QuerySet:
    """The item's lots held anywhere (or only at ``clinics``): warehouse first, then clinics by name,
    first expiry first within a location. One query."""
    return (
        StockBalance.objects.filter(_clinic_scope(clinics), lot__item=item, quantity__gt=0)
        .select_related("lot", "clinic")
        .order_by(F("clinic__name").asc(nulls_first=True), "lot__expiry", "lot__lot_number")
    )


def stock_item_movements(item, *, clinics=None) -> QuerySet:
    """The ledger of the item (or of its stock at ``clinics``), newest first."""

    return (
        StockMovement.objects.filter(_clinic_scope(clinics), lot__item=item)
        .select_related("lot", "clinic", "by")
        .order_by("-at", "-pk")
    )


def item_list(*, search: str = "", category: str = "", active: bool | None = None) -> QuerySet:
    """The catalogue by name: items whose code or name contains ``search``, of ``category`` whatever its
    capitals, in use (``active`` True), retired (False) or both (None). One query (plus the paginator's)."""
    items = Item.objects.all()
    if search:
        items = items.filter(Q(code__icontains=search) | Q(name__icontains=search))
    if category:
        items = items.filter(category__iexact=category)
    if active is not None:
        items = items.filter(active=active)
    return items.order_by("name", "code")


def lot_list(*, item=None, expiring_by: date | None = None) -> QuerySet:
    """Lots with their item, first expiry first: of ``item`` (an item or its id), expiring on or before
    ``expiring_by`` (those already expired included). One query (plus the paginator's)."""
    lots = Lot.objects.select_related("item")
    if item is not None:
        lots = lots.filter(item=item)
    if expiring_by is not None:
        lots = lots.filter(expiry__lte=expiring_by)
    return lots.order_by("expiry", "item__name", "lot_number", "pk")


def item_categories() -> list[str]:
    """The categories of the active catalogue, for a filter. One query."""
    return list(
        Item.objects.filter(active=True).exclude(category="").order_by("category")
        .values_list("category", flat=True).distinct()
    )


def clinic_minimums(clinic) -> dict[int, int]:
    """``{item_id: minimum}`` at the clinic (one month of the AMC of its last submitted request). One query."""
    return {
        item_id: calculations.minimum_stock(amc)
        for item_id, amc in latest_clinic_lines(clinic=clinic).values_list("item_id", "amc")
    }


def stock_counts_visible_to(user) -> QuerySet:
    """Pharmacy, coordinators and admins: every count; a pasante: their clinic's; others: none."""

    if is_pharmacy_wide(user):
        return StockCount.objects.all()
    if can_raise_restock_requests(user):
        return StockCount.objects.filter(clinic__in=clinics_visible_to(user))
    return StockCount.objects.none()


def stock_count_list(user) -> QuerySet:
    """The counts the user may see, newest first, with how many lots were counted and how many differed."""
    return (
        stock_counts_visible_to(user).select_related("clinic", "counted_by")
        .annotate(lot_count=Count("lines"),
                  variance_count=Count("lines", filter=~Q(lines__counted=F("lines__expected"))))
        .order_by("-counted_at", "-pk")
    )


def stock_count_for(user, pk):
    """The count with its lines, if the user may see it; ``StockCount.DoesNotExist`` otherwise. Two queries."""


    lines = StockCountLine.objects.select_related("lot__item")
    return (
        stock_counts_visible_to(user).select_related("clinic", "counted_by")
        .prefetch_related(Prefetch("lines", queryset=lines)).get(pk=pk)
    )


def stock_count_sheet(*, clinic=None, also_lots=()) -> list[dict]:
    """The lots to count at ``clinic`` (None: the warehouse), ``{"lot", "expected"}`` each: those with stock
    there, first expiry first, plus the lots ``also_lots`` (ids) with what the ledger holds of them there
    (a lot posted back after it left the location). One query, three with ``also_lots``."""

    rows = [{"lot": b.lot, "expected": b.quantity} for b in stock_by_lot(clinic=clinic)]
    listed = {row["lot"].pk for row in rows}
    extra = set(also_lots) - listed
    if extra:
        held = dict(StockBalance.objects.filter(_location(clinic), lot_id__in=extra).values_list("lot_id", "quantity"))
        rows += [{"lot": lot, "expected": held.get(lot.pk, 0)}
                 for lot in Lot.objects.filter(pk__in=extra).select_related("item").order_by("item__name", "expiry")]
    return rows


# --- Reminders (pharmacy/reminders.py): what is due, and who is told --------------------------------

# A regular request in one of these states has reached the pharmacy. A rejected one has come back to
# the pasante to correct and submit again, so it still counts as not submitted.
SUBMITTED_OR_LATER = (
    RestockRequest.State.SUBMITTED,
    RestockRequest.State.APPROVED,
    RestockRequest.State.DISPATCHED,
    RestockRequest.State.RECEIVED,
    RestockRequest.State.CLOSED,
)


def pharmacy_settings() -> PharmacySettings:
    """The settings row with who changed it last, or the defaults (unsaved) if the row is missing.
    One query, and never a write: a GET must not create the row (migration 0003 does)."""
    return PharmacySettings.objects.select_related("updated_by").filter(pk=1).first() or PharmacySettings(pk=1)


def request_deadline_day() -> int:
    """The day of the month the regular request is due, as the coordinators set it (the default until
    they do). One query, and never a write."""

    day = PharmacySettings.objects.filter(pk=1).values_list("request_deadline_day", flat=True).first()
    return day if day is not None else PharmacySettings._meta.get_field("request_deadline_day").default


def regular_request_submitted(clinic_id: int, period: date) -> bool:
    """Whether the clinic's regular request for the month of ``period`` has reached the pharmacy. One query."""
    return RestockRequest.objects.filter(
        clinic_id=clinic_id, period=period.replace(day=1), kind=RestockRequest.Kind.REGULAR,
        state__in=SUBMITTED_OR_LATER,
    ).exists()


def pasante_posts_without_request(period: date, *, day: date) -> QuerySet:
    """The posts of ``clinics.selectors.pasante_posts_on(day)`` at clinics whose regular request for the month of
    ``period`` has not reached the pharmacy (none, a draft, or rejected), with the clinic. One query."""

    submitted = RestockRequest.objects.filter(
        clinic_id=OuterRef("clinic_id"), period=period.replace(day=1), kind=RestockRequest.Kind.REGULAR,
        state__in=SUBMITTED_OR_LATER,
    )
    return (
        pasante_posts_on(day).filter(~Exists(submitted))
        .select_related("clinic", "staff").order_by("clinic_id", "pk")
    )


def pharmacy_user_ids() -> list[int]:
    """Every active user for whom ``is_pharmacy_staff`` holds. One query."""

    return list(
        get_user_model().objects.filter(is_active=True, groups__name=Role.PHARMACY)
        .order_by("pk").values_list("pk", flat=True).distinct()
    )


def restock_requests_waiting_approval(*, submitted_before, submitted_since) -> QuerySet:
    """Requests still submitted whose submission time is in [``submitted_since``, ``submitted_before``),
    with the clinic."""
    return (
        RestockRequest.objects.filter(state=RestockRequest.State.SUBMITTED, submitted_at__lt=submitted_before,
                                      submitted_at__gte=submitted_since)
        .select_related("clinic").order_by("submitted_at", "pk")
    )


def restock_requests_awaiting_receipt(*, dispatched_before, dispatched_since) -> QuerySet:
    """Requests dispatched (and not yet confirmed as received) in [``dispatched_since``,
    ``dispatched_before``), with the clinic."""
    return (
        RestockRequest.objects.filter(state=RestockRequest.State.DISPATCHED, dispatched_at__lt=dispatched_before,
                                      dispatched_at__gte=dispatched_since)
        .select_related("clinic").order_by("dispatched_at", "pk")
    )


def restock_requests_with_news(*, since, until) -> QuerySet:
    """Requests whose last step the clinic has to hear of, taken in [``since``, ``until``]: approved or
    rejected (``decided_at``) and still so, or dispatched (``dispatched_at``) and not yet received; with
    the clinic and who submitted it. A request that has moved on since is the later step's news."""
    decided = Q(state__in=[RestockRequest.State.APPROVED, RestockRequest.State.REJECTED],
                decided_at__gte=since, decided_at__lte=until)
    dispatched = Q(state=RestockRequest.State.DISPATCHED, dispatched_at__gte=since, dispatched_at__lte=until)
    return (
        RestockRequest.objects.filter(decided | dispatched)
        .select_related("clinic", "submitted_by").order_by("pk")
    )


# --- The clinics a pasante raises requests for ----------------------------------------------------------

def restock_clinics_for(user) -> QuerySet:
    """The clinics the user may raise requests for: those of their active pasante assignments."""


    if not can_raise_restock_requests(user):
        return Clinic.objects.none()
    return clinics_posted_to(user, role=Role.PASANTE)


def can_raise_restock_requests_at(user, clinic_id) -> bool:
    """The pasante's side of a request of this clinic (its figures, submitting it, its receipt): a pasante
    posted there today, even one who also holds a warehouse role and so sees every clinic's requests.
    One query."""
    return restock_clinics_for(user).filter(pk=clinic_id).exists()


# --- Request pages: list, detail with its timeline and the clinic's history, home panels --------------------

def restock_request_list(user, *, clinic=None, clinic_name: str = "", state: str = "",
                         period: date | None = None, kind: str = "",
                         updated_since: datetime | None = None) -> QuerySet:
    """The requests the user may see, filtered (``clinic``: a clinic or its id, for the API;
    ``clinic_name``: part of the clinic's name, any case, for the page; ``period``: any day of the month;
    ``updated_since``: changed at or after that instant), newest period first, each with ``line_count``.
    One query (plus the paginator's count); the pages and the API list both read it."""
    rows = restock_requests_visible_to(user)
    if clinic is not None:
        rows = rows.filter(clinic=clinic)
    if clinic_name:
        rows = rows.filter(clinic__name__icontains=clinic_name)
    if state:
        rows = rows.filter(state=state)
    if period is not None:
        rows = rows.filter(period=period.replace(day=1))
    if kind:
        rows = rows.filter(kind=kind)
    if updated_since is not None:
        rows = rows.filter(updated_at__gte=updated_since)
    return (
        rows.select_related("clinic").annotate(line_count=_LINE_COUNT)
        .order_by("-period", "clinic__name", "-created_at", "-pk")
    )


@dataclass(frozen=True)
class RestockActions:
    """What the page offers a person on one request. Only what the page offers: the services still refuse
    whatever the state machine does not allow."""

    review: bool = False  # approve or reject
    dispatch: bool = False
    close: bool = False
    receive: bool = False
    edit: bool = False
    pick_list: bool = False


def restock_request_actions(user, restock: RestockRequest, *, posted_here: bool) -> RestockActions:
    """The transitions ``RestockRequest.TRANSITIONS`` allows from the request's state that the person's
    roles allow them, and the pick list once there is one. ``posted_here``: the person holds a pasante post
    at the request's clinic (the figures and the receipt are theirs). No query."""
    allowed = {name for name, sources in RestockRequest.TRANSITIONS.items() if restock.state in sources}
    reviewer = is_pharmacy_wide(user)
    pasante = can_raise_restock_requests(user)
    return RestockActions(
        review=reviewer and "approve" in allowed,
        dispatch=reviewer and "dispatch" in allowed,
        close=reviewer and "close" in allowed,
        receive=pasante and posted_here and "receive" in allowed,
        edit=pasante and posted_here and "edit" in allowed,
        pick_list=restock.state in RestockRequest.PICKED_STATES,
    )


def restock_request_detail(user, pk) -> RestockRequest:
    """``restock_request_for`` with the people who moved it, its lines with their items, and ``actions``:
    what the person may do with it (``RestockActions``). Two queries."""
    lines = RestockLine.objects.select_related("item").order_by("item__name", "item__code")
    rows = restock_requests_visible_to(user)
    if can_raise_restock_requests(user):
        # In the same query: a pasante who also holds a warehouse role sees every request, but confirms
        # only the deliveries to a clinic of theirs.
        rows = rows.annotate(posted_here=Exists(restock_clinics_for(user).filter(pk=OuterRef("clinic_id"))))
    restock = (
        rows.select_related("clinic__community", "created_by", "submitted_by", "decided_by", "dispatched_by",
                            "received_by")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .get(pk=pk)
    )
    restock.actions = restock_request_actions(user, restock, posted_here=getattr(restock, "posted_here", False))
    return restock


# Which fields of the request say who moved it into a state, and when.
_STATE_STAMPS = {
    RestockRequest.State.DRAFT: ("created_by_id", "created_at"),
    RestockRequest.State.SUBMITTED: ("submitted_by_id", "submitted_at"),
    RestockRequest.State.APPROVED: ("decided_by_id", "decided_at"),
    RestockRequest.State.REJECTED: ("decided_by_id", "decided_at"),
    RestockRequest.State.DISPATCHED: ("dispatched_by_id", "dispatched_at"),
    RestockRequest.State.RECEIVED: ("received_by_id", "received_at"),
    RestockRequest.State.CLOSED: (None, "closed_at"),
}


def restock_request_timeline(request: RestockRequest) -> list[dict]:
    """Every change of state of the request, oldest first, as ``{"state", "label", "at", "by", "note"}``.

    Read from the request's audit history rather than from its fields, which keep only the last of each
    stamp: a request rejected, corrected and submitted again shows the rejection and both submissions.
    Closing keeps no "closed by" field; who closed it is the person recorded in the audit context of that
    change. Two queries.
    """

    fields = {"state", "rejection_reason", "pgh_created_at", "pgh_context__metadata"}
    for by, at in _STATE_STAMPS.values():
        fields |= {at} | ({by} if by else set())
    entries, previous = [], None
    for event in request.events.order_by("pgh_id").values(*fields):
        state = event["state"]
        if state == previous:
            continue
        previous = state
        by_field, at_field = _STATE_STAMPS[state]
        by = event[by_field] if by_field else (event["pgh_context__metadata"] or {}).get("user")
        entries.append({
            "state": state, "label": RestockRequest.State(state).label,
            "at": event[at_field] or event["pgh_created_at"], "by": by,
            "note": event["rejection_reason"] if state == RestockRequest.State.REJECTED else "",
        })
    people = get_user_model().objects.in_bulk({e["by"] for e in entries if e["by"]})
    for entry in entries:
        entry["by"] = people.get(entry["by"])
    return entries


def restock_history_by_item(request: RestockRequest, *, limit: int = 3) -> tuple[list[RestockRequest], dict]:
    """What a reviewer compares the request with: the clinic's last ``limit`` requests before its period,
    newest first, and ``{item_id: [the item's line in each of them, or None]}``. Two queries."""
    past = restock_history(request.clinic, before=request.period, limit=limit)
    by_item: dict[int, list] = {}
    for index, earlier in enumerate(past):
        for line in earlier.lines.all():
            by_item.setdefault(line.item_id, [None] * len(past))[index] = line
    return past, by_item


def restock_pasante_home(user, period: date) -> list[RestockRequest]:
    """For a pasante's home page: the regular requests of the month of ``period`` and every request
    dispatched but not yet confirmed as received, of the clinics where the pasante is posted (not every
    clinic, when they also hold a warehouse role), each with ``actions``. One query."""
    rows = list(
        RestockRequest.objects.filter(clinic__in=restock_clinics_for(user))
        .filter(Q(period=period.replace(day=1), kind=RestockRequest.Kind.REGULAR)
                | Q(state=RestockRequest.State.DISPATCHED))
        .select_related("clinic")
        .order_by("clinic__name", "dispatched_at", "pk")
    )
    for restock in rows:
        restock.actions = restock_request_actions(user, restock, posted_here=True)
    return rows


def restock_approved_waiting(user) -> QuerySet:
    """Approved requests the user may see, waiting to be dispatched, approved longest ago first."""
    return (
        restock_requests_visible_to(user).filter(state=RestockRequest.State.APPROVED)
        .select_related("clinic").order_by("decided_at", "pk")
    )


# --- The pasante's request form ------------------------------------------------------------------------------

def restock_past_consumption(clinic, period: date) -> dict[int, list]:
    """``{item_id: [adjusted consumption, ...]}``, oldest first: for every item, the clinic's last
    ``AMC_PERIODS - 1`` regular requests before ``period`` (submitted or later) that have a line for it,
    each turned into its adjusted consumption (None: out of stock the whole month). Items with no such line
    are absent; ``clinic`` is the clinic or its id. What the form shows and the service computes a line's
    AMC with: the whole catalogue in one query (a window), however many items are shown or saved."""
    rows = (
        RestockLine.objects.filter(request__clinic=clinic, request__kind=RestockRequest.Kind.REGULAR,
                                   request__period__lt=period.replace(day=1))
        .exclude(request__state=RestockRequest.State.DRAFT)
        .annotate(recent=Window(RowNumber(), partition_by=[F("item_id")], order_by=F("request__period").desc()))
        .filter(recent__lt=calculations.AMC_PERIODS)
        .order_by("item_id", "request__period")
        .values_list("item_id", "request__period", "consumed", "stockout_days")
    )
    past: dict[int, list] = {}
    for item_id, month, consumed, stockout_days in rows:
        days = calculations.days_in_month(month)
        past.setdefault(item_id, []).append(calculations.adjusted_consumption(
            consumed, days_in_period=days, stockout_days=min(stockout_days, days)))
    return past


def restock_form_rows(clinic, period: date) -> list[dict]:
    """The rows of the pasante's form for the month of ``period``: every active item, as
    ``{"item", "prefill": {"beginning_balance", "received"}, "past": [adjusted consumption...], "history"}``.

    ``history`` says the clinic has used the item: a line in an earlier request, or stock received
    since the last one. Items with history come first; within each part, by category and name.
    Four queries (three when the clinic has no earlier request)."""
    prefill = restock_form_prefill(clinic, period)
    past = restock_past_consumption(clinic, period)
    rows = [
        {"item": item, "prefill": prefill.get(item.pk, {"beginning_balance": 0, "received": 0}),
         "past": past.get(item.pk, []), "history": item.pk in past or item.pk in prefill}
        for item in Item.objects.filter(active=True).order_by("category", "name", "code")
    ]
    rows.sort(key=lambda row: not row["history"])  # stable: each part keeps the catalogue's order
    return rows


def restock_form_month_requests(clinic, period: date) -> list[RestockRequest]:
    """The clinic's requests (regular and emergency) of the month of ``period``, oldest first. One query."""
    return list(RestockRequest.objects.filter(clinic=clinic, period=period.replace(day=1)).order_by("created_at", "pk"))
