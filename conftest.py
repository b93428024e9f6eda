"""Personas shared by every test: a coordinator, a supervisor of clinic A, the pasante of clinic A, the
pasante of clinic B, a CHW of clinic A, pharmacy, visitor program, two applicants (A and B), an admin and an
outsider (a logged-in account with no role). How each is made is in ``tests/personas.py``.

What tests do with them is in ``tests/kit.py``: ``client_for(persona)`` / ``api_client_for(persona)`` for a
logged-in client (``log_in`` for pytest-django's own ``client``), and ``run_concurrently`` for the thread
races of the concurrency tests. Each app's ``tests/factories.py`` holds its factories; a restock request in
any state comes from ``pharmacy.tests.factories.restock_request_in_state``."""

import pytest
from django.core.cache import cache

from ces.accounts.tests.factories import PASSWORD
from tests.kit import FAST_HASHERS
from tests.personas import CLINICS, PERSONAS


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate limits and throttles live in the (real, shared) Redis cache.
    cache.clear()
    yield


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def clinic_a(db):
    return CLINICS["clinic_a"]()


@pytest.fixture
def clinic_b(db):
    return CLINICS["clinic_b"]()


@pytest.fixture
def coordinator(db):
    return PERSONAS["coordinator"]()


@pytest.fixture
def supervisor(clinic_a):
    return PERSONAS["supervisor"](clinic_a)


@pytest.fixture
def pasante_a(clinic_a):
    return PERSONAS["pasante_a"](clinic_a)


@pytest.fixture
def pasante_b(clinic_b):
    return PERSONAS["pasante_b"](clinic_b)


@pytest.fixture
def chw(clinic_a):
    return PERSONAS["chw"](clinic_a)


@pytest.fixture
def pharmacy(db):
    return PERSONAS["pharmacy"]()


@pytest.fixture
def visitor_program(db):
    return PERSONAS["visitor_program"]()


@pytest.fixture
def applicant(db):
    """Applicant A: the authorization matrix's visitor objects (test_authorization.py ``world``) are theirs."""
    return PERSONAS["applicant"]()


@pytest.fixture
def applicant_b(db):
    """A second applicant, who must reach nothing of applicant A's."""
    return PERSONAS["applicant_b"]()


@pytest.fixture
def admin_user(db):
    return PERSONAS["admin_user"]()


@pytest.fixture
def outsider(db):
    return PERSONAS["outsider"]()


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()
