"""A restock request sent twice exists once: Idempotency-Key on every POST of the pharmacy API, replayed one
after the other and from 8 threads at once against PostgreSQL."""

import uuid
from datetime import date

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from ces.core.models import IdempotencyRecord
from pharmacy import services
from pharmacy.models import RestockLine, RestockRequest, StockMovement
from tests.kit import client_for, errors_in, run_concurrently

from .factories import ItemFactory

State = RestockRequest.State
PERIOD = date(2026, 6, 1)
THREADS = 8
CREATE = reverse("api:pharmacy:restock-request-list")


def _line(item, **extra):
    return {"item": item.pk, "beginning_balance": 50, "received": 0, "consumed": 30, "stock_on_hand": 20, **extra}


def _body(clinic, item, **extra):
    return {"clinic": clinic.pk, "period": PERIOD.isoformat(), "lines": [_line(item)], **extra}


def _action(name, request):
    return reverse(f"api:pharmacy:restock-request-{name}", args=[request.pk])


@pytest.fixture
def item(db):
    return ItemFactory(name="Paracetamol")


@pytest.fixture
def client_a(api_client, pasante_a):
    api_client.force_login(pasante_a)
    return api_client


@pytest.fixture
def stocked_clinic(clinic_a, item, pharmacy):
    """Clinic A holds 50 of the item, so a submitted report posts its consumption to the clinic's ledger."""
    movement = services.warehouse_receive(item=item, lot_number="L1", expiry=date(2031, 1, 31), quantity=200,
                                          by=pharmacy)
    services.ledger_move(moves=[services.Move(None, movement.lot, -50), services.Move(clinic_a, movement.lot, 50)],
                         kind=StockMovement.Kind.TRANSFER)
    return clinic_a


def _post(client, url, body, key, **headers):
    return client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key, **headers)


# --- One after the other -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_replayed_with_the_same_key_answers_the_same_and_creates_once(client_a, clinic_a, item):
    first = _post(client_a, CREATE, _body(clinic_a, item), "solicitud-junio")

    replay = _post(client_a, CREATE, _body(clinic_a, item), "solicitud-junio")

    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert RestockRequest.objects.count() == 1
    assert RestockLine.objects.count() == 1


@pytest.mark.django_db
def test_same_key_with_another_body_is_409_and_writes_nothing_more(client_a, clinic_a, item):
    _post(client_a, CREATE, _body(clinic_a, item), "solicitud-junio")

    response = _post(client_a, CREATE, _body(clinic_a, item, lines=[_line(item, consumed=31)]), "solicitud-junio")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_conflict"
    assert RestockRequest.objects.count() == 1
    assert list(RestockLine.objects.values_list("consumed", flat=True)) == [30]


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["solicitud\x00junio", "solicitud\njunio", "\x07"])
def test_a_key_with_a_control_character_is_400_and_writes_nothing(client_a, clinic_a, item, key):
    # A NUL byte in the key reached PostgreSQL's text column: a server error, not an answer.
    response = _post(client_a, CREATE, _body(clinic_a, item), key)

    assert response.status_code == 400
    # Answered in the pasante's language (Spanish by default).
    assert response.json() == {"detail": "El encabezado Idempotency-Key solo puede llevar caracteres imprimibles."}
    assert not RestockRequest.objects.exists()
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_without_a_key_a_second_create_runs_and_is_refused_by_the_month_rule(client_a, clinic_a, item):
    first = client_a.post(CREATE, _body(clinic_a, item), format="json")
    second = client_a.post(CREATE, _body(clinic_a, item), format="json")

    assert first.status_code == 201
    assert second.status_code == 400
    assert RestockRequest.objects.count() == 1
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_refused_create_is_replayed_as_the_same_400(client_a, clinic_a, item):
    bad = _body(clinic_a, item, lines=[_line(item, consumed=-1)])

    first = _post(client_a, CREATE, bad, "mala")
    replay = _post(client_a, CREATE, bad, "mala")

    assert first.status_code == 400
    assert (replay.status_code, replay.json()) == (400, first.json())
    assert replay["Idempotent-Replayed"] == "true"
    assert not RestockRequest.objects.exists()


