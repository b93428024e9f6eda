"""A logged-in request reads its session from Redis and its user with their roles in one query (decision
0019), and still sees every change at once: a logout, a password change, a deactivation, a role taken away."""

import importlib

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.cached_db import KEY_PREFIX
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from ces.accounts.roles import Role

pytestmark = pytest.mark.django_db

HOME = reverse("accounts:home")
COHORTS = reverse("clinics:cohort-list")  # coordinators only


def logged_in_through_the_form(user, password) -> Client:
    client = Client()
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response.status_code == 302 and "_auth_user_id" in client.session
    return client


def same_browser_as(client) -> Client:
    """A second client holding the first one's session cookie (the same person on another tab)."""
    other = Client()
    other.cookies = client.cookies
    return other


def test_a_request_reads_no_session_row_and_the_user_with_their_roles_in_one_query(coordinator, password):
    client = logged_in_through_the_form(coordinator, password)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(COHORTS).status_code == 200
    sql = [query["sql"] for query in queries.captured_queries]
    assert not [q for q in sql if "django_session" in q]
    reading_users = [q for q in sql if 'FROM "accounts_user"' in q]
    assert len(reading_users) == 1 and "auth_group" in reading_users[0]
    assert not [q for q in sql if q.lstrip().startswith('SELECT "auth_group"."name"')]


def test_a_session_redis_lost_is_read_again_from_postgresql(coordinator, password):
    client = logged_in_through_the_form(coordinator, password)
    cache.delete(KEY_PREFIX + client.session.session_key)
    assert client.get(COHORTS).status_code == 200
    assert cache.get(KEY_PREFIX + client.session.session_key) is not None  # and cached again


def test_logging_out_ends_the_session_for_every_tab_at_once(coordinator, password):
    client = logged_in_through_the_form(coordinator, password)
    other_tab = same_browser_as(client)
    assert other_tab.get(HOME).status_code == 200
    client.post(reverse("account_logout"))
    response = other_tab.get(HOME)
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_a_password_changed_elsewhere_ends_the_other_sessions(coordinator, password):
    laptop, phone = logged_in_through_the_form(coordinator, password), logged_in_through_the_form(coordinator, password)
    assert phone.get(HOME).status_code == 200
    coordinator.set_password("otra-contraseña-larga-2026")
    coordinator.save(update_fields=["password"])
    for client in (laptop, phone):
        response = client.get(HOME)
        assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_a_deactivated_person_is_out_at_their_next_request(coordinator, password):
    client = logged_in_through_the_form(coordinator, password)
    assert client.get(COHORTS).status_code == 200
    coordinator.is_active = False
    coordinator.save(update_fields=["is_active"])
    response = client.get(COHORTS)
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_a_role_taken_away_counts_from_the_next_request(coordinator, password):
    client = logged_in_through_the_form(coordinator, password)
    assert client.get(COHORTS).status_code == 200
    coordinator.groups.remove(Group.objects.get(name=Role.COORDINATOR))
    assert client.get(COHORTS).status_code == 403


def test_a_role_given_counts_from_the_next_request(outsider, password):
    client = logged_in_through_the_form(outsider, password)
    assert client.get(COHORTS).status_code == 403
    outsider.groups.add(Group.objects.get(name=Role.COORDINATOR))
    assert client.get(COHORTS).status_code == 200


def test_a_token_request_reads_the_token_user_and_roles_in_one_query(pasante_a):
    token = Token.objects.create(user=pasante_a)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("api:pharmacy:item-list")).status_code == 200
    sql = [query["sql"] for query in queries.captured_queries]
    assert len(sql) == 2, sql  # the token with its user and roles; the page with its count
    assert "authtoken_token" in sql[0] and "accounts_user" in sql[0] and "auth_group" in sql[0]


def test_a_role_taken_away_counts_for_a_token_from_the_next_request(coordinator):
    token = Token.objects.create(user=coordinator)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    url = reverse("api:cohort-list")
    assert client.get(url).status_code == 200
    coordinator.groups.remove(Group.objects.get(name=Role.COORDINATOR))
    assert client.get(url).status_code == 403


REDIS_AWAY = {"BACKEND": "ces.core.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0",
              "OPTIONS": {"socket_connect_timeout": 0.5}}


def test_pages_still_open_from_postgresql_while_redis_is_away(coordinator, password, settings, caplog):
    client = logged_in_through_the_form(coordinator, password)
    settings.CACHES = {**settings.CACHES, "sessions": REDIS_AWAY}
    settings.SESSION_CACHE_ALIAS = "sessions"
    assert client.get(COHORTS).status_code == 200
    assert "Error saving to cache" in caplog.text


@pytest.mark.parametrize("old_path", ["django.contrib.auth.backends.ModelBackend",
                                      "allauth.account.auth_backends.AuthenticationBackend"])
def test_a_session_opened_before_the_backends_moved_still_opens_pages_after_the_migration(coordinator, old_path):
    from django.apps import apps as django_apps
    from django.contrib.sessions.backends.db import SessionStore as RowOnly

    migration = importlib.import_module("ces.accounts.migrations.0004_sessions_name_the_new_backends")
    before = RowOnly()  # as the sessions were kept until the change: a row in PostgreSQL and no copy in Redis
    before.update({"_auth_user_id": str(coordinator.pk), "_auth_user_backend": old_path,
                   "_auth_user_hash": coordinator.get_session_auth_hash()})
    before.create()
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = before.session_key

    migration.forwards(django_apps, None)

    assert client.get(COHORTS).status_code == 200
    assert RowOnly(before.session_key).load()["_auth_user_backend"] == migration.MOVED[old_path]
    migration.backwards(django_apps, None)
    assert RowOnly(before.session_key).load()["_auth_user_backend"] == old_path
