"""ces.core.cache: Django's Redis cache with one client per connection pool, doing what Django's does."""

import threading

from django.core.cache import caches


def test_one_client_serves_every_operation_and_every_thread():
    cache = caches["default"]
    clients = [cache._cache.get_client("a"), cache._cache.get_client("b", write=True)]
    thread = threading.Thread(target=lambda: clients.append(cache._cache.get_client("c")))
    thread.start()
    thread.join()
    assert clients[0] is clients[1] is clients[2]


def test_the_operations_answer_as_djangos_cache_does():
    cache = caches["default"]
    cache.set("ces-cache-test", {"a": [1, "ñ"]}, 30)
    assert cache.get("ces-cache-test") == {"a": [1, "ñ"]}
    assert cache.add("ces-cache-test", "other") is False
    cache.set("ces-cache-counter", 1)
    assert cache.incr("ces-cache-counter", 2) == 3
    assert cache.get_many(["ces-cache-test", "missing"]) == {"ces-cache-test": {"a": [1, "ñ"]}}
    cache.delete_many(["ces-cache-test", "ces-cache-counter"])
    assert cache.get("ces-cache-test") is None and cache.get("ces-cache-counter") is None
