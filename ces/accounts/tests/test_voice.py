"""allauth's pages, flash messages and e-mails speak our voice, in the person's language."""

import re

import pytest
from allauth.account.utils import user_display
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse

from tests.test_translations import USTED_FORMS

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("account_login")


@pytest.fixture
def outbox(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return mail.outbox


def _flash(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def _english(user):
    user.preferred_language = "en"
    user.save(update_fields=["preferred_language"])
    return user


def test_spanish_account_is_told_in_spanish_that_it_signed_in(client, coordinator, password):
    response = client.post(LOGIN_URL, {"login": coordinator.email, "password": password})

    assert _flash(response) == [f"Iniciaste sesión como {user_display(coordinator)}."]


def test_english_account_is_told_in_english_that_it_signed_in(client, coordinator, password):
    _english(coordinator)

    response = client.post(LOGIN_URL, {"login": coordinator.email, "password": password})

    assert _flash(response) == [f"You are signed in as {user_display(coordinator)}."]
    assert response.cookies["django_language"].value == "en"


def test_english_account_keeps_english_after_signing_out(client, coordinator, password):
    _english(coordinator)
    client.post(LOGIN_URL, {"login": coordinator.email, "password": password})

    response = client.post(reverse("account_logout"), follow=True)

    assert "You have signed out. See you soon." in response.content.decode()
    assert response["Content-Language"] == "en"


def test_wrong_password_is_answered_as_tu(client, coordinator, password):
    response = client.post(LOGIN_URL, {"login": coordinator.email, "password": password + "x"})

    content = response.content.decode()
    assert "El correo electrónico o la contraseña no son correctos. Revísalos e inténtalo de nuevo." in content
    assert "¿Olvidaste tu contraseña?" in content


def test_sign_up_page_says_it_is_for_visitor_applicants(client):
    content = client.get(reverse("account_signup")).content.decode()

    assert "Crea tu cuenta de solicitante" in content
    assert "visitantes del extranjero" in content
    assert "la coordinación te invita" in content
    assert "Tu contraseña debe tener al menos 8 caracteres." in content  # Django's validators, as tú
    assert "Su contraseña" not in content


def test_sign_up_with_mismatched_passwords_is_answered_as_tu(client, outbox):
    response = client.post(reverse("account_signup"), {
        "email": "visitante@example.org", "password1": "Montaña-Verde-2026", "password2": "Montaña-Verde-2027",
    })

    assert "Escribe la misma contraseña las dos veces." in response.content.decode()


def test_password_reset_email_speaks_as_tu(client, coordinator, outbox):
    client.post(reverse("account_reset_password"), {"email": coordinator.email})

    (message,) = outbox
    assert message.subject == "CES Operaciones · Restablece tu contraseña"
    assert "pidió restablecer la contraseña de tu cuenta" in message.body
    assert "Hola, te escribimos de CES Operaciones." in message.body


def test_password_reset_email_to_an_english_account_is_in_english_whoever_asks(client, coordinator, outbox):
    _english(coordinator)

    client.post(reverse("account_reset_password"), {"email": coordinator.email})

    (message,) = outbox
    assert message.subject == "CES Operaciones · Reset your password"
    assert "asked to reset the password of your account" in message.body


ANONYMOUS_PAGES = [
    ("account_login", {}), ("account_signup", {}), ("account_reset_password", {}),
    ("account_reset_password_done", {}), ("account_inactive", {}), ("account_email_verification_sent", {}),
    ("account_confirm_email", {"key": "not-a-key"}),
    ("account_reset_password_from_key", {"uidb36": "zz", "key": "not-a-key"}),
    ("account_reset_password_from_key_done", {}),
]
PAGES_OF_THE_LOGGED_IN = ["account_email", "account_reauthenticate", "account_change_password", "account_logout"]


def _main(response):
    return re.sub(r"<[^>]+>", " ", response.content.decode().split('<main id="main">', 1)[1])


def test_allauth_pages_speak_as_tu(client, coordinator):
    pages = {name: _main(client.get(reverse(name, kwargs=kwargs))) for name, kwargs in ANONYMOUS_PAGES}
    client.force_login(coordinator)
    pages |= {name: _main(client.get(reverse(name))) for name in PAGES_OF_THE_LOGGED_IN}

    usted = {name: USTED_FORMS.findall(text) for name, text in pages.items() if USTED_FORMS.search(text)}

    assert usted == {}
    assert all(text.strip() for text in pages.values())


def test_a_token_client_is_not_given_a_language_cookie(client, coordinator):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=_english(coordinator))

    response = client.get("/api/v1/", HTTP_AUTHORIZATION=f"Token {token.key}")

    assert response.status_code == 200
    assert "django_language" not in response.cookies
