"""validate_and_save: the validate-then-save step every app's services share."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation

from ces.accounts.tests.factories import UserFactory
from ces.core.models import Heartbeat, IdempotencyRecord
from ces.core.services import validate_and_save

pytestmark = pytest.mark.django_db

CONFLICT = "This change conflicts with another one saved at the same time. Try again."


def _record(user, key="abc"):
    return IdempotencyRecord(user=user, key=key, method="POST", path="/api/v1/x/", fingerprint="f" * 64,
                             status_code=201, content_type="application/json", body=b"{}")


def _losing_the_race_to(instance, competitor):
    """Make ``competitor`` commit its row after ``instance`` passed validation and before it is saved: what
    a concurrent request does when it wins by a hair."""
    check = instance.full_clean

    def full_clean_then_competitor_saves(*args, **kwargs):
        check(*args, **kwargs)
        competitor.save()

    instance.full_clean = full_clean_then_competitor_saves
    return instance


def test_it_saves_a_valid_instance_and_returns_it():
    record = validate_and_save(_record(UserFactory()))

    assert IdempotencyRecord.objects.get(key="abc").pk == record.pk


def test_it_refuses_an_invalid_instance_and_writes_nothing():
    Heartbeat.objects.create(name="beat", last_beat=timezone.now())

    with pytest.raises(ValidationError) as exc:
        validate_and_save(Heartbeat(name="beat", last_beat=timezone.now()))

    assert "name" in exc.value.message_dict
    assert Heartbeat.objects.count() == 1


def test_a_constraint_lost_to_a_concurrent_writer_names_the_rule():
    user = UserFactory()
    record = _losing_the_race_to(_record(user), competitor=_record(user))

    with translation.override("en"):
        with pytest.raises(ValidationError) as exc:
            validate_and_save(record)
        # The message is lazy: read it in the language it was raised in.
        assert exc.value.messages == ["Idempotency record with this User and Key already exists."]
    assert IdempotencyRecord.objects.count() == 1


def test_a_lost_race_on_a_rule_outside_the_constraints_says_try_again():
    # A field's ``unique`` is checked by full_clean but not by validate_constraints, so the retry cannot name it.
    beat = _losing_the_race_to(Heartbeat(name="beat", last_beat=timezone.now()),
                               competitor=Heartbeat(name="beat", last_beat=timezone.now()))

    with translation.override("en"):
        with pytest.raises(ValidationError) as exc:
            validate_and_save(beat)
        assert exc.value.messages == [CONFLICT]


def test_a_lost_race_leaves_the_callers_transaction_usable():
    beat = _losing_the_race_to(Heartbeat(name="beat", last_beat=timezone.now()),
                               competitor=Heartbeat(name="beat", last_beat=timezone.now()))

    with transaction.atomic():
        with pytest.raises(ValidationError):
            validate_and_save(beat)
        Heartbeat.objects.create(name="other", last_beat=timezone.now())

    assert set(Heartbeat.objects.values_list("name", flat=True)) == {"beat", "other"}


def test_with_fields_it_validates_only_what_changed_and_the_constraints_that_read_it(django_assert_num_queries):
    user = UserFactory()
    validate_and_save(_record(user, key="taken"))
    record = validate_and_save(_record(user, key="mine"))

    record.method = "X" * 20  # too long: refused when it is one of the fields that changed
    with pytest.raises(ValidationError) as exc:
        validate_and_save(record, update_fields=["method"], fields=["method"])
    assert "method" in exc.value.message_dict

    record.method, record.status_code = "POST", 200
    with django_assert_num_queries(3):  # savepoint, update, release: no FK query, no unique (user, key) query
        validate_and_save(record, update_fields=["status_code"], fields=["status_code"])

    record.key = "taken"  # the constraint reads the key: checked with the whole row
    with pytest.raises(ValidationError):
        validate_and_save(record, update_fields=["key"], fields=["key"])
    assert IdempotencyRecord.objects.get(pk=record.pk).key == "mine"
