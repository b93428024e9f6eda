"""The main menu offers each page exactly to those it opens for: its entries carry the predicate of the
page's view, so the menu cannot drift from the pages."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from ces.accounts import menu

pytestmark = pytest.mark.django_db

PERSONAS = ["coordinator", "supervisor", "pasante_a", "chw", "pharmacy", "visitor_program", "applicant",
            "admin_user", "outsider"]


def _menu_links(client) -> set[str]:
    home = client.get(reverse("accounts:home"), follow=True)
    assert home.status_code == 200
    return set(re.findall(r'<a href="([^"]+)" data-testid="nav-', home.content.decode()))


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_menu_offers_a_page_exactly_to_those_it_opens_for(request, persona):
    client = Client()
    client.force_login(request.getfixturevalue(persona))
    offered = _menu_links(client)
    for entry in menu._entries.values():
        url = reverse(entry.url_name)
        opens = client.get(url).status_code == 200
        assert (url in offered) is opens, (entry.key, opens)


def test_the_menu_lists_the_entries_in_their_order(coordinator):
    client = Client()
    client.force_login(coordinator)
    home = client.get(reverse("accounts:home")).content.decode()
    keys = re.findall(r'data-testid="nav-([a-z-]+)"', home)
    assert keys == ["clinics", "staff", "cohorts", "host-families", "patients", "pharmacy", "visitors", "visitor-log",
                    "reports"]
