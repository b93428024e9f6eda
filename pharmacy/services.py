"""Every write to the pharmacy: the stock ledger and the restock request's state machine.

The ledger (``StockMovement``) is append-only and the truth; ``StockBalance`` caches its sum per
location and lot and is updated by ``ledger_move`` in the same transaction. To stay correct under
any concurrency, ``ledger_move`` locks the balance rows it touches with ``SELECT ... FOR UPDATE`` in
one fixed order (warehouse first, then clinics by id; lots by id within a location), so two
transactions never wait on each other in a cycle; the database CHECK (quantity >= 0) is the last
line of defence. A transition locks its request row first, then balances: the same order always.

Errors are ``ValidationError`` with a message for the person; nothing is written when one is raised.
"""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from ces.core.services import ILLEGAL_TRANSITION, validate_and_save
from clinics.models import Clinic

from . import calculations, selectors
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
    WarehouseDelivery,
)

State = RestockRequest.State
# The largest balance PostgreSQL's integer column holds; above it a move is refused with a message.
BALANCE_CEILING = 2**31 - 1


@dataclass(frozen=True)
class Move:
    """One signed quantity of a lot into (+) or out of (-) a location; ``clinic`` None: the warehouse."""

    clinic: Clinic | None
    lot: Lot
    quantity: int


def _location_key(clinic_id, lot_id):
    # The fixed lock order: warehouse (NULL clinic) first, then clinics by id; lots by id.
    return (clinic_id or 0, lot_id)


def _location_name(clinic):
    return str(clinic) if clinic is not None else _("central warehouse")


@transaction.atomic
def ledger_move(*, moves: list[Move], kind: str, by=None, reason: str = "", document: str = "") -> list[StockMovement]:
    """Append ``moves`` to the ledger and update the balances, all or nothing.

    Refuses a zero or non-integer quantity and any move that would take a location's stock of a
    lot below zero.
    """
    if not moves:
        raise ValidationError(_("Nothing to move."))
    if kind not in StockMovement.Kind.values:
        raise ValidationError(_("Unknown kind of stock movement."))
    deltas: dict[tuple, int] = {}
    for move in moves:
        if isinstance(move.quantity, bool) or not isinstance(move.quantity, int) or move.quantity == 0:
            raise ValidationError(_("A stock movement needs a whole, non-zero quantity."))
        key = (move.clinic.pk if move.clinic else None, move.lot.pk)
        deltas[key] = deltas.get(key, 0) + move.quantity
    keys = sorted(deltas, key=lambda k: _location_key(*k))

    # Make sure a balance row exists for every location and lot, then lock them all in order.
    StockBalance.objects.bulk_create(
        [StockBalance(clinic_id=clinic_id, lot_id=lot_id, quantity=0) for clinic_id, lot_id in keys],
        ignore_conflicts=True,
    )
    match = Q()
    for clinic_id, lot_id in keys:
        match |= Q(clinic_id=clinic_id, lot_id=lot_id) if clinic_id else Q(clinic__isnull=True, lot_id=lot_id)
    balances = {
        (b.clinic_id, b.lot_id): b
        for b in StockBalance.objects.select_for_update(of=("self",))
        .filter(match)
        .select_related("lot__item", "clinic")
        .order_by(F("clinic_id").asc(nulls_first=True), "lot_id")  # the fixed lock order
    }
    shortfalls = []
    for key in keys:
        balance = balances[key]
        if balance.quantity + deltas[key] < 0:
            shortfalls.append(
                _("%(item)s, lot %(lot)s at %(location)s: %(have)d in stock, %(need)d needed.")
                % {"item": balance.lot.item, "lot": balance.lot.lot_number,
                   "location": _location_name(balance.clinic), "have": balance.quantity, "need": -deltas[key]}
            )
    if shortfalls:
        raise ValidationError([_("Not enough stock.")] + shortfalls, code="insufficient_stock")
    for key in keys:
        balance = balances[key]
        if balance.quantity + deltas[key] > BALANCE_CEILING:
            raise ValidationError(
                _("%(item)s, lot %(lot)s at %(location)s: more stock than the system can hold in one lot.")
                % {"item": balance.lot.item, "lot": balance.lot.lot_number,
                   "location": _location_name(balance.clinic)},
                code="balance_overflow",
            )
    for key in keys:
        balance = balances[key]
        balance.quantity += deltas[key]
        balance.save(update_fields=["quantity"])
    now = timezone.now()
    return StockMovement.objects.bulk_create([
        StockMovement(clinic=move.clinic, lot=move.lot, quantity=move.quantity, kind=kind, reason=reason,
                      document=document, by=by, at=now)
        for move in moves
    ])


