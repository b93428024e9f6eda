"""The visitors API's steps that the pages had and the API lacked: the paired pasante says the host family is
ready and gives their feedback after the stay (``/placements/<pk>/host-family-ready/``, ``.../feedback/``), and
the program uploads the orientation pack (``/orientation-packs/``). Each: done by the right person with its
effect, refused to everyone else (403 by role, 404 outside their reach, 401 anonymous), bad input a 400 with the
message in the person's language and nothing written, and a fixed number of queries at two sizes."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from tests.kit import LAYOUT_QUERIES, api_client_for
from visitors import selectors, services
from visitors.models import Application, OrientationPack, PasanteFeedback, Placement
from visitors.tests.test_api import _grow_stays, advance, make_draft, make_place, pdf, url

State = Application.State


@pytest.fixture
def place(clinic_a, pasante_a):
    return make_place(clinic_a, pasante_a)


@pytest.fixture
def confirmed(applicant, visitor_program, place):
    """Applicant A's placement at clinic A with pasante A, confirmed: the host family is awaited."""
    application = advance(make_draft(applicant), State.PLACEMENT_CONFIRMED, staff=visitor_program, place=place)
    return Placement.objects.get(application=application)


@pytest.fixture
def completed(applicant, visitor_program, place):
    """Applicant A's stay at clinic A with pasante A, completed: the feedback is open."""
    application = advance(make_draft(applicant), State.COMPLETED, staff=visitor_program, place=place)
    return Placement.objects.get(application=application)


def client_of(request, persona, *, language="en"):
    if persona == "anonymous":
        return APIClient()
    return api_client_for(request.getfixturevalue(persona), language=language)


FEEDBACK = {"rating": 4, "would_host_again": True, "comments": "  Muy útil en la consulta.  "}
# Who may not speak for pasante A's visitor: another pasante does not reach it (404), the other roles are turned
# away before any lookup (403), the anonymous are asked who they are (401).
REFUSED = [("pasante_b", 404), ("applicant", 403), ("applicant_b", 403), ("visitor_program", 403),
           ("coordinator", 403), ("outsider", 403), ("anonymous", 401)]


# --- The host family is ready ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_paired_pasante_says_the_host_family_is_ready(pasante_a, confirmed):
    response = api_client_for(pasante_a).post(url("placement-host-family-ready", confirmed.pk), format="json")

    assert response.status_code == 200, response.content
    confirmed.refresh_from_db()
    assert confirmed.host_family_confirmed_at is not None
    assert response.json()["id"] == confirmed.pk
    assert response.json()["host_family_confirmed_at"] is not None


@pytest.mark.django_db
def test_saying_the_host_family_is_ready_twice_keeps_the_first_time(pasante_a, confirmed):
    client = api_client_for(pasante_a)
    client.post(url("placement-host-family-ready", confirmed.pk), format="json")
    confirmed.refresh_from_db()
    first = confirmed.host_family_confirmed_at

    again = client.post(url("placement-host-family-ready", confirmed.pk), format="json")

    assert again.status_code == 200, again.content
    confirmed.refresh_from_db()
    assert confirmed.host_family_confirmed_at == first


@pytest.mark.django_db
@pytest.mark.parametrize(("persona", "status"), REFUSED)
def test_only_the_paired_pasante_says_the_host_family_is_ready(request, persona, status, pasante_b, confirmed):
    response = client_of(request, persona).post(url("placement-host-family-ready", confirmed.pk), format="json")

    assert response.status_code == status, response.content
    confirmed.refresh_from_db()
    assert confirmed.host_family_confirmed_at is None


