import pytest

from ces.notifications import registry

from .rules import PingRule


@pytest.fixture
def ping_rule():
    rule = registry.register(PingRule())
    yield rule
    registry.unregister(rule.kind)

