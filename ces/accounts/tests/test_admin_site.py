"""The admin site speaks the product's name and Spanish, one section per subject."""

import re

import pytest
from django.contrib import admin
from django.utils import translation

pytestmark = pytest.mark.django_db

# Names that are the same word in both languages.
SAME_IN_BOTH = {"crontab", "crontabs", "token", "tokens", "roles"}


def _sections(html):
    return [
        (section, re.findall(r'<th scope="row"[^>]*>\s*(?:<a[^>]*>)?\s*([^<]*?)\s*<', body))
        for section, body in re.findall(r"<caption>\s*<a[^>]*>(.*?)</a>.*?</caption>(.*?)</table>", html, re.S)
    ]


def test_admin_shows_the_products_name_instead_of_djangos(client, admin_user):
    client.force_login(admin_user)

    html = client.get("/admin/").content.decode()

    assert "<title>Administración de datos | CES Operaciones</title>" in html
    assert "Django" not in html


def test_admin_has_one_section_for_users_and_roles(client, admin_user):
    client.force_login(admin_user)

    sections = _sections(client.get("/admin/").content.decode())
    names = [name for name, _models in sections]

    assert len(names) == len(set(names))
    assert dict(sections)["Usuarios y roles"] == ["Roles", "Usuarios"]
    assert "Autenticación y autorización" not in names


def test_roles_are_edited_from_the_users_section(client, admin_user):
    client.force_login(admin_user)

    response = client.get("/admin/accounts/rolegroup/")

    assert response.status_code == 200
    assert "coordinator" in response.content.decode()
    assert client.get("/admin/auth/group/").status_code == 404


def test_every_admin_section_and_model_has_a_spanish_name():
    untranslated = []
    for model in admin.site._registry:
        names = {
            "section": lambda m=model: m._meta.app_config.verbose_name,
            "model": lambda m=model: m._meta.verbose_name,
            "models": lambda m=model: m._meta.verbose_name_plural,
        }
        for kind, name in names.items():
            with translation.override("en"):
                english = str(name())
            with translation.override("es"):
                spanish = str(name())
            if spanish == english and english.lower() not in SAME_IN_BOTH:
                untranslated.append(f"{model._meta.label} {kind}: {english!r}")

    assert untranslated == []
