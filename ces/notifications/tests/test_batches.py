"""Dispatch a claimed batch at a time: fixed queries, one mail connection, each row's outcome its own."""

import threading
from collections import Counter
from datetime import timedelta
from smtplib import SMTPRecipientsRefused

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.utils import timezone

from ces.accounts.tests.factories import UserFactory
from ces.notifications import registry
from ces.notifications.models import EmailPreference, Notification
from ces.notifications.services import (
    notifications_claim,
    notifications_deliver,
    notifications_dispatch,
    notifications_materialise,
)
from ces.notifications.tasks import dispatch

from .rules import PingRule

State = Notification.State
pytestmark = pytest.mark.django_db
NO_MAILBOX = "sin-buzon@example.mx"


class RefusesOneAddress(EmailBackend):
    """The local outbox, but the server refuses one address; counts the connections opened."""

    opened = 0

    def open(self):
        RefusesOneAddress.opened += 1
        return True

    def send_messages(self, messages):
        if any(NO_MAILBOX in m.to for m in messages):
            raise SMTPRecipientsRefused({NO_MAILBOX: (550, b"No such mailbox")})
        return super().send_messages(messages)


class StopsAtTheThirdEmail(EmailBackend):
    """The worker is stopped (Ctrl-C, a deploy) while it sends the third e-mail of the batch."""

    def send_messages(self, messages):
        if len(mail.outbox) == 2:
            raise KeyboardInterrupt
        return super().send_messages(messages)


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def refusing_backend(settings):
    settings.EMAIL_BACKEND = "ces.notifications.tests.test_batches.RefusesOneAddress"
    RefusesOneAddress.opened = 0
    return RefusesOneAddress


def remind_many(rule, now, count, *, prefix="persona"):
    """``count`` people, each reminded about themselves an hour ago; half of them read English."""
    people = [UserFactory(email=f"{prefix}{i}@example.mx", preferred_language="en" if i % 2 else "es")
              for i in range(count)]
    for person in people:
        rule.remind(person, "batch", now - timedelta(hours=1), [person])
    notifications_materialise(now=now, kinds={rule.kind})
    return people


def test_a_mixed_batch_cancels_expires_retries_and_sends_each_row_on_its_own(ping_rule, refusing_backend, now):
    people = remind_many(ping_rule, now, 4)
    gone, refused = people[0], UserFactory(email=NO_MAILBOX)
    ping_rule.gone.add(gone.pk)
    ping_rule.remind(refused, "batch", now - timedelta(hours=1), [refused])
    ping_rule.remind(people[1], "old", now - timedelta(days=8), [people[1]])
    notifications_materialise(now=now, kinds={ping_rule.kind})

    token, ids = notifications_claim(now=now, limit=50)
    states = notifications_deliver(ids=ids, token=token, now=now)

    assert Counter(states.values()) == {State.SENT: 3, State.CANCELLED: 1, State.EXPIRED: 1, State.PENDING: 1}
    rows = {(n.recipient.email, n.occurrence): n for n in Notification.objects.select_related("recipient")}
    cancelled, expired = rows[(gone.email, "batch")], rows[(people[1].email, "old")]
    assert (cancelled.state, cancelled.delivered_at, cancelled.emailed) == (State.CANCELLED, None, False)
    assert (expired.state, expired.delivered_at, expired.emailed) == (State.EXPIRED, None, False)
    retried = rows[(NO_MAILBOX, "batch")]
    assert (retried.state, retried.attempts, retried.next_attempt_at) == (State.PENDING, 1, now + timedelta(seconds=60))
    assert "No such mailbox" in retried.last_error and retried.delivered_at and retried.claim_token is None
    sent = [n for n in rows.values() if n.state == State.SENT]
    assert all(n.emailed and n.sent_at == now and n.delivered_at and n.claim_token is None for n in sent)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(n.recipient.email for n in sent)
    assert refusing_backend.opened == 1  # one connection for the whole batch


def test_a_refused_email_is_sent_on_a_later_attempt_and_its_error_cleared(ping_rule, refusing_backend, now):
    refused = UserFactory(email=NO_MAILBOX)
    ping_rule.remind(refused, "batch", now, [refused])
    notifications_materialise(now=now, kinds={ping_rule.kind})
    notifications_dispatch(now=now)
    refused.email = "ya-con-buzon@example.mx"
    refused.save()

    assert notifications_dispatch(now=now + timedelta(minutes=1)) == {State.SENT: 1}
    row = Notification.objects.get()
    assert (row.state, row.attempts, row.last_error, row.emailed) == (State.SENT, 2, "", True)
    assert [m.to for m in mail.outbox] == [["ya-con-buzon@example.mx"]]


