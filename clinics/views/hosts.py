"""The host-family pages: the families with what each is owed, a family's stays, payments and months,
and its receipts. Coordinators, the visitor program and admins only (selectors.can_manage_host_families);
every write through clinics.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from ces.core.pages import add_service_error, get_or_404, is_illegal_transition, paginate, require, show_errors

from .. import selectors, services
from ..forms.hosts import (
    HostFamilyFilterForm,
    HostFamilyForm,
    HostPaymentForm,
    HostStayCancelForm,
    HostStayEditForm,
    HostStayForm,
    payment_initial,
)
from ..models import Community

PAGE_SIZE = 25
RECEIPT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}


@login_required
def host_family_list(request):
    require(selectors.can_manage_host_families(request.user))
    filters = HostFamilyFilterForm(request.GET, communities=Community.objects.order_by("name"))
    filters.is_valid()
    data = filters.cleaned_data
    community = data.get("community")
    families = selectors.host_family_list(
        request.user, search=data.get("q", "").strip(), community_id=community.pk if community else None,
        active={"1": True, "0": False}.get(data.get("active", "")),
    )
    page_obj, query_string = paginate(request, families, PAGE_SIZE)
    return render(request, "clinics/hosts/family_list.html",
                  {"filters": filters, "page_obj": page_obj, "query_string": query_string})


@login_required
def host_family_create(request):
    require(selectors.can_manage_host_families(request.user))
    form = HostFamilyForm(request.POST or None, initial={"community": request.GET.get("community") or None})
    if request.method == "POST" and form.is_valid():
        try:
            family = services.host_family_create(**form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("%(family)s is registered.") % {"family": family})
            return redirect(family)
    return render(request, "clinics/hosts/family_form.html", {"form": form, "title": _("New host family")})


@login_required
def host_family_detail(request, pk):
    require(selectors.can_manage_host_families(request.user))
    family = get_or_404(selectors.host_family_detail, request.user, pk)
    return render(request, "clinics/hosts/family_detail.html", {"family": family})


@login_required
def host_family_edit(request, pk):
    require(selectors.can_manage_host_families(request.user))
    family = get_or_404(selectors.host_family_for, request.user, pk)
    form = HostFamilyForm(request.POST or None, initial=HostFamilyForm.initial_of(family))
    if request.method == "POST" and form.is_valid():
        try:
            services.host_family_update(family=family, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("The family's details are saved."))
            return redirect(family)
    return render(request, "clinics/hosts/family_form.html",
                  {"form": form, "family": family, "title": _("Edit host family")})


@login_required
def host_stay_create(request, pk):
    require(selectors.can_manage_host_families(request.user))
    family = get_or_404(selectors.host_family_for, request.user, pk)
    form = HostStayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            stay = services.host_family_stay_create(family=family, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, ngettext(
                "The stay of %(guest)s is recorded: $%(owed)s MXN for %(nights)d night.",
                "The stay of %(guest)s is recorded: $%(owed)s MXN for %(nights)d nights.",
                stay.nights) % {"guest": stay.guest_name, "owed": stay.amount_owed, "nights": stay.nights})
            return redirect(family)
    return render(request, "clinics/hosts/stay_form.html", {"form": form, "family": family})


def _stay_page(request, stay, *, form=None, cancel_form=None):
    if form is None:
        form = HostStayEditForm(initial={"first_night": stay.first_night, "last_night": stay.last_night,
                                         "meals_per_day": stay.meals_per_day})
    return render(request, "clinics/hosts/stay_edit.html", {
        "stay": stay, "family": stay.family, "form": form, "cancel_form": cancel_form or HostStayCancelForm()})


@login_required
def host_stay_edit(request, pk):
    """Change a stay's nights or meals (the same rules as recording it), with its cancel form beside."""
    require(selectors.can_manage_host_families(request.user))
    stay = get_or_404(selectors.host_stay_for, request.user, pk)
    if stay.is_cancelled:
        if request.method == "POST":
            messages.error(request, _("This stay was cancelled; record a new one instead."))
        return redirect(stay.family)
    form = HostStayEditForm(request.POST) if request.method == "POST" else None
    if form is not None and form.is_valid():
        try:
            stay = services.host_family_stay_update(stay=stay, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            if is_illegal_transition(exc):
                show_errors(request, exc)
                return redirect(stay.family)
            add_service_error(form, exc)
        else:
            messages.success(request, ngettext(
                "The stay of %(guest)s is saved: $%(owed)s MXN for %(nights)d night.",
                "The stay of %(guest)s is saved: $%(owed)s MXN for %(nights)d nights.",
                stay.nights) % {"guest": stay.guest_name, "owed": stay.amount_owed, "nights": stay.nights})
            return redirect(stay.family)
    return _stay_page(request, stay, form=form)


@login_required
@require_POST
def host_stay_cancel(request, pk):
    """Cancel a stay: owed nothing from now on, kept in the family's history with its reason."""
    require(selectors.can_manage_host_families(request.user))
    stay = get_or_404(selectors.host_stay_for, request.user, pk)
    cancel_form = HostStayCancelForm(request.POST)
    if cancel_form.is_valid():
        try:
            services.host_family_stay_cancel(stay=stay, reason=cancel_form.cleaned_data["reason"], by=request.user)
        except ValidationError as exc:
            if is_illegal_transition(exc) or stay.is_cancelled:
                show_errors(request, exc)
                return redirect(stay.family)
            add_service_error(cancel_form, exc)
        else:
            messages.success(request, _("The stay of %(guest)s is cancelled: nothing is owed for it.") % {
                "guest": stay.guest_name})
            return redirect(stay.family)
    if stay.is_cancelled:
        return redirect(stay.family)
    return _stay_page(request, stay, cancel_form=cancel_form)


@login_required
def host_payment_create(request, pk):
    require(selectors.can_manage_host_families(request.user))
    family = get_or_404(selectors.host_family_for, request.user, pk)
    form = HostPaymentForm(request.POST or None, request.FILES or None, family=family)
    if request.method == "POST" and form.is_valid():
        try:
            payment = services.host_family_payment_create(family=family, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            if payment.excess:
                messages.warning(request, _("The payment is recorded. It is $%(excess)s MXN above what was owed: "
                                            "check it.") % {"excess": payment.excess})
            else:
                messages.success(request, _("The payment is recorded."))
            return redirect(family)
    return render(request, "clinics/hosts/payment_form.html", {"form": form, "family": family})


@login_required
def host_payment_detail(request, pk):
    """A payment, the stays it covers and its history (the stays added and taken off included)."""
    require(selectors.can_manage_host_families(request.user))
    payment = get_or_404(selectors.host_payment_detail, request.user, pk)
    return render(request, "clinics/hosts/payment_detail.html", {"payment": payment, "family": payment.family})


@login_required
def host_payment_edit(request, pk):
    require(selectors.can_manage_host_families(request.user))
    payment = get_or_404(selectors.host_payment_detail, request.user, pk)
    form = HostPaymentForm(request.POST or None, request.FILES or None, family=payment.family, payment=payment,
                           initial=payment_initial(payment))
    if request.method == "POST" and form.is_valid():
        try:
            payment = services.host_family_payment_update(payment=payment, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            if payment.excess:
                messages.warning(request, _("The payment is saved. It is $%(excess)s MXN above what was owed: "
                                            "check it.") % {"excess": payment.excess})
            else:
                messages.success(request, _("The payment is saved."))
            return redirect("clinics:host-payment-detail", payment.pk)
    return render(request, "clinics/hosts/payment_form.html", {"form": form, "family": payment.family,
                                                               "payment": payment})


@require_GET
@login_required
def host_payment_receipt(request, pk):
    """The receipt of a payment, to those who manage host families only: the file is never served directly."""
    require(selectors.can_manage_host_families(request.user))
    payment = get_or_404(selectors.host_payment_for, request.user, pk)
    if not payment.receipt:
        raise Http404
    extension = payment.receipt.name.rsplit(".", 1)[-1]
    try:
        handle = payment.receipt.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=RECEIPT_TYPES.get(extension, "application/octet-stream"),
                            filename=f"recibo-{payment.pk}.{extension}")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
