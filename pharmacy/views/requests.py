"""The restock request after the pasante's form: the lists, the pharmacy's queue, the review (approve with
cuts or reject) beside the clinic's history, the dispatch and its printable pick list, the pasante's receipt,
and closing.

Pharmacy, coordinators and admins work on every clinic's requests; a pasante sees their clinic's (another
clinic's answers 404) and confirms its deliveries; every other role gets 403. Thin: parse, authorise, call
one selector or service, render. A service's ValidationError is shown (on the form, or as messages) and
nothing is written.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ces.core.pages import get_or_404, paginate, require, transition_page
from pharmacy import selectors, services
from pharmacy.forms.requests import ApproveForm, ReceiveForm, RejectForm, RequestFilterForm
from pharmacy.models import RestockRequest

State = RestockRequest.State

PAGE_SIZE = 25
QUEUE_PAGE_SIZE = 50
# A submitted request waiting longer than this is highlighted in the queue (the reminder's threshold too).
WAITING_ALERT_DAYS = 3
# How many of the clinic's earlier requests the review shows.
HISTORY_PERIODS = 3


# --- Access and helpers -----------------------------------------------------------------------------------


def _describe(restock) -> dict:
    return {"clinic": restock.clinic.name, "period": restock.period.strftime("%m/%Y")}


def _detail_url(restock) -> str:
    return reverse("pharmacy:request-detail", kwargs={"pk": restock.pk})


def _to_detail(restock):
    return redirect(_detail_url(restock))


def _with_history(restock, lines):
    """The clinic's earlier requests, and on each line ``history``: ``(earlier request, the item's line in it
    or None)`` for each of them."""
    past, by_item = selectors.restock_history_by_item(restock, limit=HISTORY_PERIODS)
    for line in lines:
        line.history = list(zip(past, by_item.get(line.item_id, [None] * len(past)), strict=True))
    return past


# --- Lists ----------------------------------------------------------------------------------------------------


@login_required
def request_list(request):
    user = request.user
    require(selectors.can_use_pharmacy(user))
    reviewer = selectors.is_pharmacy_wide(user)
    filters = RequestFilterForm(request.GET, clinic_search=reviewer)
    filters.is_valid()
    data = filters.cleaned_data
    rows = selectors.restock_request_list(user, clinic_name=data.get("clinic", ""), state=data.get("state", ""),
                                          period=data.get("month"), kind=data.get("kind", ""))
    page_obj, query_string = paginate(request, rows, PAGE_SIZE)
    context = {"filters": filters, "page_obj": page_obj, "query_string": query_string, "reviewer": reviewer}
    return render(request, "pharmacy/request_list.html", context)


@login_required
def request_queue(request):
    require(selectors.is_pharmacy_wide(request.user))
    page_obj, query_string = paginate(request, selectors.restock_queue(request.user), QUEUE_PAGE_SIZE)
    today = timezone.localdate()
    for restock in page_obj:
        restock.days_waiting = (today - timezone.localdate(restock.submitted_at)).days
        restock.overdue = restock.days_waiting > WAITING_ALERT_DAYS
    context = {"page_obj": page_obj, "query_string": query_string, "alert_days": WAITING_ALERT_DAYS}
    return render(request, "pharmacy/request_queue.html", context)


# --- One request ----------------------------------------------------------------------------------------------


@login_required
def request_detail(request, pk):
    user = request.user
    require(selectors.can_use_pharmacy(user))
    restock = get_or_404(selectors.restock_request_detail, user, pk)
    lines = list(restock.lines.all())
    context = {
        "restock": restock,
        "actions": restock.actions,
        "lines": lines,
        "past": _with_history(restock, lines),
        "timeline": selectors.restock_request_timeline(restock),
    }
    return render(request, "pharmacy/request_detail.html", context)


def _review_page(request, restock, *, approve_form=None, reject_form=None, status=200):
    lines = approve_form.lines if approve_form else list(restock.lines.all())
    past = _with_history(restock, lines)
    context = {
        "restock": restock,
        "approve_form": approve_form or ApproveForm(lines=lines),
        "reject_form": reject_form or RejectForm(),
        "past": past,
    }
    return render(request, "pharmacy/request_review.html", context, status=status)


def _review_answer(request, restock, form, decide, *, done: str, **forms):
    """The answer to the review page's POST, approve or reject, through the service call ``decide`` once
    ``form`` is valid: done (``done`` names the request), or refused by the request's state, the person goes
    to the request's page; a refusal the form can show draws the review page again with it."""
    if form.is_valid():
        answer = transition_page(request, decide, form=form, back=_detail_url(restock), done=done % _describe(restock))
        if answer:
            return answer
    return _review_page(request, restock, **forms)


