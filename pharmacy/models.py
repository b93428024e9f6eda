"""Item catalogue, lots, the stock ledger and its cached balances, and the monthly restock request.

Where stock is: a *location* is a clinic, or the central warehouse. The warehouse is written as a
NULL clinic on ledger and balance rows rather than as the central-office clinic row, so the
pharmacy works whether or not the central office has been entered as a clinic, and no query has to
guess which central-office row (there could be more than one) holds the stock.
"""

import pghistory
import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Item(models.Model):
    """An essential medicine or supply; quantities are whole units of ``unit``."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    form = models.CharField(_("form"), max_length=60, blank=True)
    strength = models.CharField(_("strength"), max_length=60, blank=True)
    unit = models.CharField(_("unit"), max_length=30)
    category = models.CharField(_("category"), max_length=80, blank=True)
    controlled = models.BooleanField(_("controlled"), default=False)
    max_months_of_stock = models.PositiveSmallIntegerField(
        _("maximum months of stock"), default=3, validators=[MinValueValidator(1)]
    )
    warehouse_minimum = models.PositiveIntegerField(
        _("minimum at the warehouse"), default=0,
        help_text=_("Reorder level of the central warehouse, in units; 0: no alert."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["name", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(max_months_of_stock__gte=1), name="item_max_months_positive"),
        ]

    def __str__(self):
        return " ".join(part for part in (self.name, self.strength, self.form) if part)


class Lot(models.Model):
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="lots", verbose_name=_("item"))
    lot_number = models.CharField(_("lot number"), max_length=60)
    expiry = models.DateField(_("expiry"))

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        ordering = ["item", "expiry", "lot_number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "lot_number"], name="lot_unique_per_item"),
        ]

    def __str__(self):
        return f"{self.item} · {self.lot_number}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class StockMovement(models.Model):
    """One append-only row of the ledger: the truth about stock. Never updated nor deleted.

    ``clinic`` NULL means the central warehouse. ``quantity`` is signed: positive into the
    location, negative out of it.
    """

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Receipt at the warehouse")
        DISPATCH_OUT = "dispatch_out", _("Dispatch to a clinic")
        CLINIC_RECEIPT = "clinic_receipt", _("Receipt at the clinic")
        DISPENSED = "dispensed", _("Dispensed")
        ADJUSTMENT = "adjustment", _("Adjustment")
        EXPIRY = "expiry", _("Expired")
        LOSS = "loss", _("Loss")
        TRANSFER = "transfer", _("Transfer")
        COUNT = "count", _("Physical count")

    clinic = models.ForeignKey(
        "clinics.Clinic", on_delete=models.PROTECT, null=True, blank=True, related_name="stock_movements",
        verbose_name=_("clinic (empty: central warehouse)"),
    )
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="movements", verbose_name=_("lot"))
    quantity = models.IntegerField(_("quantity"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    reason = models.TextField(_("reason"), blank=True)
    document = models.CharField(_("document reference"), max_length=80, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["clinic", "lot"], name="stockmovement_location_lot")]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="stockmovement_quantity_not_zero"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.quantity:+d} · {self.lot}"


class WarehouseDelivery(models.Model):
    """A supplier's delivery note received into the central warehouse, all its lines at once.

    Its lines are the ``receipt`` movements of the ledger with the same ``document``; ``lines`` and
    ``units`` say what they added. ``client_key`` (made when the form is drawn) is claimed by this row in
    the same transaction as the movements: the form posted twice is one delivery, and a delivery refused
    leaves the key free for the corrected form.
    """

    document = models.CharField(_("invoice or delivery note number"), max_length=80)
    reason = models.TextField(_("remarks"), blank=True)
    lines = models.PositiveIntegerField(_("lines"), default=0)
    units = models.PositiveIntegerField(_("units"), default=0)
    client_key = models.UUIDField(_("client key"), null=True, blank=True, unique=True, editable=False)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("received by"),
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("warehouse delivery")
        verbose_name_plural = _("warehouse deliveries")
        ordering = ["-received_at", "-pk"]

    def __str__(self):
        return self.document


class StockBalance(models.Model):
    """The cached sum of the ledger for one lot at one location, kept by ``services.ledger_move``
    in the same transaction as the movement. The database refuses a negative balance."""

    clinic = models.ForeignKey(
        "clinics.Clinic", on_delete=models.PROTECT, null=True, blank=True, related_name="stock_balances",
        verbose_name=_("clinic (empty: central warehouse)"),
    )
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="balances", verbose_name=_("lot"))
    quantity = models.IntegerField(_("quantity"), default=0)

    class Meta:
        verbose_name = _("stock balance")
        verbose_name_plural = _("stock balances")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=0), name="stockbalance_not_negative",
                violation_error_message=_("Stock cannot go below zero."),
            ),
            # NULLS NOT DISTINCT: one warehouse row per lot too.
            models.UniqueConstraint(
                fields=["clinic", "lot"], name="stockbalance_unique_location_lot", nulls_distinct=False
            ),
        ]

    def __str__(self):
        return f"{self.lot}: {self.quantity}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class RestockRequest(models.Model):
    """A clinic's requisition for a period (the first day of a month), OpenLMIS style."""

    class Kind(models.TextChoices):
        REGULAR = "regular", _("Regular")
        EMERGENCY = "emergency", _("Emergency")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        DISPATCHED = "dispatched", _("Dispatched")
        RECEIVED = "received", _("Received")
        CLOSED = "closed", _("Closed")

    # The state machine: the states each transition starts from. The services refuse a transition from any
    # other state; the pages offer it only from these.
    TRANSITIONS = {
        "edit": (State.DRAFT, State.REJECTED),
        "submit": (State.DRAFT, State.REJECTED),
        "approve": (State.SUBMITTED,),
        "reject": (State.SUBMITTED,),
        "dispatch": (State.APPROVED,),
        "receive": (State.DISPATCHED,),
        "close": (State.RECEIVED,),
    }
    # Once dispatched, a request has a pick list (the lots that left the warehouse).
    PICKED_STATES = (State.DISPATCHED, State.RECEIVED, State.CLOSED)

    clinic = models.ForeignKey(
        "clinics.Clinic", on_delete=models.PROTECT, related_name="restock_requests", verbose_name=_("clinic")
    )
    period = models.DateField(_("period"), help_text=_("The first day of the month."))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.REGULAR)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT)
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    emergency_reason = models.TextField(_("emergency reason"), blank=True)
    receipt_remarks = models.TextField(_("receipt remarks"), blank=True)
    # Generated by the form or the offline client when the request is first written, so a form
    # posted twice (bad connection, back button, retry) creates one request.
    client_key = models.UUIDField(_("client key"), null=True, blank=True, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("approved or rejected by"),
    )
    decided_at = models.DateTimeField(_("approved or rejected at"), null=True, blank=True)
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("dispatched by"),
    )
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("received by"),
    )
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Moved by every service that changes the request or its lines, so the offline client, which holds its
    # clinic's requests, fetches again only those whose updated_at differs from its copy's. The database
    # default serves rows written in SQL (the bench, the migration that added it).
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, db_default=Now())

    class Meta:
        verbose_name = _("restock request")
        verbose_name_plural = _("restock requests")
        ordering = ["-period", "clinic"]
        indexes = [
            # Each clinic's last sent regular request, newest first (selectors.latest_clinic_lines): one probe
            # a clinic, however long its history.
            models.Index(fields=["clinic", "-period"], condition=Q(kind="regular") & ~Q(state="draft"),
                         name="restockrequest_last_sent"),
            # The pharmacy's queue and the approved requests waiting for dispatch, in their order (the lists,
            # the home panel): what waits, never the closed history.
            models.Index(fields=["submitted_at", "id"], condition=Q(state="submitted"), name="restockrequest_queue"),
            models.Index(fields=["decided_at", "id"], condition=Q(state="approved"), name="restockrequest_approved"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "period"], condition=Q(kind="regular"),
                name="restockrequest_one_regular_per_clinic_period",
                violation_error_message=_("This clinic already has a regular request for that month."),
            ),
            models.CheckConstraint(condition=Q(period__day=1), name="restockrequest_period_first_of_month",
                                   violation_error_message=_("The period is the first day of a month.")),
        ]

    def __str__(self):
        return f"{self.clinic} · {self.period:%m/%Y}"


