"""Django's Redis cache, keeping one ``redis.Redis`` client per connection pool.

Django's client makes a new ``redis.Redis`` for every operation, and redis-py's constructor fills in some
170 response callbacks each time: about 60 µs of a 100 µs ``cache.get``. Every logged-in request reads its
session from this cache (decision 0019), so it pays that on every page. A ``redis.Redis`` only borrows a
connection from its pool for each command, and redis-py documents it as safe to share between threads, so
one per pool serves the same commands.
"""

from django.core.cache.backends import redis


class RedisCacheClient(redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
