"""Roles are Django groups. A person may hold several; each role has its own home page."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("Coordinator")
    SUPERVISOR = "supervisor", _("Supervisor")
    PASANTE = "pasante", _("Pasante")
    CHW = "chw", _("Community health worker")
    PHARMACY = "pharmacy", _("Pharmacy")
    VISITOR_PROGRAM = "visitor_program", _("Visitor program")
    APPLICANT = "applicant", _("Applicant")
    ADMIN = "admin", _("Administrator")


# Roles that see every clinic; the others see only the clinics of their active assignments.
NETWORK_WIDE_ROLES = frozenset({Role.COORDINATOR, Role.PHARMACY, Role.VISITOR_PROGRAM, Role.ADMIN})
# Roles whose reach comes from an active assignment to a clinic.
CLINIC_ROLES = frozenset({Role.SUPERVISOR, Role.PASANTE, Role.CHW})
# When a person holds several roles, the home page of the first one in this order is theirs.
HOME_ORDER = [
    Role.ADMIN,
    Role.COORDINATOR,
    Role.VISITOR_PROGRAM,
    Role.PHARMACY,
    Role.SUPERVISOR,
    Role.PASANTE,
    Role.CHW,
    Role.APPLICANT,
]
# Roles who may read the API's schema and its Swagger UI: the staff who run the network and the
# systems they use (the pasante's offline client). Applicants and CHWs work through the pages only.
API_DOCS_ROLES = frozenset({
    Role.COORDINATOR,
    Role.SUPERVISOR,
    Role.PASANTE,
    Role.PHARMACY,
    Role.VISITOR_PROGRAM,
    Role.ADMIN,
})