@login_required
def request_approve(request, pk):
    """GET: the review page (approve with cuts, or reject); POST: approve."""
    require(selectors.is_pharmacy_wide(request.user))
    restock = get_or_404(selectors.restock_request_detail, request.user, pk)
    if not restock.actions.review:
        messages.warning(request, _("Only a submitted request can be reviewed; this one is %(state)s.")
                         % {"state": restock.get_state_display().lower()})
        return _to_detail(restock)
    if request.method != "POST":
        return _review_page(request, restock)
    form = ApproveForm(request.POST, lines=restock.lines.all())
    return _review_answer(
        request, restock, form,
        lambda: services.restock_request_approve(request=restock, cuts=form.by_item(), by=request.user),
        done=_("The request of %(clinic)s for %(period)s is approved."), approve_form=form,
    )


@login_required
@require_POST
def request_reject(request, pk):
    require(selectors.is_pharmacy_wide(request.user))
    restock = get_or_404(selectors.restock_request_detail, request.user, pk)
    form = RejectForm(request.POST)
    return _review_answer(
        request, restock, form,
        lambda: services.restock_request_reject(request=restock, reason=form.cleaned_data["rejection_reason"],
                                                by=request.user),
        done=_("The request of %(clinic)s for %(period)s is sent back to the pasante."), reject_form=form,
    )


@login_required
@require_POST
def request_dispatch(request, pk):
    require(selectors.is_pharmacy_wide(request.user))
    restock = get_or_404(selectors.restock_request_for, request.user, pk)
    return transition_page(
        request, lambda: services.restock_request_dispatch(request=restock, by=request.user),
        back=_detail_url(restock), then=reverse("pharmacy:request-pick-list", kwargs={"pk": restock.pk}),
        done=_("The request of %(clinic)s for %(period)s is dispatched: print the pick list.") % _describe(restock),
    )


@login_required
def request_pick_list(request, pk):
    """The printable list of the lots that left the warehouse, with lines for the signatures."""
    require(selectors.can_use_pharmacy(request.user))
    restock = get_or_404(selectors.restock_request_detail, request.user, pk)
    if not restock.actions.pick_list:
        messages.warning(request, _("The pick list exists once the request is dispatched."))
        return _to_detail(restock)
    picked: dict[int, list] = {}
    for movement in services.dispatch_pick_list(restock):
        picked.setdefault(movement.lot.item_id, []).append({"lot": movement.lot, "quantity": -movement.quantity})
    rows = [
        {"line": line, "lots": picked.get(line.item_id, [])}
        for line in restock.lines.all()
        if line.dispatched
    ]
    return render(request, "pharmacy/pick_list.html", {"restock": restock, "rows": rows})


@login_required
def request_receive(request, pk):
    """The pasante confirms, line by line, what arrived of a dispatch."""
    require(selectors.can_raise_restock_requests(request.user))
    restock = get_or_404(selectors.restock_request_detail, request.user, pk)
    # Only the pasante posted at that clinic confirms what arrived there, even one who also holds a
    # warehouse role and so can see every request.
    require(restock.posted_here)
    if not restock.actions.receive:
        messages.warning(request, _("Only a dispatched request can be received; this one is %(state)s.")
                         % {"state": restock.get_state_display().lower()})
        return _to_detail(restock)
    lines = [line for line in restock.lines.all() if line.dispatched]
    if request.method == "POST":
        form = ReceiveForm(request.POST, lines=lines)
        if form.is_valid():
            answer = transition_page(
                request, lambda: services.restock_request_receive(
                    request=restock, received=form.by_item(), remarks=form.cleaned_data["remarks"], by=request.user),
                form=form, back=_detail_url(restock),
                done=_("The delivery is recorded; the stock is now at your clinic."),
            )
            if answer:
                return answer
    else:
        form = ReceiveForm(lines=lines)
    return render(request, "pharmacy/request_receive.html", {"restock": restock, "form": form})


@login_required
@require_POST
def request_close(request, pk):
    require(selectors.is_pharmacy_wide(request.user))
    restock = get_or_404(selectors.restock_request_for, request.user, pk)
    return transition_page(
        request, lambda: services.restock_request_close(request=restock, by=request.user),
        back=_detail_url(restock),
        done=_("The request of %(clinic)s for %(period)s is closed.") % _describe(restock),
    )