# What a stock-out is in the reports: days out of stock, or nothing on hand after consuming.
STOCKOUT_SQL = "(stockout_days > 0 OR (stock_on_hand = 0 AND consumed > 0))"

_TOTALS_COLUMNS = {
    "lines": "count(*)",
    "requested_decided": "sum(requested) FILTER (WHERE approved IS NOT NULL)",
    "approved": "sum(approved)",
    "approved_dispatched": "sum(approved) FILTER (WHERE dispatched IS NOT NULL)",
    "dispatched": "sum(dispatched)",
    "dispatched_received": "sum(dispatched) FILTER (WHERE received_quantity IS NOT NULL)",
    "received": "sum(received_quantity)",
    "stockout_lines": f"count(*) FILTER (WHERE {STOCKOUT_SQL})",
}


def _totals_trigger(name: str, operation, changed: str, referencing) -> pgtrigger.Trigger:
    """After each statement that writes lines: the totals of every request it touched, recomputed from its
    lines (a request left without lines loses its row). The requests are locked first, so two transactions
    that change lines of one request recompute one after the other, each from what the other committed."""
    table, lines = "pharmacy_restockrequesttotals", "pharmacy_restockline"
    columns = ", ".join(_TOTALS_COLUMNS)
    func = f"""
        SELECT array_agg(DISTINCT request_id ORDER BY request_id) INTO affected FROM ({changed}) AS changed;
        IF affected IS NULL THEN RETURN NULL; END IF;
        PERFORM 1 FROM pharmacy_restockrequest WHERE id = ANY(affected) ORDER BY id FOR NO KEY UPDATE;
        INSERT INTO {table} (request_id, {columns})
        SELECT request_id, {", ".join(_TOTALS_COLUMNS.values())} FROM {lines}
         WHERE request_id = ANY(affected) GROUP BY request_id
        ON CONFLICT (request_id) DO UPDATE SET {", ".join(f"{c} = EXCLUDED.{c}" for c in _TOTALS_COLUMNS)};
        DELETE FROM {table} t WHERE t.request_id = ANY(affected)
           AND NOT EXISTS (SELECT FROM {lines} l WHERE l.request_id = t.request_id);
        RETURN NULL;
    """
    return pgtrigger.Trigger(
        name=f"totals_{name}", level=pgtrigger.Statement,
        when=pgtrigger.After, operation=operation, referencing=referencing, declare=[("affected", "bigint[]")],
        func=func)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class RestockLine(models.Model):
    request = models.ForeignKey(
        RestockRequest, on_delete=models.CASCADE, related_name="lines", verbose_name=_("request")
    )
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="restock_lines", verbose_name=_("item"))
    beginning_balance = models.IntegerField(_("beginning balance"), default=0)
    received = models.IntegerField(_("received"), default=0)
    consumed = models.IntegerField(_("consumed"), default=0)
    # Signed: losses are negative, positive adjustments positive.
    losses_adjustments = models.IntegerField(_("losses and adjustments"), default=0)
    adjustment_reason = models.TextField(_("reason for losses and adjustments"), blank=True)
    stock_on_hand = models.IntegerField(_("stock on hand"), default=0)
    stockout_days = models.IntegerField(_("stock-out days"), default=0)
    amc = models.IntegerField(_("average monthly consumption"), default=0)
    maximum = models.IntegerField(_("maximum stock"), default=0)
    suggested = models.IntegerField(_("suggested quantity"), default=0)
    requested = models.IntegerField(_("requested quantity"), default=0)
    explanation = models.TextField(_("explanation"), blank=True)
    approved = models.IntegerField(_("approved quantity"), null=True, blank=True)
    cut_reason = models.TextField(_("reason for the cut"), blank=True)
    dispatched = models.IntegerField(_("dispatched quantity"), null=True, blank=True)
    received_quantity = models.IntegerField(_("quantity received"), null=True, blank=True)
    remarks = models.TextField(_("remarks"), blank=True)

    NON_NEGATIVE = ("beginning_balance", "received", "consumed", "stock_on_hand", "stockout_days", "amc",
                    "maximum", "suggested", "requested", "approved", "dispatched", "received_quantity")

    class Meta:
        verbose_name = _("restock line")
        verbose_name_plural = _("restock lines")
        ordering = ["request", "item__name"]
        indexes = [
            # The figures the stock alerts compare, in the index: counting what each clinic's last request
            # reports below its minimum reads no table row (selectors.ClinicItemsBelowMinimumPages).
            models.Index(fields=["request"], include=["item", "stock_on_hand", "amc"],
                         name="restockline_stock_figures"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["request", "item"], name="restockline_one_per_item",
                                    violation_error_message=_("This item is already in the request.")),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{name}__gte": 0}) | Q(**{f"{name}__isnull": True}),
                    name=f"restockline_{name}_not_negative",
                    violation_error_message=_("Quantities cannot be negative."),
                )
                for name in ("beginning_balance", "received", "consumed", "stock_on_hand", "stockout_days",
                             "amc", "maximum", "suggested", "requested", "approved", "dispatched",
                             "received_quantity")
            ],
        ]
        triggers = [
            _totals_trigger("insert", pgtrigger.Insert, "SELECT request_id FROM new_rows",
                            pgtrigger.Referencing(new="new_rows")),
            _totals_trigger("update", pgtrigger.Update,
                            "SELECT request_id FROM new_rows UNION SELECT request_id FROM old_rows",
                            pgtrigger.Referencing(old="old_rows", new="new_rows")),
            _totals_trigger("delete", pgtrigger.Delete, "SELECT request_id FROM old_rows",
                            pgtrigger.Referencing(old="old_rows")),
        ]

    def __str__(self):
        return f"{self.request} · {self.item}"

    def clean(self):
        errors = {}
        for name in self.NON_NEGATIVE:
            value = getattr(self, name)
            if value is not None and value < 0:
                errors[name] = _("Quantities cannot be negative.")
        if self.requested != self.suggested and not self.explanation.strip():
            errors["explanation"] = _("Explain why the requested quantity differs from the suggested one.")
        if self.losses_adjustments and not self.adjustment_reason.strip():
            errors["adjustment_reason"] = _("Give the reason for the losses or adjustments.")
        if errors:
            raise ValidationError(errors)