def _today():
    return timezone.localdate()


@transaction.atomic
def warehouse_receive(*, item: Item, lot_number: str, expiry: date, quantity: int, by=None,
                      document: str = "", reason: str = "") -> StockMovement:
    """A supplier's delivery into the central warehouse; creates the lot the first time it is seen.

    A known lot number must come with the expiry already on file.
    """
    lot_number = (lot_number or "").strip()
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise ValidationError({"quantity": _("The quantity received must be a whole number above zero.")})
    if not lot_number:
        raise ValidationError({"lot_number": _("Give the lot number.")})
    lot = Lot.objects.filter(item=item, lot_number=lot_number).first()
    if lot is None:
        lot = validate_and_save(Lot(item=item, lot_number=lot_number, expiry=expiry))
    elif lot.expiry != expiry:
        raise ValidationError({"expiry": _("Lot %(lot)s of this item is on file with another expiry date.")
                               % {"lot": lot_number}})
    [movement] = ledger_move(moves=[Move(None, lot, quantity)], kind=StockMovement.Kind.RECEIPT, by=by,
                             document=document, reason=reason)
    return movement


# --- Restock requests --------------------------------------------------------------------------

def _illegal(request, action):
    return ValidationError(
        _("A request that is %(state)s cannot be %(action)s.")
        % {"state": request.get_state_display().lower(), "action": action},
        code=ILLEGAL_TRANSITION,
    )


def _save_change(request: RestockRequest, fields: list[str]) -> RestockRequest:
    """Save ``fields`` and move ``updated_at``: what the offline client compares to know the request changed."""
    request.updated_at = timezone.now()
    return validate_and_save(request, update_fields=[*fields, "updated_at"])


def _lock_in(request: RestockRequest, transition: str, action: str) -> RestockRequest:
    """The request locked, if ``transition`` may start from its state (``RestockRequest.TRANSITIONS``)."""
    request = RestockRequest.objects.select_for_update().get(pk=request.pk)
    if request.state not in RestockRequest.TRANSITIONS[transition]:
        raise _illegal(request, action)
    return request


NUMBER_INPUT_FIELDS = ("beginning_balance", "received", "consumed", "losses_adjustments", "stock_on_hand",
                       "stockout_days")
LINE_INPUT_FIELDS = ("beginning_balance", "received", "consumed", "losses_adjustments", "adjustment_reason",
                     "stock_on_hand", "stockout_days", "explanation", "remarks")


def _build_lines(request: RestockRequest, lines: list[dict]) -> list[RestockLine]:
    """Validate the pasante's figures and compute AMC, maximum and suggestion for each line."""
    if not lines:
        raise ValidationError(_("Add at least one item to the request."))
    item_ids = [line.get("item") for line in lines]
    item_ids = [i.pk if isinstance(i, Item) else i for i in item_ids]
    items = Item.objects.in_bulk([i for i in item_ids if isinstance(i, int)])
    # Every item's past months in one query, whatever the size of the request.
    past = selectors.restock_past_consumption(request.clinic_id, request.period)
    days = calculations.days_in_month(request.period)
    built, errors, seen = [], [], set()
    for item_id, data in zip(item_ids, lines, strict=True):
        item = items.get(item_id) if isinstance(item_id, int) else None
        if item is None or not item.active:
            errors.append(_("Unknown item: %(item)s.") % {"item": item_id})
            continue
        if item_id in seen:
            errors.append(_("%(item)s is twice in the request.") % {"item": item})
            continue
        seen.add(item_id)
        line = RestockLine(request=request, item=item, **{k: data[k] for k in LINE_INPUT_FIELDS if k in data})
        try:
            for name in (*NUMBER_INPUT_FIELDS, "requested"):
                value = data.get(name, 0)
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ValidationError(_("%(item)s: quantities are whole numbers.") % {"item": item})
            for name in ("beginning_balance", "received", "consumed", "stock_on_hand", "stockout_days"):
                if getattr(line, name) < 0:
                    raise ValidationError(_("%(item)s: quantities cannot be negative.") % {"item": item})
            if line.stockout_days > days:
                raise ValidationError(_("%(item)s: a month has at most %(days)d stock-out days.")
                                      % {"item": item, "days": days})
            figures = calculations.line_figures(
                past.get(item.pk, []), consumed=line.consumed, stockout_days=line.stockout_days, days=days,
                stock_on_hand=line.stock_on_hand, max_months=item.max_months_of_stock)
            line.amc, line.maximum, line.suggested = figures["amc"], figures["maximum"], figures["suggested"]
            line.requested = data.get("requested", line.suggested)
            # clean() checks what the CHECK constraints would (one query and savepoint each, 12 a line:
            # most of the time of a 58-item request), and the item was just read: no query per line.
            line.full_clean(exclude=["request", "item"], validate_constraints=False)
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        built.append(line)
    if errors:
        raise ValidationError(errors)
    return built


