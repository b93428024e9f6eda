"""seed_demo on an empty database: it refuses to run with DEBUG off unless forced. Apart from
``test_seed_demo.py``, whose module fixture seeds the demo once for all its tests."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from ces.accounts.models import User
from clinics.models import Clinic


def seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo_settings(db, settings):
    settings.DEBUG = True
    return settings


def test_seed_demo_refuses_to_run_with_debug_off_unless_forced(demo_settings):
    demo_settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        seed()
    assert Clinic.objects.count() == 0
    assert User.objects.count() == 0

    seed("--force")
    assert Clinic.objects.count() == 14
