import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_login_page_is_spanish_even_when_the_browser_asks_for_english(client):
    response = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "es"
    assert '<html lang="es">' in response.content.decode()


@pytest.mark.django_db
def test_anonymous_visitor_can_switch_to_english(client):
    response = client.post(reverse("accounts:set-language"), {"language": "en", "next": "/cuentas/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/cuentas/login/"
    assert client.get(reverse("account_login"))["Content-Language"] == "en"


@pytest.mark.django_db
def test_logged_in_person_gets_their_stored_language_over_the_cookie(client, coordinator):
    coordinator.preferred_language = "en"
    coordinator.save(update_fields=["preferred_language"])
    client.cookies["django_language"] = "es"
    client.force_login(coordinator)
    assert client.get(reverse("accounts:home"))["Content-Language"] == "en"


@pytest.mark.django_db
def test_language_switch_refuses_an_unknown_language_and_an_outside_redirect(client, coordinator):
    client.force_login(coordinator)
    response = client.post(reverse("accounts:set-language"), {"language": "fr", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    coordinator.refresh_from_db()
    assert coordinator.preferred_language == "es"
