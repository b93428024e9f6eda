"""A logged-in person's pages and answers are not kept by the browser (PrivatePagesMiddleware): after logging
out, Back cannot show them to the next person at a shared computer (the journey: tests/test_journey_logout.py)."""

import pytest
from django.urls import reverse

from tests.kit import api_client_for, client_for

pytestmark = pytest.mark.django_db


def test_a_logged_in_page_is_private_and_not_stored(pasante_a):
    response = client_for(pasante_a).get(reverse("accounts:home"))
    assert response.status_code == 200
    assert set(response["Cache-Control"].split(", ")) == {"private", "no-store"}


def test_an_api_answer_to_a_logged_in_person_is_not_stored_either(pasante_a):
    response = api_client_for(pasante_a).get(reverse("api:pharmacy:item-list"))
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]


def test_an_anonymous_page_is_left_to_the_browser(client):
    response = client.get(reverse("account_reset_password"))
    assert response.status_code == 200 and "Cache-Control" not in response


def test_an_answer_that_says_how_to_cache_it_is_left_as_it_says(pasante_a):
    response = client_for(pasante_a).get(reverse("livez"))  # never_cache's own header
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
