from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum

from clinics.tests.factories import ClinicFactory
from pharmacy import services
from pharmacy.models import RestockLine, RestockRequest, StockBalance, StockMovement
from pharmacy.selectors import restock_requests_visible_to, restock_status_for_clinics

from .factories import ItemFactory, restock_request_advance
from .factories import restock_line as line

State = RestockRequest.State
PERIOD = date(2026, 6, 1)  # 30 days
TODAY = date(2026, 6, 20)


def ledger_matches_balances():
    sums = {
        (row["clinic_id"], row["lot_id"]): row["total"]
        for row in StockMovement.objects.values("clinic_id", "lot_id").annotate(total=Sum("quantity"))
    }
    balances = {(b.clinic_id, b.lot_id): b.quantity for b in StockBalance.objects.all()}
    return sums == {k: v for k, v in balances.items() if v or k in sums}


def warehouse_stock(item):
    return StockBalance.objects.filter(clinic__isnull=True, lot__item=item).aggregate(t=Sum("quantity"))["t"] or 0


def clinic_stock(clinic, item):
    return StockBalance.objects.filter(clinic=clinic, lot__item=item).aggregate(t=Sum("quantity"))["t"] or 0


@pytest.fixture
def item(db):
    return ItemFactory(name="Paracetamol", max_months_of_stock=3)


@pytest.fixture
def stocked(item, pharmacy):
    services.warehouse_receive(item=item, lot_number="LATE", expiry=date(2028, 1, 31), quantity=100, by=pharmacy)
    services.warehouse_receive(item=item, lot_number="SOON", expiry=date(2027, 1, 31), quantity=50, by=pharmacy)
    services.warehouse_receive(item=item, lot_number="GONE", expiry=date(2026, 5, 31), quantity=500, by=pharmacy)
    return item


@pytest.fixture
def draft(clinic_a, item, pasante_a):
    return services.restock_request_create_draft(clinic=clinic_a, period=PERIOD, lines=[line(item)], by=pasante_a)


# --- The ledger ---------------------------------------------------------------------------------

def test_warehouse_receipt_creates_the_lot_and_the_stock(stocked):
    assert warehouse_stock(stocked) == 650
    assert ledger_matches_balances()


def test_warehouse_receipt_refuses_a_known_lot_with_another_expiry(stocked):
    with pytest.raises(ValidationError, match="another expiry"):
        services.warehouse_receive(item=stocked, lot_number="SOON", expiry=date(2029, 1, 1), quantity=5)
    assert warehouse_stock(stocked) == 650


@pytest.mark.parametrize("quantity", [0, -5])
def test_warehouse_receipt_refuses_a_quantity_not_above_zero(item, quantity):
    with pytest.raises(ValidationError):
        services.warehouse_receive(item=item, lot_number="X", expiry=date(2028, 1, 1), quantity=quantity)
    assert not StockMovement.objects.exists()
    assert not item.lots.exists()


def test_ledger_refuses_to_go_negative_and_writes_nothing(stocked, clinic_a):
    lot = stocked.lots.get(lot_number="SOON")
    with pytest.raises(ValidationError, match="Not enough stock"):
        services.ledger_move(moves=[services.Move(None, lot, -51)], kind=StockMovement.Kind.LOSS, reason="x")
    assert warehouse_stock(stocked) == 650
    assert StockMovement.objects.count() == 3


def test_ledger_moves_up_to_the_last_unit(stocked):
    lot = stocked.lots.get(lot_number="SOON")
    services.ledger_move(moves=[services.Move(None, lot, -50)], kind=StockMovement.Kind.LOSS, reason="broken")
    assert StockBalance.objects.get(clinic__isnull=True, lot=lot).quantity == 0
    assert ledger_matches_balances()


# --- Drafts and calculations --------------------------------------------------------------------

def test_draft_computes_amc_maximum_and_suggestion(draft):
    row = draft.lines.get()
    assert (row.amc, row.maximum, row.suggested, row.requested) == (30, 90, 70, 70)
    assert draft.state == State.DRAFT


def test_amc_uses_the_previous_periods_adjusted_for_stockouts(clinic_a, item, pasante_a):
    may = services.restock_request_create_draft(
        clinic=clinic_a, period=date(2026, 5, 1), by=pasante_a,
        lines=[line(item, consumed=21, stockout_days=10, requested=70, explanation="rainy season")])
    services.restock_request_submit(request=may, by=pasante_a)
    # May: 21 * 31 / 21 = 31; June: 30 -> AMC 30.5 -> 31; max 93; on hand 20 -> 73.
    june = services.restock_request_create_draft(clinic=clinic_a, period=PERIOD, lines=[line(item)], by=pasante_a)
    row = june.lines.get()
    assert (row.amc, row.maximum, row.suggested) == (31, 93, 73)