def _request_under_key(client_key, clinic: Clinic) -> RestockRequest | None:
    """The request already written under ``client_key``, if any; refused when it is another clinic's."""
    if client_key is None:
        return None
    existing = RestockRequest.objects.filter(client_key=client_key).first()
    if existing is not None and existing.clinic_id != clinic.pk:
        raise ValidationError(_("This form was already used for another clinic. Open a new one."))
    return existing


@transaction.atomic
def restock_request_create_draft(*, clinic: Clinic, period: date, lines: list[dict], by=None,
                                 kind: str = RestockRequest.Kind.REGULAR, emergency_reason: str = "",
                                 client_key=None) -> RestockRequest:
    """A new request for the month of ``period``, with its lines computed; one regular per clinic and month.

    Each line is a dict: ``item`` (id), the counted figures of ``LINE_INPUT_FIELDS`` and optionally
    ``requested`` (defaults to the suggestion; an ``explanation`` is needed when it differs).
    ``client_key`` (a UUID made by the form or the offline client) makes a repeated post harmless:
    the request already written under that key is returned, unchanged.
    """
    existing = _request_under_key(client_key, clinic)
    if existing is not None:
        return existing
    if kind == RestockRequest.Kind.EMERGENCY and not emergency_reason.strip():
        raise ValidationError({"emergency_reason": _("Say why this emergency request is needed.")})
    request = RestockRequest(clinic=clinic, period=period.replace(day=1), kind=kind,
                             emergency_reason=emergency_reason.strip(), created_by=by, client_key=client_key)
    built = _build_lines(request, lines)
    try:
        validate_and_save(request)
    except ValidationError:
        # The same post, replayed at the same moment, committed first: answer with its request.
        existing = _request_under_key(client_key, clinic)
        if existing is None:
            raise
        return existing
    for line in built:
        line.request = request
    RestockLine.objects.bulk_create(built)
    return request


def _replace_lines(request: RestockRequest, lines: list[dict]) -> RestockRequest:
    """The request locked with its lines replaced; ``updated_at`` is the caller's to move."""
    request = _lock_in(request, "edit", pgettext("restock request action", "edited"))
    built = _build_lines(request, lines)
    request.lines.all().delete()
    RestockLine.objects.bulk_create(built)
    return request


@transaction.atomic
def restock_request_update_lines(*, request: RestockRequest, lines: list[dict], by=None) -> RestockRequest:
    """Replace the lines of a draft (or of a rejected request the pasante is correcting)."""
    request = _replace_lines(request, lines)
    # Only the timestamp: nothing of the request itself changed that full_clean would need to check.
    request.updated_at = timezone.now()
    request.save(update_fields=["updated_at"])
    return request


@transaction.atomic
def restock_request_submit(*, request: RestockRequest, by=None) -> RestockRequest:
    request = _lock_in(request, "submit", pgettext("restock request action", "submitted"))
    lines = list(request.lines.select_related("item"))
    if not lines:
        raise ValidationError(_("Add at least one item to the request."))
    _post_clinic_usage(request, lines, by=by)
    request.state = State.SUBMITTED
    request.submitted_by, request.submitted_at = by, timezone.now()
    return _save_change(request, ["state", "submitted_by", "submitted_at"])


