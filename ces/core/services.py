"""Writes every app needs: the validate-then-save step of every service, and the beat heartbeat."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Heartbeat

# The code of the ValidationError a service raises for a transition the object's current state does not
# allow (a request approved twice, a delivery confirmed before it was dispatched): the pages tell it apart
# from a refusal the person can mend on the form (ces.core.pages.transition_page).
ILLEGAL_TRANSITION = "illegal_transition"


def validate_and_save(instance, *, update_fields=None):
    """``full_clean`` then save, and return the instance.

    ``full_clean`` also checks the database constraints, so a broken rule is a ValidationError with its
    message. A constraint that a concurrent writer wins between the check and the save raises
    ``IntegrityError``: it becomes the same ValidationError (re-validating names the rule that now
    fails), never a server error. The save runs in a savepoint, so the caller's transaction survives.
    """
    instance.full_clean()
    try:
        with transaction.atomic():
            instance.save(update_fields=update_fields)
    except IntegrityError as exc:
        instance.validate_constraints()
        raise ValidationError(_("This change conflicts with another one saved at the same time. Try again.")) from exc
    return instance


def heartbeat_record(*, name: str) -> Heartbeat:
    beat, _created = Heartbeat.objects.update_or_create(name=name, defaults={"last_beat": timezone.now()})
    return beat
