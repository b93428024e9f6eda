"""ces.core.flat: a serializer's output written from dict rows, the same as the serializer writes objects."""

import uuid
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from ces.core.flat import FlatWriter


class Everything(serializers.Serializer):
    name = serializers.CharField()
    number = serializers.IntegerField()
    flag = serializers.BooleanField()
    choice = serializers.ChoiceField(choices=[("a", "A"), ("b", "B")])
    day = serializers.DateField()
    stamp = serializers.DateTimeField()
    utc_stamp = serializers.DateTimeField(default_timezone=UTC)
    formatted = serializers.DateTimeField(format="%d/%m/%Y %H:%M")
    key = serializers.UUIDField()
    amount = serializers.DecimalField(max_digits=6, decimal_places=2)


AWARE = datetime(2026, 6, 30, 23, 59, 58, 123456, tzinfo=UTC)
ROWS = [
    {"name": "Ñandú «x»", "number": 7, "flag": True, "choice": "a", "day": date(2026, 6, 1), "stamp": AWARE,
     "utc_stamp": AWARE, "formatted": AWARE, "key": uuid.UUID(int=5), "amount": "12.5"},
    {"name": "", "number": 0, "flag": False, "choice": "b", "day": date(2026, 1, 31),
     "stamp": AWARE.replace(microsecond=0) - timedelta(days=180), "utc_stamp": None, "formatted": None,
     "key": None, "amount": None},
    # A naive stamp and one as text: DRF's own path answers them.
    {"name": "n", "number": -3, "flag": 1, "choice": None, "day": None, "stamp": datetime(2026, 3, 1, 12),
     "utc_stamp": "2026-03-01T12:00:00Z", "formatted": AWARE, "key": uuid.UUID(int=9), "amount": 3},
    {"name": None, "number": None, "flag": None, "choice": "", "day": date(2026, 2, 2), "stamp": None,
     "utc_stamp": AWARE, "formatted": None, "key": None, "amount": "0"},
]


@pytest.mark.parametrize("zone", ["America/Mexico_City", "UTC", "Asia/Kolkata"])
def test_rows_are_written_as_the_serializer_writes_the_objects(zone):
    with timezone.override(zone):
        expected = Everything([SimpleNamespace(**row) for row in ROWS], many=True).data
        written = FlatWriter(Everything).write(ROWS)

    assert JSONRenderer().render(written) == JSONRenderer().render(expected)
    assert written == [dict(row) for row in expected]


def test_the_time_zone_is_the_one_active_when_writing():
    writer = FlatWriter(Everything)
    with timezone.override("UTC"):
        assert writer.write(ROWS[:1])[0]["stamp"] == "2026-06-30T23:59:58.123456Z"
    with timezone.override("America/Mexico_City"):
        assert writer.write(ROWS[:1])[0]["stamp"] == "2026-06-30T17:59:58.123456-06:00"


@pytest.mark.parametrize("field", [serializers.SerializerMethodField(), serializers.FileField(),
                                   serializers.CharField(source="*"), serializers.ListField(),
                                   serializers.HyperlinkedRelatedField(view_name="x", read_only=True)])
def test_fields_a_row_cannot_hold_are_refused(field):
    serializer_class = type("One", (serializers.Serializer,), {"one": field})

    with pytest.raises(TypeError, match="One.one"):
        FlatWriter(serializer_class)
