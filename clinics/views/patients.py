"""The patient registry's pages: list, register, a patient's page.

Every patient comes through ``clinics.selectors`` (``patients_visible_to``), so one outside the user's reach
answers 404; a role with no business with patients gets 403. Writes go through ``clinics.services``.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from ces.core.forms import SearchForm
from ces.core.pages import add_service_error, get_or_404, paginate, require, show_errors

from .. import selectors, services
from ..forms.patients import PatientEditForm, PatientFilterForm, PatientForm

PAGE_SIZE = 25


# --- Patients -----------------------------------------------------------------------------------------------


@login_required
def patient_list(request):
    require(selectors.can_see_patients(request.user))
    filters = PatientFilterForm(request.GET, clinics=selectors.clinics_visible_to(request.user))
    filters.is_valid()
    patients = selectors.patient_list(request.user, search=filters.cleaned_data.get("q", "").strip(),
                                      clinic=filters.cleaned_data.get("clinic"))
    page_obj, query_string = paginate(request, patients, PAGE_SIZE)
    return render(request, "clinics/patient_list.html",
                  {"filters": filters, "page_obj": page_obj, "query_string": query_string})


@login_required
def patient_create(request):
    require(selectors.can_see_patients(request.user))
    clinics = selectors.clinics_visible_to(request.user).filter(active=True)
    if request.method == "POST":
        form = PatientForm(request.POST, clinics=clinics)
        if form.is_valid():
            data = form.cleaned_data
            try:
                patient = services.patient_create(
                    clinic=data["clinic"], community=data["clinic"].community, given_names=data["given_names"],
                    family_names=data["family_names"], sex=data["sex"], birth_date=data["birth_date"],
                    curp=data["curp"], phone=data["phone"], confirm_not_duplicate=data["confirm_not_duplicate"],
                    by=request.user,
                )
            except services.PossibleDuplicate as exc:
                form.add_error(None, exc)
                form.offer_duplicates(exc.candidates)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("%(name)s is registered.") % {"name": patient.full_name})
                return redirect(patient)
    else:
        form = PatientForm(clinics=clinics)
        if clinics.count() == 1:
            form.initial["clinic"] = clinics.get().pk
    return render(request, "clinics/patient_form.html", {"form": form})


@login_required
def patient_detail(request, pk):
    require(selectors.can_see_patients(request.user))
    patient = get_or_404(selectors.patient_detail, request.user, pk)
    survivor = patient.merged_into
    if survivor is not None and selectors.patients_visible_to(request.user).filter(pk=survivor.pk).exists():
        messages.info(request, _("%(merged)s (record %(pk)s) was merged into this record.") % {
            "merged": patient.full_name, "pk": patient.pk})
        return redirect(survivor)
    return render(request, "clinics/patient_detail.html",
                  {"patient": patient, "age": patient.age_on(timezone.localdate())})


# --- Edit and merge (patients10) ------------------------------------------------------------------------


@login_required
def patient_edit(request, pk):
    require(selectors.can_edit_patients(request.user))
    patient = get_or_404(selectors.patient_for, request.user, pk)
    if request.method == "POST":
        form = PatientEditForm(request.POST)
        if form.is_valid():
            try:
                services.patient_update(patient=patient, **form.cleaned_data, by=request.user)
            except services.PossibleDuplicate as exc:
                form.add_error(None, exc)
                form.offer_duplicates(exc.candidates)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("The details of %(name)s are saved.") % {"name": patient.full_name})
                return redirect(patient)
    else:
        form = PatientEditForm(initial={name: getattr(patient, name) for name in
                                        ("given_names", "family_names", "sex", "birth_date", "curp", "phone")})
    return render(request, "clinics/patients/patient_edit.html", {"form": form, "patient": patient})


@login_required
def patient_merge_pick(request, pk):
    """Choose the other record of the same person: the likely ones first, then a search."""
    require(selectors.can_merge_patients(request.user))
    patient = get_or_404(selectors.patient_for, request.user, pk)
    filters = SearchForm(request.GET)
    filters.is_valid()
    search = filters.cleaned_data.get("q", "").strip()
    candidates = selectors.patient_merge_candidates(request.user, patient, search=search)
    return render(request, "clinics/patients/patient_merge_pick.html",
                  {"patient": patient, "filters": filters, "candidates": candidates, "search": search})


@login_required
def patient_merge(request, pk, merged_pk):
    """Both records side by side; on POST, ``merged_pk`` is merged into ``pk``, which survives."""
    require(selectors.can_merge_patients(request.user))
    survivor = get_or_404(selectors.patient_for, request.user, pk)
    merged = get_or_404(selectors.patient_for, request.user, merged_pk)
    if request.method == "POST":
        try:
            services.patient_merge(survivor=survivor, merged=merged, by=request.user)
        except ValidationError as exc:
            show_errors(request, exc)
        else:
            messages.success(request, _("%(merged)s (record %(merged_pk)s) is merged into this record.") % {
                "merged": merged.full_name, "merged_pk": merged.pk})
            return redirect(survivor)
    return render(request, "clinics/patients/patient_merge.html", {"survivor": survivor, "merged": merged})