@pytest.mark.django_db
def test_the_host_family_of_a_visitor_already_arrived_is_refused_in_the_persons_language(
    applicant, visitor_program, pasante_a, place,
):
    application = advance(make_draft(applicant), State.ARRIVED, staff=visitor_program, place=place)
    placement = Placement.objects.get(application=application)

    response = api_client_for(pasante_a, language="es").post(url("placement-host-family-ready", placement.pk),
                                                             format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Esta asignación ya no espera a la familia anfitriona."]}
    placement.refresh_from_db()
    assert placement.host_family_confirmed_at is None


@pytest.mark.django_db
def test_a_visitor_paired_with_someone_else_by_the_time_of_the_write_is_a_403(
    monkeypatch, pasante_b, confirmed,
):
    # The lookup found the placement theirs; the service, reading it again under its lock, finds another
    # pasante: its refusal (not_the_pasante) is a 403 with its message, never a 400 or a 500.
    monkeypatch.setattr(selectors, "pasante_placement_for", lambda user, pk: confirmed)

    for name, body in (("placement-host-family-ready", {}), ("placement-feedback", FEEDBACK)):
        response = api_client_for(pasante_b).post(url(name, confirmed.pk), body, format="json")

        assert response.status_code == 403, (name, response.content)
        assert response.json() == {"detail": "Only the pasante paired with this visitor can do this."}
    confirmed.refresh_from_db()
    assert confirmed.host_family_confirmed_at is None
    assert not PasanteFeedback.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_host_family_is_confirmed_outside_a_test_transaction_as_in_production(
    applicant, visitor_program, pasante_a, place,
):
    # The service locks the placement: it must open its own transaction (the API does not run in one).
    application = advance(make_draft(applicant), State.PLACEMENT_CONFIRMED, staff=visitor_program, place=place)
    placement = Placement.objects.get(application=application)

    response = api_client_for(pasante_a).post(url("placement-host-family-ready", placement.pk), format="json")

    assert response.status_code == 200, response.content
    placement.refresh_from_db()
    assert placement.host_family_confirmed_at is not None


# --- The pasante's feedback ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_paired_pasante_gives_their_feedback_after_the_stay(pasante_a, completed):
    response = api_client_for(pasante_a).post(url("placement-feedback", completed.pk), FEEDBACK, format="json")

    assert response.status_code == 201, response.content
    feedback = PasanteFeedback.objects.get()
    assert (feedback.placement, feedback.rating, feedback.would_host_again) == (completed, 4, True)
    assert feedback.comments == "Muy útil en la consulta."
    assert feedback.by == pasante_a
    assert response.json()["id"] == feedback.pk and response.json()["rating"] == 4


@pytest.mark.django_db
def test_the_feedback_may_be_a_form_and_say_no(pasante_a, completed):
    response = api_client_for(pasante_a).post(url("placement-feedback", completed.pk),
                                              {"rating": "2", "would_host_again": "false"})

    assert response.status_code == 201, response.content
    assert PasanteFeedback.objects.get().would_host_again is False


@pytest.mark.django_db
@pytest.mark.parametrize(("persona", "status"), REFUSED)
def test_only_the_paired_pasante_gives_feedback(request, persona, status, pasante_b, completed):
    response = client_of(request, persona).post(url("placement-feedback", completed.pk), FEEDBACK, format="json")

    assert response.status_code == status, response.content
    assert not PasanteFeedback.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("body", "form", "errors"), [
    ({}, False, {"rating": ["Choose from 1 to 5."], "would_host_again": ["Answer yes or no."]}),
    ({"would_host_again": True}, False, {"rating": ["Choose from 1 to 5."]}),
    ({"rating": 0, "would_host_again": True}, False, {"rating": ["Choose from 1 to 5."]}),
    ({"rating": 6, "would_host_again": True}, False, {"rating": ["Choose from 1 to 5."]}),
    ({"rating": "mucho", "would_host_again": True}, False, {"rating": ["Choose from 1 to 5."]}),
    ({"rating": None, "would_host_again": True}, False, {"rating": ["Choose from 1 to 5."]}),
    ({"rating": 4}, False, {"would_host_again": ["Answer yes or no."]}),
    ({"rating": 4, "would_host_again": None}, False, {"would_host_again": ["Answer yes or no."]}),
    ({"rating": 4, "would_host_again": "quizás"}, False, {"would_host_again": ["Answer yes or no."]}),
    # A form without the yes or no is no answer (DRF alone would read a missing checkbox as "no").
    ({"rating": "4"}, True, {"would_host_again": ["Answer yes or no."]}),
], ids=["empty", "no-rating", "rating-0", "rating-6", "rating-words", "rating-null", "no-answer", "answer-null",
        "answer-words", "form-no-answer"])
