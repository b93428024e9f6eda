"""The test kit holds what every concurrency and page test stands on, so it is tested like code."""

import threading

import pytest
from django.urls import reverse

from tests.kit import api_client_for, client_for, errors_in, log_in, run_concurrently


def test_run_concurrently_has_every_call_running_at_the_same_time():
    # Each call waits for all the others: calls made one after another would break this barrier.
    together = threading.Barrier(4, timeout=10)

    outcomes = run_concurrently(lambda i: together.wait(), 4)

    assert errors_in(outcomes) == []
    assert sorted(outcomes) == [0, 1, 2, 3]


def test_run_concurrently_answers_in_call_order_with_the_exceptions_among_the_results():
    def call(i):
        if i == 2:
            raise ValueError("two")
        return i * 10

    outcomes = run_concurrently(call, 4)

    assert [outcome for i, outcome in enumerate(outcomes) if i != 2] == [0, 10, 30]
    assert isinstance(outcomes[2], ValueError)
    assert errors_in(outcomes) == [outcomes[2]]


@pytest.mark.django_db
def test_client_for_is_logged_in_as_the_person_in_english_by_default(pasante_a):
    response = client_for(pasante_a).get(reverse("accounts:home"))

    assert response.status_code == 200
    assert response.wsgi_request.user == pasante_a
    assert response["Content-Language"] == "en"


@pytest.mark.django_db
def test_client_for_reads_the_pages_in_the_language_asked(pasante_a):
    response = client_for(pasante_a, language="es").get(reverse("accounts:home"))

    assert response["Content-Language"] == "es"
    pasante_a.refresh_from_db()
    assert pasante_a.preferred_language == "es"


@pytest.mark.django_db
def test_client_for_nobody_is_anonymous():
    response = client_for(None).get(reverse("accounts:home"))

    assert response.status_code == 302
    assert not response.wsgi_request.user.is_authenticated


@pytest.mark.django_db
def test_api_client_for_speaks_to_the_api_as_the_person(pasante_a, clinic_a):
    response = api_client_for(pasante_a).get(reverse("api:clinic-list"))

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [clinic_a.pk]


@pytest.mark.django_db
def test_log_in_logs_the_clients_own_fixture_in(client, pasante_a):
    assert log_in(client, pasante_a) is client

    assert client.get(reverse("accounts:home")).wsgi_request.user == pasante_a
