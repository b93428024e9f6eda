import pytest

from visitors.models import Application
from visitors.tests.factories import application_in_state

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("state", Application.State.values)
def test_every_state_is_reached_through_the_services(state):
    application = application_in_state(state)
    assert application.state == state
    assert application.changes.last().to_state == state
