"""What a visitor's file is comes from its content; its size is capped; the name shown is cleaned."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from ces.core.uploads import sniff_content_type
from visitors.models import MAX_DOCUMENT_BYTES
from visitors.tests.factories import JPEG_BYTES, PDF_BYTES, PNG_BYTES
from visitors.uploads import NAME_MAX_LENGTH, check_upload, clean_name


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(("content", "content_type"), [
    (PDF_BYTES, "application/pdf"), (JPEG_BYTES, "image/jpeg"), (PNG_BYTES, "image/png")])
def test_the_type_comes_from_the_first_bytes_whatever_the_name_says(content, content_type):
    upload = SimpleUploadedFile("virus.exe", content, content_type="application/x-msdownload")
    assert check_upload(upload) == (content_type, "virus.exe")
    assert upload.tell() == 0


@pytest.mark.parametrize("content", [b"MZ\x90\x00\x03", b"<html><script>", b"GIF89a....", b"%PD", b"PK\x03\x04"])
def test_anything_else_is_refused_with_a_message_even_named_pdf(content):
    with pytest.raises(ValidationError) as refused:
        check_upload(SimpleUploadedFile("cv.pdf", content, content_type="application/pdf"))
    assert refused.value.message_dict["file"] == [
        "The file must be a PDF or a photo (JPEG or PNG); this one is neither, whatever its name says."]


def test_a_file_over_ten_megabytes_is_refused():
    big = SimpleUploadedFile("big.pdf", PDF_BYTES + b"0" * (MAX_DOCUMENT_BYTES - len(PDF_BYTES) + 1))
    with pytest.raises(ValidationError) as refused:
        check_upload(big)
    assert refused.value.message_dict["file"] == ["The file is larger than 10 MB. Send a smaller PDF or photo."]
    exactly = SimpleUploadedFile("ok.pdf", PDF_BYTES + b"0" * (MAX_DOCUMENT_BYTES - len(PDF_BYTES)))
    assert check_upload(exactly)[0] == "application/pdf"


def test_an_empty_file_or_none_is_refused():
    with pytest.raises(ValidationError, match="empty"):
        check_upload(SimpleUploadedFile("cv.pdf", b""))
    with pytest.raises(ValidationError, match="Choose a file"):
        check_upload(None)


def test_the_message_can_name_another_field():
    with pytest.raises(ValidationError) as refused:
        check_upload(SimpleUploadedFile("x.pdf", b"nope"), field="upload")
    assert "upload" in refused.value.message_dict


@pytest.mark.parametrize(("given", "shown"), [
    ("C:\\Users\\ana\\Documents\\cv final.pdf", "cv final.pdf"),
    ("../../etc/passwd", "passwd"),
    ("/var/www/../cv.pdf", "cv.pdf"),
    ("..\\..\\boot.ini", "boot.ini"),
    ("cv\x00.pdf", "cv.pdf"),
    ("cv\r\n\t.pdf", "cv.pdf"),
    ("\u202efdp.exe", "fdp.exe"),
    ("  licencia   médica .pdf ", "licencia médica .pdf"),
    ("", "document"),
    ("../", "document"),
])
def test_the_name_shown_is_cleaned_of_folders_and_control_characters(given, shown):
    assert clean_name(given) == shown


def test_a_long_name_is_cut_keeping_its_extension():
    name = clean_name("a" * 500 + ".pdf")
    assert len(name) == NAME_MAX_LENGTH and name.endswith(".pdf")


def test_the_host_receipts_use_the_same_sniffing():
    from clinics.services import host_receipt_check

    assert host_receipt_check(SimpleUploadedFile("r.bin", PNG_BYTES)) == "png"
    assert sniff_content_type(SimpleUploadedFile("r.png", b"not an image")) is None
