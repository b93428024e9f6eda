"""A real Celery worker (in a thread) against the real Redis broker runs the periodic heartbeat."""

import time

import pytest
from celery.contrib.testing.worker import start_worker

from ces.celery import app
from ces.core.models import Heartbeat
from ces.core.tasks import heartbeat


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_heartbeat_and_healthz_sees_it(client, settings):
    queue = f"test-heartbeat-{time.monotonic_ns()}"
    with start_worker(app, perform_ping_check=False, pool="solo", queues=[queue], shutdown_timeout=10):
        heartbeat.apply_async(queue=queue)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not Heartbeat.objects.filter(name="beat").exists():
            time.sleep(0.2)
    assert Heartbeat.objects.filter(name="beat").exists()
    assert client.get("/healthz").json()["beat"]["fresh"] is True