# What a monthly report posts at its clinic, in this order: consumption, reported losses, the unexplained rest.
USAGE_KINDS = (StockMovement.Kind.DISPENSED, StockMovement.Kind.LOSS, StockMovement.Kind.COUNT)


def _post_clinic_usage(request: RestockRequest, lines: list[RestockLine], *, by=None) -> None:
    """Bring the clinic's ledger down to the stock the pasante counted, lot by lot, first expiry first.

    What the clinic holds above the count left it: first as dispensed (up to the consumption
    reported), then as loss (up to the losses reported), the rest as a count variance. The pasante
    counts items, not lots, so a count above what the ledger knows cannot be put on a lot and writes
    nothing (stock that was at the clinic before it was in the system). A submission after a rejection
    replaces what the earlier one posted: the same figures move nothing more; corrected figures move
    only the difference, putting back on their lots the units the earlier one took.
    """
    document = _document(request)
    # Written only under this request's lock, which the caller holds: safe to read before the balances.
    posted = {
        (kind, lot_id): -total
        for kind, lot_id, total in StockMovement.objects.filter(
            clinic=request.clinic, document=document, kind__in=USAGE_KINDS,
        ).values("kind", "lot_id").annotate(total=Sum("quantity")).order_by().values_list("kind", "lot_id", "total")
    }
    # Lock before reading (the ledger's fixed order), so a count or receipt committed meanwhile is seen.
    balances = list(
        StockBalance.objects.select_for_update(of=("self",))
        .filter(Q(lot__item__in=[line.item_id for line in lines]) | Q(lot__in=[lot_id for _kind, lot_id in posted]),
                clinic=request.clinic)
        .select_related("lot").order_by("lot_id")
    )
    lots = {b.lot_id: b.lot for b in balances}
    available = {b.lot_id: b.quantity for b in balances}
    for (_kind, lot_id), quantity in posted.items():
        available[lot_id] += quantity
    fefo = sorted(lots.values(), key=lambda lot: (lot.expiry, lot.lot_number))
    target: dict[tuple, int] = {}
    for line in lines:
        held = [lot for lot in fefo if lot.item_id == line.item_id]
        excess = sum(available[lot.pk] for lot in held) - line.stock_on_hand
        budgets = zip(USAGE_KINDS, (line.consumed, max(0, -line.losses_adjustments), excess), strict=True)
        for kind, budget in budgets:
            budget = min(budget, excess)
            for lot in held:
                take = min(budget, available[lot.pk])
                if take > 0:
                    target[(kind, lot.pk)] = take
                    available[lot.pk] -= take
                    budget -= take
                    excess -= take
    # Units put back first, so no balance dips below zero between the moves of two kinds.
    back: dict[str, list[Move]] = {}
    out: dict[str, list[Move]] = {}
    for kind in USAGE_KINDS:
        for lot in fefo:
            change = posted.get((kind, lot.pk), 0) - target.get((kind, lot.pk), 0)
            if change:
                (back if change > 0 else out).setdefault(kind, []).append(Move(request.clinic, lot, change))
    for group in (back, out):
        for kind, moves in group.items():
            ledger_move(moves=moves, kind=kind, by=by, document=document,
                        reason=pgettext("stock movement reason", "Monthly report of the clinic"))


@transaction.atomic
def restock_request_approve(*, request: RestockRequest, by=None, cuts: dict | None = None) -> RestockRequest:
    """Approve; ``cuts`` maps item id to ``(approved, reason)`` for lines approved below the request.

    Lines not in ``cuts`` are approved as requested. A cut needs a reason; nothing above the request.
    """
    request = _lock_in(request, "approve", pgettext("restock request action", "approved"))
    cuts = dict(cuts or {})
    lines = list(request.lines.select_related("item"))
    by_item = {line.item_id: line for line in lines}
    errors = [_("Unknown item: %(item)s.") % {"item": item_id} for item_id in cuts if item_id not in by_item]
    for line in lines:
        approved, reason = cuts.pop(line.item_id, (line.requested, ""))
        reason = (reason or "").strip()
        if not isinstance(approved, int) or approved < 0:
            errors.append(_("%(item)s: the approved quantity must be a whole number, zero or more.")
                          % {"item": line.item})
        elif approved > line.requested:
            errors.append(_("%(item)s: cannot approve more than was requested (%(requested)d).")
                          % {"item": line.item, "requested": line.requested})
        elif approved < line.requested and not reason:
            errors.append(_("%(item)s: give the reason for the cut.") % {"item": line.item})
        line.approved, line.cut_reason = approved, reason
    if errors:
        raise ValidationError(errors)
    RestockLine.objects.bulk_update(lines, ["approved", "cut_reason"])
    request.state = State.APPROVED
    request.decided_by, request.decided_at = by, timezone.now()
    return _save_change(request, ["state", "decided_by", "decided_at"])


