import pytest

from visitors.models import Application
from visitors.selectors import next_step
from visitors.tests.factories import application_in_state

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("state", Application.State.values)
def test_next_step_says_one_sentence_in_every_state(state):
    step = next_step(application_in_state(state))
    assert step.sentence
