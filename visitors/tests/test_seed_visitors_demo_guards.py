"""seed_visitors_demo refuses what it cannot do (apart from the seeded module, whose data would satisfy it)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from visitors.models import Application


def seed(*args):
    call_command("seed_visitors_demo", *args, stdout=StringIO())


def test_seed_visitors_demo_needs_the_demo_network_and_debug(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        seed()
    assert not Application.objects.exists()
    settings.DEBUG = True
    with pytest.raises(CommandError, match="seed_demo"):
        seed()


def test_seed_visitors_demo_refuses_a_history_of_no_one(db, settings):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="--past"):
        seed("--past", "0")
    assert not Application.objects.exists()