@transaction.atomic
def restock_request_reject(*, request: RestockRequest, reason: str, by=None) -> RestockRequest:
    """Send the request back to the pasante, who may correct it and submit again."""
    request = _lock_in(request, "reject", pgettext("restock request action", "rejected"))
    if not (reason or "").strip():
        raise ValidationError({"rejection_reason": _("Give the reason for the rejection.")})
    request.state = State.REJECTED
    request.rejection_reason = reason.strip()
    request.decided_by, request.decided_at = by, timezone.now()
    return _save_change(request, ["state", "rejection_reason", "decided_by", "decided_at"])


def _document(request: RestockRequest) -> str:
    return f"restock-request:{request.pk}"


@transaction.atomic
def restock_request_dispatch(*, request: RestockRequest, by=None, today: date | None = None) -> RestockRequest:
    """Pick the approved quantities first-expiry-first-out from the warehouse and move them out.

    Expired lots are never picked. Every line is served in full or nothing moves. The stock enters
    the clinic only when the pasante confirms receipt.
    """
    request = _lock_in(request, "dispatch", pgettext("restock request action", "dispatched"))
    today = today or _today()
    lines = [line for line in request.lines.select_related("item") if line.approved]
    # Lock the warehouse balances of these items in the ledger's fixed order before reading them.
    balances = list(
        StockBalance.objects.select_for_update(of=("self",))
        .filter(clinic__isnull=True, lot__item__in=[line.item_id for line in lines])
        .select_related("lot")
        .order_by("lot_id")
    )
    available = sorted((b for b in balances if b.quantity > 0 and b.lot.expiry >= today),
                       key=lambda b: (b.lot.expiry, b.lot.lot_number))
    moves, errors = [], []
    for line in lines:
        wanted = line.approved
        for balance in (b for b in available if b.lot.item_id == line.item_id):
            take = min(wanted, balance.quantity)
            if take:
                moves.append(Move(None, balance.lot, -take))
                wanted -= take
            if not wanted:
                break
        if wanted:
            errors.append(_("%(item)s: %(missing)d short in the warehouse (unexpired stock).")
                          % {"item": line.item, "missing": wanted})
    if errors:
        raise ValidationError([_("Not enough stock to dispatch the whole request; nothing was moved.")] + errors,
                              code="insufficient_stock")
    if moves:
        ledger_move(moves=moves, kind=StockMovement.Kind.DISPATCH_OUT, by=by, document=_document(request))
    all_lines = list(request.lines.all())
    for line in all_lines:
        line.dispatched = line.approved or 0
    RestockLine.objects.bulk_update(all_lines, ["dispatched"])
    request.state = State.DISPATCHED
    request.dispatched_by, request.dispatched_at = by, timezone.now()
    return _save_change(request, ["state", "dispatched_by", "dispatched_at"])


def dispatch_pick_list(request: RestockRequest) -> list[StockMovement]:
    """The lots that left the warehouse for this request (the pick list), first expiry first."""
    return list(
        StockMovement.objects.filter(document=_document(request), kind=StockMovement.Kind.DISPATCH_OUT)
        .select_related("lot__item")
        .order_by("lot__item__name", "lot__expiry", "lot__lot_number")
    )


