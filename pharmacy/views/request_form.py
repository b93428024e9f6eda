"""The pasante's restock request form: this month's regular request, an emergency request, and the
correction of a draft or rejected one.

Only pasantes fill it in (everyone else: 403), for the clinic of their active assignment; a request of
another clinic answers 404. The form's figures are checked line by line and shown next to their boxes;
the service recomputes and writes, and its ValidationError is shown above the form, nothing written and
everything typed kept. restock-form.js computes as the person types and keeps what they type on the
phone until it is saved.
"""

import hashlib
from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from ces.core.jinja import render_partial
from ces.core.pages import add_service_error, get_or_404, is_illegal_transition, require
from pharmacy import selectors, services
from pharmacy.forms.request_form import FIGURES, SUBMIT, TEXTS, RestockRequestForm, new_client_key
from pharmacy.models import RestockRequest

State = RestockRequest.State
Kind = RestockRequest.Kind
EDITABLE = RestockRequest.TRANSITIONS["edit"]
# restock-form.js keeps what is typed under keys starting with this (see the template's header).
STORAGE_PREFIX = "ces-restock"


# --- Access and helpers -----------------------------------------------------------------------------------


def _own_clinic(user):
    """The clinic of the pasante's active assignment as pasante (a pasante has one), or None."""
    return selectors.restock_clinics_for(user).order_by("name", "pk").first()


def _storage_key(clinic, period, kind, restock=None) -> str:
    return f"{STORAGE_PREFIX}:{clinic.pk}:{period:%Y-%m}:{kind}:{restock.pk if restock else 'new'}"


def _version(restock, lines) -> str:
    """A fingerprint of what the server holds of the request: what the phone kept under another one was
    typed before a later save, and is dropped rather than offered back."""
    digest = hashlib.sha256(restock.state.encode())
    for line in sorted(lines, key=lambda line: line.item_id):
        values = [line.item_id, *(getattr(line, name) for name in (*FIGURES, "requested", *TEXTS))]
        digest.update(repr(values).encode())
    return digest.hexdigest()[:16]


def _saved(request, restock, asked_to_submit: bool):
    """Where the person goes once the form is saved: a draft stays in the form, a sent request shows."""
    if restock.state in EDITABLE:
        messages.success(request, _("Draft saved. You can come back to it and submit it when it is complete."))
        return redirect("pharmacy:request-edit", pk=restock.pk)
    if asked_to_submit and restock.state == State.SUBMITTED:
        messages.success(request, _("Request submitted to the pharmacy."))
    else:
        messages.info(request, _("This request had already been sent to the pharmacy."))
    return redirect("pharmacy:request-detail", pk=restock.pk)


def _lines_html(lines) -> str:
    """One part of the form's items, under a heading per category (the lines come in the catalogue's order)."""
    groups = [(category, list(part)) for category, part in groupby(lines, key=lambda line: line.item.category)]
    return render_partial("pharmacy/request_form_lines.html", {"groups": groups})


def _render(request, form, *, clinic, period, kind, restock=None, lines=(), saved_keys=(), existing=None):
    page = form.page_lines()  # each box as plain data: jinja2/pharmacy/request_form_lines.html writes the inputs
    used = [line for line in page if line.history]
    others = [line for line in page if not line.history]
    context = {
        "form": form,
        "used": used,
        "others": others,
        "used_html": _lines_html(used),
        "others_html": _lines_html(others),
        "clinic": clinic,
        "period": period,
        "days": form.days,
        "emergency": kind == Kind.EMERGENCY,
        "restock": restock,
        "existing": existing,
        "storage_key": _storage_key(clinic, period, kind, restock),
        "version": _version(restock, lines) if restock else "new",
        "saved_keys": " ".join(saved_keys),
    }
    return render(request, "pharmacy/request_form.html", context)


# --- New requests ---------------------------------------------------------------------------------------------


def _create(request, kind):
    user = request.user
    require(selectors.can_raise_restock_requests(user))
    clinic = _own_clinic(user)
    if clinic is None:
        return render(request, "pharmacy/request_form_no_clinic.html")
    period = timezone.localdate().replace(day=1)
    month = selectors.restock_form_month_requests(clinic, period)
    regular = next((r for r in month if r.kind == Kind.REGULAR), None)
    if kind == Kind.REGULAR and regular is not None and request.method != "POST":
        if regular.state in EDITABLE:
            return redirect("pharmacy:request-edit", pk=regular.pk)
        return redirect("pharmacy:request-detail", pk=regular.pk)
    rows = selectors.restock_form_rows(clinic, period)
    form = RestockRequestForm(request.POST if request.method == "POST" else None, rows=rows, period=period,
                              kind=kind, client_key=new_client_key())
    if request.method == "POST" and form.is_valid():
        submit = request.POST.get("action") == SUBMIT
        try:
            restock = services.restock_request_create_from_form(
                clinic=clinic, period=period, lines=form.service_lines(), by=user, kind=kind,
                emergency_reason=form.cleaned_data.get("emergency_reason", ""),
                client_key=form.cleaned_data["client_key"], submit=submit,
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            return _saved(request, restock, submit)
    saved_keys = [str(r.client_key) for r in month if r.kind == kind and r.client_key]
    return _render(request, form, clinic=clinic, period=period, kind=kind, saved_keys=saved_keys,
                   existing=regular if kind == Kind.REGULAR else None)


@login_required
def request_create(request):
    return _create(request, Kind.REGULAR)


@login_required
def request_emergency_create(request):
    return _create(request, Kind.EMERGENCY)


# --- A draft, or a request sent back -------------------------------------------------------------------------


@login_required
def request_edit(request, pk):
    user = request.user
    # Coordinators and pharmacy read the request on its page; the figures are the pasante's.
    require(selectors.can_raise_restock_requests(user))
    restock = get_or_404(selectors.restock_request_detail, user, pk)
    # Only a pasante posted at the clinic, even one who also holds a warehouse role and so sees every request.
    require(restock.posted_here)
    if not restock.actions.edit:
        messages.info(request, _("This request has been sent to the pharmacy and can no longer be changed."))
        return redirect("pharmacy:request-detail", pk=restock.pk)
    lines = list(restock.lines.all())
    rows = selectors.restock_form_rows(restock.clinic, restock.period)
    form = RestockRequestForm(request.POST if request.method == "POST" else None, rows=rows,
                              period=restock.period, kind=restock.kind, lines=lines)
    if request.method == "POST" and form.is_valid():
        submit = request.POST.get("action") == SUBMIT
        try:
            restock = services.restock_request_update_from_form(request=restock, lines=form.service_lines(),
                                                                by=user, submit=submit)
        except ValidationError as exc:
            if is_illegal_transition(exc):
                # Sent twice (a double tap, a retry): the first one went through.
                return _saved(request, selectors.restock_request_for(user, restock.pk), submit)
            add_service_error(form, exc)
        else:
            return _saved(request, restock, submit)
    saved_keys = [str(restock.client_key)] if restock.client_key else []
    return _render(request, form, clinic=restock.clinic, period=restock.period, kind=restock.kind, restock=restock,
                   lines=lines, saved_keys=saved_keys)
