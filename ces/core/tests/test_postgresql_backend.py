"""ces.core.postgresql reads ``timestamptz`` columns with psycopg's C loader, giving exactly the values
Django's own loader gives: the same instants, in ``datetime.timezone.utc``."""

import datetime

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import get_adapters_template
from psycopg.adapt import Transformer
from psycopg.postgres import types
from psycopg.pq import Format

from ces.core.postgresql.base import DatabaseWrapper, UTCTimestamptzLoader

pytestmark = pytest.mark.django_db

TIMESTAMPTZ = types["timestamptz"].oid
STAMPS = [
    "2026-12-01 19:03:00+00", "2026-12-01 13:03:00.5-06", "2026-03-08 02:30:00.000001+00",
    "0001-01-01 00:00:00+00", "9999-12-31 23:59:59.999999+00", "1969-12-31 23:59:59.999999+00",
    "2026-06-30 23:59:59.999999-12",
]


def test_the_project_connection_reads_stamps_with_the_fast_loader():
    connection.ensure_connection()
    assert connection.connection.adapters.get_loader(TIMESTAMPTZ, Format.TEXT) is UTCTimestamptzLoader


def test_every_stamp_reads_as_djangos_loader_reads_it():
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(["%s::timestamptz"] * len(STAMPS)) + ", NULL::timestamptz", STAMPS)
        ours = cursor.fetchone()
        cursor.execute("SELECT " + ", ".join(["%s::timestamptz::text"] * len(STAMPS)), STAMPS)
        sent = cursor.fetchone()  # the text PostgreSQL sends for each, which both loaders parse
    django_loader = get_adapters_template(True, datetime.UTC).get_loader(TIMESTAMPTZ, Format.TEXT)
    theirs = [django_loader(TIMESTAMPTZ, Transformer.from_context(connection.connection)).load(text.encode())
              for text in sent]
    assert list(ours) == [*theirs, None]
    assert all(value.tzinfo is datetime.UTC for value in ours[:-1])
    assert all(value.tzinfo is datetime.UTC for value in theirs)


def test_a_model_field_reads_back_the_instant_it_wrote(django_user_model):
    joined = datetime.datetime(2026, 12, 1, 13, 3, 0, 123456, tzinfo=datetime.timezone(datetime.timedelta(hours=-6)))
    user = django_user_model.objects.create_user("stamp@example.mx", date_joined=joined)
    read = django_user_model.objects.values_list("date_joined", flat=True).get(pk=user.pk)
    assert read == joined and read.tzinfo is datetime.UTC


def test_a_database_in_another_time_zone_keeps_djangos_loader(settings):
    database = {**settings.DATABASES["default"], "TIME_ZONE": "America/Mexico_City"}
    wrapper = DatabaseWrapper(database, alias="other-zone")
    context = wrapper.get_connection_params()["context"]
    assert type(context.get_loader(TIMESTAMPTZ, Format.TEXT)) is not UTCTimestamptzLoader