def test_requested_different_from_suggestion_needs_an_explanation(clinic_a, item, pasante_a):
    with pytest.raises(ValidationError, match="Explain why"):
        services.restock_request_create_draft(clinic=clinic_a, period=PERIOD, lines=[line(item, requested=80)],
                                              by=pasante_a)
    assert not RestockRequest.objects.exists()


def test_requested_different_from_suggestion_with_explanation_is_kept(clinic_a, item, pasante_a):
    request = services.restock_request_create_draft(
        clinic=clinic_a, period=PERIOD, lines=[line(item, requested=80, explanation="fiesta patronal")],
        by=pasante_a)
    assert request.lines.get().requested == 80


@pytest.mark.parametrize("bad", [{"consumed": -1}, {"stock_on_hand": -3}, {"stockout_days": 31},
                                 {"requested": -1, "explanation": "x"},
                                 {"losses_adjustments": -2}, {"consumed": "many"}, {"requested": 2.5}])
def test_bad_line_figures_are_refused_and_nothing_written(clinic_a, item, pasante_a, bad):
    with pytest.raises(ValidationError):
        services.restock_request_create_draft(clinic=clinic_a, period=PERIOD, lines=[line(item, **bad)],
                                              by=pasante_a)
    assert not RestockRequest.objects.exists()
    assert not RestockLine.objects.exists()


def test_unknown_item_is_refused_and_nothing_written(clinic_a, item, pasante_a):
    with pytest.raises(ValidationError, match="Unknown item"):
        services.restock_request_create_draft(clinic=clinic_a, period=PERIOD,
                                              lines=[line(item), {**line(item), "item": 999999}], by=pasante_a)
    assert not RestockRequest.objects.exists()


def test_an_item_twice_in_the_request_is_refused_and_nothing_written(clinic_a, item, pasante_a):
    with pytest.raises(ValidationError, match="twice in the request"):
        services.restock_request_create_draft(clinic=clinic_a, period=PERIOD, lines=[line(item), line(item)],
                                              by=pasante_a)
    assert not RestockRequest.objects.exists()


def test_one_regular_request_per_clinic_and_period(draft, clinic_a, item, pasante_a):
    with pytest.raises(ValidationError, match="already has a regular request"):
        services.restock_request_create_draft(clinic=clinic_a, period=date(2026, 6, 15), lines=[line(item)],
                                              by=pasante_a)
    assert RestockRequest.objects.count() == 1


def test_an_emergency_request_may_sit_beside_the_regular_one(draft, clinic_a, item, pasante_a):
    services.restock_request_create_draft(clinic=clinic_a, period=PERIOD, lines=[line(item)], by=pasante_a,
                                          kind=RestockRequest.Kind.EMERGENCY, emergency_reason="dengue outbreak")
    assert RestockRequest.objects.count() == 2


def test_an_emergency_request_needs_a_reason(clinic_a, item, pasante_a):
    with pytest.raises(ValidationError, match="emergency"):
        services.restock_request_create_draft(clinic=clinic_a, period=PERIOD, lines=[line(item)], by=pasante_a,
                                              kind=RestockRequest.Kind.EMERGENCY)
    assert not RestockRequest.objects.exists()


# --- Transitions -------------------------------------------------------------------------------

def test_the_whole_cycle_moves_stock_fefo_and_into_the_clinic(draft, stocked, clinic_a, pasante_a, pharmacy):
    request = restock_request_advance(draft, State.SUBMITTED, pasante=pasante_a)
    request = services.restock_request_approve(request=request, by=pharmacy, cuts={stocked.pk: (60, "budget")})
    request = services.restock_request_dispatch(request=request, by=pharmacy, today=TODAY)
    assert request.state == State.DISPATCHED
    # FEFO: the 50 of SOON first, then 10 of LATE; the expired lot GONE is never picked.
    picked = {m.lot.lot_number: -m.quantity for m in services.dispatch_pick_list(request)}
    assert picked == {"SOON": 50, "LATE": 10}
    assert clinic_stock(clinic_a, stocked) == 0
    request = services.restock_request_receive(request=request, by=pasante_a,
                                               received={stocked.pk: (58, "two blisters crushed")})
    row = request.lines.get()
    assert (row.approved, row.cut_reason, row.dispatched, row.received_quantity) == (60, "budget", 60, 58)
    assert row.remarks == "two blisters crushed"
    assert clinic_stock(clinic_a, stocked) == 58
    assert warehouse_stock(stocked) == 650 - 60
    request = services.restock_request_close(request=request, by=pharmacy)
    assert request.state == State.CLOSED
    assert ledger_matches_balances()


