"""The network pages: communities, opening, editing and closing clinics, creating and placing cohorts, and
the supervision frequency. Thin: parse input, authorise, call one selector or service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from ces.core.pages import add_service_error, get_or_404, paginate, require, transition_page

from .. import selectors, services
from ..forms.network import (
    ClinicForm,
    CohortForm,
    CohortPlacementForm,
    CommunityFilterForm,
    CommunityForm,
    SupervisionSettingsForm,
)

PAGE_SIZE = 25


# --- Communities --------------------------------------------------------------------------------------------


@login_required
def community_list(request):
    require(selectors.can_see_clinics(request.user))
    filters = CommunityFilterForm(request.GET)
    filters.is_valid()
    communities = selectors.community_directory(request.user, search=filters.cleaned_data.get("q", "").strip())
    page_obj, query_string = paginate(request, communities, PAGE_SIZE)
    return render(request, "clinics/network/community_list.html", {
        "filters": filters, "page_obj": page_obj, "query_string": query_string,
        "can_manage": selectors.can_manage_network(request.user),
    })


def _community_form_page(request, community=None):
    if request.method == "POST":
        form = CommunityForm(request.POST)
        if form.is_valid():
            try:
                if community is None:
                    community = services.community_create(by=request.user, **form.cleaned_data)
                else:
                    community = services.community_update(community=community, by=request.user,
                                                           **form.cleaned_data)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("The community %(name)s is saved.") % {"name": community.name})
                return redirect("clinics:community-list")
    else:
        form = CommunityForm(initial=CommunityForm.initial_from(community) if community else None)
    title = _("Edit a community") if community else _("New community")
    return render(request, "clinics/network/community_form.html",
                  {"form": form, "community": community, "title": title})


@login_required
def community_create(request):
    require(selectors.can_manage_network(request.user))
    return _community_form_page(request)


@login_required
def community_edit(request, pk):
    require(selectors.can_manage_network(request.user))
    return _community_form_page(request, get_or_404(selectors.community_for, request.user, pk))


# --- Clinics ------------------------------------------------------------------------------------------------


def _clinic_form_page(request, clinic=None):
    communities = selectors.community_list(request.user)
    if request.method == "POST":
        form = ClinicForm(request.POST, communities=communities)
        if form.is_valid():
            try:
                if clinic is None:
                    clinic = services.clinic_create(by=request.user, **form.cleaned_data)
                else:
                    clinic = services.clinic_update(clinic=clinic, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("The clinic %(name)s is saved.") % {"name": clinic.name})
                return redirect(clinic)
    elif clinic is not None:
        form = ClinicForm(communities=communities, initial={
            "community": clinic.community_id, "name": clinic.name, "kind": clinic.kind, "moh_code": clinic.moh_code})
    else:
        form = ClinicForm(communities=communities, initial={"community": request.GET.get("community") or None})
    title = _("Edit a clinic") if clinic else _("New clinic")
    return render(request, "clinics/network/clinic_form.html", {"form": form, "clinic": clinic, "title": title})


@login_required
def clinic_create(request):
    require(selectors.can_manage_network(request.user))
    return _clinic_form_page(request)


@login_required
def clinic_edit(request, pk):
    require(selectors.can_manage_network(request.user))
    return _clinic_form_page(request, get_or_404(selectors.clinic_for, request.user, pk))


@login_required
@require_POST
def clinic_deactivate(request, pk):
    require(selectors.can_manage_network(request.user))
    clinic = get_or_404(selectors.clinic_for, request.user, pk)
    return transition_page(request, lambda: services.clinic_deactivate(clinic=clinic, by=request.user),
                           done=_("%(name)s is now inactive: it leaves coverage and the lists to choose from; "
                                  "its history stays.") % {"name": clinic.name},
                           back=clinic.get_absolute_url())


@login_required
@require_POST
def clinic_reactivate(request, pk):
    require(selectors.can_manage_network(request.user))
    clinic = get_or_404(selectors.clinic_for, request.user, pk)
    return transition_page(request, lambda: services.clinic_reactivate(clinic=clinic, by=request.user),
                           done=_("%(name)s is active again.") % {"name": clinic.name},
                           back=clinic.get_absolute_url())


# --- Cohorts ------------------------------------------------------------------------------------------------


@login_required
def cohort_create(request):
    require(selectors.can_manage_staffing(request.user))
    if request.method == "POST":
        form = CohortForm(request.POST)
        if form.is_valid():
            try:
                cohort = services.cohort_create(**form.cleaned_data)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("The cohort %(name)s is created.") % {"name": cohort.name})
                return redirect(cohort)
    else:
        form = CohortForm()
    return render(request, "clinics/network/cohort_form.html", {"form": form})


@login_required
def cohort_edit(request, pk):
    require(selectors.can_manage_staffing(request.user))
    cohort = get_or_404(selectors.cohort_for, pk)
    initial = {"name": cohort.name, "start_date": cohort.start_date, "end_date": cohort.end_date}
    form = CohortForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            cohort = services.cohort_update(cohort=cohort, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("The cohort %(name)s is saved.") % {"name": cohort.name})
            return redirect(cohort)
    return render(request, "clinics/network/cohort_form.html", {"form": form, "cohort": cohort})


@login_required
def cohort_placement(request, pk):
    require(selectors.can_manage_staffing(request.user))
    cohort = get_or_404(selectors.cohort_for, pk)
    placement = selectors.cohort_placement(cohort)
    refused = {}
    if request.method == "POST":
        form = CohortPlacementForm(request.POST, placement=placement)
        if form.is_valid():
            choices = form.choices()
            if not choices:
                form.add_error(None, _("Choose a pasante for at least one clinic."))
            else:
                try:
                    created = services.cohort_place(cohort=cohort, choices=choices, by=request.user)
                except services.PlacementRefused as exc:
                    form.add_error(None, exc.messages)
                    refused = exc.rows
                else:
                    messages.success(request, ngettext(
                        "%(count)d pasante is placed.", "%(count)d pasantes are placed.", len(created))
                        % {"count": len(created)})
                    return redirect(reverse("clinics:cohort-placement", args=[cohort.pk]))
    else:
        form = CohortPlacementForm(placement=placement)
    rows = [{"clinic": clinic, "field": field, "refused": refused.get(clinic.pk, [])}
            for clinic, field in form.bound_rows()]
    return render(request, "clinics/network/cohort_placement.html", {
        "cohort": cohort, "placement": placement, "form": form, "rows": rows,
        "gaps": sum(1 for c in placement.clinics if c.placement_gap is not None),
    })


# --- Supervision --------------------------------------------------------------------------------------------


@login_required
def supervision_settings(request):
    require(selectors.can_manage_network(request.user))
    current = selectors.supervision_settings()
    if request.method == "POST":
        form = SupervisionSettingsForm(request.POST)
        if form.is_valid():
            try:
                services.supervision_settings_update(visit_every_days=form.cleaned_data["visit_every_days"],
                                                     by=request.user)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("The supervision frequency is saved."))
                return redirect("clinics:supervision-overdue")
    else:
        form = SupervisionSettingsForm(initial={"visit_every_days": current.visit_every_days})
    return render(request, "clinics/network/supervision_settings.html", {"form": form, "current": current})


@login_required
def supervision_overdue(request):
    """Every clinic the person sees with its last supervision visit, the overdue first."""
    require(selectors.can_see_pasante_roster(request.user))
    clinics = selectors.clinics_supervision(request.user)
    return render(request, "clinics/network/supervision_list.html", {
        "clinics": clinics, "settings": selectors.supervision_settings(),
        "can_manage": selectors.can_manage_network(request.user),
    })
