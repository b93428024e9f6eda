"""The clinics panels of the home pages (see ces.accounts.panels). Each runs a fixed number of queries."""

from django.utils.translation import gettext_lazy as _

from ces.accounts import menu
from ces.accounts.panels import register
from ces.accounts.roles import Role

from . import selectors

PANEL_ROWS = 10

menu.register(key="clinics", label=_("Clinics"), url_name="clinics:clinic-list", allowed=selectors.can_see_clinics,
              order=10)
menu.register(key="staff", label=_("Staff"), url_name="clinics:staff-list", allowed=selectors.can_see_clinics,
              order=20)
menu.register(key="cohorts", label=_("Cohorts"), url_name="clinics:cohort-list",
              allowed=selectors.can_manage_staffing, order=30)
menu.register(key="patients", label=_("Patients"), url_name="clinics:patient-list",
              allowed=selectors.can_see_patients, order=40)


@register(key="clinics-coverage-gaps", title=_("Coverage gaps in the next 12 months"),
          template="clinics/panels/coverage_gaps.html", roles=[Role.COORDINATOR], order=10)
def coverage_gaps(request):
    clinics = [c for c in selectors.clinic_list(request.user) if c.next_gap]
    clinics.sort(key=lambda c: (c.next_gap.start, c.name))
    return {"clinics": clinics[:PANEL_ROWS], "more": max(len(clinics) - PANEL_ROWS, 0)}


@register(key="clinics-assignments-ending", title=_("Assignments ending in the next 60 days"),
          template="clinics/panels/assignments_ending.html", roles=[Role.COORDINATOR], order=20)
def assignments_ending(request):
    assignments = list(selectors.assignments_ending(request.user, days=60)[: PANEL_ROWS + 1])
    return {"assignments": assignments[:PANEL_ROWS], "more": len(assignments) > PANEL_ROWS}


@register(key="clinics-my-clinics", title=_("My clinics"), template="clinics/panels/my_clinics.html",
          roles=[Role.SUPERVISOR], order=10)
def my_clinics(request):
    return {"clinics": selectors.clinics_supervision(request.user)}


@register(key="clinics-supervision-overdue", title=_("Supervision overdue"),
          template="clinics/panels/supervision_overdue.html", roles=[Role.COORDINATOR], order=30)
def supervision_overdue(request):
    clinics = selectors.clinics_supervision(request.user, overdue_only=True)
    return {"clinics": clinics[:PANEL_ROWS], "more": max(len(clinics) - PANEL_ROWS, 0)}


@register(key="clinics-my-clinic", title=_("My clinic"), template="clinics/panels/my_clinic.html",
          roles=[Role.PASANTE, Role.CHW], order=10)
def my_clinic(request):
    clinics = selectors.clinics_with_team(request.user)
    # No clinic today: say where and when her post starts, if she has one coming (one more query).
    return {"clinics": clinics, "next_post": None if clinics else selectors.next_post(request.user)}

# Host families (hosts10): the families with what each is owed, for those who pay them.
menu.register(key="host-families", label=_("Host families"), url_name="clinics:host-family-list",
              allowed=selectors.can_manage_host_families, order=35)

@register(key="clinics-invitations-pending", title=_("Invitations not accepted yet"),
          template="clinics/panels/invitations_pending.html", roles=[Role.COORDINATOR], order=30)
def invitations_pending(request):
    """People and accounts (people10): invitations sent or expired, to remind or resend."""
    people = selectors.invitations_pending(request.user, limit=PANEL_ROWS + 1)
    return {"people": people[:PANEL_ROWS], "more": len(people) > PANEL_ROWS}
