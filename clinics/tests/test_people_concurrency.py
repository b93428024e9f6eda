"""People and accounts under concurrent requests (people10): a link used twice at the same moment sets one
password, and two coordinators adding the same e-mail at once add one person. Threads against PostgreSQL."""

import pytest
from django.core.exceptions import ValidationError

from ces.accounts.roles import Role
from clinics import services
from clinics.models import Cadre, Invitation, Staff
from tests.kit import errors_in, run_concurrently

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_link_used_twice_at_once_is_accepted_once():
    staff = services.person_add(full_name="Itzel Moreno Cruz", cadre=Cadre.PASANTE, email="itzel@example.mx")
    _invitation, token = services.invitation_send(staff=staff, roles=[Role.PASANTE])
    passwords = ["maiz-y-frijol-2027", "cafe-de-altura-2027"]

    outcomes = run_concurrently(lambda i: services.invitation_accept(token=token, password=passwords[i]), 2)

    errors = errors_in(outcomes)
    assert len(errors) == 1 and isinstance(errors[0], services.InvitationInvalid)
    winner = next(o for o in outcomes if isinstance(o, Invitation))
    winner.user.refresh_from_db()
    assert sum(winner.user.check_password(p) for p in passwords) == 1


def test_the_same_email_added_twice_at_once_adds_one_person():
    outcomes = run_concurrently(
        lambda i: services.person_add(full_name=f"Persona {i}", cadre=Cadre.NURSE, email="misma@example.mx"), 2)

    errors = errors_in(outcomes)
    assert len(errors) == 1 and isinstance(errors[0], ValidationError)
    assert Staff.objects.filter(email="misma@example.mx").count() == 1
