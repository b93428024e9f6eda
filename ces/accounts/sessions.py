"""The session store: Django's ``cached_db``, still answering from PostgreSQL while Redis is away.

Sessions are read from Redis and recorded in PostgreSQL (decision 0019). Django already logs and goes on
when reading the cached copy fails, and when saving it fails; but after reading the row it puts the copy
back in the cache without that care, so with Redis down every logged-in page would fail where it used to
work. Here that write logs and goes on as well. Deleting a session (logging out) still fails loudly when
Redis cannot be reached: a copy left there could log the person back in once Redis returns.
"""

from django.contrib.sessions.backends import cached_db


class SessionStore(cached_db.SessionStore):
    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception:  # Django's own: a backend that cannot answer, or refuses the key
            data = None
        if data is not None:
            return data
        row = self._get_session_from_db()
        if not row:
            return {}
        data = self.decode(row.session_data)
        try:
            self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=row.expire_date))
        except Exception:
            cached_db.logger.exception("Error saving to cache (%s)", self._cache)
        return data
