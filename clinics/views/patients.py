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

from ces.core.pages import add_service_error, get_or_404, paginate, require

from .. import selectors, services
from ..forms.patients import PatientFilterForm, PatientForm

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
    patient = get_or_404(selectors.patient_for, request.user, pk)
    return render(request, "clinics/patient_detail.html",
                  {"patient": patient, "age": patient.age_on(timezone.localdate())})
