from unittest import mock

import pytest
from django.urls import reverse

from ces.core.services import heartbeat_record
from ces.core.tasks import heartbeat


def test_livez_answers_ok_without_touching_the_database(client, settings):
    # No django_db mark: pytest-django fails any query here. Redis is pointed at nothing.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get(reverse("livez"))
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_livez_stays_ok_while_healthz_reports_the_database_down(client, django_assert_num_queries):
    with mock.patch("ces.core.health._check_database", side_effect=OSError("down")):
        assert client.get(reverse("healthz")).status_code == 503
        with django_assert_num_queries(0):
            response = client.get(reverse("livez"))
    assert response.status_code == 200 and response.content == b"ok"


def test_livez_rejects_post(client):
    assert client.post(reverse("livez")).status_code == 405


@pytest.mark.django_db
def test_healthz_is_ok_when_database_and_redis_answer(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}


@pytest.mark.django_db
def test_healthz_is_503_naming_redis_when_redis_is_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("error")


@pytest.mark.django_db
def test_healthz_is_503_naming_the_database_when_it_fails(client):
    with mock.patch("ces.core.health._check_database", side_effect=OSError("down")):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "error: OSError"


@pytest.mark.django_db
def test_healthz_reports_a_fresh_beat_after_the_heartbeat_task(client):
    assert client.get(reverse("healthz")).json()["beat"]["fresh"] is False
    heartbeat.apply()
    assert client.get(reverse("healthz")).json()["beat"]["fresh"] is True


@pytest.mark.django_db
def test_heartbeat_is_safe_to_run_twice():
    first = heartbeat_record(name="beat")
    second = heartbeat_record(name="beat")
    assert first.pk == second.pk
