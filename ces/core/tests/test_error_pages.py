import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_a_missing_page_is_explained_in_spanish(client, coordinator):
    client.force_login(coordinator)
    response = client.get("/no-existe/")
    assert response.status_code == 404
    assert "Página no encontrada" in response.content.decode()


@pytest.mark.django_db
def test_a_forbidden_page_is_explained_in_spanish(client, outsider):
    client.force_login(outsider)
    response = client.get(reverse("clinics:cohort-list"))
    assert response.status_code == 403
    assert "No permitido" in response.content.decode()


@pytest.mark.django_db
def test_the_server_error_page_needs_no_request_user_or_database():
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override("es"):
        html = render_to_string("500.html")
    assert "Algo salió mal" in html


@pytest.mark.django_db
def test_a_damaged_request_is_explained_in_spanish(client, coordinator):
    # A field name longer than Django accepts in a multipart body: Django answers 400 with 400.html.
    client.force_login(coordinator)
    boundary = "BoUnDaRy"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{'x' * 5000}\"\r\n\r\nvalue\r\n"
            f"--{boundary}--\r\n")
    response = client.post("/clinicas/pacientes/nuevo/", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 400
    assert "No se pudo leer la solicitud" in response.content.decode()


@pytest.mark.django_db
def test_a_form_sent_from_a_stale_tab_is_explained_in_spanish_with_the_page_to_open_again(coordinator, password):
    from django.test import Client

    stale = Client(enforce_csrf_checks=True)
    login = reverse("account_login")
    stale.get(login)  # the tab opened the login page: its token is set
    other_tab = Client(enforce_csrf_checks=True)
    other_tab.cookies = stale.cookies
    page = other_tab.get(login)
    token = page.context["csrf_token"]
    other_tab.post(login, {"login": coordinator.email, "password": password, "csrfmiddlewaretoken": token})
    # The stale tab sends its old page's form: the login rotated the token.
    response = stale.post(login, {"login": coordinator.email, "password": password, "csrfmiddlewaretoken": token},
                          HTTP_REFERER=f"http://testserver{login}")
    html = response.content.decode()
    assert response.status_code == 403
    assert "Esta página caducó" in html and "No se guardó nada." in html
    assert f'href="http://testserver{login}"' in html and "Volver a abrir la página" in html


@pytest.mark.django_db
def test_a_stale_form_from_another_site_is_not_offered_again():
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(reverse("account_login"), {"login": "x"},
                                                     HTTP_REFERER="https://elsewhere.example/page")
    html = response.content.decode()
    assert response.status_code == 403 and "Esta página caducó" in html
    assert "elsewhere.example" not in html and "Volver a abrir la página" not in html
