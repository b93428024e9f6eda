"""Writes every app needs: the validate-then-save step of every service, and the beat heartbeat."""

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import IntegrityError, router, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Heartbeat

# The code of the ValidationError a service raises for a transition the object's current state does not
# allow (a request approved twice, a delivery confirmed before it was dispatched): the pages tell it apart
# from a refusal the person can mend on the form (ces.core.pages.transition_page).
ILLEGAL_TRANSITION = "illegal_transition"


def _constraint_fields(constraint) -> set[str] | None:
    """The names of the fields a constraint reads (its fields, expressions and condition), or None when
    they cannot be told (then it is always checked)."""
    names: set[str] = set()

    def expression(value) -> bool:
        if isinstance(value, str):
            names.add(value.split("__")[0])
            return True
        if isinstance(value, Q):
            return condition(value)
        if isinstance(value, F):
            names.add(value.name.split("__")[0])
            return True
        if hasattr(value, "get_source_expressions"):
            return all(expression(source) for source in value.get_source_expressions() if source is not None)
        return hasattr(value, "resolve_expression") is False  # a plain value reads no field

    def condition(q: Q) -> bool:
        for child in q.children:
            if isinstance(child, Q):
                if not condition(child):
                    return False
            elif isinstance(child, tuple):
                names.add(child[0].split("__")[0])
                if not expression(child[1]) and hasattr(child[1], "resolve_expression"):
                    return False
            elif not expression(child):
                return False
        return True

    parts = [*(getattr(constraint, "fields", None) or ()), *(getattr(constraint, "expressions", None) or ())]
    for part in parts:
        if isinstance(part, tuple | list):  # ExclusionConstraint: (expression, operator)
            part = part[0]
        if not expression(part):
            return None
    q = getattr(constraint, "condition", None)
    if q is not None and not (condition(q) if isinstance(q, Q) else expression(q)):
        return None
    return names


def _field_name(meta, name: str) -> str:
    if name == "pk":
        return meta.pk.name
    try:
        return meta.get_field(name).name  # "applicant_id" is "applicant"
    except FieldDoesNotExist:
        return name


def _validate_changed(instance, fields) -> None:
    """``full_clean`` of the ``fields`` that changed only: the other fields are not validated again (no
    field checks, no existence queries for their foreign keys), ``clean()`` still runs, and every constraint
    that reads one of the changed fields is checked with the whole row's values (e.g. a unique constraint
    whose condition reads ``state`` when the state changes)."""
    meta = instance._meta
    changed = {meta.get_field(name).name for name in fields}
    exclude = {field.name for field in meta.concrete_fields} - changed
    errors = {}
    try:
        instance.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    using = router.db_for_write(type(instance), instance=instance)
    for model_class, constraints in instance.get_constraints():
        for constraint in constraints:
            read = _constraint_fields(constraint)
            if read is not None and not ({_field_name(meta, name) for name in read} & changed):
                continue
            try:
                constraint.validate(model_class, instance, using=using)
            except ValidationError as exc:
                if getattr(exc, "code", None) == "unique" and len(getattr(constraint, "fields", ())) == 1:
                    errors.setdefault(constraint.fields[0], []).append(exc)
                else:
                    errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def validate_and_save(instance, *, update_fields=None, fields=None):
    """``full_clean`` then save, and return the instance.

    ``full_clean`` also checks the database constraints, so a broken rule is a ValidationError with its
    message. A constraint that a concurrent writer wins between the check and the save raises
    ``IntegrityError``: it becomes the same ValidationError (re-validating names the rule that now
    fails), never a server error. The save runs in a savepoint, so the caller's transaction survives.

    ``fields``: the names of the fields that changed (a state change's): only they are validated, with
    ``clean()`` and the constraints that read any of them (``_validate_changed``); the instance's other
    fields were validated when they were saved. Without it the whole instance is.
    """
    if fields is None:
        instance.full_clean()
    else:
        _validate_changed(instance, fields)
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
