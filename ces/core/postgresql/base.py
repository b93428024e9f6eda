"""Django's PostgreSQL backend, reading ``timestamptz`` columns with psycopg's C loader.

Django registers a loader of its own for every ``timestamptz`` column (``psycopg_any.BaseTzLoader``: the
value parsed, then its time zone replaced by the connection's). Being Django's class, psycopg does not
swap it for its C implementation, so every stamp of every row is parsed in Python (about 2 µs each; the
restock-request API list reads some 350 a page). Where the connection's time zone is UTC (``USE_TZ`` with
no ``TIME_ZONE`` of the database's own, as here), psycopg's C loader already gives exactly that value, in
``datetime.timezone.utc``: this backend registers it instead, under the ``timezone`` attribute Django checks
before each cursor. Any other time zone keeps Django's loader. Decision 0019.
"""

import datetime
from functools import lru_cache

from django.db.backends.postgresql import base
from psycopg import adapt
from psycopg.types import datetime as psycopg_datetime

try:
    from psycopg._cmodule import _psycopg

    _FastTimestamptzLoader = _psycopg.TimestamptzLoader
except (ImportError, AttributeError):  # psycopg without its C module: its Python loader
    _FastTimestamptzLoader = psycopg_datetime.TimestamptzLoader


class UTCTimestamptzLoader(adapt.Loader):
    """psycopg's (C) loader under the ``timezone`` Django looks for; on a UTC connection its values are in
    ``datetime.timezone.utc``, exactly as Django's loader gives them. (psycopg's C class cannot be
    subclassed: its ``load`` is lent to each instance instead, so no Python runs per value.)"""

    timezone = datetime.UTC

    def __init__(self, oid, context=None):
        super().__init__(oid, context)
        self.load = _FastTimestamptzLoader(oid, context).load

    def load(self, data):  # noqa: F811 (replaced on each instance by the C loader's own)
        raise NotImplementedError


@lru_cache
def _utc_adapters(template: adapt.AdaptersMap) -> adapt.AdaptersMap:
    adapters = adapt.AdaptersMap(template)
    adapters.register_loader("timestamptz", UTCTimestamptzLoader)
    return adapters


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        if self.timezone is datetime.UTC and "context" in params:
            params["context"] = _utc_adapters(params["context"])
        return params
