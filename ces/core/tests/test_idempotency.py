"""The Idempotency-Key mechanism, exercised through the patient registry's create endpoint."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from ces.core.idempotency import MAX_KEY_LENGTH
from ces.core.models import IdempotencyRecord
from clinics.models import Patient
from tests.kit import api_client_for, client_for, errors_in, run_concurrently

URL = reverse("api:patient-list")


def _body(clinic, **extra):
    return {"clinic": clinic.pk, "given_names": "Juana", "family_names": "López Díaz", "sex": "F",
            "birth_date": "1990-07-21", **extra}


def _post(client, body, key=None, **headers):
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(URL, body, format="json", **headers)


@pytest.fixture
def client_a(pasante_a):
    return api_client_for(pasante_a)


@pytest.mark.django_db
def test_post_with_a_key_creates_once_and_replays(client_a, clinic_a):
    first = _post(client_a, _body(clinic_a), key="alta-juana-1")

    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first

    replay = _post(client_a, _body(clinic_a), key="alta-juana-1")

    assert replay.status_code == 201
    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert Patient.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.django_db
def test_same_key_with_another_body_is_409(client_a, clinic_a):
    _post(client_a, _body(clinic_a), key="alta-juana-1")

    response = _post(client_a, _body(clinic_a, given_names="Juanita"), key="alta-juana-1")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_conflict"
    assert Patient.objects.count() == 1


@pytest.mark.django_db
def test_same_key_on_another_endpoint_is_409(client_a, clinic_a, pasante_a):
    _post(client_a, _body(clinic_a), key="alta-juana-1")
    assignment = pasante_a.staff.assignments.get()

    response = client_a.post(reverse("api:assignment-end", args=[assignment.pk]), {"end_date": "2030-01-01"},
                             format="json", HTTP_IDEMPOTENCY_KEY="alta-juana-1")

    assert response.status_code == 409


@pytest.mark.django_db
def test_same_key_by_another_user_is_independent(client_a, clinic_a, supervisor):
    _post(client_a, _body(clinic_a), key="alta-1")
    other = client_for(supervisor)

    response = other.post(URL, _body(clinic_a, given_names="Rosa"), content_type="application/json",
                          HTTP_IDEMPOTENCY_KEY="alta-1")

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Patient.objects.count() == 2
    assert Patient.objects.get(given_names="Rosa").created_by == supervisor


@pytest.mark.django_db
def test_key_of_the_longest_length_is_accepted(client_a, clinic_a):
    response = _post(client_a, _body(clinic_a), key="k" * MAX_KEY_LENGTH)

    assert response.status_code == 201
    assert Patient.objects.count() == 1


@pytest.mark.django_db
def test_key_over_the_longest_length_is_400_and_writes_nothing(client_a, clinic_a):
    response = _post(client_a, _body(clinic_a), key="k" * (MAX_KEY_LENGTH + 1))

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]
    assert not Patient.objects.exists()
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_without_a_key_every_post_runs(client_a, clinic_a):
    first = _post(client_a, _body(clinic_a))
    second = _post(client_a, _body(clinic_a))

    assert first.status_code == 201
    # The second one ran: the registry saw the first patient and flagged a possible duplicate.
    assert second.status_code == 409
    assert second.json()["code"] == "possible_duplicate"
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_validation_error_is_replayed_as_400(client_a, clinic_a):
    bad = _body(clinic_a, birth_date="31/31/1990")
    first = _post(client_a, bad, key="alta-mala")

    replay = _post(client_a, bad, key="alta-mala")

    assert first.status_code == 400
    assert (replay.status_code, replay.json()) == (400, first.json())
    assert replay["Idempotent-Replayed"] == "true"
    assert not Patient.objects.exists()


@pytest.mark.django_db
def test_refused_request_is_not_kept_so_the_retry_runs(api_client, pharmacy, clinic_a):
    api_client.force_login(pharmacy)

    response = _post(api_client, _body(clinic_a), key="intento-1")

    assert response.status_code == 403
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_anonymous_post_keeps_no_key(api_client, clinic_a):
    response = _post(api_client, _body(clinic_a), key="anonimo-1")

    assert response.status_code == 401
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("keyword", ["Token", "token"])
def test_token_post_is_scoped_to_the_tokens_user(api_client, pasante_a, pasante_b, clinic_a, keyword):
    token = Token.objects.create(user=pasante_a)
    auth = {"HTTP_AUTHORIZATION": f"{keyword} {token.key}"}

    first = _post(api_client, _body(clinic_a), key="movil-7", **auth)
    replay = _post(api_client, _body(clinic_a), key="movil-7", **auth)

    assert first.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert Patient.objects.get().created_by == pasante_a
    assert IdempotencyRecord.objects.get().user == pasante_a


@pytest.mark.django_db
def test_another_users_token_does_not_replay_the_first_users_answer(api_client, pasante_a, pasante_b, clinic_a):
    auth_a = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=pasante_a).key}"}
    auth_b = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=pasante_b).key}"}
    _post(api_client, _body(clinic_a), key="movil-7", **auth_a)

    response = _post(api_client, _body(clinic_a), key="movil-7", **auth_b)

    # Pasante B's own request ran, and clinic A is not one of theirs.
    assert response.status_code == 400
    assert "clinic" in response.json()
    assert "Idempotent-Replayed" not in response
    assert Patient.objects.count() == 1


THREADS = 6


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_with_the_same_key_create_one_row(pasante_a, clinic_a):
    clients = [client_for(pasante_a) for _ in range(THREADS)]

    responses = run_concurrently(lambda i: clients[i].post(URL, _body(clinic_a), content_type="application/json",
                                                           HTTP_IDEMPOTENCY_KEY="carrera-1"), THREADS)

    assert errors_in(responses) == []
    assert [response.status_code for response in responses] == [201] * THREADS
    assert all(response.json() == responses[0].json() for response in responses)
    assert Patient.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