class RestockRequestTotals(models.Model):
    """The sums of a request's lines, kept by triggers on the lines (``_totals_trigger``): what the fill-rate
    chart adds up month by month and the line reports count, reading one row a request instead of every line
    of the period (the chart went from 35 to 254 ms at ten times the clinics). A request without lines has
    no row. Every writer of lines (the services, the bench's SQL, the admin) keeps it, since the database does.

    The sums are NULL when no line has the figure, as ``Sum`` over the lines was."""

    request = models.OneToOneField(RestockRequest, on_delete=models.CASCADE, primary_key=True,
                                   related_name="totals", verbose_name=_("request"))
    lines = models.IntegerField(_("lines"))
    requested_decided = models.BigIntegerField(null=True)  # requested, over the lines already approved or cut
    approved = models.BigIntegerField(null=True)
    approved_dispatched = models.BigIntegerField(null=True)  # approved, over the lines dispatched
    dispatched = models.BigIntegerField(null=True)
    dispatched_received = models.BigIntegerField(null=True)  # dispatched, over the lines received
    received = models.BigIntegerField(null=True)
    stockout_lines = models.IntegerField()  # lines that report a stock-out (STOCKOUT_SQL)

    class Meta:
        verbose_name = _("restock request totals")
        verbose_name_plural = _("restock request totals")

    def __str__(self):
        return f"{self.request_id}: {self.lines}"