def test_bad_feedback_is_a_400_with_the_message_and_writes_nothing(pasante_a, completed, body, form, errors):
    client = api_client_for(pasante_a)
    target = url("placement-feedback", completed.pk)

    response = client.post(target, body) if form else client.post(target, body, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert not PasanteFeedback.objects.exists()


@pytest.mark.django_db
def test_bad_feedback_is_refused_in_the_persons_language(pasante_a, completed):
    response = api_client_for(pasante_a, language="es").post(url("placement-feedback", completed.pk), {},
                                                             format="json")

    assert response.status_code == 400
    assert response.json() == {"rating": ["Elige de 1 a 5."], "would_host_again": ["Responde sí o no."]}


@pytest.mark.django_db
def test_feedback_before_the_stay_is_over_is_a_400_with_the_message(pasante_a, confirmed):
    response = api_client_for(pasante_a).post(url("placement-feedback", confirmed.pk), FEEDBACK, format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["The feedback opens once the visitor's stay is over."]}
    assert not PasanteFeedback.objects.exists()


@pytest.mark.django_db
def test_feedback_given_twice_is_a_400_with_the_message_and_keeps_the_first(pasante_a, completed):
    client = api_client_for(pasante_a)

    first = client.post(url("placement-feedback", completed.pk), FEEDBACK, format="json")
    twice = client.post(url("placement-feedback", completed.pk), {**FEEDBACK, "rating": 1}, format="json")

    assert first.status_code == 201
    assert twice.status_code == 400
    assert twice.json() == {"non_field_errors": ["You already gave your feedback on this visitor. Thank you!"]}
    assert list(PasanteFeedback.objects.values_list("placement", "rating")) == [(completed.pk, 4)]


# --- The orientation pack ------------------------------------------------------------------------------------


def _not_a_document(name="guia.pdf"):
    return SimpleUploadedFile(name, b"MZ\x90\x00 not a pdf", content_type="application/pdf")


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["visitor_program", "coordinator", "admin_user"])
def test_the_program_uploads_the_orientation_pack_and_reads_it_first(request, persona):
    user = request.getfixturevalue(persona)
    client = api_client_for(user)
    services.orientation_pack_upload(title="Guía 2025", upload=pdf("vieja.pdf"), by=None)

    response = client.post(url("orientation-pack-list"), {"title": "  Guía 2026 ", "file": pdf("guia.pdf")},
                           format="multipart")

    assert response.status_code == 201, response.content
    pack = OrientationPack.objects.get(pk=response.json()["id"])
    assert (pack.title, pack.content_type, pack.uploaded_by) == ("Guía 2026", "application/pdf", user)
    assert pack.file.read().startswith(b"%PDF-1.4")
    listed = client.get(url("orientation-pack-list")).json()["results"]
    assert [row["title"] for row in listed] == ["Guía 2026", "Guía 2025"]
    assert client.get(url("orientation-pack-detail", pack.pk)).json()["title"] == "Guía 2026"


@pytest.mark.django_db
@pytest.mark.parametrize(("persona", "status"), [
    ("pasante_a", 403), ("applicant", 403), ("pharmacy", 403), ("outsider", 403), ("anonymous", 401)])
def test_only_the_program_uploads_an_orientation_pack(request, persona, status):
    response = client_of(request, persona).post(url("orientation-pack-list"), {"title": "Guía", "file": pdf()},
                                                format="multipart")

    assert response.status_code == status, response.content
    assert not OrientationPack.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["pasante_a", "applicant", "pharmacy"])
def test_the_orientation_packs_are_read_by_the_program_only(request, persona):
    pack = services.orientation_pack_upload(title="Guía", upload=pdf(), by=None)
    client = client_of(request, persona)

    assert client.get(url("orientation-pack-list")).json()["results"] == []
    assert client.get(url("orientation-pack-detail", pack.pk)).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(("body", "errors"), [
    (lambda: {"title": "Guía"}, {"file": ["No file was submitted."]}),
    (lambda: {"file": pdf()}, {"title": ["Give the pack a title."]}),
    (lambda: {"title": "   ", "file": pdf()}, {"title": ["Give the pack a title."]}),
    (lambda: {"title": "Guía", "file": _not_a_document()},
     {"file": ["The file must be a PDF or a photo (JPEG or PNG); this one is neither, whatever its name says."]}),
    (lambda: {"title": "Guía", "file": SimpleUploadedFile("vacia.pdf", b"", content_type="application/pdf")},
     {"file": ["The submitted file is empty."]}),
], ids=["no-file", "no-title", "blank-title", "not-a-document", "empty-file"])
def test_a_bad_orientation_pack_is_a_400_with_the_message_and_stores_nothing(visitor_program, settings, body,
                                                                             errors):
    response = api_client_for(visitor_program).post(url("orientation-pack-list"), body(), format="multipart")

    assert response.status_code == 400
    assert response.json() == errors
    assert not OrientationPack.objects.exists()
    stored = settings.MEDIA_ROOT / "private" / "visitor-orientation"
    assert not stored.exists() or not any(stored.iterdir())


