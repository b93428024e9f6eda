"""A real Celery worker (in a thread) against Redis turns a due reminder into an inbox entry and an e-mail."""

import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.utils import timezone

from ces.accounts.tests.factories import UserFactory
from ces.celery import app
from ces.notifications.models import Notification
from ces.notifications.tasks import tick


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_turns_a_due_reminder_into_an_inbox_entry_and_an_email(ping_rule, settings, client):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    person = UserFactory(email="destinataria@example.mx")
    ping_rule.remind(person, "worker", timezone.now() - timedelta(minutes=1), [person])

    queue = f"test-notifications-{time.monotonic_ns()}"
    with start_worker(app, perform_ping_check=False, pool="solo", queues=[queue], shutdown_timeout=10):
        tick.apply_async(queue=queue)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not Notification.objects.filter(state="sent").exists():
            time.sleep(0.2)

    row = Notification.objects.get()
    assert row.state == Notification.State.SENT and row.emailed
    assert [m.to for m in mail.outbox] == [["destinataria@example.mx"]]
    client.force_login(person)
    assert row.title in client.get("/avisos/").content.decode()


def test_beat_ticks_the_notifications_once_a_minute():
    entry = app.conf.beat_schedule["notifications-tick"]
    assert entry["task"] == tick.name == "ces.notifications.tasks.tick"
    assert entry["schedule"] == 60.0
