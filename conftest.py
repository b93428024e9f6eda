"""Personas shared by every test: a coordinator, a supervisor of clinic A, the pasante of clinic A, the
pasante of clinic B, a CHW of clinic A, pharmacy, visitor program, two applicants (A and B), an admin and an
outsider (a logged-in account with no role).

What tests do with them is in ``tests/kit.py``: ``client_for(persona)`` / ``api_client_for(persona)`` for a
logged-in client (``log_in`` for pytest-django's own ``client``), and ``run_concurrently`` for the thread
races of the concurrency tests. Each app's ``tests/factories.py`` holds its factories; a restock request in
any state comes from ``pharmacy.tests.factories.restock_request_in_state``."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from ces.accounts.roles import Role
from ces.accounts.tests.factories import PASSWORD, UserFactory
from clinics.models import Assignment, Cadre
from clinics.tests.factories import AssignmentFactory, ClinicFactory, StaffFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Every persona has a password; the production hasher would be most of the suite's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
    return ClinicFactory(name="Clínica Capitán", community__name="Capitán")


@pytest.fixture
def clinic_b(db):
    return ClinicFactory(name="Clínica Reforma", community__name="Reforma")


def _staff_user(role, cadre, clinic, assignment_role, email):
    user = UserFactory(email=email, roles=[role])
    staff = StaffFactory(user=user, full_name=user.full_name, cadre=cadre, email=email)
    if clinic is not None:
        AssignmentFactory(staff=staff, clinic=clinic, role=assignment_role,
                          start_date=timezone.localdate() - timedelta(days=30), end_date=None)
    return user


@pytest.fixture
def coordinator(db):
    return _staff_user(Role.COORDINATOR, Cadre.COORDINATOR, None, None, "coordinadora@example.mx")


@pytest.fixture
def supervisor(clinic_a):
    return _staff_user(Role.SUPERVISOR, Cadre.SUPERVISOR, clinic_a, Assignment.Role.SUPERVISOR,
                       "supervisor@example.mx")


@pytest.fixture
def pasante_a(clinic_a):
    return _staff_user(Role.PASANTE, Cadre.PASANTE, clinic_a, Assignment.Role.PASANTE, "pasante.a@example.mx")


@pytest.fixture
def pasante_b(clinic_b):
    return _staff_user(Role.PASANTE, Cadre.PASANTE, clinic_b, Assignment.Role.PASANTE, "pasante.b@example.mx")


@pytest.fixture
def chw(clinic_a):
    return _staff_user(Role.CHW, Cadre.CHW, clinic_a, Assignment.Role.CHW, "acompanante@example.mx")


@pytest.fixture
def pharmacy(db):
    return _staff_user(Role.PHARMACY, Cadre.PHARMACY, None, None, "farmacia@example.mx")


@pytest.fixture
def visitor_program(db):
    return UserFactory(email="visitantes@example.mx", roles=[Role.VISITOR_PROGRAM])


def _applicant_user(email):
    # Applicants confirm their e-mail address before they can log in (ces.accounts.adapter): these have.
    from allauth.account.models import EmailAddress

    user = UserFactory(email=email, roles=[Role.APPLICANT])
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@pytest.fixture
def applicant(db):
    """Applicant A: the authorization matrix's visitor objects (test_authorization.py ``world``) are theirs."""
    return _applicant_user("solicitante@example.mx")


@pytest.fixture
def applicant_b(db):
    """A second applicant, who must reach nothing of applicant A's."""
    return _applicant_user("solicitante.b@example.org")


@pytest.fixture
def admin_user(db):
    return UserFactory(email="admin@example.mx", roles=[Role.ADMIN], is_staff=True, is_superuser=True)


@pytest.fixture
def outsider(db):
    return UserFactory(email="nadie@example.mx", roles=[])


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()