@pytest.mark.django_db
def test_submit_replayed_submits_once(client_a, pasante_a, stocked_clinic, item):
    draft = services.restock_request_create_draft(clinic=stocked_clinic, period=PERIOD, lines=[_line(item)],
                                                  by=pasante_a)

    first = _post(client_a, _action("submit", draft), {}, "enviar-junio")
    moved = StockMovement.objects.count()
    replay = _post(client_a, _action("submit", draft), {}, "enviar-junio")

    assert first.status_code == 200, first.content
    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert StockMovement.objects.count() == moved


@pytest.mark.django_db
def test_approval_replayed_by_pharmacy_is_answered_again_not_refused(api_client, pharmacy, pasante_a, clinic_a, item):
    draft = services.restock_request_create_draft(clinic=clinic_a, period=PERIOD, lines=[_line(item)], by=pasante_a)
    services.restock_request_submit(request=draft, by=pasante_a)
    api_client.force_login(pharmacy)
    cuts = {"cuts": [{"item": item.pk, "approved": 60, "reason": "Reparto"}]}

    first = _post(api_client, _action("approve", draft), cuts, "aprobar-1")
    replay = _post(api_client, _action("approve", draft), cuts, "aprobar-1")
    again_without_key = api_client.post(_action("approve", draft), cuts, format="json")

    assert first.status_code == 200, first.content
    # The retry gets the approval, not "a request that is approved cannot be approved".
    assert (replay.status_code, replay.json()) == (200, first.json())
    assert again_without_key.status_code == 400
    assert draft.lines.get().approved == 60


@pytest.mark.django_db
def test_token_client_replays_its_own_create(api_client, pasante_a, clinic_a, item):
    auth = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=pasante_a).key}"}

    first = _post(api_client, CREATE, _body(clinic_a, item), "movil-1", **auth)
    replay = _post(api_client, CREATE, _body(clinic_a, item), "movil-1", **auth)

    assert first.status_code == 201, first.content
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert RestockRequest.objects.get().created_by == pasante_a


# --- At the same moment, from 8 threads -----------------------------------------------------------------


def _all_at_once(user, send):
    """Run ``send(client)`` from THREADS threads released together; their (status, body) answers."""
    clients = [client_for(user) for _ in range(THREADS)]
    responses = run_concurrently(lambda i: send(clients[i]), THREADS)
    assert errors_in(responses) == []
    return [(response.status_code, response.json()) for response in responses]


@pytest.mark.django_db(transaction=True)
def test_create_replayed_concurrently_creates_once(pasante_a, clinic_a, item):
    answers = _all_at_once(pasante_a, lambda client: client.post(
        CREATE, _body(clinic_a, item), content_type="application/json", HTTP_IDEMPOTENCY_KEY="carrera-junio"))

    assert [status for status, _ in answers] == [201] * THREADS
    assert all(body == answers[0][1] for _, body in answers)
    assert RestockRequest.objects.count() == 1
    assert RestockLine.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_create_with_one_client_key_sent_concurrently_under_different_keys_creates_once(pasante_a, clinic_a, item):
    """The offline client retried the same request under fresh Idempotency-Keys: its client_key still holds."""
    key = str(uuid.uuid4())
    answers = _all_at_once(pasante_a, lambda client: client.post(
        CREATE, _body(clinic_a, item, client_key=key), content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())))

    assert [status for status, _ in answers] == [201] * THREADS
    assert {body["id"] for _, body in answers} == {RestockRequest.objects.get().pk}
    assert RestockLine.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_submit_replayed_concurrently_submits_once(pasante_a, stocked_clinic, item):
    draft = services.restock_request_create_draft(clinic=stocked_clinic, period=PERIOD, lines=[_line(item)],
                                                  by=pasante_a)

    answers = _all_at_once(pasante_a, lambda client: client.post(
        _action("submit", draft), {}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="enviar-junio"))

    assert [status for status, _ in answers] == [200] * THREADS
    assert all(body == answers[0][1] for _, body in answers)
    draft.refresh_from_db()
    assert draft.state == State.SUBMITTED
    # The report of 30 consumed was posted to the clinic's ledger once: 50 held, 20 counted.
    dispensed = StockMovement.objects.filter(clinic=stocked_clinic, kind=StockMovement.Kind.DISPENSED)
    assert list(dispensed.values_list("quantity", flat=True)) == [-30]
    assert IdempotencyRecord.objects.count() == 1
