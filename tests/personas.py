"""How each persona of the root ``conftest.py`` is made, for its fixtures and for a module that builds the
personas once (the authorization matrix, tests/test_authorization.py): one builder per persona."""

import inspect
from datetime import timedelta

from django.utils import timezone

from ces.accounts.roles import Role
from ces.accounts.tests.factories import UserFactory
from clinics.models import Assignment, Cadre
from clinics.tests.factories import AssignmentFactory, ClinicFactory, StaffFactory


def _clinic_a():
    return ClinicFactory(name="Clínica Capitán", community__name="Capitán")


def _clinic_b():
    return ClinicFactory(name="Clínica Reforma", community__name="Reforma")


CLINICS = {"clinic_a": _clinic_a, "clinic_b": _clinic_b}


def _staff_user(role, cadre, clinic, assignment_role, email):
    user = UserFactory(email=email, roles=[role])
    staff = StaffFactory(user=user, full_name=user.full_name, cadre=cadre, email=email)
    if clinic is not None:
        AssignmentFactory(staff=staff, clinic=clinic, role=assignment_role,
                          start_date=timezone.localdate() - timedelta(days=30), end_date=None)
    return user


def _applicant_user(email):
    # Applicants confirm their e-mail address before they can log in (ces.accounts.adapter): these have.
    from allauth.account.models import EmailAddress

    user = UserFactory(email=email, roles=[Role.APPLICANT])
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


# One builder per persona; a builder's parameters name the clinics (CLINICS) it needs. The root conftest's
# fixtures and build_personas (the authorization matrix builds them once for its module) both use these.
PERSONAS = {
    "coordinator": lambda: _staff_user(Role.COORDINATOR, Cadre.COORDINATOR, None, None, "coordinadora@example.mx"),
    "supervisor": lambda clinic_a: _staff_user(Role.SUPERVISOR, Cadre.SUPERVISOR, clinic_a,
                                               Assignment.Role.SUPERVISOR, "supervisor@example.mx"),
    "pasante_a": lambda clinic_a: _staff_user(Role.PASANTE, Cadre.PASANTE, clinic_a, Assignment.Role.PASANTE,
                                              "pasante.a@example.mx"),
    "pasante_b": lambda clinic_b: _staff_user(Role.PASANTE, Cadre.PASANTE, clinic_b, Assignment.Role.PASANTE,
                                              "pasante.b@example.mx"),
    "chw": lambda clinic_a: _staff_user(Role.CHW, Cadre.CHW, clinic_a, Assignment.Role.CHW, "acompanante@example.mx"),
    "pharmacy": lambda: _staff_user(Role.PHARMACY, Cadre.PHARMACY, None, None, "farmacia@example.mx"),
    "visitor_program": lambda: UserFactory(email="visitantes@example.mx", roles=[Role.VISITOR_PROGRAM]),
    # Applicant A: the authorization matrix's visitor objects (test_authorization.py ``world``) are theirs.
    "applicant": lambda: _applicant_user("solicitante@example.mx"),
    # A second applicant, who must reach nothing of applicant A's.
    "applicant_b": lambda: _applicant_user("solicitante.b@example.org"),
    "admin_user": lambda: UserFactory(email="admin@example.mx", roles=[Role.ADMIN], is_staff=True,
                                      is_superuser=True),
    "outsider": lambda: UserFactory(email="nadie@example.mx", roles=[]),
}


def build_personas(names):
    """The personas ``names``, made in that order as if each were requested as a fixture: a clinic is made when
    the first persona that needs it is. Returns ``(users by name, clinics by fixture name)``."""
    clinics = {}
    users = {}
    for name in names:
        builder = PERSONAS[name]
        needed = inspect.signature(builder).parameters
        for clinic in needed:
            if clinic not in clinics:
                clinics[clinic] = CLINICS[clinic]()
        users[name] = builder(**{clinic: clinics[clinic] for clinic in needed})
    return users, clinics
