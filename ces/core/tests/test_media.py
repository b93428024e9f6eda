"""The development ``/media/`` route serves uploads, never those under ``private/`` (host-family receipts)."""

import importlib

import pytest
from django.urls import Resolver404, clear_url_caches, resolve

import ces.urls
from ces.core.media import is_private
from tests.kit import client_for


def _reload_urls():
    importlib.reload(ces.urls)
    clear_url_caches()


@pytest.fixture
def media(settings, tmp_path):
    """A MEDIA_ROOT with a receipt and a public file, and the URLs as ``runserver`` builds them (``DEBUG=1``:
    pytest-django runs with ``DEBUG=0``, which leaves the media route out)."""
    debug = settings.DEBUG
    settings.DEBUG = True
    _reload_urls()
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "private" / "host-receipts" / "7").mkdir(parents=True)
    (tmp_path / "private" / "host-receipts" / "7" / "recibo.jpg").write_bytes(b"SECRET-RECEIPT-BYTES")
    (tmp_path / "public").mkdir()
    (tmp_path / "public" / "logo.txt").write_bytes(b"logo")
    (tmp_path / "privateer.txt").write_bytes(b"not private")
    yield tmp_path
    settings.DEBUG = debug
    _reload_urls()


def test_it_serves_a_public_upload(client, media):
    response = client.get("/media/public/logo.txt")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"logo"


def test_it_serves_a_file_whose_name_only_starts_like_private(client, media):
    response = client.get("/media/privateer.txt")

    assert response.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "private/host-receipts/7/recibo.jpg",
        "./private/host-receipts/7/recibo.jpg",
        "public/../private/host-receipts/7/recibo.jpg",
        "/private/host-receipts/7/recibo.jpg",
        "PRIVATE/host-receipts/7/recibo.jpg",
        "private%2Fhost-receipts%2F7%2Frecibo.jpg",
        "private/",
        "private",
    ],
)
def test_it_refuses_anything_under_private(client, media, path):
    response = client.get(f"/media/{path}")

    assert response.status_code == 404
    assert b"SECRET-RECEIPT-BYTES" not in response.content


def test_it_refuses_a_receipt_even_to_the_coordinator(coordinator, media):
    response = client_for(coordinator).get("/media/private/host-receipts/7/recibo.jpg")

    assert response.status_code == 404


def test_production_has_no_media_route(settings):
    assert settings.DEBUG is False
    with pytest.raises(Resolver404):
        resolve("/media/public/logo.txt")


@pytest.mark.parametrize(
    ("path", "private"),
    [
        ("private/a.jpg", True),
        ("private\\a.jpg", True),
        ("a/../private/a.jpg", True),
        ("privado/a.jpg", False),
        ("public/private/a.jpg", False),
    ],
)
def test_is_private(path, private):
    assert is_private(path) is private
