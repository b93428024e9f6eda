"""The pharmacy panels of the home pages (see ces.accounts.panels). Each runs a fixed number of queries.

The pasante sees this month's request of their clinic, its deadline and the next thing to do; the pharmacy
(and the coordinators, who approve too) the requests waiting for them; the pharmacy the stock alerts.
"""

from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ces.accounts import menu
from ces.accounts.panels import register
from ces.accounts.roles import Role

from . import selectors
from .models import RestockRequest

PANEL_ROWS = 5

menu.register(key="pharmacy", label=_("Pharmacy"), url_name="pharmacy:request-list",
              allowed=selectors.can_use_pharmacy, order=50)
State = RestockRequest.State


@register(key="pharmacy-my-request", title=_("Restock request"), template="pharmacy/panels/my_request.html",
          roles=[Role.PASANTE], order=5)
def my_request(request):
    """This month's regular request of each of the pasante's clinics (none yet, or its state) with the
    deadline, and the dispatches waiting to be confirmed. Three queries."""
    today = timezone.localdate()
    period = today.replace(day=1)
    deadline = period.replace(day=selectors.request_deadline_day())
    clinics = list(selectors.restock_clinics_for(request.user).order_by("name"))
    requests = selectors.restock_pasante_home(request.user, period)
    this_month = {r.clinic_id: r for r in requests if r.period == period and r.kind == RestockRequest.Kind.REGULAR}
    waiting = [r for r in requests if r.state == State.DISPATCHED and this_month.get(r.clinic_id) is not r]
    return {
        "period": period,
        "deadline": deadline,
        "late": today > deadline,
        "clinics": [{"clinic": clinic, "request": this_month.get(clinic.pk)} for clinic in clinics],
        "waiting": waiting,
    }


@register(key="pharmacy-requests", title=_("Restock requests waiting"), template="pharmacy/panels/requests.html",
          roles=[Role.PHARMACY, Role.COORDINATOR], order=30)
def requests_waiting(request):
    """How many submitted requests wait for review and the one waiting longest; the approved ones waiting
    to be dispatched. Three queries."""
    queue = selectors.restock_queue(request.user)
    oldest = queue.first()
    if oldest is not None:
        oldest.days_waiting = (timezone.localdate() - timezone.localdate(oldest.submitted_at)).days
    approved = list(selectors.restock_approved_waiting(request.user)[: PANEL_ROWS + 1])
    return {
        "queue_count": queue.count(),
        "oldest": oldest,
        "approved": approved[:PANEL_ROWS],
        "more_approved": len(approved) > PANEL_ROWS,
    }


@register(key="pharmacy-stock-alerts", title=_("Stock alerts"), template="pharmacy/panels/stock_alerts.html",
          roles=[Role.PHARMACY], order=40)
def stock_alerts(request):
    """Lots expiring within 60 days (anywhere), items below minimum at the warehouse and at the clinics.
    Three queries."""
    today = timezone.localdate()
    expiring = selectors.lots_expiring(today=today).aggregate(
        total=Count("pk"), expired=Count("pk", filter=Q(lot__expiry__lt=today)), first=Min("lot__expiry"))
    clinic_below = selectors.clinic_items_below_minimum_counts()
    return {
        "within_days": selectors.EXPIRY_ALERT_DAYS,
        "expiring": expiring["total"],
        "expired": expiring["expired"],
        "first_expiry": expiring["first"],
        "warehouse_below": selectors.warehouse_below_minimum().count(),
        "clinic_below": clinic_below["lines"],
        "clinics_below": clinic_below["clinics"],
    }
