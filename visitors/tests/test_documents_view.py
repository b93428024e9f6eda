"""Documents: the applicant uploads each kind (type checked by content, up to 10 MB), sees them, replaces
them; the ONE download view serves a document to its applicant and to the program's staff only, as an
attachment with the type found at upload, never sniffed; anyone else gets 404. The orientation pack likewise."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.kit import client_for
from visitors.models import MAX_DOCUMENT_BYTES, Application, Document, DocumentKind, OrientationPack
from visitors.tests.test_applicant_pages import PDF, _content, application_in, draft_of, step_url

pytestmark = pytest.mark.django_db
State = Application.State

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def upload(client, application, kind, name, content, content_type="application/pdf"):
    return client.post(reverse("visitors:document-upload", kwargs={"pk": application.pk}),
                       {"kind": kind, "upload": SimpleUploadedFile(name, content, content_type=content_type)})


def download_url(document):
    return reverse("visitors:document", kwargs={"pk": document.pk})


def test_each_kind_uploads_and_is_listed_on_the_documents_step(applicant):
    application = draft_of(applicant, complete=True)
    client = client_for(applicant)
    files = {DocumentKind.CV: ("cv.pdf", PDF), DocumentKind.PHOTO: ("me.png", PNG),
             DocumentKind.INSURANCE: ("insurance.jpg", JPEG)}
    for kind, (name, content) in files.items():
        response = upload(client, application, kind, name, content)
        assert response.status_code == 302, kind
        assert response["Location"] == step_url(application, 6)
    types = dict(Document.objects.filter(application=application).values_list("kind", "content_type"))
    assert types == {"cv": "application/pdf", "photo": "image/png", "insurance": "image/jpeg"}
    page = client.get(step_url(application, 6)).content.decode()
    for name, _content_bytes in files.values():
        assert name in page


def test_a_new_upload_of_the_same_kind_replaces_the_old_one(applicant):
    application = draft_of(applicant, complete=True)
    client = client_for(applicant)
    upload(client, application, DocumentKind.CV, "cv-2025.pdf", PDF)
    upload(client, application, DocumentKind.CV, "cv-2026.pdf", PDF + b"new")
    old, new = Document.objects.filter(application=application).order_by("uploaded_at", "pk")
    assert old.replaced_at is not None and new.replaced_at is None
    listed = client.get(step_url(application, 6)).content.decode().split('data-testid="documents"')[1]
    assert "cv-2026.pdf" in listed and "cv-2025.pdf" not in listed


def test_a_file_whose_content_is_not_pdf_jpeg_or_png_is_refused_whatever_its_name(applicant):
    application = draft_of(applicant)
    response = upload(client_for(applicant), application, DocumentKind.CV, "cv.pdf", b"MZ\x90\x00 not a pdf")
    assert response.status_code == 200
    assert response.context["upload_form"].errors
    assert not Document.objects.filter(application=application).exists()


def test_a_file_over_ten_megabytes_is_refused_with_a_message(applicant):
    application = draft_of(applicant)
    big = PDF + b"0" * (MAX_DOCUMENT_BYTES + 1 - len(PDF))
    response = upload(client_for(applicant), application, DocumentKind.CV, "cv.pdf", big)
    assert response.status_code == 200
    assert "10" in " ".join(str(e) for e in response.context["upload_form"].errors.values())
    assert not Document.objects.filter(application=application).exists()


def test_a_name_with_folders_is_kept_only_as_its_last_part(applicant):
    application = draft_of(applicant)
    upload(client_for(applicant), application, DocumentKind.CV, "../../etc/cv.pdf", PDF)
    document = Document.objects.get(application=application)
    assert "/" not in document.original_name and ".." not in document.original_name
    assert document.file.name.startswith("private/")


def test_after_submitting_the_applicant_still_uploads_what_the_program_asks(applicant):
    application = application_in(applicant, State.SUBMITTED)
    client = client_for(applicant)
    assert client.get(reverse("visitors:documents", kwargs={"pk": application.pk})).status_code == 200
    response = upload(client, application, DocumentKind.LICENCE, "licence-renewed.pdf", PDF)
    assert response["Location"] == reverse("visitors:documents", kwargs={"pk": application.pk})
    current = Document.objects.get(application=application, kind=DocumentKind.LICENCE, replaced_at__isnull=True)
    assert current.original_name == "licence-renewed.pdf"


# --- The download view ------------------------------------------------------------------------------------


def test_the_applicant_downloads_their_document_as_an_attachment_never_sniffed(applicant):
    document = application_in(applicant, State.SUBMITTED).documents.order_by("pk").first()
    response = client_for(applicant).get(download_url(document))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert document.original_name in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    with document.file.open("rb") as stored:
        assert b"".join(response.streaming_content) == stored.read()


@pytest.mark.parametrize("staff", ["visitor_program", "coordinator", "admin_user"])
def test_the_program_staff_download_through_the_same_view(request, applicant, staff):
    document = application_in(applicant, State.SUBMITTED).documents.order_by("pk").first()
    response = client_for(request.getfixturevalue(staff)).get(download_url(document))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("other", ["applicant_b", "pasante_a", "supervisor", "outsider", "pharmacy"])
def test_anyone_else_gets_404_for_a_document(request, applicant, other):
    document = application_in(applicant, State.SUBMITTED).documents.order_by("pk").first()
    response = client_for(request.getfixturevalue(other)).get(download_url(document))
    assert response.status_code == 404


def test_a_document_id_that_does_not_exist_reads_the_same_as_another_persons(applicant_b, applicant):
    document = application_in(applicant, State.SUBMITTED).documents.order_by("pk").first()
    client = client_for(applicant_b)
    missing = client.get(reverse("visitors:document", kwargs={"pk": document.pk + 1000}))
    theirs = client.get(download_url(document))
    assert missing.status_code == theirs.status_code == 404


def test_the_anonymous_are_sent_to_log_in(client, applicant):
    document = application_in(applicant, State.SUBMITTED).documents.order_by("pk").first()
    response = client.get(download_url(document))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_applicant_a_cannot_upload_into_applicant_bs_application(applicant, applicant_b):
    theirs = draft_of(applicant_b)
    response = upload(client_for(applicant), theirs, DocumentKind.CV, "cv.pdf", PDF)
    assert response.status_code == 404
    assert not Document.objects.filter(application=theirs).exists()


# --- The orientation pack -----------------------------------------------------------------------------------


def _pack():
    pack = OrientationPack(title="Guía", content_type="application/pdf", uploaded_at=timezone.now())
    pack.file.save("pack.pdf", _content(PDF), save=False)
    pack.save()
    return pack


def test_a_visitor_with_a_confirmed_placement_downloads_the_orientation_pack(applicant):
    _pack()
    application_in(applicant, State.PLACEMENT_CONFIRMED)
    response = client_for(applicant).get(reverse("visitors:orientation-pack"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_applicant_not_yet_placed_gets_no_orientation_pack(applicant):
    _pack()
    application_in(applicant, State.SUBMITTED)
    assert client_for(applicant).get(reverse("visitors:orientation-pack")).status_code == 404