class StockCount(models.Model):
    """A physical count of one location (a clinic, or the warehouse when ``clinic`` is NULL).

    Each line keeps what the ledger expected and what was counted; the variances enter the ledger
    as ``count`` movements with this count as their document.
    """

    clinic = models.ForeignKey(
        "clinics.Clinic", on_delete=models.PROTECT, null=True, blank=True, related_name="stock_counts",
        verbose_name=_("clinic (empty: central warehouse)"),
    )
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("counted by"),
    )
    counted_at = models.DateTimeField(_("counted at"), default=timezone.now)
    remarks = models.TextField(_("remarks"), blank=True)

    class Meta:
        verbose_name = _("physical count")
        verbose_name_plural = _("physical counts")
        ordering = ["-counted_at", "-pk"]

    def __str__(self):
        return f"{self.clinic or _('central warehouse')} · {timezone.localtime(self.counted_at):%d/%m/%Y}"

    @property
    def document(self) -> str:
        return f"stock-count:{self.pk}"


class StockCountLine(models.Model):
    count = models.ForeignKey(StockCount, on_delete=models.CASCADE, related_name="lines", verbose_name=_("count"))
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+", verbose_name=_("lot"))
    expected = models.IntegerField(_("expected"))
    counted = models.IntegerField(_("counted"))

    class Meta:
        verbose_name = _("counted lot")
        verbose_name_plural = _("counted lots")
        ordering = ["count", "lot__item__name", "lot__expiry"]
        constraints = [
            models.UniqueConstraint(fields=["count", "lot"], name="stockcountline_one_per_lot"),
            models.CheckConstraint(condition=Q(counted__gte=0) & Q(expected__gte=0),
                                   name="stockcountline_not_negative"),
        ]

    def __str__(self):
        return f"{self.lot}: {self.counted}"

    @property
    def variance(self) -> int:
        return self.counted - self.expected


class PharmacySettings(models.Model):
    """The few settings coordinators change for the pharmacy: one row, made by a migration and read with
    ``selectors.pharmacy_settings()``, which never writes (the defaults when the row is missing)."""

    request_deadline_day = models.PositiveSmallIntegerField(
        _("monthly request deadline (day of the month)"), default=25,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("Until course days are in the system, the monthly request is due on this day."),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("pharmacy settings")
        verbose_name_plural = _("pharmacy settings")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="pharmacysettings_single_row"),
            models.CheckConstraint(condition=Q(request_deadline_day__gte=1) & Q(request_deadline_day__lte=28),
                                   name="pharmacysettings_deadline_day_range"),
        ]

    def __str__(self):
        return str(self._meta.verbose_name)
