"""One count of failed logins per account and per client address, shared by the web login, the admin login
(which goes through the web login's form) and the API's token endpoint; against the real Redis cache,
with allauth's clock moved instead of slept."""

import re
import time as real_time

import pytest
from allauth.core.internal import ratelimit as allauth_ratelimit
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from rest_framework.authtoken.models import Token

from ces.accounts.adapter import locked_message

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("account_login")
TOKEN_URL = reverse("api:auth-token")
OFFICE = "198.51.100.20"  # the central office's one public address


class Clock:
    """Stands in for the ``time`` module inside allauth's rate limiter: its ``time()`` can be moved on."""

    def __init__(self):
        self.offset = 0.0

    def time(self):
        return real_time.time() + self.offset

    def monotonic(self):
        return real_time.monotonic()

    def sleep(self, seconds):
        real_time.sleep(seconds)

    def move_minutes(self, minutes):
        self.offset += minutes * 60


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(allauth_ratelimit, "time", clock)
    return clock


def web_login(client, email, password, address=OFFICE, **headers):
    return client.post(LOGIN_URL, {"login": email, "password": password}, REMOTE_ADDR=address, **headers)


def ask_token(api_client, email, password, address=OFFICE, **headers):
    return api_client.post(TOKEN_URL, {"email": email, "password": password}, format="json",
                           REMOTE_ADDR=address, **headers)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def lock(client, email):
    for _attempt in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        assert not logged_in(client)
        web_login(client, email, "adivinando")


def spanish_lock_message() -> str:
    with translation.override("es"):
        return locked_message()


def test_the_lock_message_states_the_cool_off_in_spanish():
    message = spanish_lock_message()

    assert f"{settings.LOGIN_LOCK_MINUTES} minutos" in message
    with translation.override("en"):
        assert f"{settings.LOGIN_LOCK_MINUTES} minutes" in locked_message()


def test_a_locked_account_is_refused_with_the_cool_off_even_with_the_right_password(client, pasante_a, password):
    lock(client, pasante_a.email)

    response = web_login(client, pasante_a.email, password)

    assert response.status_code == 200
    assert not logged_in(client)
    assert escape(spanish_lock_message()) in response.content.decode()


def test_a_colleague_at_the_same_address_gets_in_after_one_account_is_locked(client, pasante_a, coordinator,
                                                                             password):
    lock(client, pasante_a.email)

    response = web_login(client, coordinator.email, password)

    assert response.status_code == 302
    assert logged_in(client)


def test_the_owner_gets_in_after_the_cool_off(client, clock, pasante_a, password):
    lock(client, pasante_a.email)
    clock.move_minutes(settings.LOGIN_LOCK_MINUTES - 1)
    assert web_login(client, pasante_a.email, password).status_code == 200
    assert not logged_in(client)

    clock.move_minutes(1)
    response = web_login(client, pasante_a.email, password)

    assert response.status_code == 302
    assert logged_in(client)


def test_the_token_endpoint_refuses_an_account_locked_on_the_web_even_with_the_right_password(
        client, api_client, pasante_a, password):
    lock(client, pasante_a.email)

    response = ask_token(api_client, pasante_a.email, password)

    assert response.status_code == 429
    assert response.json() == {"detail": spanish_lock_message()}
    assert int(response["Retry-After"]) == settings.LOGIN_LOCK_MINUTES * 60
    assert not Token.objects.exists()


def test_failures_at_the_token_endpoint_lock_the_web_login(client, api_client, pasante_a, password):
    for _attempt in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        assert ask_token(api_client, pasante_a.email, "adivinando").status_code == 400

    response = web_login(client, pasante_a.email, password)

    assert response.status_code == 200
    assert not logged_in(client)
    assert ask_token(api_client, pasante_a.email, password).status_code == 429


def test_the_token_endpoint_gives_a_locked_account_its_token_after_the_cool_off(api_client, clock, pasante_a,
                                                                                password):
    for _attempt in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        ask_token(api_client, pasante_a.email, "adivinando")
    assert ask_token(api_client, pasante_a.email, password).status_code == 429

    clock.move_minutes(settings.LOGIN_LOCK_MINUTES)
    response = ask_token(api_client, pasante_a.email, password)

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=pasante_a).key}