@transaction.atomic
def restock_request_receive(*, request: RestockRequest, by=None, received: dict | None = None,
                            remarks: str = "") -> RestockRequest:
    """The pasante confirms the delivery; ``received`` maps item id to ``(quantity, remark)``.

    Lines not in ``received`` arrived as dispatched. A difference needs a remark and is kept on the
    line; what arrived enters the clinic's stock, lot by lot in the order they were picked.
    """
    request = _lock_in(request, "receive", pgettext("restock request action", "received"))
    received = dict(received or {})
    lines = list(request.lines.select_related("item"))
    by_item = {line.item_id: line for line in lines}
    errors = [_("Unknown item: %(item)s.") % {"item": item_id} for item_id in received if item_id not in by_item]
    for line in lines:
        quantity, remark = received.get(line.item_id, (line.dispatched, ""))
        remark = (remark or "").strip()
        if not isinstance(quantity, int) or quantity < 0:
            errors.append(_("%(item)s: the quantity received must be a whole number, zero or more.")
                          % {"item": line.item})
        elif quantity > line.dispatched:
            errors.append(_("%(item)s: more received than dispatched (%(dispatched)d); check the count.")
                          % {"item": line.item, "dispatched": line.dispatched})
        elif quantity != line.dispatched and not remark:
            errors.append(_("%(item)s: explain the difference with what was dispatched.") % {"item": line.item})
        line.received_quantity = quantity
        if remark:
            line.remarks = remark
    if errors:
        raise ValidationError(errors)
    left = {line.item_id: line.received_quantity for line in lines}
    moves = []
    for out in dispatch_pick_list(request):
        take = min(left.get(out.lot.item_id, 0), -out.quantity)
        if take:
            moves.append(Move(request.clinic, out.lot, take))
            left[out.lot.item_id] -= take
    if moves:
        ledger_move(moves=moves, kind=StockMovement.Kind.CLINIC_RECEIPT, by=by, document=_document(request))
    RestockLine.objects.bulk_update(lines, ["received_quantity", "remarks"])
    request.state = State.RECEIVED
    request.receipt_remarks = remarks.strip()
    request.received_by, request.received_at = by, timezone.now()
    return _save_change(request, ["state", "receipt_remarks", "received_by", "received_at"])


@transaction.atomic
def restock_request_close(*, request: RestockRequest, by=None) -> RestockRequest:
    request = _lock_in(request, "close", pgettext("restock request action", "closed"))
    request.state = State.CLOSED
    request.closed_at = timezone.now()
    return _save_change(request, ["state", "closed_at"])


# --- Physical counts and settings ----------------------------------------------------------------

@transaction.atomic
def stock_count_record(*, clinic: Clinic | None, counts: dict, by=None, remarks: str = "") -> StockCount:
    """Record a physical count of ``clinic`` (None: the warehouse); ``counts`` maps lot id to units counted.

    The ledger's balance is locked for each lot counted, the variance (counted minus expected) is
    appended as a ``count`` movement, and each line keeps both figures for the variance report.
    """
    if not counts:
        raise ValidationError(_("Count at least one lot."))
    errors = []
    lots = Lot.objects.select_related("item").in_bulk([k for k in counts if isinstance(k, int)])
    for lot_id, counted in counts.items():
        if lot_id not in lots:
            errors.append(_("Unknown lot: %(lot)s.") % {"lot": lot_id})
        elif isinstance(counted, bool) or not isinstance(counted, int) or counted < 0:
            errors.append(_("%(lot)s: the count must be a whole number, zero or more.") % {"lot": lots[lot_id]})
    if errors:
        raise ValidationError(errors)
    # Lock the balances in the ledger's fixed order, so the expected figures cannot move under us.
    keys = sorted(counts)
    clinic_id = clinic.pk if clinic else None
    StockBalance.objects.bulk_create([StockBalance(clinic_id=clinic_id, lot_id=k, quantity=0) for k in keys],
                                     ignore_conflicts=True)
    location = Q(clinic_id=clinic_id) if clinic_id else Q(clinic__isnull=True)
    expected = dict(
        StockBalance.objects.select_for_update().filter(location, lot_id__in=keys).order_by("lot_id")
        .values_list("lot_id", "quantity")
    )
    count = validate_and_save(StockCount(clinic=clinic, counted_by=by, remarks=(remarks or "").strip()))
    StockCountLine.objects.bulk_create([
        StockCountLine(count=count, lot=lots[k], expected=expected[k], counted=counts[k]) for k in keys
    ])
    moves = [Move(clinic, lots[k], counts[k] - expected[k]) for k in keys if counts[k] != expected[k]]
    if moves:
        ledger_move(moves=moves, kind=StockMovement.Kind.COUNT, by=by, document=count.document,
                    reason=count.remarks)
    return count


