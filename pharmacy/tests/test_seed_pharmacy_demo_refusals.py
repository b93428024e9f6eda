"""seed_pharmacy_demo without the demo network: it asks for seed_demo first, and refuses DEBUG off unless forced.
Apart from ``test_seed_pharmacy_demo.py``, whose module fixture seeds the network and the pharmacy once."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from pharmacy.models import Item


@pytest.fixture
def demo_settings(db, settings):
    settings.DEBUG = True
    return settings


def seed(*args):
    out = StringIO()
    call_command("seed_pharmacy_demo", *args, stdout=out)
    return out.getvalue()


def test_seed_pharmacy_demo_needs_the_demo_network_first(demo_settings):
    with pytest.raises(CommandError, match="seed_demo"):
        seed()
    assert not Item.objects.exists()


def test_seed_pharmacy_demo_refuses_to_run_with_debug_off_unless_forced(demo_settings):
    demo_settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        seed()

    with pytest.raises(CommandError, match="seed_demo"):  # past the DEBUG check: it wants the network
        seed("--force")
