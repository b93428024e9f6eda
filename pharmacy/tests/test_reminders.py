"""The pharmacy's reminders, through the notifications engine: created when due and not before, once,
cancelled when their reason goes, to the right people only, and at a fixed number of queries."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from ces.accounts.roles import Role
from ces.accounts.tests.factories import UserFactory
from ces.notifications import registry
from ces.notifications.models import EmailPreference, Notification
from ces.notifications.services import notifications_dispatch, notifications_materialise
from clinics.models import Assignment, Cadre
from clinics.tests.factories import AssignmentFactory, ClinicFactory, StaffFactory
from pharmacy import services
from pharmacy.models import RestockRequest, StockBalance, StockMovement
from pharmacy.services import Move

from .factories import ItemFactory, LotFactory, restock_request_in_state
from .factories import restock_line as line

State = Notification.State
RState = RestockRequest.State
pytestmark = pytest.mark.django_db

NOT_SUBMITTED = "pharmacy.request_not_submitted"
WAITING = "pharmacy.request_waiting_approval"
EXPIRING = "pharmacy.lot_expiring"
BELOW = "pharmacy.clinic_below_minimum"
NOT_RECEIVED = "pharmacy.dispatch_not_received"

TODAY = timezone.localdate()
THIS_MONTH = TODAY.replace(day=1)
# The personas' posts started 30 days ago and are open-ended, so next month they still hold them.
NEXT_MONTH = (THIS_MONTH + timedelta(days=32)).replace(day=1)


def at(day: date, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def rows(kind):
    return Notification.objects.filter(kind=kind)


def recipients(kind):
    return set(rows(kind).values_list("recipient_id", flat=True))


def pasante_at(clinic, *, email=None):
    user = UserFactory(roles=[Role.PASANTE], **({"email": email} if email else {}))
    staff = StaffFactory(user=user, full_name=user.full_name, cadre=Cadre.PASANTE)
    AssignmentFactory(staff=staff, clinic=clinic, role=Assignment.Role.PASANTE,
                      start_date=TODAY - timedelta(days=30), end_date=None)
    return user


@pytest.fixture
def item(db):
    return ItemFactory(name="Paracetamol", unit="tablet")


@pytest.fixture
def stocked(item, pharmacy):
    services.warehouse_receive(item=item, lot_number="L-1", expiry=TODAY + timedelta(days=400), quantity=5000,
                               by=pharmacy)
    return item


def move_back(request, field, when):
    RestockRequest.objects.filter(pk=request.pk).update(**{field: when})
    request.refresh_from_db()
    return request


@pytest.fixture
def other_pharmacy(db):
    return UserFactory(email="almacen@example.mx", roles=[Role.PHARMACY], preferred_language="en")


@pytest.fixture
def pharmacy_team(pharmacy, other_pharmacy):
    UserFactory(email="ex.almacen@example.mx", roles=[Role.PHARMACY], is_active=False)
    return [pharmacy, other_pharmacy]


def user_ids(*users):
    return {u.pk for u in users}


# --- 1. Monthly request not submitted, 7 and 2 days before the deadline --------------------------


@pytest.fixture
def deadline(pharmacy):
    services.pharmacy_settings_update(request_deadline_day=25, by=pharmacy)
    return NEXT_MONTH.replace(day=25)


@pytest.mark.parametrize("days_before, occurrences", [
    (8, set()),
    (7, {"7d"}),
    (5, {"7d"}),  # a beat that was down two days still creates the 7-day reminder
    (4, set()),  # too late for the 7-day one, too early for the 2-day one
    (3, set()),
    (2, {"2d"}),
    (0, {"2d"}),
    (-1, set()),  # after the deadline nothing is reminded
])
def test_unsubmitted_request_reminds_7_and_2_days_before_the_deadline(deadline, pasante_a, days_before, occurrences):
    notifications_materialise(now=at(deadline - timedelta(days=days_before)), kinds={NOT_SUBMITTED})

    assert {o.split("/")[1] for o in rows(NOT_SUBMITTED).values_list("occurrence", flat=True)} == occurrences
    assert all(o.startswith(f"{NEXT_MONTH:%Y-%m}/") for o in rows(NOT_SUBMITTED).values_list("occurrence", flat=True))


def test_the_reminder_is_created_early_in_the_day_and_sent_in_the_morning(deadline, pasante_a, clinic_a):
    day = deadline - timedelta(days=7)
    notifications_materialise(now=at(day, 6), kinds={NOT_SUBMITTED})
    row = rows(NOT_SUBMITTED).get()

    assert row.due_at == timezone.make_aware(datetime.combine(day, time(8, 0)))
    assert (row.recipient_id, row.subject_id) == (pasante_a.pk, clinic_a.pk)


def test_each_pasante_is_reminded_of_their_own_clinic_only(deadline, clinic_a, clinic_b, pasante_a, pasante_b,
                                                           pharmacy, coordinator):
    notifications_materialise(now=at(deadline - timedelta(days=7)), kinds={NOT_SUBMITTED})

    assert set(rows(NOT_SUBMITTED).values_list("recipient_id", "subject_id")) == {
        (pasante_a.pk, clinic_a.pk), (pasante_b.pk, clinic_b.pk),
    }


@pytest.mark.parametrize("state, reminded", [
    (RState.DRAFT, True),
    (RState.REJECTED, True),  # back with the pasante: it has to be corrected and submitted again
    (RState.SUBMITTED, False),
    (RState.APPROVED, False),
    (RState.DISPATCHED, False),
])
def test_only_a_request_that_reached_the_pharmacy_stops_the_reminder(deadline, clinic_a, pasante_a, pharmacy,
                                                                     stocked, state, reminded):
    restock_request_in_state(state, clinic=clinic_a, items=[stocked], pasante=pasante_a, period=NEXT_MONTH)

    notifications_materialise(now=at(deadline - timedelta(days=7)), kinds={NOT_SUBMITTED})

    assert recipients(NOT_SUBMITTED) == ({pasante_a.pk} if reminded else set())


def test_an_emergency_request_or_last_months_does_not_count(deadline, clinic_a, pasante_a, item):
    services.restock_request_submit(request=services.restock_request_create_draft(
        clinic=clinic_a, period=NEXT_MONTH, lines=[line(item)], by=pasante_a, kind=RestockRequest.Kind.EMERGENCY,
        emergency_reason="Brote de diarrea"), by=pasante_a)
    restock_request_in_state(RState.SUBMITTED, clinic=clinic_a, items=[item], pasante=pasante_a, period=THIS_MONTH)

    notifications_materialise(now=at(deadline - timedelta(days=7)), kinds={NOT_SUBMITTED})

    assert recipients(NOT_SUBMITTED) == {pasante_a.pk}


def test_a_second_tick_creates_nothing_more(deadline, pasante_a, pasante_b):
    now = at(deadline - timedelta(days=7))
    assert notifications_materialise(now=now, kinds={NOT_SUBMITTED}) == 2
    assert notifications_materialise(now=now + timedelta(minutes=1), kinds={NOT_SUBMITTED}) == 0
    assert notifications_materialise(now=now + timedelta(days=1), kinds={NOT_SUBMITTED}) == 0
    assert rows(NOT_SUBMITTED).count() == 2


def test_submitting_before_it_is_sent_cancels_it(deadline, clinic_a, pasante_a, pasante_b, item):
    now = at(deadline - timedelta(days=7), 6)
    notifications_materialise(now=now, kinds={NOT_SUBMITTED})
    restock_request_in_state(RState.SUBMITTED, clinic=clinic_a, items=[item], pasante=pasante_a, period=NEXT_MONTH)

    notifications_dispatch(now=now + timedelta(hours=3))

    assert dict(rows(NOT_SUBMITTED).values_list("recipient_id", "state")) == {
        pasante_a.pk: State.CANCELLED, pasante_b.pk: State.SENT,
    }
    assert [m.to for m in mail.outbox] == [[pasante_b.email]]


def test_a_pasante_who_left_the_clinic_is_not_reminded(deadline, clinic_a, pasante_a):
    now = at(deadline - timedelta(days=7), 6)
    notifications_materialise(now=now, kinds={NOT_SUBMITTED})
    Assignment.objects.filter(staff__user=pasante_a).update(end_date=deadline - timedelta(days=8))

    notifications_dispatch(now=now + timedelta(hours=3))
    assert set(rows(NOT_SUBMITTED).values_list("state", flat=True)) == {State.CANCELLED}
    assert notifications_materialise(now=now + timedelta(days=5), kinds={NOT_SUBMITTED}) == 0


def test_an_early_deadline_is_reminded_in_the_month_before(pharmacy, pasante_a):
    services.pharmacy_settings_update(request_deadline_day=3, by=pharmacy)
    deadline = NEXT_MONTH.replace(day=3)

    notifications_materialise(now=at(deadline - timedelta(days=7)), kinds={NOT_SUBMITTED})

    assert list(rows(NOT_SUBMITTED).values_list("occurrence", flat=True)) == [f"{NEXT_MONTH:%Y-%m}/7d"]


def test_the_deadline_defaults_to_the_25th_before_coordinators_set_one(pasante_a):
    notifications_materialise(now=at(NEXT_MONTH.replace(day=18)), kinds={NOT_SUBMITTED})

    assert recipients(NOT_SUBMITTED) == {pasante_a.pk}


@pytest.mark.parametrize("clinics", [1, 10])
def test_the_monthly_request_rule_runs_a_fixed_number_of_queries(deadline, django_assert_num_queries, clinics):
    for _ in range(clinics):
        pasante_at(ClinicFactory())
    rule = registry.rule_for(NOT_SUBMITTED)

    with django_assert_num_queries(2):  # the deadline day; posts without a submitted request
        found = rule.due(at(deadline - timedelta(days=7)))

    assert len(found) == clinics


# --- 2. A request waiting for approval more than 3 days ---------------------------------------


@pytest.fixture
def waiting(clinic_a, pasante_a, item):
    return restock_request_in_state(RState.SUBMITTED, clinic=clinic_a, items=[item], pasante=pasante_a)


def test_a_request_waiting_more_than_3_days_tells_every_active_pharmacy_user(waiting, pharmacy_team, coordinator,
                                                                            pasante_a):
    now = waiting.submitted_at + timedelta(days=3, seconds=1)

    assert notifications_materialise(now=now, kinds={WAITING}) == 2

    assert recipients(WAITING) == user_ids(*pharmacy_team)
    assert set(rows(WAITING).values_list("subject_id", flat=True)) == {waiting.pk}
    assert rows(WAITING).first().due_at == waiting.submitted_at + timedelta(days=3)


def test_a_request_waiting_exactly_3_days_is_not_reminded_yet(waiting, pharmacy_team):
    assert notifications_materialise(now=waiting.submitted_at + timedelta(days=3), kinds={WAITING}) == 0


def test_the_waiting_reminder_is_created_once(waiting, pharmacy_team):
    now = waiting.submitted_at + timedelta(days=3, seconds=1)
    notifications_materialise(now=now, kinds={WAITING})

    assert notifications_materialise(now=now + timedelta(minutes=1), kinds={WAITING}) == 0
    assert notifications_materialise(now=now + timedelta(days=2), kinds={WAITING}) == 0


def test_approving_before_it_is_sent_cancels_the_waiting_reminder(waiting, pharmacy_team, stocked):
    now = waiting.submitted_at + timedelta(days=3, seconds=1)
    notifications_materialise(now=now, kinds={WAITING})
    services.restock_request_approve(request=waiting)

    notifications_dispatch(now=now)

    assert set(rows(WAITING).values_list("state", flat=True)) == {State.CANCELLED}
    assert mail.outbox == []


def test_a_request_submitted_again_after_a_rejection_waits_anew(waiting, pharmacy_team, pasante_a, item):
    first = waiting.submitted_at
    notifications_materialise(now=first + timedelta(days=3, seconds=1), kinds={WAITING})
    services.restock_request_reject(request=waiting, reason="Corrige el conteo")
    again = move_back(services.restock_request_submit(request=waiting, by=pasante_a), "submitted_at",
                      first + timedelta(days=4))

    now = again.submitted_at + timedelta(days=3, seconds=1)
    notifications_materialise(now=now, kinds={WAITING})
    notifications_dispatch(now=now)

    by_state = {}
    for occurrence, state in rows(WAITING).values_list("occurrence", "state"):
        by_state.setdefault(state, set()).add(occurrence)
    assert len(by_state[State.CANCELLED]) == 1 and len(by_state[State.SENT]) == 1
    assert by_state[State.CANCELLED] != by_state[State.SENT]


def test_requests_waited_on_beyond_the_expiry_window_are_not_reminded_again(waiting, pharmacy_team):
    assert notifications_materialise(now=waiting.submitted_at + timedelta(days=30), kinds={WAITING}) == 0


@pytest.mark.parametrize("requests", [1, 10])
def test_the_waiting_rule_runs_a_fixed_number_of_queries(pharmacy_team, item, django_assert_num_queries, requests):
    for _ in range(requests):
        clinic = ClinicFactory()
        restock_request_in_state(RState.SUBMITTED, clinic=clinic, items=[item], pasante=pasante_at(clinic))
    rule = registry.rule_for(WAITING)

    with django_assert_num_queries(2):  # waiting requests; pharmacy users
        found = rule.due(timezone.now() + timedelta(days=3, seconds=1))

    assert len(found) == requests


# --- 3. Lots expiring within 60 days --------------------------------------------------------------


def lot_held(clinic, *, expires_in, quantity=40, item=None, lot_number=None):
    lot = LotFactory(item=item or ItemFactory(), expiry=TODAY + timedelta(days=expires_in),
                     **({"lot_number": lot_number} if lot_number else {}))
    services.ledger_move(moves=[Move(clinic, lot, quantity)], kind=StockMovement.Kind.ADJUSTMENT, reason="Alta")
    return lot


def test_a_warehouse_lot_expiring_in_60_days_tells_pharmacy_only(pharmacy_team, pasante_a, pasante_b, coordinator):
    lot = lot_held(None, expires_in=60, lot_number="AMX-60")

    notifications_materialise(now=at(TODAY), kinds={EXPIRING})

    assert recipients(EXPIRING) == user_ids(*pharmacy_team)
    balance = StockBalance.objects.get(lot=lot, clinic__isnull=True)
    assert set(rows(EXPIRING).values_list("subject_id", "occurrence")) == {
        (balance.pk, f"AMX-60/{lot.expiry.isoformat()}")
    }


def test_a_lot_expiring_in_61_days_is_not_reminded_yet(pharmacy_team, clinic_a, pasante_a):
    lot_held(None, expires_in=61)
    lot_held(clinic_a, expires_in=61)

    assert notifications_materialise(now=at(TODAY), kinds={EXPIRING}) == 0


def test_a_clinic_lot_tells_pharmacy_and_that_clinics_pasante_only(pharmacy_team, clinic_a, pasante_a, pasante_b):
    lot_held(clinic_a, expires_in=30)

    notifications_materialise(now=at(TODAY), kinds={EXPIRING})

    assert recipients(EXPIRING) == user_ids(*pharmacy_team, pasante_a)
    assert pasante_b.pk not in recipients(EXPIRING)


def test_the_same_lot_at_two_locations_is_two_reminders(pharmacy, clinic_a, clinic_b, pasante_a, pasante_b, item):
    lot = lot_held(None, expires_in=20, item=item)
    services.ledger_move(moves=[Move(clinic_a, lot, 5), Move(clinic_b, lot, 5)], kind=StockMovement.Kind.ADJUSTMENT,
                         reason="Alta")

    notifications_materialise(now=at(TODAY), kinds={EXPIRING})

    assert set(rows(EXPIRING).values_list("recipient_id", "subject_id")) == {
        (pharmacy.pk, b.pk) for b in StockBalance.objects.filter(lot=lot)
    } | {
        (pasante_a.pk, StockBalance.objects.get(lot=lot, clinic=clinic_a).pk),
        (pasante_b.pk, StockBalance.objects.get(lot=lot, clinic=clinic_b).pk),
    }


def test_a_lot_is_reminded_once_per_location(pharmacy_team, clinic_a, pasante_a):
    lot_held(clinic_a, expires_in=30)
    notifications_materialise(now=at(TODAY), kinds={EXPIRING})

    assert notifications_materialise(now=at(TODAY) + timedelta(minutes=1), kinds={EXPIRING}) == 0
    assert notifications_materialise(now=at(TODAY + timedelta(days=10)), kinds={EXPIRING}) == 0


def test_a_lot_is_due_the_morning_it_enters_the_window(pharmacy):
    lot_held(None, expires_in=60)
    notifications_materialise(now=at(TODAY, 6), kinds={EXPIRING})

    assert rows(EXPIRING).get().due_at == timezone.make_aware(datetime.combine(TODAY, time(8, 0)))


def test_stock_gone_before_sending_cancels_the_expiry_reminder(pharmacy, clinic_a, pasante_a):
    lot = lot_held(clinic_a, expires_in=30, quantity=40)
    notifications_materialise(now=at(TODAY, 6), kinds={EXPIRING})
    services.ledger_move(moves=[Move(clinic_a, lot, -40)], kind=StockMovement.Kind.DISPENSED)

    notifications_dispatch(now=at(TODAY, 9))

    assert set(rows(EXPIRING).values_list("state", flat=True)) == {State.CANCELLED}


def test_a_lot_with_no_stock_left_is_not_reminded(pharmacy, clinic_a, pasante_a):
    lot = lot_held(clinic_a, expires_in=30, quantity=40)
    services.ledger_move(moves=[Move(clinic_a, lot, -40)], kind=StockMovement.Kind.DISPENSED)

    assert notifications_materialise(now=at(TODAY), kinds={EXPIRING}) == 0


@pytest.mark.parametrize("clinics", [1, 10])
def test_the_expiry_rule_runs_a_fixed_number_of_queries(pharmacy, django_assert_num_queries, clinics):
    for _ in range(clinics):
        clinic = ClinicFactory()
        pasante_at(clinic)
        lot_held(clinic, expires_in=30)
        lot_held(None, expires_in=45)
    rule = registry.rule_for(EXPIRING)

    with django_assert_num_queries(3):  # balances; pharmacy users; pasantes of those clinics
        found = rule.due(at(TODAY))

    assert len(found) == 2 * clinics


# --- 4. Items below minimum at a clinic -------------------------------------------------------------


def test_an_item_counted_below_minimum_tells_pharmacy_and_that_clinics_pasante(pharmacy_team, clinic_a, clinic_b,
                                                                               pasante_a, pasante_b, item):
    # The minimum is 30: clinic A counted below it, clinic B at it.
    restock_request_in_state(RState.SUBMITTED, clinic=clinic_a, items=[item], pasante=pasante_a, stock_on_hand=20)
    restock_request_in_state(RState.SUBMITTED, clinic=clinic_b, items=[item], pasante=pasante_b, stock_on_hand=30)

    notifications_materialise(now=timezone.now(), kinds={BELOW})

    assert recipients(BELOW) == user_ids(*pharmacy_team, pasante_a)
    assert set(rows(BELOW).values_list("subject_id", "occurrence")) == {
        (clinic_a.pk, f"{THIS_MONTH:%Y-%m}/item{item.pk}")
    }


def test_a_draft_below_minimum_is_not_reminded(pharmacy, clinic_a, pasante_a, item):
    restock_request_in_state(RState.DRAFT, clinic=clinic_a, items=[item], pasante=pasante_a, stock_on_hand=0)

    assert notifications_materialise(now=timezone.now(), kinds={BELOW}) == 0


def test_below_minimum_is_reminded_once_per_clinic_item_and_month(pharmacy, clinic_a, pasante_a, item):
    request = restock_request_in_state(RState.SUBMITTED, clinic=clinic_a, items=[item], pasante=pasante_a,
                                       stock_on_hand=20)
    notifications_materialise(now=timezone.now(), kinds={BELOW})
    # Rejected, corrected (new lines) and submitted again: the same clinic, item and month.
    services.restock_request_reject(request=request, reason="Revisa el consumo")
    services.restock_request_update_lines(request=request, lines=[line(item, stock_on_hand=10)])
    services.restock_request_submit(request=request, by=pasante_a)

    assert notifications_materialise(now=timezone.now(), kinds={BELOW}) == 0
    assert rows(BELOW).count() == 2


def test_a_new_months_count_above_minimum_cancels_the_old_reminder(pharmacy, clinic_a, pasante_a, item):
    last_month = (THIS_MONTH - timedelta(days=1)).replace(day=1)
    restock_request_in_state(RState.SUBMITTED, clinic=clinic_a, items=[item], pasante=pasante_a, period=last_month,
                             stock_on_hand=20)
    notifications_materialise(now=timezone.now(), kinds={BELOW})
    restock_request_in_state(RState.SUBMITTED, clinic=clinic_a, items=[item], pasante=pasante_a, period=THIS_MONTH,
                             stock_on_hand=80)

    notifications_dispatch(now=timezone.now())

    assert set(rows(BELOW).values_list("state", flat=True)) == {State.CANCELLED}


@pytest.mark.parametrize("clinics", [1, 10])
def test_the_below_minimum_rule_runs_a_fixed_number_of_queries(pharmacy, item, django_assert_num_queries, clinics):
    for _ in range(clinics):
        clinic = ClinicFactory()
        restock_request_in_state(RState.SUBMITTED, clinic=clinic, items=[item], pasante=pasante_at(clinic),
                                 stock_on_hand=5)
    rule = registry.rule_for(BELOW)

    with django_assert_num_queries(3):  # latest lines; pharmacy users; pasantes of those clinics
        found = rule.due(timezone.now())

    assert len(found) == clinics


# --- 5. A dispatch not confirmed as received 7 days later -------------------------------------------


@pytest.fixture
def dispatched(clinic_a, pasante_a, stocked):
    return restock_request_in_state(RState.DISPATCHED, clinic=clinic_a, items=[stocked], pasante=pasante_a)


def test_a_dispatch_unconfirmed_after_7_days_tells_the_pasante_and_pharmacy(dispatched, pharmacy_team, pasante_a,
                                                                           pasante_b, coordinator):
    now = dispatched.dispatched_at + timedelta(days=7, seconds=1)

    notifications_materialise(now=now, kinds={NOT_RECEIVED})

    assert recipients(NOT_RECEIVED) == user_ids(*pharmacy_team, pasante_a)
    assert rows(NOT_RECEIVED).first().due_at == dispatched.dispatched_at + timedelta(days=7)


def test_a_dispatch_of_exactly_7_days_is_not_reminded_yet(dispatched, pharmacy_team, pasante_a):
    assert notifications_materialise(now=dispatched.dispatched_at + timedelta(days=7), kinds={NOT_RECEIVED}) == 0


def test_the_unconfirmed_dispatch_is_reminded_once(dispatched, pharmacy_team, pasante_a):
    now = dispatched.dispatched_at + timedelta(days=7, seconds=1)
    notifications_materialise(now=now, kinds={NOT_RECEIVED})

    assert notifications_materialise(now=now + timedelta(hours=5), kinds={NOT_RECEIVED}) == 0


def test_confirming_receipt_before_sending_cancels_it(dispatched, pharmacy_team, pasante_a):
    now = dispatched.dispatched_at + timedelta(days=7, seconds=1)
    notifications_materialise(now=now, kinds={NOT_RECEIVED})
    services.restock_request_receive(request=dispatched, by=pasante_a)

    notifications_dispatch(now=now)

    assert set(rows(NOT_RECEIVED).values_list("state", flat=True)) == {State.CANCELLED}


@pytest.mark.parametrize("requests", [1, 10])
def test_the_unconfirmed_dispatch_rule_runs_a_fixed_number_of_queries(pharmacy, stocked, django_assert_num_queries,
                                                                      requests):
    for _ in range(requests):
        clinic = ClinicFactory()
        restock_request_in_state(RState.DISPATCHED, clinic=clinic, items=[stocked], pasante=pasante_at(clinic))
    rule = registry.rule_for(NOT_RECEIVED)

    with django_assert_num_queries(3):  # dispatched requests; pharmacy users; pasantes of those clinics
        found = rule.due(timezone.now() + timedelta(days=7, seconds=1))

    assert len(found) == requests


# --- The words and the links, in each recipient's language ------------------------------------------


def sent(kind):
    return {n.recipient_id: n for n in rows(kind).select_related("recipient")}


def test_the_monthly_reminder_reads_in_the_pasantes_language_and_opens_the_form(deadline, pasante_a, pasante_b):
    pasante_a.preferred_language = "en"
    pasante_a.save(update_fields=["preferred_language"])
    now = at(deadline - timedelta(days=7))
    notifications_materialise(now=now, kinds={NOT_SUBMITTED})
    notifications_dispatch(now=now)

    by_user = sent(NOT_SUBMITTED)
    assert by_user[pasante_a.pk].title == f"Restock request for {NEXT_MONTH:%B %Y}: due on {deadline:%d/%m/%Y}"
    assert "Clínica Capitán" in by_user[pasante_a.pk].body
    # Django's own catalogue names the month in Spanish for the Spanish-speaking pasante.
    assert f"{deadline:%d/%m/%Y}" in by_user[pasante_b.pk].title
    assert f"{NEXT_MONTH:%B}" not in by_user[pasante_b.pk].title
    assert "Clínica Reforma" in by_user[pasante_b.pk].body
    assert {n.link for n in by_user.values()} == {reverse("pharmacy:request-create")}
    assert {n.state for n in by_user.values()} == {State.SENT}


def test_the_waiting_reminder_opens_the_request(waiting, pharmacy_team):
    now = waiting.submitted_at + timedelta(days=3, seconds=1)
    notifications_materialise(now=now, kinds={WAITING})
    notifications_dispatch(now=now)

    english = sent(WAITING)[pharmacy_team[1].pk]
    assert english.state == State.SENT
    assert english.title.startswith("Request of Clínica Capitán waiting for approval since")
    assert english.link == reverse("pharmacy:request-detail", args=[waiting.pk])


def test_the_expiry_reminder_links_pharmacy_to_the_expiring_list_and_the_pasante_to_the_item(
        pharmacy_team, clinic_a, pasante_a, item):
    lot_held(clinic_a, expires_in=30, item=item, lot_number="AMX-30", quantity=12)
    notifications_materialise(now=at(TODAY), kinds={EXPIRING})
    notifications_dispatch(now=at(TODAY))

    by_user = sent(EXPIRING)
    english = by_user[pharmacy_team[1].pk]
    assert english.title == f"{item}, lot AMX-30, expires on {TODAY + timedelta(days=30):%d/%m/%Y}"
    assert "12 tablet" in english.body and "Clínica Capitán" in english.body
    assert english.link == reverse("pharmacy:stock-expiring")
    assert by_user[pasante_a.pk].link == reverse("pharmacy:stock-item", args=[item.pk])


def test_the_below_minimum_reminder_links_each_to_their_page(pharmacy_team, clinic_a, pasante_a, item):
    restock_request_in_state(RState.SUBMITTED, clinic=clinic_a, items=[item], pasante=pasante_a, stock_on_hand=20)
    notifications_materialise(now=timezone.now(), kinds={BELOW})
    notifications_dispatch(now=timezone.now())

    by_user = sent(BELOW)
    english = by_user[pharmacy_team[1].pk]
    assert english.title == f"{item} below minimum at Clínica Capitán"
    assert "counted 20 tablet" in english.body and "minimum is 30" in english.body
    assert english.link == reverse("pharmacy:stock-below-minimum")
    assert by_user[pasante_a.pk].link == reverse("pharmacy:stock-item", args=[item.pk])


def test_the_unconfirmed_dispatch_sends_the_pasante_to_confirm_receipt(dispatched, pharmacy_team, pasante_a):
    now = dispatched.dispatched_at + timedelta(days=7, seconds=1)
    notifications_materialise(now=now, kinds={NOT_RECEIVED})
    notifications_dispatch(now=now)

    by_user = sent(NOT_RECEIVED)
    assert by_user[pasante_a.pk].link == reverse("pharmacy:request-receive", args=[dispatched.pk])
    assert by_user[pharmacy_team[1].pk].link == reverse("pharmacy:request-detail", args=[dispatched.pk])
    assert "Check with the clinic" in by_user[pharmacy_team[1].pk].body
    assert {n.state for n in by_user.values()} == {State.SENT}


# --- 6. The pasante hears what happened to her request ---------------------------------------------

OUTCOME = "pharmacy.request_outcome"


def tick(now=None):
    """One beat of the engine: create what is due, send what is pending."""
    now = now or timezone.now()
    created = notifications_materialise(now=now, kinds={OUTCOME})
    notifications_dispatch(now=now)
    return created


def approve_with_cut(request, item, *, approved=10, reason="Poca existencia en almacén"):
    return services.restock_request_approve(request=request, cuts={item.pk: (approved, reason)})


def spanish_month(period):
    with translation.override("es"):
        return date_format(period, "YEAR_MONTH_FORMAT")


@pytest.fixture
def submitted(clinic_a, pasante_a, stocked):
    # 30 consumed, 20 on hand, maximum 3 months: 70 requested.
    return restock_request_in_state(RState.SUBMITTED, clinic=clinic_a, items=[stocked], pasante=pasante_a)


def test_an_approval_as_asked_tells_the_pasante_once_in_spanish_in_the_inbox_and_by_email(submitted, pasante_a,
                                                                                          pasante_b, pharmacy):
    services.restock_request_approve(request=submitted, by=pharmacy)

    assert tick() == 1
    assert tick() == 0

    (notice,) = rows(OUTCOME)
    assert (notice.recipient, notice.state) == (pasante_a, State.SENT)
    assert notice.title == f"Solicitud de reabasto aprobada: Clínica Capitán, {spanish_month(THIS_MONTH)}"
    assert notice.body == (f"La farmacia aprobó la solicitud de Clínica Capitán para {spanish_month(THIS_MONTH)} "
                           "tal como la pediste. Se surtirá pronto.")
    assert notice.link == reverse("pharmacy:request-detail", args=[submitted.pk])
    assert [m.to for m in mail.outbox] == [[pasante_a.email]]
    assert notice.title in mail.outbox[0].subject


def test_an_approval_with_cuts_says_which_lines_were_cut_and_why(submitted, pasante_a, stocked):
    approve_with_cut(submitted, stocked)

    tick()

    (notice,) = rows(OUTCOME)
    assert notice.title.startswith("Solicitud de reabasto aprobada con recortes: Clínica Capitán")
    assert "con 1 renglón recortado" in notice.body
    assert (f"{stocked}: 10 de las 70 tablet que pediste. Motivo: Poca existencia en almacén"
            in notice.body)


def test_a_rejection_gives_the_reason(submitted, pasante_a, pharmacy):
    services.restock_request_reject(request=submitted, reason="Falta el conteo de amoxicilina.", by=pharmacy)

    tick()

    (notice,) = rows(OUTCOME)
    assert notice.title.startswith("Solicitud de reabasto rechazada: Clínica Capitán")
    assert "Motivo: Falta el conteo de amoxicilina." in notice.body
    assert "Corrígela y envíala de nuevo." in notice.body


def test_a_dispatch_tells_the_pasante_to_confirm_and_repeats_the_cuts(submitted, pasante_a, stocked):
    request = approve_with_cut(submitted, stocked, approved=0, reason="Sin existencia")
    services.restock_request_dispatch(request=request)

    tick()

    (notice,) = rows(OUTCOME)
    assert notice.title.startswith("Solicitud de reabasto surtida: Clínica Capitán")
    assert "confirma lo que llegó" in notice.body
    assert f"{stocked}: 0 de las 70 tablet que pediste. Motivo: Sin existencia" in notice.body
    assert notice.link == reverse("pharmacy:request-receive", args=[request.pk])


def test_each_step_of_a_request_is_told_once(submitted, pasante_a, pharmacy):
    services.restock_request_reject(request=submitted, reason="Revisa las cifras", by=pharmacy)
    tick()
    request = services.restock_request_submit(request=submitted, by=pasante_a)
    request = services.restock_request_approve(request=request, by=pharmacy)
    tick()
    services.restock_request_dispatch(request=request, by=pharmacy)
    tick()
    tick()

    steps = sorted(n.occurrence.split("/")[0] for n in rows(OUTCOME))
    assert steps == ["approved", "dispatched", "rejected"]
    assert set(rows(OUTCOME).values_list("state", flat=True)) == {State.SENT}
    assert len(mail.outbox) == 3


@pytest.mark.parametrize("to", [RState.DRAFT, RState.SUBMITTED])
def test_a_request_not_decided_yet_tells_nobody(clinic_a, pasante_a, stocked, to):
    restock_request_in_state(to, clinic=clinic_a, items=[stocked], pasante=pasante_a)

    assert tick() == 0
    assert not rows(OUTCOME).exists()


def test_an_approval_already_dispatched_before_sending_is_cancelled_for_the_dispatch_notice(submitted, pasante_a):
    request = services.restock_request_approve(request=submitted)
    notifications_materialise(now=timezone.now(), kinds={OUTCOME})
    services.restock_request_dispatch(request=request)

    tick()

    assert dict(rows(OUTCOME).values_list("occurrence", "state")) == {
        f"approved/{request.decided_at.astimezone(UTC).isoformat()}": State.CANCELLED,
        f"dispatched/{RestockRequest.objects.get().dispatched_at.astimezone(UTC).isoformat()}": State.SENT,
    }


def test_a_rejection_already_corrected_and_submitted_before_sending_is_cancelled(submitted, pasante_a):
    services.restock_request_reject(request=submitted, reason="Revisa las cifras")
    notifications_materialise(now=timezone.now(), kinds={OUTCOME})
    services.restock_request_submit(request=submitted, by=pasante_a)

    notifications_dispatch(now=timezone.now())

    assert set(rows(OUTCOME).values_list("state", flat=True)) == {State.CANCELLED}
    assert mail.outbox == []


def test_whoever_submitted_it_is_told_too_while_active_and_other_clinics_are_not(clinic_a, pasante_a, pasante_b,
                                                                                 stocked, coordinator):
    covering = UserFactory(email="suplente@example.mx", roles=[Role.PASANTE])
    gone = UserFactory(email="se.fue@example.mx", roles=[Role.PASANTE], is_active=False)
    mine = restock_request_in_state(RState.APPROVED, clinic=clinic_a, items=[stocked], pasante=covering)
    theirs = restock_request_in_state(RState.APPROVED, clinic=ClinicFactory(), items=[stocked], pasante=gone)

    tick()

    assert set(rows(OUTCOME).filter(subject_id=mine.pk).values_list("recipient_id", flat=True)) == \
        user_ids(pasante_a, covering)
    assert not rows(OUTCOME).filter(subject_id=theirs.pk).exists()


def test_a_pasante_who_wants_no_email_reads_it_in_the_inbox_only(submitted, pasante_a):
    EmailPreference.objects.create(user=pasante_a, kind=OUTCOME, email=False)
    services.restock_request_approve(request=submitted)

    tick()

    assert rows(OUTCOME).get().state == State.SENT
    assert mail.outbox == []


@pytest.mark.parametrize("requests", [1, 10])
def test_the_outcome_rule_runs_a_fixed_number_of_queries(pharmacy, stocked, django_assert_num_queries, requests):
    for n in range(requests):
        clinic = ClinicFactory()
        restock_request_in_state([RState.APPROVED, RState.DISPATCHED][n % 2], clinic=clinic, items=[stocked],
                                 pasante=pasante_at(clinic))
    rule = registry.rule_for(OUTCOME)

    with django_assert_num_queries(2):  # the requests with news, with who submitted them; pasantes of the clinics
        found = rule.due(timezone.now())

    assert len(found) == requests