@pytest.mark.parametrize("size", [10, 50])
def test_delivering_a_batch_takes_the_same_queries_at_any_size(ping_rule, now, size, django_assert_num_queries):
    people = remind_many(ping_rule, now, size)
    EmailPreference.objects.create(user=people[0], kind=ping_rule.kind, email=False)
    token, ids = notifications_claim(now=now, limit=size)
    assert len(ids) == size

    # the rows with their recipients, their subjects, the e-mail preferences, the inbox, the final states
    with django_assert_num_queries(5):
        states = notifications_deliver(ids=ids, token=token, now=now)

    assert Counter(states.values()) == {State.SENT: size}
    assert len(mail.outbox) == size - 1
    assert sorted(ping_rule.languages) == sorted(p.preferred_language for p in people)


def test_a_batch_whose_claim_was_lost_writes_and_sends_nothing(ping_rule, now):
    remind_many(ping_rule, now, 5)
    old_token, ids = notifications_claim(now=now, limit=50)
    new_token, again = notifications_claim(now=now + timedelta(hours=1), limit=50)  # the lease ran out
    assert again == ids

    assert set(notifications_deliver(ids=ids, token=old_token, now=now).values()) == {"lost"}
    assert mail.outbox == []
    assert set(Notification.objects.values_list("state", "claim_token", "title", "delivered_at")) == {
        (State.SENDING, new_token, "", None)
    }


def test_a_rule_is_asked_once_per_batch_when_it_answers_the_batch_at_once(now):
    calls = []

    class BatchedPingRule(PingRule):
        def still_needed_many(self, pairs, now):
            calls.append(len(pairs))
            return [subject.pk not in self.gone for _notification, subject in pairs]

        def subjects(self, model, ids):
            calls.append("subjects")
            return super().subjects(model, ids)

    rule = registry.register(BatchedPingRule(kind="tests.batched_ping"))
    try:
        people = remind_many(rule, now, 6)
        rule.gone.add(people[0].pk)
        assert notifications_dispatch(now=now, limit=50) == {State.SENT: 5, State.CANCELLED: 1}
    finally:
        registry.unregister(rule.kind)
    assert calls == ["subjects", 6]


def test_a_message_that_fails_to_render_is_retried_and_the_rest_of_the_batch_sent(ping_rule, now):
    people = remind_many(ping_rule, now, 3)
    original = ping_rule.message

    def message(notification, subject):
        if subject.pk == people[1].pk:
            raise ValueError("a bug in the rule")
        return original(notification, subject)

    ping_rule.message = message
    assert notifications_dispatch(now=now) == {State.SENT: 2, State.PENDING: 1}
    broken = Notification.objects.get(recipient=people[1])
    assert (broken.state, broken.delivered_at) == (State.PENDING, None)
    assert "a bug in the rule" in broken.last_error
    assert len(mail.outbox) == 2


def test_a_worker_stopped_mid_batch_records_what_it_sent_and_leaves_the_rest_to_the_lease(ping_rule, now, settings):
    remind_many(ping_rule, now, 5)
    settings.EMAIL_BACKEND = "ces.notifications.tests.test_batches.StopsAtTheThirdEmail"
    with pytest.raises(KeyboardInterrupt):
        notifications_dispatch(now=now, limit=50)
    assert len(mail.outbox) == 2
    assert Counter(Notification.objects.values_list("state", flat=True)) == {State.SENT: 2, State.SENDING: 3}
    # the inbox already shows all five; the e-mails not sent yet wait for the lease
    assert Notification.objects.filter(delivered_at__isnull=False).count() == 5

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications_dispatch(now=now + timedelta(seconds=599)) == {}
    assert notifications_dispatch(now=now + timedelta(seconds=601)) == {State.SENT: 3}
    assert Counter(m.to[0] for m in mail.outbox) == {f"persona{i}@example.mx": 1 for i in range(5)}


@pytest.mark.django_db(transaction=True)
def test_eight_dispatchers_over_200_due_rows_deliver_each_exactly_once(ping_rule, now):
    remind_many(ping_rule, now, 200)
    barrier, errors, outcomes = threading.Barrier(8), [], []

    def run():
        try:
            barrier.wait()
            outcomes.append(notifications_dispatch(now=now, limit=10, max_batches=100))
        except Exception as exc:  # pragma: no cover - surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert sum((Counter(o) for o in outcomes), Counter()) == {State.SENT: 200}
    assert Notification.objects.filter(state=State.SENT, emailed=True, delivered_at__isnull=False).count() == 200
    assert Counter(m.to[0] for m in mail.outbox) == {f"persona{i}@example.mx": 1 for i in range(200)}


def test_a_dispatch_past_its_time_budget_finishes_its_batch_and_starts_no_other(ping_rule, now):
    remind_many(ping_rule, now, 12)
    assert notifications_dispatch(now=now, limit=5, max_seconds=0) == {State.SENT: 5}
    assert notifications_dispatch(now=now, limit=5) == {State.SENT: 7}


def test_the_dispatch_task_drains_a_backlog_beyond_twenty_batches(ping_rule, settings):
    settings.NOTIFICATIONS_BATCH_SIZE = 1
    remind_many(ping_rule, timezone.now(), 25)
    assert dispatch() == {State.SENT: 25}
    assert len(mail.outbox) == 25