def _stored_updated_at(request):
    return RestockRequest.objects.values_list("updated_at", flat=True).get(pk=request.pk)


def test_every_step_of_the_cycle_moves_updated_at(draft, stocked, pasante_a, pharmacy):
    stamps = [_stored_updated_at(draft)]
    request = services.restock_request_update_lines(request=draft, lines=[line(stocked, consumed=20)], by=pasante_a)
    stamps.append(_stored_updated_at(request))
    for state in (State.SUBMITTED, State.APPROVED, State.DISPATCHED, State.RECEIVED, State.CLOSED):
        request = restock_request_advance(request, state, pasante=pasante_a, reviewer=pharmacy, today=TODAY)
        stamps.append(_stored_updated_at(request))

    assert stamps == sorted(set(stamps))  # each later than the one before
    assert stamps[-1] == request.updated_at >= request.closed_at


def test_a_refused_step_leaves_updated_at_alone(draft, pharmacy):
    before = _stored_updated_at(draft)

    with pytest.raises(ValidationError):
        services.restock_request_approve(request=draft, by=pharmacy)  # a draft is not approved

    assert _stored_updated_at(draft) == before


def test_a_rejected_request_can_be_corrected_and_submitted_again(draft, item, pasante_a, pharmacy):
    request = restock_request_advance(draft, State.SUBMITTED, pasante=pasante_a)
    request = services.restock_request_reject(request=request, reason="Count again", by=pharmacy)
    assert (request.state, request.rejection_reason) == (State.REJECTED, "Count again")
    services.restock_request_update_lines(request=request, lines=[line(item, stock_on_hand=30)], by=pasante_a)
    request = services.restock_request_submit(request=request, by=pasante_a)
    assert request.state == State.SUBMITTED
    assert request.lines.get().suggested == 60


def test_rejection_needs_a_reason(draft, pasante_a, pharmacy):
    request = restock_request_advance(draft, State.SUBMITTED, pasante=pasante_a)
    with pytest.raises(ValidationError, match="reason"):
        services.restock_request_reject(request=request, reason="  ", by=pharmacy)
    request.refresh_from_db()
    assert request.state == State.SUBMITTED


def test_a_cut_needs_a_reason(draft, stocked, pasante_a, pharmacy):
    request = restock_request_advance(draft, State.SUBMITTED, pasante=pasante_a)
    with pytest.raises(ValidationError, match="reason for the cut"):
        services.restock_request_approve(request=request, by=pharmacy, cuts={stocked.pk: (60, "")})
    request.refresh_from_db()
    assert request.state == State.SUBMITTED
    assert request.lines.get().approved is None


@pytest.mark.parametrize("approved", [71, -1])
def test_approval_above_the_request_or_negative_is_refused(draft, stocked, pasante_a, pharmacy, approved):
    request = restock_request_advance(draft, State.SUBMITTED, pasante=pasante_a)
    with pytest.raises(ValidationError):
        services.restock_request_approve(request=request, by=pharmacy, cuts={stocked.pk: (approved, "why")})
    request.refresh_from_db()
    assert request.state == State.SUBMITTED


def test_dispatch_above_stock_moves_nothing(draft, item, pasante_a, pharmacy):
    services.warehouse_receive(item=item, lot_number="FEW", expiry=date(2028, 1, 31), quantity=10)
    request = restock_request_advance(draft, State.APPROVED, pasante=pasante_a)
    with pytest.raises(ValidationError, match="nothing was moved"):
        services.restock_request_dispatch(request=request, by=pharmacy, today=TODAY)
    request.refresh_from_db()
    assert request.state == State.APPROVED
    assert warehouse_stock(item) == 10
    assert StockMovement.objects.count() == 1


def test_dispatch_of_several_lines_is_all_or_nothing(clinic_a, stocked, pasante_a, pharmacy):
    other = ItemFactory(name="Amoxicilina")
    request = services.restock_request_create_draft(clinic=clinic_a, period=PERIOD, by=pasante_a,
                                                    lines=[line(stocked), line(other)])
    request = restock_request_advance(request, State.APPROVED, pasante=pasante_a)
    with pytest.raises(ValidationError, match="Amoxicilina"):
        services.restock_request_dispatch(request=request, by=pharmacy, today=TODAY)
    assert warehouse_stock(stocked) == 650
    assert not StockMovement.objects.filter(kind=StockMovement.Kind.DISPATCH_OUT).exists()


