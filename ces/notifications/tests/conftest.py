import pytest

from ces.notifications import registry

from .rules import PingRule


@pytest.fixture
def ping_rule():
    rule = registry.register(PingRule())
    yield rule
    registry.unregister(rule.kind)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The factories hash a password for every user; the default hasher makes each one take a while.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
