"""The restock request pages after the pasante's form, through the Django test client: the lists and the
queue, the detail beside the clinic's history, the review (approve with cuts, reject), the dispatch and its
pick list, the pasante's receipt, and closing. Every action legal and illegal: a wrong state or a bad number
gives a message and writes nothing; a pasante of another clinic gets 404, a role with no business 403; the
number of queries of the lists and the detail pinned at two data sizes."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from ces.accounts.roles import Role
from clinics.tests.factories import ClinicFactory
from pharmacy import services
from pharmacy.models import RestockLine, RestockRequest, StockBalance, StockMovement
from pharmacy.tests.factories import ItemFactory, restock_request_in_state
from pharmacy.tests.factories import restock_line as line
from tests.kit import LAYOUT_QUERIES, client_for

pytestmark = pytest.mark.django_db

State = RestockRequest.State
Kind = RestockRequest.Kind
TODAY = timezone.localdate()
PERIOD = TODAY.replace(day=1)


# --- Helpers ----------------------------------------------------------------------------------------------


def url(name, *args):
    return reverse(f"pharmacy:{name}", args=args)


def text(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def months_before(period: date, n: int) -> date:
    month = period.month - n
    year = period.year + (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1)


def snapshot(request: RestockRequest):
    """Everything a refused action must leave as it was: the request, its lines and the ledger."""
    request.refresh_from_db()
    lines = list(RestockLine.objects.filter(request=request).order_by("pk").values())
    return request.state, request.rejection_reason, request.receipt_remarks, lines, StockMovement.objects.count()


def warehouse_stock(item) -> int:
    return StockBalance.objects.filter(clinic__isnull=True, lot__item=item).aggregate(t=Sum("quantity"))["t"] or 0


def clinic_stock(clinic, item) -> int:
    return StockBalance.objects.filter(clinic=clinic, lot__item=item).aggregate(t=Sum("quantity"))["t"] or 0


@pytest.fixture
def items(db):
    return [ItemFactory(name="Paracetamol", code="PAR-500"), ItemFactory(name="Amoxicilina", code="AMX-500")]


@pytest.fixture
def stocked(items, pharmacy):
    """Each item in the warehouse in two lots: one expiring in three months (40), one next year (500)."""
    for item in items:
        services.warehouse_receive(item=item, lot_number=f"SOON-{item.code}", expiry=TODAY + timedelta(days=90),
                                   quantity=40, by=pharmacy)
        services.warehouse_receive(item=item, lot_number=f"LATE-{item.code}", expiry=TODAY + timedelta(days=400),
                                   quantity=500, by=pharmacy)
    return items


# --- The list --------------------------------------------------------------------------------------------


def test_pasante_sees_their_clinics_history_with_emergencies_flagged(pasante_a, clinic_a, clinic_b, stocked):
    items = stocked
    old = restock_request_in_state(State.CLOSED, clinic=clinic_a, items=items, period=months_before(PERIOD, 2))
    emergency = restock_request_in_state(State.DRAFT, clinic=clinic_a, items=items[:1], kind=Kind.EMERGENCY)
    current = restock_request_in_state(State.SUBMITTED, clinic=clinic_a, items=items)
    other = restock_request_in_state(State.SUBMITTED, clinic=clinic_b, items=items)
    response = client_for(pasante_a).get(url("request-list"))
    assert response.status_code == 200
    rows = {r.pk for r in response.context["page_obj"]}
    assert rows == {old.pk, emergency.pk, current.pk}
    assert other.pk not in rows
    content = text(response)
    assert f'data-pk="{emergency.pk}"' in content
    assert content.count('data-testid="request-emergency"') == 1
    assert 'name="clinic"' not in content  # one clinic: no clinic filter


def test_pharmacy_filters_the_requests_by_clinic_state_month_and_kind(pharmacy, clinic_a, clinic_b, items):
    a_now = restock_request_in_state(State.SUBMITTED, clinic=clinic_a, items=items)
    a_before = restock_request_in_state(State.DRAFT, clinic=clinic_a, items=items, period=months_before(PERIOD, 1))
    a_emergency = restock_request_in_state(State.SUBMITTED, clinic=clinic_a, items=items, kind=Kind.EMERGENCY)
    b_now = restock_request_in_state(State.DRAFT, clinic=clinic_b, items=items)
    client = client_for(pharmacy)

    def shown(**query):
        response = client.get(url("request-list"), query)
        assert response.status_code == 200
        return {r.pk for r in response.context["page_obj"]}

    assert shown() == {a_now.pk, a_before.pk, a_emergency.pk, b_now.pk}
    assert shown(clinic=clinic_b.name) == {b_now.pk}
    assert shown(clinic=clinic_b.name[-4:].upper()) == {b_now.pk}  # part of the name, any case
    assert shown(state="draft") == {a_before.pk, b_now.pk}
    assert shown(month=PERIOD.strftime("%Y-%m")) == {a_now.pk, a_emergency.pk, b_now.pk}
    assert shown(month=months_before(PERIOD, 1).strftime("%m/%Y")) == {a_before.pk}
    assert shown(kind="emergency") == {a_emergency.pk}
    assert shown(clinic=clinic_a.name, state="submitted", kind="regular") == {a_now.pk}
    assert shown(clinic="no such clinic") == set()


def test_the_clinic_filter_is_a_search_box_not_a_list_of_every_clinic(pharmacy, clinic_a, clinic_b, items):
    restock_request_in_state(State.SUBMITTED, clinic=clinic_a, items=items)
    content = text(client_for(pharmacy).get(url("request-list"), {"clinic": "capi"}))
    assert 'type="search" name="clinic" value="capi"' in content
    assert "<option" not in content.split('name="clinic"')[1].split("</div>")[0]
    assert clinic_b.name not in content and clinic_a.name in content


def test_unknown_filter_values_are_ignored_not_an_error(pharmacy, clinic_a, items):
    request = restock_request_in_state(State.SUBMITTED, clinic=clinic_a, items=items)
    response = client_for(pharmacy).get(url("request-list"),
                                        {"clinic": "x" * 101, "state": "lost", "month": "soon", "kind": "?"})
    assert response.status_code == 200
    assert [r.pk for r in response.context["page_obj"]] == [request.pk]


@pytest.mark.parametrize("persona", ["chw", "supervisor", "visitor_program", "outsider"])
def test_roles_with_no_part_in_restocking_cannot_open_the_lists(request, persona):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(url("request-list")).status_code == 403
    assert client.get(url("request-queue")).status_code == 403


@pytest.mark.parametrize("size", [2, 12])
def test_request_list_query_count_is_fixed(coordinator, pasante_a, clinic_a, items, django_assert_num_queries,
                                          size):
    for n in range(size):
        restock_request_in_state(State.SUBMITTED, clinic=ClinicFactory(), items=items,
                                 period=months_before(PERIOD, n % 3))
        restock_request_in_state(State.DRAFT, clinic=clinic_a, items=items, period=months_before(PERIOD, n))
    wide, own = client_for(coordinator), client_for(pasante_a)
    # count, page (with the number of items): the clinic filter is a search, it lists no clinic
    with django_assert_num_queries(LAYOUT_QUERIES + 2):
        assert wide.get(url("request-list")).status_code == 200
    with django_assert_num_queries(LAYOUT_QUERIES + 2):
        assert wide.get(url("request-list"), {"clinic": clinic_a.name[:5]}).status_code == 200
    # count, page
    with django_assert_num_queries(LAYOUT_QUERIES + 2):
        assert own.get(url("request-list")).status_code == 200


# --- The queue -------------------------------------------------------------------------------------------


def test_queue_shows_submitted_requests_the_longest_waiting_first_and_highlights_after_three_days(
        pharmacy, clinic_a, clinic_b, items):
    fresh = restock_request_in_state(State.SUBMITTED, clinic=clinic_a, items=items)
    waiting = restock_request_in_state(State.SUBMITTED, clinic=clinic_b, items=items)
    RestockRequest.objects.filter(pk=waiting.pk).update(submitted_at=timezone.now() - timedelta(days=5))
    restock_request_in_state(State.APPROVED, clinic=ClinicFactory(), items=items)
    restock_request_in_state(State.DRAFT, clinic=ClinicFactory(), items=items)
    response = client_for(pharmacy).get(url("request-queue"))
    assert response.status_code == 200
    assert [r.pk for r in response.context["page_obj"]] == [waiting.pk, fresh.pk]
    content = text(response)
    assert f'data-pk="{waiting.pk}" data-days="5" class="overdue"' in content
    assert f'data-pk="{fresh.pk}" data-days="0">' in content
    assert content.count('data-testid="queue-overdue"') == 1


def test_pasante_has_no_queue(pasante_a):
    assert client_for(pasante_a).get(url("request-queue")).status_code == 403


@pytest.mark.parametrize("size", [2, 12])
def test_queue_query_count_is_fixed(pharmacy, items, django_assert_num_queries, size):
    for _ in range(size):
        restock_request_in_state(State.SUBMITTED, clinic=ClinicFactory(), items=items)
    client = client_for(pharmacy)
    # count, page (clinic, who submitted, number of items)
    with django_assert_num_queries(LAYOUT_QUERIES + 2):
        assert client.get(url("request-queue")).status_code == 200


# --- The detail ------------------------------------------------------------------------------------------


def test_detail_shows_every_figure_of_each_line(pharmacy, pasante_a, clinic_a, stocked):
    para, amox = stocked
    request = services.restock_request_create_draft(clinic=clinic_a, period=PERIOD, by=pasante_a, lines=[
        line(para, losses_adjustments=-3, adjustment_reason="Broken bottles", stockout_days=4, requested=90,
             explanation="Rainy season coming"),
        line(amox),
    ])
    services.restock_request_submit(request=request, by=pasante_a)
    services.restock_request_approve(request=request, by=pharmacy, cuts={para.pk: (60, "Warehouse is low")})
    services.restock_request_dispatch(request=request, by=pharmacy)
    services.restock_request_receive(request=request, by=pasante_a, received={para.pk: (58, "Two were broken")},
                                     remarks="Arrived on Friday")
    response = client_for(pharmacy).get(url("request-detail", request.pk))
    assert response.status_code == 200
    content = text(response)
    first = RestockLine.objects.get(request=request, item=para)
    row = f'data-item="{para.pk}" data-requested="90" data-approved="60" data-dispatched="60" data-received="58"'
    assert row in content
    for figure in ("Broken bottles", "Rainy season coming", "Warehouse is low", "Two were broken",
                   "Arrived on Friday", f'data-label="AMC">{first.amc}</td>',
                   f'data-label="Maximum">{first.maximum}</td>', f'data-label="Suggested">{first.suggested}</td>',
                   'data-label="Losses and adjustments">-3'):
        assert figure in content, figure  # each figure with its label: a phone shows the label beside it


def test_detail_shows_who_moved_the_request_and_when_including_a_rejection(pharmacy, coordinator, pasante_a,
                                                                          clinic_a, items):
    request = restock_request_in_state(State.SUBMITTED, clinic=clinic_a, items=items, pasante=pasante_a)
    client_for(coordinator).post(url("request-reject", request.pk), {"rejection_reason": "Counts missing"})
    services.restock_request_submit(request=request, by=pasante_a)
    client_for(pharmacy).post(url("request-approve", request.pk), {
        f"quantity_{i.pk}": request.lines.get(item=i).requested for i in items})
    response = client_for(pasante_a).get(url("request-detail", request.pk))
    timeline = response.context["timeline"]
    assert [(e["state"], e["by"]) for e in timeline] == [
        (State.DRAFT, pasante_a), (State.SUBMITTED, pasante_a), (State.REJECTED, coordinator),
        (State.SUBMITTED, pasante_a), (State.APPROVED, pharmacy),
    ]
    assert timeline[2]["note"] == "Counts missing"
    assert text(response).count('data-testid="timeline-entry"') == 5


def test_detail_shows_who_closed_the_request(pharmacy, pasante_a, clinic_a, stocked):
    request = restock_request_in_state(State.RECEIVED, clinic=clinic_a, items=stocked, pasante=pasante_a,
                                       reviewer=pharmacy)
    client_for(pharmacy).post(url("request-close", request.pk))
    timeline = client_for(pasante_a).get(url("request-detail", request.pk)).context["timeline"]
    assert timeline[-1]["state"] == State.CLOSED
    assert timeline[-1]["by"] == pharmacy


def test_detail_shows_the_clinics_earlier_months_beside_the_request(pharmacy, clinic_a, clinic_b, stocked):
    para, amox = stocked
    oldest = restock_request_in_state(State.CLOSED, clinic=clinic_a, items=[para], period=months_before(PERIOD, 2),
                                      consumed=12, cuts={para.pk: (5, "Short")})
    restock_request_in_state(State.APPROVED, clinic=clinic_a, items=[para, amox], period=months_before(PERIOD, 1),
                             consumed=25)
    restock_request_in_state(State.APPROVED, clinic=clinic_b, items=[para], period=months_before(PERIOD, 1),
                             consumed=99)
    request = restock_request_in_state(State.SUBMITTED, clinic=clinic_a, items=[para, amox])
    response = client_for(pharmacy).get(url("request-detail", request.pk))
    by_item = {line.item_id: [(e.period, old.consumed if old else None) for e, old in line.history]
               for line in response.context["lines"]}
    assert by_item == {
        para.pk: [(months_before(PERIOD, 1), 25), (months_before(PERIOD, 2), 12)],
        amox.pk: [(months_before(PERIOD, 1), 25), (months_before(PERIOD, 2), None)],
    }
    content = text(response)
    assert 'data-testid="request-history"' in content
    requested = oldest.lines.get().requested
    period = months_before(PERIOD, 2)
    # consumed / requested / approved, beside the item
    assert (f'data-testid="history-cell" data-period="{period:%Y-%m}">{period:%m/%Y}: 12 / {requested} / 5</span>'
            in content)


def test_first_request_of_a_clinic_says_there_is_nothing_to_compare(pharmacy, clinic_a, items):
    request = restock_request_in_state(State.SUBMITTED, clinic=clinic_a, items=items)
    assert 'data-testid="history-none"' in text(client_for(pharmacy).get(url("request-detail", request.pk)))


def test_pasante_of_another_clinic_gets_404_on_every_page_of_the_request(pasante_b, clinic_a, items):
    request = restock_request_in_state(State.DRAFT, clinic=clinic_a, items=items)
    client = client_for(pasante_b)
    for name in ("request-detail", "request-pick-list", "request-receive"):
        assert client.get(url(name, request.pk)).status_code == 404
    before = snapshot(request)
    assert client.post(url("request-receive", request.pk)).status_code == 404
    assert snapshot(request) == before


ACTIONS = ("action-review", "action-dispatch", "action-pick-list", "action-receive", "action-close", "action-edit")


@pytest.mark.parametrize(("state", "persona", "shown"), [
    (State.DRAFT, "pasante_a", {"action-edit"}),
    (State.DRAFT, "pharmacy", set()),
    (State.SUBMITTED, "pasante_a", set()),
    (State.SUBMITTED, "pharmacy", {"action-review"}),
    (State.APPROVED, "coordinator", {"action-dispatch"}),
    (State.APPROVED, "pasante_a", set()),
    (State.DISPATCHED, "pasante_a", {"action-receive", "action-pick-list"}),
    (State.DISPATCHED, "pharmacy", {"action-pick-list"}),
    (State.RECEIVED, "admin_user", {"action-close", "action-pick-list"}),
    (State.RECEIVED, "pasante_a", {"action-pick-list"}),
    (State.CLOSED, "pharmacy", {"action-pick-list"}),
])
def test_detail_offers_the_actions_of_the_state_to_the_role_that_takes_them(request, clinic_a, stocked, state,
                                                                            persona, shown):
    restock = restock_request_in_state(state, clinic=clinic_a, items=stocked)
    content = text(client_for(request.getfixturevalue(persona)).get(url("request-detail", restock.pk)))
    assert {a for a in ACTIONS if f'data-testid="{a}"' in content} == shown


def test_a_rejected_request_shows_its_reason_and_offers_the_pasante_to_correct_it(pharmacy, pasante_a, clinic_a,
                                                                                 items):
    restock = restock_request_in_state(State.SUBMITTED, clinic=clinic_a, items=items)
    services.restock_request_reject(request=restock, reason="Stock on hand looks wrong", by=pharmacy)
    content = text(client_for(pasante_a).get(url("request-detail", restock.pk)))
    assert 'data-testid="rejection-reason"' in content
    assert "Stock on hand looks wrong" in content
    assert f'href="{url("request-edit", restock.pk)}"' in content


@pytest.mark.parametrize("size", [2, 12])
def test_request_detail_query_count_is_fixed(pharmacy, clinic_a, stocked, django_assert_num_queries, size):
    extra = [ItemFactory() for _ in range(size)]
    for n in range(1, 4):
        restock_request_in_state(State.APPROVED, clinic=clinic_a, items=[*stocked, *extra],
                                 period=months_before(PERIOD, n))
    restock = restock_request_in_state(State.APPROVED, clinic=clinic_a, items=[*stocked, *extra], reviewer=pharmacy)
    client = client_for(pharmacy)
    # request with its people, lines with items; history: requests, their lines; timeline: events, people
    with django_assert_num_queries(LAYOUT_QUERIES + 6):
        assert client.get(url("request-detail", restock.pk)).status_code == 200


# --- Review: approve and reject ---------------------------------------------------------------------------


def test_review_page_offers_each_line_approved_as_requested(pharmacy, clinic_a, items):
    restock = restock_request_in_state(State.SUBMITTED, clinic=clinic_a, items=items)
    response = client_for(pharmacy).get(url("request-approve", restock.pk))
    assert response.status_code == 200
    content = text(response)
    for restock_line in restock.lines.all():
        assert f'name="quantity_{restock_line.item_id}" value="{restock_line.requested}"' in content
    assert content.count('data-testid="review-line"') == 2
    assert 'data-testid="reject-form"' in content


def test_pharmacy_approves_with_a_cut_and_its_reason(pharmacy, clinic_a, items):
    para, amox = items
    restock = restock_request_in_state(State.SUBMITTED, clinic=clinic_a, items=items)
    requested = restock.lines.get(item=para).requested
    response = client_for(pharmacy).post(url("request-approve", restock.pk), {
        f"quantity_{para.pk}": requested - 10, f"note_{para.pk}": "Short at the warehouse",
        f"quantity_{amox.pk}": restock.lines.get(item=amox).requested,
    }, follow=True)
    restock.refresh_from_db()
    assert restock.state == State.APPROVED
    assert restock.decided_by == pharmacy
    cut = restock.lines.get(item=para)
    assert (cut.approved, cut.cut_reason) == (requested - 10, "Short at the warehouse")
    assert restock.lines.get(item=amox).approved == restock.lines.get(item=amox).requested
    assert response.redirect_chain[-1][0] == url("request-detail", restock.pk)
    assert any("is approved" in m for m in messages_of(response))


def _approval(restock, **changes):
    data = {f"quantity_{ln.item_id}": ln.requested for ln in restock.lines.all()}
    data.update(changes)
    return data


@pytest.mark.parametrize(("change", "message"), [
    ("cut without reason", "give the reason for the cut"),
    ("more than requested", "cannot approve more than was requested"),
    ("negative", "The quantity cannot be negative."),
    ("not a number", "Write a whole number."),
    ("empty", "Write a quantity (0 or more)."),
])
def test_a_bad_approval_shows_why_and_writes_nothing(pharmacy, clinic_a, items, change, message):
    para = items[0]
    restock = restock_request_in_state(State.SUBMITTED, clinic=clinic_a, items=items)
    requested = restock.lines.get(item=para).requested
    value = {"cut without reason": requested - 1, "more than requested": requested + 1, "negative": -1,
             "not a number": "ten", "empty": ""}[change]
    before = snapshot(restock)
    response = client_for(pharmacy).post(url("request-approve", restock.pk),
                                         _approval(restock, **{f"quantity_{para.pk}": value}))
    assert response.status_code == 200
    assert message in text(response)
    assert snapshot(restock) == before


def test_a_cut_without_reason_marks_that_items_card_and_no_other(pharmacy, clinic_a, items):
    para, amox = items
    restock = restock_request_in_state(State.SUBMITTED, clinic=clinic_a, items=items)
    requested = restock.lines.get(item=para).requested

    response = client_for(pharmacy).post(url("request-approve", restock.pk),
                                         _approval(restock, **{f"quantity_{para.pk}": requested - 1}))

    content = text(response)
    assert content.count("error-card") == 1
    card = content.index(f'class="card review-line error-card" data-testid="review-line" data-item="{para.pk}"')
    assert card < content.index("give the reason for the cut") < content.index("</fieldset>", card)
    assert content.index("give the reason for the cut") > content.index('data-testid="review-line"')  # not at the top
    assert "ces/first-error.js" in content  # brings that card into view and focuses its field


def test_approving_a_request_that_is_not_submitted_says_so_and_writes_nothing(pharmacy, clinic_a, items):
    restock = restock_request_in_state(State.DRAFT, clinic=clinic_a, items=items)
    before = snapshot(restock)
    client = client_for(pharmacy)
    response = client.post(url("request-approve", restock.pk), _approval(restock), follow=True)
    assert any("Only a submitted request can be reviewed" in m for m in messages_of(response))
    assert client.get(url("request-approve", restock.pk)).status_code == 302
    assert snapshot(restock) == before


@pytest.mark.parametrize("persona", ["pasante_a", "supervisor", "chw"])
def test_only_the_warehouse_side_may_approve_or_reject(request, clinic_a, items, persona):
    restock = restock_request_in_state(State.SUBMITTED, clinic=clinic_a, items=items)
    before = snapshot(restock)
    client = client_for(request.getfixturevalue(persona))
    assert client.get(url("request-approve", restock.pk)).status_code == 403
    assert client.post(url("request-approve", restock.pk), _approval(restock)).status_code == 403
    assert client.post(url("request-reject", restock.pk), {"rejection_reason": "no"}).status_code == 403
    assert snapshot(restock) == before


def test_coordinator_rejects_with_a_reason_and_the_pasante_reads_it(coordinator, pasante_a, clinic_a, items):
    restock = restock_request_in_state(State.SUBMITTED, clinic=clinic_a, items=items)
    response = client_for(coordinator).post(url("request-reject", restock.pk),
                                            {"rejection_reason": "Consumption doubled: check the count"}, follow=True)
    restock.refresh_from_db()
    assert (restock.state, restock.rejection_reason) == (State.REJECTED, "Consumption doubled: check the count")
    assert any("sent back to the pasante" in m for m in messages_of(response))
    assert "Consumption doubled" in text(client_for(pasante_a).get(url("request-detail", restock.pk)))


def test_a_rejection_without_reason_shows_why_and_writes_nothing(pharmacy, clinic_a, items):
    restock = restock_request_in_state(State.SUBMITTED, clinic=clinic_a, items=items)
    before = snapshot(restock)
    response = client_for(pharmacy).post(url("request-reject", restock.pk), {"rejection_reason": "  "})
    assert response.status_code == 200
    assert "Give the reason for the rejection." in text(response)
    assert snapshot(restock) == before


def test_rejecting_an_approved_request_says_so_and_writes_nothing(pharmacy, clinic_a, items):
    restock = restock_request_in_state(State.APPROVED, clinic=clinic_a, items=items)
    before = snapshot(restock)
    response = client_for(pharmacy).post(url("request-reject", restock.pk), {"rejection_reason": "Too late"},
                                         follow=True)
    assert response.redirect_chain[-1][0] == url("request-detail", restock.pk)
    assert any("cannot be rejected" in m for m in messages_of(response))
    assert snapshot(restock) == before


# --- Dispatch and the pick list -----------------------------------------------------------------------------


def test_dispatch_picks_first_expiry_first_and_shows_the_pick_list(pharmacy, clinic_a, stocked):
    para, amox = stocked
    restock = restock_request_in_state(State.APPROVED, clinic=clinic_a, items=stocked,
                                       cuts={amox.pk: (0, "Not needed this month")})
    approved = restock.lines.get(item=para).approved
    assert approved > 40  # more than the lot that expires first holds
    response = client_for(pharmacy).post(url("request-dispatch", restock.pk), follow=True)
    restock.refresh_from_db()
    assert restock.state == State.DISPATCHED
    assert response.redirect_chain[-1][0] == url("request-pick-list", restock.pk)
    assert warehouse_stock(para) == 540 - approved
    assert warehouse_stock(amox) == 540
    content = text(response)
    assert 'data-lot="SOON-PAR-500" data-quantity="40"' in content
    assert f'data-lot="LATE-PAR-500" data-quantity="{approved - 40}"' in content
    assert content.index("SOON-PAR-500") < content.index("LATE-PAR-500")
    assert (TODAY + timedelta(days=90)).strftime("%d/%m/%Y") in content
    assert "AMX-500" not in content  # nothing dispatched of a line cut to zero
    assert content.count('class="sign-line"') == 3
    assert 'data-testid="pick-list-clinic"' in content and clinic_a.name in content


def test_dispatch_short_of_stock_lists_what_is_missing_and_moves_nothing(pharmacy, clinic_a, items):
    para, amox = items
    services.warehouse_receive(item=para, lot_number="P1", expiry=TODAY + timedelta(days=300), quantity=5000)
    services.warehouse_receive(item=amox, lot_number="A1", expiry=TODAY + timedelta(days=300), quantity=3)
    restock = restock_request_in_state(State.APPROVED, clinic=clinic_a, items=items)
    before = snapshot(restock)
    response = client_for(pharmacy).post(url("request-dispatch", restock.pk), follow=True)
    shown = messages_of(response)
    assert any("nothing was moved" in m for m in shown)
    missing = restock.lines.get(item=amox).approved - 3
    assert any(m.startswith(str(amox)) and f"{missing} short" in m for m in shown)
    assert not any(m.startswith(str(para)) for m in shown)
    assert snapshot(restock) == before
    assert warehouse_stock(para) == 5000


def test_dispatching_a_submitted_request_says_so_and_writes_nothing(pharmacy, clinic_a, stocked):
    restock = restock_request_in_state(State.SUBMITTED, clinic=clinic_a, items=stocked)
    before = snapshot(restock)
    response = client_for(pharmacy).post(url("request-dispatch", restock.pk), follow=True)
    assert any("cannot be dispatched" in m for m in messages_of(response))
    assert snapshot(restock) == before


def test_pasante_cannot_dispatch(pasante_a, clinic_a, stocked):
    restock = restock_request_in_state(State.APPROVED, clinic=clinic_a, items=stocked)
    before = snapshot(restock)
    assert client_for(pasante_a).post(url("request-dispatch", restock.pk)).status_code == 403
    assert snapshot(restock) == before


def test_pick_list_waits_for_the_dispatch(pharmacy, clinic_a, items):
    restock = restock_request_in_state(State.APPROVED, clinic=clinic_a, items=items)
    response = client_for(pharmacy).get(url("request-pick-list", restock.pk), follow=True)
    assert response.redirect_chain[-1][0] == url("request-detail", restock.pk)
    assert any("once the request is dispatched" in m for m in messages_of(response))


def test_the_pasante_sees_the_pick_list_of_their_delivery(pasante_a, clinic_a, stocked):
    restock = restock_request_in_state(State.DISPATCHED, clinic=clinic_a, items=stocked)
    response = client_for(pasante_a).get(url("request-pick-list", restock.pk))
    assert response.status_code == 200
    assert text(response).count('data-testid="pick-item"') == 2


# --- Receipt ----------------------------------------------------------------------------------------------


def test_pasante_confirms_receipt_with_a_difference_and_the_stock_enters_the_clinic(pasante_a, clinic_a, stocked):
    para, amox = stocked
    restock = restock_request_in_state(State.DISPATCHED, clinic=clinic_a, items=stocked)
    dispatched = {ln.item_id: ln.dispatched for ln in restock.lines.all()}
    client = client_for(pasante_a)
    form = client.get(url("request-receive", restock.pk))
    assert f'name="quantity_{para.pk}" value="{dispatched[para.pk]}"' in text(form)
    held = {item.pk: clinic_stock(clinic_a, item) for item in stocked}
    response = client.post(url("request-receive", restock.pk), {
        f"quantity_{para.pk}": dispatched[para.pk] - 2, f"note_{para.pk}": "Two bottles broken on the road",
        f"quantity_{amox.pk}": dispatched[amox.pk], "remarks": "Came with the course-day truck",
    }, follow=True)
    restock.refresh_from_db()
    assert (restock.state, restock.received_by) == (State.RECEIVED, pasante_a)
    assert restock.receipt_remarks == "Came with the course-day truck"
    line_para = restock.lines.get(item=para)
    assert line_para.received_quantity == dispatched[para.pk] - 2
    assert line_para.remarks == "Two bottles broken on the road"
    assert clinic_stock(clinic_a, para) == held[para.pk] + dispatched[para.pk] - 2
    assert clinic_stock(clinic_a, amox) == held[amox.pk] + dispatched[amox.pk]
    assert any("The delivery is recorded" in m for m in messages_of(response))


@pytest.mark.parametrize(("change", "message"), [
    ("difference without remark", "explain the difference with what was dispatched"),
    ("more than dispatched", "more received than dispatched"),
    ("negative", "The quantity cannot be negative."),
    ("not a number", "Write a whole number."),
])
def test_a_bad_receipt_shows_why_and_writes_nothing(pasante_a, clinic_a, stocked, change, message):
    para, amox = stocked
    restock = restock_request_in_state(State.DISPATCHED, clinic=clinic_a, items=stocked)
    dispatched = restock.lines.get(item=para).dispatched
    value = {"difference without remark": dispatched - 1, "more than dispatched": dispatched + 1, "negative": -4,
             "not a number": "many"}[change]
    before = snapshot(restock)
    response = client_for(pasante_a).post(url("request-receive", restock.pk), {
        f"quantity_{para.pk}": value, f"quantity_{amox.pk}": restock.lines.get(item=amox).dispatched})
    assert response.status_code == 200
    assert message in text(response)
    assert snapshot(restock) == before


@pytest.mark.parametrize("persona", ["pharmacy", "coordinator", "admin_user", "supervisor"])
def test_only_the_pasante_confirms_a_receipt(request, clinic_a, stocked, persona):
    restock = restock_request_in_state(State.DISPATCHED, clinic=clinic_a, items=stocked)
    before = snapshot(restock)
    client = client_for(request.getfixturevalue(persona))
    assert client.get(url("request-receive", restock.pk)).status_code == 403
    assert client.post(url("request-receive", restock.pk), {}).status_code == 403
    assert snapshot(restock) == before


def test_a_pasante_who_also_works_the_warehouse_confirms_only_their_own_clinic(pasante_b, clinic_a, stocked):
    pasante_b.groups.add(Group.objects.get(name=Role.PHARMACY))
    restock = restock_request_in_state(State.DISPATCHED, clinic=clinic_a, items=stocked)
    before = snapshot(restock)
    client = client_for(pasante_b)
    detail = client.get(url("request-detail", restock.pk))
    assert detail.status_code == 200  # the warehouse role sees it
    assert 'data-testid="action-receive"' not in text(detail)  # and is not offered what they would be refused
    assert client.post(url("request-receive", restock.pk), {}).status_code == 403
    assert snapshot(restock) == before


def test_a_pasante_who_also_works_the_warehouse_is_offered_the_receipt_of_their_own_clinic(pasante_a, clinic_a,
                                                                                            stocked):
    pasante_a.groups.add(Group.objects.get(name=Role.PHARMACY))
    restock = restock_request_in_state(State.DISPATCHED, clinic=clinic_a, items=stocked)
    detail = client_for(pasante_a).get(url("request-detail", restock.pk))
    assert 'data-testid="action-receive"' in text(detail)


def test_receiving_a_request_not_dispatched_says_so_and_writes_nothing(pasante_a, clinic_a, items):
    restock = restock_request_in_state(State.APPROVED, clinic=clinic_a, items=items)
    before = snapshot(restock)
    response = client_for(pasante_a).post(url("request-receive", restock.pk), {}, follow=True)
    assert response.redirect_chain[-1][0] == url("request-detail", restock.pk)
    assert any("Only a dispatched request can be received" in m for m in messages_of(response))
    assert snapshot(restock) == before


# --- Close ------------------------------------------------------------------------------------------------


def test_pharmacy_closes_a_received_request(pharmacy, clinic_a, stocked):
    restock = restock_request_in_state(State.RECEIVED, clinic=clinic_a, items=stocked)
    response = client_for(pharmacy).post(url("request-close", restock.pk), follow=True)
    restock.refresh_from_db()
    assert restock.state == State.CLOSED
    assert any("is closed" in m for m in messages_of(response))


def test_closing_a_request_not_received_says_so_and_writes_nothing(pharmacy, clinic_a, stocked):
    restock = restock_request_in_state(State.DISPATCHED, clinic=clinic_a, items=stocked)
    before = snapshot(restock)
    response = client_for(pharmacy).post(url("request-close", restock.pk), follow=True)
    assert any("cannot be closed" in m for m in messages_of(response))
    assert snapshot(restock) == before


def test_pasante_cannot_close(pasante_a, clinic_a, stocked):
    restock = restock_request_in_state(State.RECEIVED, clinic=clinic_a, items=stocked)
    before = snapshot(restock)
    assert client_for(pasante_a).post(url("request-close", restock.pk)).status_code == 403
    assert snapshot(restock) == before


def test_the_actions_refuse_get(pharmacy, clinic_a, items):
    restock = restock_request_in_state(State.SUBMITTED, clinic=clinic_a, items=items)
    client = client_for(pharmacy)
    for name in ("request-reject", "request-dispatch", "request-close"):
        assert client.get(url(name, restock.pk)).status_code == 405
