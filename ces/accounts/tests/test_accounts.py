import re

import pytest
from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from ces.accounts.adapter import locked_message
from ces.accounts.models import User
from ces.accounts.roles import Role

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("account_login")
HOME_URL = reverse("accounts:home")


def log_in(client, email, password):
    return client.post(LOGIN_URL, {"login": email, "password": password})


def spanish(text) -> str:
    """What a Spanish-speaking person reads on the page, as the page escapes it."""
    with translation.override("es"):
        return escape(translation.gettext(str(text)))


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def failed_logins_allowed_per_account() -> int:
    """N of the "N/period/key" part of allauth's login_failed rate limit."""
    spec = settings.ACCOUNT_RATE_LIMITS["login_failed"]
    return int(re.search(r"(\d+)/[^,/]+/key", spec).group(1))


# --- logging in -----------------------------------------------------------------------------------------


def test_login_form_asks_for_an_email_and_no_username(client):
    response = client.get(LOGIN_URL)
    form = response.context["form"]
    assert response.status_code == 200
    assert "username" not in form.fields
    assert 'type="email"' in response.content.decode()


def test_person_logs_in_with_their_email_and_lands_on_the_home_page(client, coordinator, password):
    response = log_in(client, coordinator.email.upper(), password)
    assert response.status_code == 302
    assert response["Location"] == HOME_URL
    assert logged_in(client)


def test_wrong_password_is_refused_with_a_message(client, coordinator, password):
    response = log_in(client, coordinator.email.upper(), password + "x")
    assert response.status_code == 200
    assert not logged_in(client)
    assert spanish(DefaultAccountAdapter.error_messages["email_password_mismatch"]) in response.content.decode()


def test_login_is_refused_after_too_many_failed_attempts_even_with_the_right_password(client, coordinator, password):
    for _attempt in range(failed_logins_allowed_per_account()):
        log_in(client, coordinator.email, "not-the-password")
    response = log_in(client, coordinator.email, password)
    assert response.status_code == 200
    assert not logged_in(client)
    assert spanish(locked_message()) in response.content.decode()


def test_login_still_works_one_failed_attempt_below_the_limit(client, coordinator, password):
    for _attempt in range(failed_logins_allowed_per_account() - 1):
        log_in(client, coordinator.email, "not-the-password")
    response = log_in(client, coordinator.email, password)
    assert response.status_code == 302
    assert logged_in(client)


def test_admin_login_sends_an_anonymous_person_to_the_rate_limited_login(client, admin_user, password):
    for method in (client.get, client.post):
        response = method("/admin/login/", {"username": admin_user.email, "password": password})
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN_URL + "?next=")
        assert not logged_in(client)


def test_admin_logs_in_through_allauth_and_reaches_the_admin(client, admin_user, password):
    log_in(client, admin_user.email, password)
    assert client.get("/admin/").status_code == 200


def test_admin_login_refuses_a_logged_in_person_who_is_not_staff(client, coordinator):
    client.force_login(coordinator)
    assert client.get("/admin/login/").status_code == 403


