import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("persona", ["coordinator", "pasante_a", "pharmacy"])
def test_staff_read_the_api_docs_and_schema(client, request, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(reverse("api-docs")).status_code == 200
    assert client.get(reverse("api-schema")).status_code == 200


@pytest.mark.parametrize("persona", ["applicant", "chw", "outsider"])
def test_applicants_and_chws_are_refused_the_api_docs_and_schema(client, request, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(reverse("api-docs")).status_code == 403
    assert client.get(reverse("api-schema")).status_code == 403


def test_favicon_is_a_redirect_to_the_static_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"].endswith("ces/favicon.ico")