@pytest.mark.django_db
def test_a_pack_that_is_not_a_document_is_refused_in_the_persons_language(visitor_program):
    response = api_client_for(visitor_program, language="es").post(
        url("orientation-pack-list"), {"title": "Guía", "file": _not_a_document()}, format="multipart")

    assert response.status_code == 400
    assert response.json() == {"file": [
        "El archivo debe ser un PDF o una foto (JPEG o PNG); este no lo es, diga lo que diga su nombre."]}


# --- Query counts: each POST at two sizes, and the new list ---------------------------------------------------

# After the user with their roles (LAYOUT_QUERIES; the session is read from Redis; pghistory's context rides on
# each write's own statement):
# host-family-ready: the pasante's placement (the lookup), the service's savepoint, the placement locked, the
# save's savepoint, the update, the two releases, the placement read again for the answer.
HOST_FAMILY_READY_QUERIES = 8
# feedback: the lookup, the savepoint, the placement locked, whether feedback exists, full_clean's checks (the
# placement, the pasante's user, the one feedback per placement), the save's savepoint, the insert, the two releases.
FEEDBACK_QUERIES = 11
# the upload: the savepoint, full_clean's check of the uploader, the save's savepoint, the insert, the two releases.
ORIENTATION_PACK_QUERIES = 6
# the list: the count and the page.
ORIENTATION_PACK_LIST_QUERIES = 2


def _grow_feedback(n, staff):
    """n more completed stays (each at a clinic and with a pasante of its own), each with its pasante's feedback."""
    before = set(Placement.objects.values_list("pk", flat=True))
    _grow_stays(n, staff)
    for placement in Placement.objects.exclude(pk__in=before).select_related("pasante__user"):
        services.pasante_feedback_submit(placement=placement, rating=3, would_host_again=True,
                                         by=placement.pasante.user)


@pytest.mark.django_db
def test_host_family_ready_runs_a_fixed_number_of_queries_at_two_sizes(
    applicant, visitor_program, pasante_a, place, django_assert_num_queries,
):
    client = api_client_for(pasante_a)
    application = advance(make_draft(applicant), State.PLACEMENT_CONFIRMED, staff=visitor_program, place=place)
    placement = Placement.objects.get(application=application)
    for size in (1, 3):
        _grow_feedback(size, visitor_program)
        Placement.objects.filter(pk=placement.pk).update(host_family_confirmed_at=None)
        with django_assert_num_queries(LAYOUT_QUERIES + HOST_FAMILY_READY_QUERIES):
            response = client.post(url("placement-host-family-ready", placement.pk), format="json")
        assert response.status_code == 200, response.content
    assert Placement.objects.count() == 5


def _completed_stay_of_a_new_pasante(staff):
    """A completed stay at a clinic of its own, with a pasante of its own (one visitor at a time each)."""
    before = set(Placement.objects.values_list("pk", flat=True))
    _grow_stays(1, staff)
    return Placement.objects.select_related("pasante__user").exclude(pk__in=before).get()


@pytest.mark.django_db
def test_feedback_runs_a_fixed_number_of_queries_at_two_sizes(visitor_program, django_assert_num_queries):
    for size in (1, 3):
        _grow_feedback(size, visitor_program)
        placement = _completed_stay_of_a_new_pasante(visitor_program)
        client = api_client_for(placement.pasante.user)
        with django_assert_num_queries(LAYOUT_QUERIES + FEEDBACK_QUERIES):
            response = client.post(url("placement-feedback", placement.pk), FEEDBACK, format="json")
        assert response.status_code == 201, response.content
    assert PasanteFeedback.objects.count() == 6


@pytest.mark.django_db
def test_an_orientation_pack_upload_and_the_list_run_a_fixed_number_of_queries_at_two_sizes(
    visitor_program, django_assert_num_queries,
):
    client = api_client_for(visitor_program)
    for size in (1, 4):
        for i in range(size):
            services.orientation_pack_upload(title=f"Guía {size}-{i}", upload=pdf(), by=visitor_program)
        with django_assert_num_queries(LAYOUT_QUERIES + ORIENTATION_PACK_QUERIES):
            response = client.post(url("orientation-pack-list"), {"title": f"Guía {size}", "file": pdf()},
                                   format="multipart")
        assert response.status_code == 201, response.content
        with django_assert_num_queries(LAYOUT_QUERIES + ORIENTATION_PACK_LIST_QUERIES):
            listed = client.get(url("orientation-pack-list"))
        assert listed.json()["count"] == OrientationPack.objects.count()
    assert OrientationPack.objects.count() == 7