# --- home pages --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "role"),
    [
        ("coordinator", Role.COORDINATOR),
        ("supervisor", Role.SUPERVISOR),
        ("pasante_a", Role.PASANTE),
        ("chw", Role.CHW),
        ("pharmacy", Role.PHARMACY),
        ("visitor_program", Role.VISITOR_PROGRAM),
        ("applicant", Role.APPLICANT),
        ("admin_user", Role.ADMIN),
    ],
)
def test_each_role_lands_on_its_own_home_page_with_its_panels(client, request, password, persona, role):
    user = request.getfixturevalue(persona)
    response = client.post(LOGIN_URL, {"login": user.email, "password": password}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == HOME_URL
    assert response.context["role"] == role
    panels = response.context["panels"]
    assert panels, f"no home-page panel for {role}"
    content = response.content.decode()
    for panel, _context in panels:
        assert role in panel.roles
        assert spanish(panel.title) in content


def test_the_visitor_program_home_shows_its_applications_not_a_module_to_come(client, visitor_program):
    client.force_login(visitor_program)
    response = client.get(HOME_URL)
    keys = [panel.key for panel, _context in response.context["panels"]]
    assert "visitors-program" in keys
    assert "todavía no está disponible" not in response.content.decode()


def test_admin_home_counts_users_by_role_and_links_to_the_admin_and_api_docs(client, admin_user, coordinator,
                                                                             pasante_a, pasante_b):
    client.force_login(admin_user)
    response = client.get(HOME_URL)
    context = next(c for p, c in response.context["panels"] if p.key == "accounts-users-by-role")
    by_role = dict(context["by_role"])
    assert by_role[Role.PASANTE.label] == 2
    assert by_role[Role.COORDINATOR.label] == 1
    assert by_role[Role.ADMIN.label] == 1
    assert context["total"] == 4
    content = response.content.decode()
    assert f'href="{reverse("admin:index")}"' in content
    assert f'href="{reverse("api-docs")}"' in content


def test_person_with_two_roles_can_switch_between_their_home_pages(client, coordinator):
    coordinator.groups.add(Group.objects.get_or_create(name=Role.PASANTE)[0])
    client.force_login(coordinator)
    assert client.get(HOME_URL).context["role"] == Role.COORDINATOR
    switched = client.get(HOME_URL, {"role": Role.PASANTE})
    assert switched.context["role"] == Role.PASANTE
    assert f'href="?role={Role.COORDINATOR}"' in switched.content.decode()


def test_person_cannot_switch_to_a_role_they_do_not_hold(client, coordinator):
    client.force_login(coordinator)
    assert client.get(HOME_URL, {"role": Role.ADMIN}).context["role"] == Role.COORDINATOR


def test_person_without_a_role_is_told_to_ask_for_access(client, outsider):
    client.force_login(outsider)
    response = client.get(HOME_URL)
    assert response.status_code == 200
    assert response.context["panels"] == []
    with translation.override("es"):
        message = escape(gettext("Your account has no role yet. Ask a coordinator to give you access."))
    assert message in response.content.decode()


def test_home_page_requires_logging_in(client):
    response = client.get(HOME_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


# --- signing up and resetting a password -----------------------------------------------------------------


@pytest.fixture
def outbox(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return mail.outbox


def test_sign_up_creates_an_applicant(client, outbox):
    response = client.post(reverse("account_signup"), {
        "email": "Resident@Hospital.example.org", "password1": "Montaña-Verde-2026", "password2": "Montaña-Verde-2026",
    })
    assert response.status_code == 302
    user = User.objects.get(email="resident@hospital.example.org")
    assert user.roles == {Role.APPLICANT}


def test_sign_up_with_mismatched_passwords_creates_nobody(client, outbox):
    response = client.post(reverse("account_signup"), {
        "email": "Resident@Hospital.example.org", "password1": "Montaña-Verde-2026", "password2": "Montaña-Verde-2027",
    })
    assert response.status_code == 200
    assert not User.objects.filter(email__iexact="resident@hospital.example.org").exists()


def test_password_reset_sends_an_email_with_a_reset_link(client, coordinator, outbox):
    response = client.post(reverse("account_reset_password"), {"email": coordinator.email})
    assert response.status_code == 302
    assert len(outbox) == 1
    assert outbox[0].to == [coordinator.email]
    assert "/cuentas/password/reset/key/" in outbox[0].body


# --- language ------------------------------------------------------------------------------------------------


def test_ui_is_spanish_by_default_even_for_an_english_browser(client, coordinator):
    client.force_login(coordinator)
    response = client.get(HOME_URL, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="es">' in response.content.decode()
    assert response["Content-Language"] == "es"


def test_language_switch_stores_the_preference_and_sets_the_cookie(client, coordinator):
    client.force_login(coordinator)
    response = client.post(reverse("accounts:set-language"), {"language": "en", "next": HOME_URL})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    coordinator.refresh_from_db()
    assert coordinator.preferred_language == "en"
    assert '<html lang="en">' in client.get(HOME_URL).content.decode()