@transaction.atomic
def pharmacy_settings_update(*, request_deadline_day: int, by=None) -> PharmacySettings:
    # full_clean() alone would turn 5.5, "7" or True into a day (int() of them): refuse anything not an int.
    if isinstance(request_deadline_day, bool) or not isinstance(request_deadline_day, int):
        raise ValidationError({"request_deadline_day": _("The deadline is a day of the month, from 1 to 28.")})
    current = PharmacySettings.objects.select_for_update().filter(pk=1).first() or PharmacySettings(pk=1)
    current.request_deadline_day = request_deadline_day
    current.updated_by, current.updated_at = by, timezone.now()
    return validate_and_save(current)


# --- Warehouse deliveries and counts with lots found on the shelf ------------------------------------

def _delivery_under_key(client_key) -> WarehouseDelivery | None:
    if client_key is None:
        return None
    return WarehouseDelivery.objects.filter(client_key=client_key).first()


@transaction.atomic
def warehouse_receive_delivery(*, lines: list[dict], document: str, reason: str = "", by=None,
                               today: date | None = None, client_key=None) -> WarehouseDelivery:
    """A supplier's delivery of several lines into the warehouse, all or nothing.

    Each line is ``{item, lot_number, expiry, quantity}`` and goes through ``warehouse_receive``; a lot
    already expired is refused (it could never be dispatched). The errors of every line are reported
    together, numbered as the lines, and nothing is written when there is one.

    ``client_key`` (a UUID made when the form is drawn) makes a repeated post harmless: the delivery
    already received under it is returned and nothing more is written. The delivery's row claims the key
    before any line is moved, in the same transaction: a second post at the same moment waits on the
    unique index and then gets the first one's delivery, and a refused delivery leaves the key free.
    """
    existing = _delivery_under_key(client_key)
    if existing is not None:
        return existing
    document = (document or "").strip()
    reason = (reason or "").strip()
    if not document:
        raise ValidationError({"document": _("Give the invoice or delivery note number.")})
    if not lines:
        raise ValidationError(_("Add at least one line to the delivery."))
    delivery = WarehouseDelivery(document=document, reason=reason, client_key=client_key, received_by=by)
    try:
        validate_and_save(delivery)
    except ValidationError:
        existing = _delivery_under_key(client_key)  # the same post, committed first by another request
        if existing is None:
            raise
        return existing
    today = today or _today()
    errors, movements = [], []
    for number, line in enumerate(lines, 1):
        if line["expiry"] < today:
            errors.append(_("Line %(n)d: lot %(lot)s expired on %(date)s; expired stock cannot be received.")
                          % {"n": number, "lot": line["lot_number"], "date": line["expiry"].strftime("%d/%m/%Y")})
            continue
        try:
            with transaction.atomic():
                movements.append(warehouse_receive(
                    item=line["item"], lot_number=line["lot_number"], expiry=line["expiry"],
                    quantity=line["quantity"], by=by, document=document, reason=reason,
                ))
        except ValidationError as exc:
            errors += [_("Line %(n)d: %(error)s") % {"n": number, "error": message} for message in exc.messages]
    if errors:
        raise ValidationError(errors)  # rolls back the delivery's row too: the key is free again
    delivery.lines, delivery.units = len(movements), sum(m.quantity for m in movements)
    return validate_and_save(delivery, update_fields=["lines", "units"])


