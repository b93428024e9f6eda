"""The 403 page tells the person who reads it what to do, and never a coordinator to ask the coordination."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

HOME = reverse("accounts:home")


def test_coordinator_refused_by_the_admin_is_sent_home_not_to_the_coordination(client, coordinator):
    client.force_login(coordinator)

    response = client.get("/admin/", follow=True)

    content = response.content.decode()
    assert response.status_code == 403
    assert "El sitio de administración es para quien administra los datos" in content
    assert "está en el menú y en tu página de inicio" in content
    assert f'href="{HOME}"' in content
    assert "coordinación" not in content.split("<main", 1)[1]


def test_coordinator_refused_by_a_page_is_told_to_ask_the_data_manager(client, coordinator):
    client.force_login(coordinator)

    response = client.get(reverse("pharmacy:request-create"))

    content = response.content.decode()
    assert response.status_code == 403
    assert "pide acceso a quien administra los datos" in content
    assert "pídesela a la coordinación" not in content


def test_pasante_refused_by_a_page_is_told_to_ask_the_coordination(client, pasante_a):
    client.force_login(pasante_a)

    response = client.get(reverse("pharmacy:request-queue"))

    content = response.content.decode()
    assert response.status_code == 403
    assert "pídesela a la coordinación" in content
    assert f'href="{HOME}"' in content
