"""Two coordinators placing two visitors into the same clinic and days at the same moment: the exclusion
constraint lets one win; the other reads why, and nothing of theirs is written."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tests.kit import errors_in, run_concurrently
from visitors import services
from visitors.models import Application, Placement, StatusChange
from visitors.tests.factories import application_in_state, placement_world

State = Application.State


@pytest.mark.django_db(transaction=True)
def test_two_placements_into_the_same_clinic_and_days_one_wins_the_other_is_told(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    world = placement_world(capacity=1, rooms=2)
    first = application_in_state(State.ACCEPTED, world=world)
    second = application_in_state(State.ACCEPTED, world=world)
    applications = [first, second]
    changes_before = StatusChange.objects.count()

    def place(i):
        with translation.override("en"):
            application = applications[i]
            return services.placement_propose(
                application=application, clinic=world.clinic, pasante=world.pasante,
                host_family=world.host_family, start_date=first.wanted_start, end_date=first.wanted_end,
                by=world.staff_user)

    outcomes = run_concurrently(place, 2)
    errors = errors_in(outcomes)
    assert len(errors) == 1, outcomes
    [error] = errors
    assert isinstance(error, ValidationError)
    assert ("The clinic already receives as many visitors as it can on those days." in error.messages
            or any("receives 1 visitor at a time" in m for m in error.messages)), error.messages
    [winner] = [o for o in outcomes if isinstance(o, Placement)]
    loser = applications[outcomes.index(error)]
    assert Placement.objects.count() == 1 and Placement.objects.get() == winner
    assert StatusChange.objects.count() == changes_before + 1
    loser.refresh_from_db()
    assert loser.state == State.ACCEPTED
    assert not loser.placements.exists()
