"""The engine against real PostgreSQL: materialise, claim, deliver, retry, cancel, expire; exactly once."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from ces.accounts.tests.factories import UserFactory
from ces.notifications.models import EmailPreference, Notification
from ces.notifications.services import (
    notifications_claim,
    notifications_dispatch,
    notifications_materialise,
)
from tests.kit import errors_in, run_concurrently

State = Notification.State
pytestmark = pytest.mark.django_db


class FailingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server unreachable")


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def people(db):
    return [UserFactory(email=f"persona{i}@example.mx") for i in range(3)]


@pytest.fixture
def due_pings(ping_rule, people, now):
    """Four subjects, each due an hour ago for the same three people: twelve reminders."""
    subjects = [UserFactory() for _ in range(4)]
    for subject in subjects:
        ping_rule.remind(subject, "first", now - timedelta(hours=1), people)
    return subjects


def materialise(now):
    return notifications_materialise(now=now, kinds={"tests.ping"})


def sent_keys():
    return Counter((m.to[0], m.subject) for m in mail.outbox)


def test_materialising_creates_one_row_per_recipient_and_occurrence(due_pings, now):
    assert materialise(now) == 12
    assert Notification.objects.filter(state=State.PENDING).count() == 12


def test_materialising_twice_creates_no_duplicates(due_pings, now):
    materialise(now)
    assert materialise(now) == 0
    assert materialise(now + timedelta(minutes=1)) == 0
    assert Notification.objects.count() == 12


def test_a_rule_not_yet_due_creates_nothing(ping_rule, people, now):
    ping_rule.remind(people[0], "later", now + timedelta(hours=1), people)
    assert materialise(now) == 0


def test_a_due_reminder_lands_in_the_inbox_and_by_email(due_pings, people, now):
    materialise(now)
    outcome = notifications_dispatch(now=now)
    assert outcome == {State.SENT: 12}
    row = Notification.objects.filter(recipient=people[0]).first()
    assert row.state == State.SENT and row.emailed and row.delivered_at and row.sent_at
    assert row.title.startswith("Ping first #") and row.read_at is None
    assert len(mail.outbox) == 12
    assert all(count == 1 for count in sent_keys().values())


def test_the_message_is_written_in_the_recipients_language(ping_rule, now):
    english, spanish = UserFactory(preferred_language="en"), UserFactory(preferred_language="es")
    ping_rule.remind(english, "lang", now, [english])
    ping_rule.remind(spanish, "lang", now, [spanish])
    materialise(now)
    notifications_dispatch(now=now)
    assert sorted(ping_rule.languages) == ["en", "es"]


def test_no_email_when_the_person_does_not_want_it_for_that_kind(due_pings, people, now):
    EmailPreference.objects.create(user=people[0], kind="tests.ping", email=False)
    materialise(now)
    notifications_dispatch(now=now)
    mine = Notification.objects.filter(recipient=people[0])
    assert all(n.state == State.SENT and not n.emailed and n.delivered_at for n in mine)
    assert people[0].email not in {m.to[0] for m in mail.outbox}
    assert len(mail.outbox) == 8


def test_a_cancelled_reminder_is_never_sent(ping_rule, due_pings, now):
    materialise(now)
    ping_rule.gone.add(due_pings[0].pk)
    notifications_dispatch(now=now)
    cancelled = Notification.objects.filter(subject_id=due_pings[0].pk)
    assert {n.state for n in cancelled} == {State.CANCELLED}
    assert not any(n.delivered_at or n.emailed for n in cancelled)
    assert len(mail.outbox) == 9
    # and stays cancelled: nothing claims it again
    assert notifications_dispatch(now=now + timedelta(days=1)) == {}


def test_an_expired_reminder_is_never_sent(ping_rule, people, now):
    ping_rule.remind(people[0], "old", now - timedelta(days=8), [people[1]])
    ping_rule.remind(people[0], "recent", now - timedelta(days=6), [people[1]])
    materialise(now)
    notifications_dispatch(now=now)
    states = dict(Notification.objects.values_list("occurrence", "state"))
    assert states == {"old": State.EXPIRED, "recent": State.SENT}
    assert [m.subject.split(" #")[0] for m in mail.outbox] == ["Ping recent"]
    assert not Notification.objects.get(occurrence="old").delivered_at


def test_expiry_is_configurable_per_kind(ping_rule, people, now, settings):
    settings.NOTIFICATIONS_EXPIRY = {"tests.ping": 3600}
    ping_rule.remind(people[0], "two-hours-late", now - timedelta(hours=2), [people[1]])
    materialise(now)
    notifications_dispatch(now=now)
    assert Notification.objects.get().state == State.EXPIRED


def test_an_email_failure_is_retried_with_backoff_then_marked_failed(ping_rule, people, now, settings):
    settings.EMAIL_BACKEND = "ces.notifications.tests.test_engine.FailingBackend"
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    settings.NOTIFICATIONS_BACKOFF_SECONDS = 60
    ping_rule.remind(people[0], "flaky", now, [people[1]])
    materialise(now)

    notifications_dispatch(now=now)
    row = Notification.objects.get()
    assert (row.state, row.attempts) == (State.PENDING, 1)
    assert row.next_attempt_at == now + timedelta(seconds=60)
    assert "SMTP server unreachable" in row.last_error
    assert row.delivered_at  # the inbox entry does not wait for the e-mail

    assert notifications_dispatch(now=now + timedelta(seconds=59)) == {}  # not yet
    notifications_dispatch(now=now + timedelta(seconds=60))
    row.refresh_from_db()
    assert (row.state, row.attempts) == (State.PENDING, 2)
    assert row.next_attempt_at == now + timedelta(seconds=60 + 120)

    notifications_dispatch(now=now + timedelta(seconds=180))
    row.refresh_from_db()
    assert (row.state, row.attempts) == (State.FAILED, 3)
    assert notifications_dispatch(now=now + timedelta(days=1)) == {}


def test_an_email_that_works_on_the_second_attempt_is_sent_once(ping_rule, people, now, settings):
    settings.EMAIL_BACKEND = "ces.notifications.tests.test_engine.FailingBackend"
    ping_rule.remind(people[0], "flaky", now, [people[1]])
    materialise(now)
    notifications_dispatch(now=now)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notifications_dispatch(now=now + timedelta(minutes=5))
    row = Notification.objects.get()
    assert (row.state, row.attempts, row.last_error) == (State.SENT, 2, "")
    assert len(mail.outbox) == 1


def test_a_claim_abandoned_before_sending_is_retried_after_its_lease_and_sent_once(due_pings, now, settings):
    settings.NOTIFICATIONS_LEASE_SECONDS = 600
    materialise(now)
    # A worker claims everything, then dies before sending anything.
    _token, ids = notifications_claim(now=now, limit=100)
    assert len(ids) == 12
    assert Notification.objects.filter(state=State.SENDING).count() == 12

    # While the lease holds, nobody else takes those rows.
    assert notifications_dispatch(now=now + timedelta(seconds=599)) == {}
    assert mail.outbox == []

    assert notifications_dispatch(now=now + timedelta(seconds=601)) == {State.SENT: 12}
    assert len(mail.outbox) == 12 and set(sent_keys().values()) == {1}
    assert notifications_dispatch(now=now + timedelta(hours=1)) == {}
    assert len(mail.outbox) == 12


def test_a_late_worker_cannot_finish_a_row_another_worker_reclaimed(due_pings, now):
    from ces.notifications.services import notification_deliver

    materialise(now)
    old_token, ids = notifications_claim(now=now, limit=1)
    notifications_dispatch(now=now + timedelta(hours=1), limit=100)  # lease over: reclaimed and sent
    assert notification_deliver(notification_id=ids[0], token=old_token, now=now) == "lost"
    assert len(mail.outbox) == 12


@pytest.mark.django_db(transaction=True)
def test_concurrent_dispatchers_send_each_reminder_exactly_once(ping_rule, now):
    people = [UserFactory() for _ in range(5)]
    for i in range(20):
        ping_rule.remind(people[i % 5], f"n{i}", now - timedelta(minutes=1), people)
    assert materialise(now) == 100
    # A second "beat" evaluating the rule at the same time adds nothing.
    assert materialise(now) == 0

    outcomes = run_concurrently(lambda _: notifications_dispatch(now=now, limit=5), 8)

    assert errors_in(outcomes) == []
    assert sum(o.get(State.SENT, 0) for o in outcomes) == 100
    assert Notification.objects.filter(state=State.SENT).count() == 100
    per_recipient_and_occurrence = sent_keys()
    assert len(per_recipient_and_occurrence) == 100
    assert set(per_recipient_and_occurrence.values()) == {1}