@transaction.atomic
def stock_count_record_with_found(*, clinic: Clinic | None, counts: dict, found: list[dict], by=None,
                                  remarks: str = "") -> StockCount:
    """``stock_count_record`` plus lots found on the shelf that the ledger does not show at the location.

    Each found lot is ``{item, lot_number, expiry, counted}``: the item's lot of that number (created the
    first time it is seen; a known number must come with the expiry on file) is counted with the others.
    Expired lots are accepted: a count records what is there, expired or not.
    """
    counts = dict(counts)
    errors = []
    for entry in found:
        lot_number = (entry.get("lot_number") or "").strip()
        counted = entry.get("counted")
        if not lot_number:
            errors.append(_("%(item)s: give the lot number of the lot found.") % {"item": entry["item"]})
            continue
        if isinstance(counted, bool) or not isinstance(counted, int) or counted <= 0:
            errors.append(_("%(item)s, lot %(lot)s: a lot found needs a count above zero.")
                          % {"item": entry["item"], "lot": lot_number})
            continue
        lot = Lot.objects.filter(item=entry["item"], lot_number=lot_number).first()
        if lot is None:
            lot = validate_and_save(Lot(item=entry["item"], lot_number=lot_number, expiry=entry["expiry"]))
        elif lot.expiry != entry["expiry"]:
            errors.append(_("%(item)s, lot %(lot)s is on file with the expiry %(date)s.")
                          % {"item": entry["item"], "lot": lot_number, "date": lot.expiry.strftime("%d/%m/%Y")})
            continue
        if lot.pk in counts:
            errors.append(_("%(item)s, lot %(lot)s is counted twice.") % {"item": entry["item"], "lot": lot_number})
            continue
        counts[lot.pk] = counted
    if errors:
        raise ValidationError(errors)
    return stock_count_record(clinic=clinic, counts=counts, by=by, remarks=remarks)


# --- The catalogue, item by item (the API; the CSV import is pharmacy/catalogue.py) ---------------

ITEM_FIELDS = ("code", "name", "form", "strength", "unit", "category", "controlled", "max_months_of_stock",
               "warehouse_minimum", "active")


def _item_fields(fields: dict) -> dict:
    unknown = set(fields) - set(ITEM_FIELDS)
    if unknown:
        raise TypeError(f"not item fields: {', '.join(sorted(unknown))}")
    return {name: value.strip() if isinstance(value, str) else value for name, value in fields.items()}


@transaction.atomic
def item_create(**fields) -> Item:
    """A new item of the catalogue; the code is unique."""
    return validate_and_save(Item(**_item_fields(fields)))


@transaction.atomic
def item_update(*, item: Item, **fields) -> Item:
    """Change some fields of an item; an item in use is retired with ``active=False``, never deleted."""
    fields = _item_fields(fields)
    item = Item.objects.select_for_update().get(pk=item.pk)
    for name, value in fields.items():
        setattr(item, name, value)
    return validate_and_save(item, update_fields=list(fields) or None)


# --- The pasante's request form: save and, when asked, submit, in one transaction ---------------------

@transaction.atomic
def restock_request_create_from_form(*, clinic: Clinic, period: date, lines: list[dict], by=None,
                                     kind: str = RestockRequest.Kind.REGULAR, emergency_reason: str = "",
                                     client_key=None, submit: bool = False) -> RestockRequest:
    """The new-request form posted: a draft with its lines, submitted too when ``submit``; all or nothing.

    The form's ``client_key`` makes a repeated post one request. A post replayed after its request was
    submitted returns that request unchanged; one replayed while the request is still a draft (the answer
    to the first post was lost, the pasante corrected a figure and sent again) saves the figures it
    carries, which are the latest the pasante typed.
    """
    existing = _request_under_key(client_key, clinic)
    if existing is None:
        request = restock_request_create_draft(clinic=clinic, period=period, lines=lines, by=by, kind=kind,
                                               emergency_reason=emergency_reason, client_key=client_key)
    elif existing.state == State.DRAFT:
        request = restock_request_update_lines(request=existing, lines=lines, by=by)
    else:
        return existing
    if request.state != State.DRAFT:
        # The same post, replayed at the same moment, was answered by the other's request: already sent on.
        return request
    if submit:
        request = restock_request_submit(request=request, by=by)
    return request


@transaction.atomic
def restock_request_update_from_form(*, request: RestockRequest, lines: list[dict], by=None,
                                     submit: bool = False) -> RestockRequest:
    """The form of a draft or rejected request posted: its lines replaced, submitted too when ``submit``;
    all or nothing."""
    if not submit:
        return restock_request_update_lines(request=request, lines=lines, by=by)
    # The submission moves updated_at: touching it for the lines first would only cost a query.
    return restock_request_submit(request=_replace_lines(request, lines), by=by)