def test_the_account_lock_holds_whatever_the_case_of_the_email_or_the_host_name(client, pasante_a, password):
    for attempt in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        host = settings.ALLOWED_HOSTS[attempt % len(settings.ALLOWED_HOSTS)]
        web_login(client, pasante_a.email.upper() if attempt % 2 else pasante_a.email, "adivinando",
                  HTTP_HOST=host)

    assert web_login(client, pasante_a.email, password).status_code == 200
    assert not logged_in(client)


def test_a_changing_x_forwarded_for_does_not_escape_the_account_lock(api_client, pasante_a, password):
    for attempt in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        ask_token(api_client, pasante_a.email, "adivinando", HTTP_X_FORWARDED_FOR=f"10.0.0.{attempt}")

    response = ask_token(api_client, pasante_a.email, password, HTTP_X_FORWARDED_FOR="10.9.9.9")

    assert response.status_code == 429


def test_a_changing_x_forwarded_for_does_not_escape_the_address_limit(api_client, db):
    per_minute = int(settings.ACCOUNT_RATE_LIMITS["login"].split("/")[0])
    for attempt in range(per_minute):
        response = ask_token(api_client, f"persona{attempt}@example.mx", "adivinando",
                             HTTP_X_FORWARDED_FOR=f"10.0.{attempt // 250}.{attempt % 250}")
        assert response.status_code == 400

    response = ask_token(api_client, "otra@example.mx", "adivinando", HTTP_X_FORWARDED_FOR="10.9.9.9")

    assert response.status_code == 429


def test_behind_a_trusted_proxy_the_address_is_the_one_the_proxy_saw(settings, api_client, db):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    per_minute = int(settings.ACCOUNT_RATE_LIMITS["login"].split("/")[0])
    # The proxy appends the address it saw; whatever the client wrote before it counts for nothing.
    for attempt in range(per_minute):
        assert ask_token(api_client, f"persona{attempt}@example.mx", "x", address="10.0.0.1",
                         HTTP_X_FORWARDED_FOR=f"10.1.1.{attempt % 250}, 203.0.113.7").status_code == 400

    assert ask_token(api_client, "otra@example.mx", "x", address="10.0.0.1",
                     HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7").status_code == 429
    # Another client behind the same proxy has its own count.
    assert ask_token(api_client, "otra@example.mx", "x", address="10.0.0.1",
                     HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 400


def test_an_account_gets_at_most_100_failed_attempts_an_hour_however_they_are_spread(api_client, clock,
                                                                                     pasante_a):
    """OWASP ASVS: no more than 100 failed attempts per hour on one account (here, tried each minute)."""
    checked = 0
    for _minute in range(60):
        for _try in range(3):
            if ask_token(api_client, pasante_a.email, "adivinando").status_code == 400:
                checked += 1
        clock.move_minutes(1)

    assert 0 < checked <= 100
    assert checked <= settings.LOGIN_FAILURES_PER_ACCOUNT * (60 // settings.LOGIN_LOCK_MINUTES + 1)


def test_resetting_the_password_by_email_ends_the_lock(client, pasante_a):
    lock(client, pasante_a.email)
    client.post(reverse("account_reset_password"), {"email": pasante_a.email.upper()})
    link = re.search(r"https?://[^/\s]+(/\S+)", mail.outbox[-1].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    new_password = "una-nueva-clave-larga-2026"
    client.post(form_url, {"password1": new_password, "password2": new_password})

    response = web_login(client, pasante_a.email, new_password)

    assert response.status_code == 302
    assert logged_in(client)


def test_a_request_that_skipped_a_trusted_proxy_is_answered_not_a_server_error(settings, api_client, pasante_a,
                                                                                password):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2

    response = ask_token(api_client, pasante_a.email, password, address="10.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9")

    assert response.status_code == 200


def test_hammering_a_locked_account_does_not_spend_the_offices_allowance(settings, client, api_client, pasante_a,
                                                                         coordinator, password):
    # The real rates, in their order, with the address's allowance made small enough to reach.
    rates = re.sub(r"\d+/\w+/ip", "8/h/ip", settings.ACCOUNT_RATE_LIMITS["login_failed"])
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": rates}
    for _attempt in range(settings.LOGIN_FAILURES_PER_ACCOUNT + 10):
        ask_token(api_client, pasante_a.email, "adivinando")

    response = web_login(client, coordinator.email, password)

    assert response.status_code == 302
