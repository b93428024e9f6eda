"""A read-only serializer's output written from ``values()`` rows, without its per-object machinery.

DRF's ``ModelSerializer(many=True)`` spends most of a list's time on each object: a model instance per row,
then ``get_attribute`` and ``to_representation`` of every field through the serializer's generic loop.
``FlatWriter`` reads the serializer's own fields once and writes each row of a ``values()`` query set as
that serializer writes the instance: ``None`` stays ``None``, a related field gives the id the row holds,
and every other value goes through its field's ``to_representation``, except where that is a builtin
(``CharField``: ``str``, ``IntegerField``: ``int``) or can be done once per list instead of once per cell
(``DateTimeField``: the current time zone is looked up once, not for every stamp; naive or out-of-range
values take DRF's own path, which answers them as before). Same JSON byte for byte: each list using it has
a test comparing it with the serializer's output.
"""

import datetime
from functools import cache

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.relations import PrimaryKeyRelatedField, RelatedField
from rest_framework.settings import api_settings

UNWRITABLE = (serializers.SerializerMethodField, serializers.BaseSerializer, serializers.FileField,
              serializers.ListField, serializers.DictField, serializers.HiddenField)


def _identity(value):
    return value


def _datetime_representer(field, tz):
    """``field.to_representation`` of aware datetimes in ISO 8601, with the time zone already looked up."""
    fallback = field.to_representation

    def represent(value):
        if type(value) is not datetime.datetime or value.utcoffset() is None:
            return fallback(value)  # a naive datetime (made aware and checked by DRF) or a string
        try:
            text = value.astimezone(tz).isoformat()
        except OverflowError:
            return fallback(value)  # DRF's "overflow" error
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return represent


def _fast_datetime(field) -> bool:
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    return (type(field) is serializers.DateTimeField and not hasattr(field, "timezone")
            and isinstance(output_format, str) and output_format.lower() == ISO_8601 and settings.USE_TZ)


def _representer(field, tz):
    if isinstance(field, PrimaryKeyRelatedField) and field.pk_field is None:
        return _identity  # a primary key related field: the row holds the id
    if type(field) is serializers.CharField:
        return str  # CharField.to_representation is str(value)
    if type(field) is serializers.IntegerField:
        return int  # IntegerField.to_representation is int(value)
    if _fast_datetime(field):
        return _datetime_representer(field, tz)
    return field.to_representation


class FlatWriter:
    def __init__(self, serializer_class):
        self.fields = list(serializer_class().fields.items())
        self.names = [name for name, _ in self.fields]
        self._cells = {}
        self._plain, self._aliased = [], {}
        for name, field in self.fields:
            if (field.source == "*" or isinstance(field, UNWRITABLE)
                    or (isinstance(field, RelatedField) and not isinstance(field, PrimaryKeyRelatedField))):
                # Not one value of the row, or written from the request (a URL): the serializer's job.
                raise TypeError(f"{serializer_class.__name__}.{name}: not a value a row can hold")
            if field.source == name:
                self._plain.append(name)  # a model field (a relation: its id) or an annotation
            else:
                self._aliased[name] = F(field.source.replace(".", "__"))  # "lot.item.code": lot__item__code

    def values(self, queryset):
        """``queryset.values()`` holding each field under its name: ``source="clinic.name"`` read as
        ``clinic__name`` in the same query, a relation as its id. No model instance."""
        return queryset.values(*self._plain, **self._aliased)

    def cells(self):
        """``(name, representer)`` of each field, for the time zone now active (made once per zone)."""
        tz = timezone.get_current_timezone() if settings.USE_TZ else None
        try:
            return self._cells[tz]
        except KeyError:
            return self._cells.setdefault(tz, [(name, _representer(field, tz)) for name, field in self.fields])

    def write(self, rows) -> list[dict]:
        """Each ``values()`` row (holding every field's name) as the serializer writes its object."""
        cells = self.cells()
        return [{name: None if (value := row[name]) is None else represent(value) for name, represent in cells}
                for row in rows]


@cache
def flat_writer(serializer_class) -> FlatWriter:
    return FlatWriter(serializer_class)


def flat_page(view, queryset, serializer_class):
    """A list view's paginated answer: ``queryset``'s page read as ``values()`` and written as
    ``serializer_class`` writes each object (what ``ListModelMixin.list`` answers, without the instances)."""
    writer = flat_writer(serializer_class)
    page = view.paginate_queryset(writer.values(queryset))
    return view.get_paginated_response(writer.write(page))
