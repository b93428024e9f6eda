import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db

URL = reverse("api:auth-token")


def _ask(api_client, email, password):
    return api_client.post(URL, {"email": email, "password": password}, format="json")


def test_right_password_gets_a_token(api_client, pasante_a, password):
    response = _ask(api_client, "pasante.a@example.mx", password)

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=pasante_a).key}


def test_email_is_not_case_sensitive(api_client, pasante_a, password):
    response = _ask(api_client, "Pasante.A@Example.MX", password)

    assert response.status_code == 200
    assert Token.objects.filter(user=pasante_a).exists()


def test_asking_twice_gives_the_same_token(api_client, pasante_a, password):
    first = _ask(api_client, "pasante.a@example.mx", password).json()["token"]

    assert _ask(api_client, "pasante.a@example.mx", password).json()["token"] == first


def test_wrong_password_gets_no_token(api_client, pasante_a, password):
    response = _ask(api_client, "pasante.a@example.mx", password + "x")

    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]
    assert not Token.objects.exists()


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(api_client, pasante_a, password):
    wrong_password = _ask(api_client, "pasante.a@example.mx", password + "x")
    unknown = _ask(api_client, "nadie.aqui@example.mx", password)

    assert (unknown.status_code, unknown.json()) == (wrong_password.status_code, wrong_password.json())


def test_inactive_user_gets_no_token(api_client, pasante_a, password):
    pasante_a.is_active = False
    pasante_a.save(update_fields=["is_active"])

    response = _ask(api_client, "pasante.a@example.mx", password)

    assert response.status_code == 400
    assert not Token.objects.exists()


@pytest.mark.parametrize("body", [{}, {"email": "no-es-correo", "password": "x"}, {"email": "a@example.mx"}])
def test_malformed_request_is_400(api_client, body):
    response = api_client.post(URL, body, format="json")

    assert response.status_code == 400


def test_too_many_tries_are_throttled_even_with_the_right_password(api_client, pasante_a, password):
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        assert _ask(api_client, "pasante.a@example.mx", "adivinando").status_code == 400

    response = _ask(api_client, "pasante.a@example.mx", password)

    assert response.status_code == 429
    assert not Token.objects.exists()


def test_token_works_on_the_api_with_the_users_scope(api_client, pasante_a, pasante_b, clinic_a, password):
    token = _ask(api_client, "pasante.a@example.mx", password).json()["token"]

    response = api_client.get(reverse("api:clinic-list"), HTTP_AUTHORIZATION=f"Token {token}")

    assert response.status_code == 200
    assert [c["id"] for c in response.json()["results"]] == [clinic_a.pk]


def test_a_wrong_token_is_refused(api_client, pasante_a, password):
    _ask(api_client, "pasante.a@example.mx", password)

    response = api_client.get(reverse("api:clinic-list"), HTTP_AUTHORIZATION="Token 0123456789abcdef")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_token_of_a_deactivated_user_stops_working(api_client, pasante_a, password):
    token = _ask(api_client, "pasante.a@example.mx", password).json()["token"]
    pasante_a.is_active = False
    pasante_a.save(update_fields=["is_active"])

    response = api_client.get(reverse("api:clinic-list"), HTTP_AUTHORIZATION=f"Token {token}")

    assert response.status_code == 401


@pytest.mark.django_db
def test_an_anonymous_request_is_told_to_authenticate_with_a_token(api_client, db):
    response = api_client.get(reverse("api:clinic-list"))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_logged_in_session_still_reaches_the_api(client, coordinator):
    client.force_login(coordinator)

    assert client.get(reverse("api:clinic-list")).status_code == 200


def test_api_answers_a_token_user_in_their_preferred_language(api_client, coordinator):
    from rest_framework.authtoken.models import Token

    coordinator.preferred_language = "en"
    coordinator.save(update_fields=["preferred_language"])
    token = Token.objects.create(user=coordinator)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api_client.get("/api/v1/clinics/")
    assert response.status_code == 200
    assert response["Content-Language"] == "en"


@pytest.mark.parametrize("others", [0, 15])
def test_asking_for_a_token_runs_a_fixed_number_of_queries(api_client, pasante_a, password, others,
                                                          django_assert_num_queries):
    from ces.accounts.tests.factories import UserFactory

    UserFactory.create_batch(others)
    Token.objects.filter(user__in=UserFactory._meta.model.objects.exclude(pk=pasante_a.pk)).delete()
    with django_assert_num_queries(QUERIES_FOR_A_TOKEN):
        assert _ask(api_client, "pasante.a@example.mx", password).status_code == 200


# The account by its e-mail, the token read and then written (the first time), and pghistory's context.
QUERIES_FOR_A_TOKEN = 5


@pytest.mark.parametrize("how", ["changed", "reset by the admin"])
def test_a_new_password_ends_the_token(api_client, pasante_a, password, how):
    token = _ask(api_client, "pasante.a@example.mx", password).json()["token"]
    assert api_client.get(reverse("api:clinic-list"), HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    pasante_a.set_password("una-contraseña-nueva-2026")
    pasante_a.save(update_fields=["password"] if how == "changed" else None)

    assert api_client.get(reverse("api:clinic-list"), HTTP_AUTHORIZATION=f"Token {token}").status_code == 401
    new = _ask(api_client, "pasante.a@example.mx", "una-contraseña-nueva-2026").json()["token"]
    assert new != token
    assert api_client.get(reverse("api:clinic-list"), HTTP_AUTHORIZATION=f"Token {new}").status_code == 200


def test_saving_the_person_without_a_new_password_keeps_the_token(api_client, pasante_a, password):
    token = _ask(api_client, "pasante.a@example.mx", password).json()["token"]
    pasante_a.full_name = "Otro nombre"
    pasante_a.save()
    assert api_client.get(reverse("api:clinic-list"), HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