def test_receipt_above_dispatched_or_difference_without_remark_is_refused(draft, stocked, clinic_a, pasante_a):
    request = restock_request_advance(draft, State.DISPATCHED, pasante=pasante_a, today=TODAY)
    for received in ({stocked.pk: (71, "extra")}, {stocked.pk: (60, "")}):
        with pytest.raises(ValidationError):
            services.restock_request_receive(request=request, by=pasante_a, received=received)
    request.refresh_from_db()
    assert request.state == State.DISPATCHED
    assert clinic_stock(clinic_a, stocked) == 0


TRANSITIONS = {
    "submit": (lambda r: services.restock_request_submit(request=r), {State.DRAFT, State.REJECTED}),
    "approve": (lambda r: services.restock_request_approve(request=r), {State.SUBMITTED}),
    "reject": (lambda r: services.restock_request_reject(request=r, reason="no"), {State.SUBMITTED}),
    "dispatch": (lambda r: services.restock_request_dispatch(request=r, today=TODAY), {State.APPROVED}),
    "receive": (lambda r: services.restock_request_receive(request=r), {State.DISPATCHED}),
    "close": (lambda r: services.restock_request_close(request=r), {State.RECEIVED}),
}


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_each_transition_is_refused_from_every_other_state(draft, stocked, state, action):
    request = restock_request_advance(draft, state, today=TODAY)
    step, allowed = TRANSITIONS[action]
    if state in allowed:
        assert step(request).state != state
        return
    movements = StockMovement.objects.count()
    with pytest.raises(ValidationError) as exc:
        step(request)
    assert exc.value.code == "illegal_transition"
    request.refresh_from_db()
    assert request.state == state
    assert StockMovement.objects.count() == movements


# --- Selectors ---------------------------------------------------------------------------------

def test_pasante_sees_only_their_clinic_requests(draft, clinic_b, item, pasante_a, pasante_b):
    services.restock_request_create_draft(clinic=clinic_b, period=PERIOD, lines=[line(item)], by=pasante_b)
    assert list(restock_requests_visible_to(pasante_a)) == [draft]
    assert restock_requests_visible_to(pasante_b).get().clinic == clinic_b


@pytest.mark.parametrize("persona", ["pharmacy", "coordinator", "admin_user"])
def test_pharmacy_coordinator_and_admin_see_every_request(draft, clinic_b, item, pasante_b, persona, request):
    services.restock_request_create_draft(clinic=clinic_b, period=PERIOD, lines=[line(item)], by=pasante_b)
    assert restock_requests_visible_to(request.getfixturevalue(persona)).count() == 2


@pytest.mark.parametrize("persona", ["outsider", "visitor_program", "applicant", "chw"])
def test_other_roles_see_no_request(draft, persona, request):
    assert not restock_requests_visible_to(request.getfixturevalue(persona)).exists()


def test_restock_status_for_clinics_gives_the_regular_request_state(draft, clinic_a, item, pasante_a):
    ClinicFactory()
    restock_request_advance(draft, State.SUBMITTED, pasante=pasante_a)
    services.restock_request_create_draft(clinic=clinic_a, period=PERIOD, lines=[line(item)], by=pasante_a,
                                          kind=RestockRequest.Kind.EMERGENCY, emergency_reason="outbreak")
    assert restock_status_for_clinics(date(2026, 6, 18)) == {clinic_a.pk: State.SUBMITTED}


def test_the_database_itself_refuses_a_negative_balance(stocked):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        StockBalance.objects.filter(clinic__isnull=True).update(quantity=-1)


def test_restock_changes_are_kept_in_history(draft, pasante_a):
    import pghistory.models

    restock_request_advance(draft, State.SUBMITTED, pasante=pasante_a)
    states = [e.pgh_data["state"] for e in pghistory.models.Events.objects.tracks(draft).order_by("pgh_created_at")]
    assert states == ["draft", "submitted"]


def test_an_illegal_transition_reads_naturally_in_spanish(draft, coordinator):
    from django.utils import translation

    with translation.override("es"), pytest.raises(ValidationError) as refused:
        services.restock_request_approve(request=draft, by=coordinator)
    assert refused.value.messages == ["No se puede aprobar una solicitud en estado «borrador»."]
