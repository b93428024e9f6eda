"""Every POST of the visitors API honours Idempotency-Key (ces.core.idempotency, global for /api/): a step sent
twice happens once, an upload sent twice is stored once (a document of several MB too, over Django's in-memory
body limit), a refusal is replayed as the same 400, and eight threads with one key write one change."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from ces.core.models import IdempotencyRecord
from tests.kit import api_client_for, errors_in, run_concurrently
from visitors.models import Application, Document, DocumentKind, StatusChange
from visitors.tests.factories import PDF_BYTES, application_in_state

State = Application.State
THREADS = 8


def _step(application, name):
    return reverse(f"api:visitors:application-{name}", args=[application.pk])


def _pdf(size, name="cv.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES + b"0" * size, content_type="application/pdf")


@pytest.fixture
def interviewed(visitor_program):
    return application_in_state(State.INTERVIEWED, staff_user=visitor_program)


@pytest.mark.django_db
def test_a_step_replayed_with_the_same_key_answers_the_same_and_happens_once(visitor_program, interviewed):
    client = api_client_for(visitor_program)
    before = StatusChange.objects.filter(application=interviewed).count()

    first = client.post(_step(interviewed, "accept"), {"message": "¡Bienvenida!"}, format="json",
                        HTTP_IDEMPOTENCY_KEY="aceptar-1")
    replay = client.post(_step(interviewed, "accept"), {"message": "¡Bienvenida!"}, format="json",
                         HTTP_IDEMPOTENCY_KEY="aceptar-1")

    assert first.status_code == 200, first.content
    assert "Idempotent-Replayed" not in first
    assert replay.status_code == 200
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert StatusChange.objects.filter(application=interviewed).count() == before + 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_409_and_writes_nothing(visitor_program, interviewed):
    client = api_client_for(visitor_program)
    client.post(_step(interviewed, "waitlist"), {"message": "Te avisamos."}, format="json",
                HTTP_IDEMPOTENCY_KEY="decidir")

    response = client.post(_step(interviewed, "waitlist"), {"message": "Otro mensaje"}, format="json",
                           HTTP_IDEMPOTENCY_KEY="decidir")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_conflict"
    interviewed.refresh_from_db()
    assert interviewed.decision_message == "Te avisamos."


@pytest.mark.django_db
def test_a_refused_step_is_replayed_as_the_same_400(visitor_program, interviewed):
    client = api_client_for(visitor_program)

    first = client.post(_step(interviewed, "complete"), format="json", HTTP_IDEMPOTENCY_KEY="terminar")
    replay = client.post(_step(interviewed, "complete"), format="json", HTTP_IDEMPOTENCY_KEY="terminar")

    assert first.status_code == 400
    assert replay.status_code == 400
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()


@pytest.mark.django_db
@pytest.mark.parametrize("size", [1_000, 3 * 1024 * 1024], ids=["small", "over-the-in-memory-limit"])
def test_an_upload_replayed_with_the_same_key_is_stored_once(applicant, size):
    # 3 MB is over DATA_UPLOAD_MAX_MEMORY_SIZE: reading request.body for the fingerprint refused it (a bare
    # 400) before the middleware streamed it; the view still gets the whole file.
    assert size < 10_000 or size > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    application = application_in_state(State.DRAFT, applicant=applicant)
    client = api_client_for(applicant)
    body = _pdf(size).read()

    def upload():
        return client.post(_step(application, "upload-document"),
                           {"kind": "cv", "file": SimpleUploadedFile("cv.pdf", body, content_type="application/pdf")},
                           format="multipart", HTTP_IDEMPOTENCY_KEY="subir-cv")

    first = upload()
    replay = upload()

    assert first.status_code == 201, first.content
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    document = Document.objects.get(application=application, kind=DocumentKind.CV)
    assert document.size == len(body)
    with document.file.open("rb") as stored:
        assert stored.read() == body


@pytest.mark.django_db
def test_an_upload_with_a_key_and_another_file_is_409(applicant):
    application = application_in_state(State.DRAFT, applicant=applicant)
    client = api_client_for(applicant)
    client.post(_step(application, "upload-document"), {"kind": "cv", "file": _pdf(10)}, format="multipart",
                HTTP_IDEMPOTENCY_KEY="subir")

    response = client.post(_step(application, "upload-document"), {"kind": "cv", "file": _pdf(20)},
                           format="multipart", HTTP_IDEMPOTENCY_KEY="subir")

    assert response.status_code == 409
    assert Document.objects.filter(application=application).count() == 1


@pytest.mark.django_db
def test_a_key_is_scoped_to_its_person(applicant, applicant_b):
    mine = application_in_state(State.DRAFT, applicant=applicant)
    theirs = application_in_state(State.DRAFT, applicant=applicant_b)

    first = api_client_for(applicant).post(_step(mine, "withdraw"), {"reason": "Cambio de planes"}, format="json",
                                           HTTP_IDEMPOTENCY_KEY="retirar")
    second = api_client_for(applicant_b).post(_step(theirs, "withdraw"), {"reason": "Cambio de planes"},
                                              format="json", HTTP_IDEMPOTENCY_KEY="retirar")

    assert first.status_code == 200 and second.status_code == 200
    assert "Idempotent-Replayed" not in second
    assert set(Application.objects.values_list("state", flat=True)) == {State.WITHDRAWN}
    assert IdempotencyRecord.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_eight_threads_with_one_key_accept_once(visitor_program):
    application = application_in_state(State.INTERVIEWED, staff_user=visitor_program)
    before = StatusChange.objects.filter(application=application).count()
    url = _step(application, "accept")

    def send(_i):
        client = APIClient()
        client.force_login(visitor_program)
        return client.post(url, {"message": "¡Bienvenida!"}, format="json", HTTP_IDEMPOTENCY_KEY="aceptar-hilos")

    outcomes = run_concurrently(send, THREADS)

    assert not errors_in(outcomes)
    assert {response.status_code for response in outcomes} == {200}
    assert sum(response.has_header("Idempotent-Replayed") for response in outcomes) == THREADS - 1
    assert StatusChange.objects.filter(application=application).count() == before + 1
