"""What every app's tests need beside the personas of the root ``conftest.py``: a logged-in client for a
persona (a test client, an API client or a browser page), and the thread harness of the concurrency tests.

Apps import from here (``from tests.kit import client_for``) rather than writing their own copy.
"""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

# Long enough for a loaded two-core machine, short enough that a deadlock fails the test instead of hanging it.
THREAD_TIMEOUT = 60

# Every persona has a password; the production hasher would be most of the suite's run time. The root
# conftest.py sets it per test; a module-scoped fixture that makes accounts sets it for itself.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# What every logged-in page reads before its own queries: the user with their roles, in one query
# (ces.accounts.backends). The session comes from Redis (SESSION_ENGINE cached_db, decision 0019).
LAYOUT_QUERIES = 1


def log_in(client, user, *, language: str = "en"):
    """Log ``client`` (a pytest-django ``client``, an ``api_client``) in as ``user``, reading ``language``.

    The default is English, the source language, so that assertions on messages hold whatever the Spanish
    catalogue says; pass ``language="es"`` to read what a Spanish-speaking person reads. ``None`` as the user
    leaves the client anonymous. Returns the client.
    """
    if user is not None:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])
        client.force_login(user)
    return client


def client_for(user, *, language: str = "en") -> Client:
    """A new test client logged in as ``user`` (see ``log_in``)."""
    return log_in(Client(), user, language=language)


def api_client_for(user, *, language: str = "en") -> APIClient:
    """A new DRF test client with a session for ``user`` (see ``log_in``)."""
    return log_in(APIClient(), user, language=language)


def browser_log_in(page, live_server, user) -> None:
    """Log ``user`` in through the login form in a Playwright ``page``, as a person does, and wait for home.

    Cookies are cleared first, so a journey can hand the same page from one person to the next.
    """
    from ces.accounts.tests.factories import PASSWORD

    page.context.clear_cookies()
    page.goto(live_server.url + reverse("account_login"))
    page.locator("input[name=login]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(live_server.url + reverse("accounts:home"))


def assert_fits_the_screen(page) -> None:
    """Nothing on the page is wider than the window (360 px in the phone journeys): no sideways scrolling."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width} px wide"


def run_concurrently(fn: Callable[[int], object], n: int) -> list:
    """Call ``fn(i)`` for each ``i`` in ``range(n)``, each in its own thread, all released at once.

    Returns the outcomes in the order of ``i``: what each call returned, or the exception it raised, so
    that the test asserts on every one (an exception in a thread never vanishes). Each thread closes its
    own database connection, or the test database could not be dropped. Meant for tests marked
    ``django_db(transaction=True)``: the threads only see what the test has committed.
    """
    barrier = threading.Barrier(n)
    outcomes: list = [None] * n
    finished = [False] * n

    def run(i):
        try:
            barrier.wait(timeout=THREAD_TIMEOUT)
            outcomes[i] = fn(i)
        except Exception as exc:  # noqa: BLE001 - handed to the test as an outcome
            outcomes[i] = exc
        finally:
            connection.close()
            finished[i] = True

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(THREAD_TIMEOUT)
    stuck = [i for i in range(n) if not finished[i]]
    assert not stuck, f"threads {stuck} did not finish within {THREAD_TIMEOUT} s"
    return outcomes


def errors_in(outcomes: list) -> list[Exception]:
    """The exceptions among the outcomes of ``run_concurrently``."""
    return [outcome for outcome in outcomes if isinstance(outcome, Exception)]


@contextmanager
def committed_for_the_module(django_db_blocker) -> Iterator[None]:
    """For a module-scoped fixture that builds data once (a demo seed) for tests that only read it: what is
    written inside is committed, seen by each test's transaction (``db``) and rolled back to after each one.

    Afterwards the database is emptied and its contents from before put back, as a ``TransactionTestCase``
    with ``serialized_rollback`` does: the rows the migrations wrote (the role groups, the settings rows, the
    content types) are there again for the next module, which finds the database as it was.
    """
    from django.core.management import call_command

    with django_db_blocker.unblock():
        before = connection.creation.serialize_db_to_string()
        try:
            yield
        finally:
            call_command("flush", "--no-input", verbosity=0, reset_sequences=False, inhibit_post_migrate=True)
            connection.creation.deserialize_db_from_string(before)
