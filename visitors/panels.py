"""The visitors panels of the home pages (see ces.accounts.panels) and the menu entry of the program's pages.
Each panel runs a fixed number of queries.

The applicant sees where their application stands and the one thing asked of them, with a link to their
status page; the visitor program the open applications per state and the one waiting longest for them;
the pasante the visitor coming to their clinic (dates, arrival, the host family to confirm); coordinators
and admins who is in the communities now and who arrives in the next two weeks.
"""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ces.accounts import menu
from ces.accounts.panels import register
from ces.accounts.roles import Role

from . import selectors
from .models import Application, Placement

State = Application.State
# The program's move is overdue after this many days (the review reminder's threshold too).
WAITING_ALERT_DAYS = 5
ARRIVING_DAYS = 14
PANEL_ROWS = 5

menu.register(key="visitors", label=_("Visitors"), url_name="visitors:board",
              allowed=selectors.can_manage_applications, order=55)
menu.register(key="visitor-log", label=pgettext_lazy("visitor insights", "Visitor log"), url_name="visitors:log",
              allowed=selectors.can_see_visitor_insights, order=56)


def _url(name, **kwargs) -> str:
    return reverse(name, kwargs=kwargs or None)


@register(key="visitors-my-application", title=_("My application"), template="visitors/program/panels/applicant.html",
          roles=[Role.APPLICANT], order=10)
def my_application(request):
    """The applicant's latest application, its state and the next step in one sentence. Two queries (the
    application, what its next step needs)."""
    application = selectors.current_application(request.user)
    step = selectors.next_step(application) if application is not None else None
    return {"application": application, "next_step": step, "status_url": _url("visitors:status"),
            "start_url": _url("visitors:apply")}


@register(key="visitors-program", title=_("Visitor applications"), template="visitors/program/panels/program.html",
          roles=[Role.VISITOR_PROGRAM], order=10)
def visitor_program(request):
    """How many open applications are in each state, and the one waiting longest for the program (submitted
    or interviewed). Two queries."""
    summary = selectors.board_summary()
    oldest = summary["oldest"]
    if oldest is not None:
        oldest.days_waiting = (timezone.localdate() - timezone.localdate(oldest.state_changed_at)).days
    return {**summary, "alert_days": WAITING_ALERT_DAYS}


@register(key="visitors-my-visitor", title=_("Your visitor"), template="visitors/program/panels/pasante.html",
          roles=[Role.PASANTE], order=20)
def my_visitor(request):
    """The visitor paired with the pasante who is there now or comes next (proposed or confirmed), with their
    arrival; how many more are coming. One query."""
    today = timezone.localdate()
    # Only the joins the panel shows: the pasante pages' ten-table join took PostgreSQL longer to plan
    # (about 20 ms on the pasante's home) than to run.
    coming = list(selectors.placements_for_pasante(request.user, today=today).select_related("application__arrival")
                  .filter(end_date__gte=today).order_by("start_date", "pk")[: PANEL_ROWS + 1])
    placement = coming[0] if coming else None
    return {
        "placement": placement,
        "arrival": getattr(placement.application, "arrival", None) if placement else None,
        "here_now": bool(placement and placement.start_date <= today),
        "more": len(coming) - 1 if coming else 0,
    }


@register(key="visitors-in-the-field", title=_("Visitors"), template="visitors/program/panels/coordinator.html",
          roles=[Role.COORDINATOR, Role.ADMIN], order=40)
def visitors_in_the_field(request):
    """The visitors in the communities today, and the confirmed ones arriving in the next two weeks. Two queries."""
    today = timezone.localdate()
    live = Placement.objects.filter(state=Placement.State.CONFIRMED).select_related("application", "clinic")
    here = list(live.filter(start_date__lte=today, end_date__gte=today,
                            application__state__in=(State.ARRIVED, State.IN_COMMUNITY, State.PLACEMENT_CONFIRMED))
                .order_by("end_date", "pk")[: PANEL_ROWS + 1])
    arriving = list(live.filter(start_date__gt=today, start_date__lte=today + timedelta(days=ARRIVING_DAYS))
                    .order_by("start_date", "pk")[: PANEL_ROWS + 1])
    return {"here": here[:PANEL_ROWS], "more_here": len(here) > PANEL_ROWS,
            "arriving": arriving[:PANEL_ROWS], "more_arriving": len(arriving) > PANEL_ROWS, "days": ARRIVING_DAYS}
