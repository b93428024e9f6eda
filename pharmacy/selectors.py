"""Reads and per-user scoping for the pharmacy."""

from datetime import date

from django.db.models import QuerySet

from ces.accounts.roles import Role
from clinics.selectors import clinics_visible_to

from .models import RestockRequest

# Roles that work on every clinic's requests.
PHARMACY_WIDE_ROLES = (Role.PHARMACY, Role.COORDINATOR, Role.ADMIN)


def restock_requests_visible_to(user) -> QuerySet:
    """Pharmacy, coordinators and admins: every request; a pasante: their clinic's; others: none."""
    if not user.is_authenticated:
        return RestockRequest.objects.none()
    if user.has_role(*PHARMACY_WIDE_ROLES):
        return RestockRequest.objects.all()
    if user.has_role(Role.PASANTE):
        return RestockRequest.objects.filter(clinic__in=clinics_visible_to(user))
    return RestockRequest.objects.none()


def restock_request_for(user, pk) -> RestockRequest:
    """The request, if the user may see it; ``RestockRequest.DoesNotExist`` otherwise."""
    return restock_requests_visible_to(user).select_related("clinic").get(pk=pk)


def restock_status_for_clinics(period: date) -> dict[int, str]:
    """``{clinic_id: state}`` of each clinic's regular request for the month of ``period``.

    For the course-day view: a clinic with no request that month is absent from the result.
    One query.
    """
    return dict(
        RestockRequest.objects.filter(period=period.replace(day=1), kind=RestockRequest.Kind.REGULAR)
        .values_list("clinic_id", "state")
    )
