"""The clinics pages. Thin: parse input, authorise, call one selector or service, render.

Every object comes through clinics.selectors, so one the user may not see answers 404; a page that the
user's role may not use answers 403. Writes go through clinics.services; a ValidationError they raise
is shown on the form and nothing is written.
"""

from datetime import date, datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from ces.core.pages import add_service_error, get_or_404, paginate, require

from .. import selectors, services
from ..coverage import COVERAGE_DAYS
from ..forms.staffing import (
    AssignmentCreateForm,
    AssignmentEndForm,
    AssignmentMoveForm,
    ClinicFilterForm,
    StaffFilterForm,
    SupervisionVisitForm,
)

PAGE_SIZE = 25


# --- Helpers ------------------------------------------------------------------------------------------------


def _parse_date(value: str | None) -> date | None:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value or "", fmt).date()
        except ValueError:
            continue
    return None


def _timeline(clinic, start: date) -> dict:
    """The coverage timeline in SVG terms: segments and month marks placed in percent of the width."""
    segments = []
    for segment in clinic.coverage:
        x, width = selectors.segment_geometry(segment, start)
        segments.append({"segment": segment, "x": f"{x:.3f}", "width": f"{width:.3f}"})
    # The last month's name would be cut off at the right edge: its tick is enough.
    marks = selectors.timeline_months(start)
    months = [{"month": month, "x": f"{x:.3f}", "label": x < 94} for month, x in marks]
    # The month the window starts in has no tick of its own: its name at the left edge, when it fits
    # before the next month's.
    return {"segments": segments, "months": months, "start": start, "label_start": not marks or marks[0][1] >= 6,
            "end": start + timedelta(days=COVERAGE_DAYS - 1)}


# --- Clinics ------------------------------------------------------------------------------------------------


@login_required
def clinic_list(request):
    require(selectors.can_see_clinics(request.user))
    filters = ClinicFilterForm(request.GET)
    filters.is_valid()
    clinics = selectors.clinic_list(
        request.user, search=filters.cleaned_data.get("q", "").strip(), kind=filters.cleaned_data.get("kind", "")
    )
    page_obj, query_string = paginate(request, clinics, PAGE_SIZE)
    return render(request, "clinics/clinic_list.html",
                  {"filters": filters, "page_obj": page_obj, "query_string": query_string,
                   "can_manage_network": selectors.can_manage_network(request.user),
                   "can_see_supervision": selectors.can_see_pasante_roster(request.user)})


@login_required
def clinic_detail(request, pk):
    require(selectors.can_see_clinics(request.user))
    today = timezone.localdate()
    clinic = get_or_404(selectors.clinic_detail, request.user, pk)
    context = {
        "clinic": clinic,
        "today": today,
        "timeline": _timeline(clinic, today),
        "actions": clinic.actions,
        "manage_host_families": selectors.can_manage_host_families(request.user),
    }
    return render(request, "clinics/clinic_detail.html", context)


# --- Staff and cohorts -------------------------------------------------------------------------------------


@login_required
def staff_list(request):
    require(selectors.can_see_clinics(request.user))
    filters = StaffFilterForm(request.GET, clinics=selectors.clinics_visible_to(request.user))
    filters.is_valid()
    data = filters.cleaned_data
    active = {"1": True, "0": False}.get(data.get("active", ""))
    clinic = data.get("clinic")
    staff = selectors.staff_directory(
        request.user, search=data.get("q", "").strip(), cadre=data.get("cadre", ""),
        clinic_id=clinic.pk if clinic else None, active=active,
    )
    page_obj, query_string = paginate(request, staff, PAGE_SIZE)
    return render(request, "clinics/staff_list.html",
                  {"filters": filters, "page_obj": page_obj, "query_string": query_string,
                   "can_manage_people": selectors.can_manage_people(request.user)})


@login_required
def staff_detail(request, pk):
    require(selectors.can_see_clinics(request.user))
    person = get_or_404(selectors.staff_detail, request.user, pk)
    today = timezone.localdate()
    assignments = list(selectors.staff_assignment_history(person))
    for assignment in assignments:
        assignment.is_current = assignment.is_active_on(today)
    context = {
        "person": person,
        "assignments": assignments,
        "actions": person.actions,
        "invitations": selectors.person_invitations(person) if person.actions.manage_people else [],
    }
    return render(request, "clinics/staff_detail.html", context)


@login_required
def cohort_list(request):
    require(selectors.can_manage_staffing(request.user))
    return render(request, "clinics/cohort_list.html", {"cohorts": selectors.cohort_list()})


@login_required
def cohort_detail(request, pk):
    require(selectors.can_manage_staffing(request.user))
    cohort = get_or_404(selectors.cohort_roster, pk)
    return render(request, "clinics/cohort_detail.html", {"cohort": cohort, "today": timezone.localdate()})


# --- Assignments --------------------------------------------------------------------------------------------


@login_required
def assignment_create(request):
    require(selectors.can_manage_staffing(request.user))
    if request.method == "POST":
        form = AssignmentCreateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                assignment = services.assignment_create(
                    staff=data["staff"], clinic=data["clinic"], role=data["role"],
                    start_date=data["start_date"], end_date=data["end_date"], by=request.user,
                )
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("%(person)s is assigned to %(clinic)s from %(start)s.") % {
                    "person": assignment.staff.full_name, "clinic": assignment.clinic.name,
                    "start": assignment.start_date.strftime("%d/%m/%Y")})
                return redirect(assignment.clinic)
    else:
        initial = {
            "clinic": request.GET.get("clinic", "").strip() or None,
            "staff": request.GET.get("staff", "").strip() or None,
            "start_date": _parse_date(request.GET.get("start")),
        }
        form = AssignmentCreateForm(initial={k: v for k, v in initial.items() if v})
    return render(request, "clinics/assignment_form.html", {"form": form, "title": _("New assignment")})


@login_required
def assignment_end(request, pk):
    require(selectors.can_manage_staffing(request.user))
    assignment = get_or_404(selectors.assignment_for, request.user, pk)
    if request.method == "POST":
        form = AssignmentEndForm(request.POST)
        if form.is_valid():
            try:
                services.assignment_end(assignment=assignment, end_date=form.cleaned_data["end_date"],
                                        reason=form.cleaned_data["reason"], by=request.user)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("The assignment of %(person)s ends on %(end)s.") % {
                    "person": assignment.staff.full_name,
                    "end": form.cleaned_data["end_date"].strftime("%d/%m/%Y")})
                return redirect(assignment.clinic)
    else:
        form = AssignmentEndForm(initial={"end_date": timezone.localdate()})
    return render(request, "clinics/assignment_form.html",
                  {"form": form, "assignment": assignment, "title": _("End an assignment")})


@login_required
def assignment_move(request, pk):
    require(selectors.can_manage_staffing(request.user))
    assignment = get_or_404(selectors.assignment_for, request.user, pk)
    if request.method == "POST":
        form = AssignmentMoveForm(request.POST, exclude_clinic=assignment.clinic)
        if form.is_valid():
            try:
                moved = services.assignment_move(assignment=assignment, clinic=form.cleaned_data["clinic"],
                                                 move_date=form.cleaned_data["move_date"], by=request.user)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("%(person)s moves to %(clinic)s on %(date)s.") % {
                    "person": moved.staff.full_name, "clinic": moved.clinic.name,
                    "date": moved.start_date.strftime("%d/%m/%Y")})
                return redirect(moved.clinic)
    else:
        form = AssignmentMoveForm(exclude_clinic=assignment.clinic,
                                  initial={"move_date": timezone.localdate() + timedelta(days=1)})
    return render(request, "clinics/assignment_form.html",
                  {"form": form, "assignment": assignment, "title": _("Move to another clinic")})


# --- Supervision --------------------------------------------------------------------------------------------


@login_required
def supervision_create(request, pk):
    clinic = get_or_404(selectors.clinic_for, request.user, pk)
    require(selectors.can_record_supervision(request.user, clinic))
    pick_supervisor = selectors.can_manage_staffing(request.user)
    supervisor = None
    if not pick_supervisor:
        supervisor = getattr(request.user, "staff", None)
        require(supervisor is not None)
    if request.method == "POST":
        form = SupervisionVisitForm(request.POST, pick_supervisor=pick_supervisor)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.supervision_visit_record(
                    supervisor=data.get("supervisor", supervisor), clinic=clinic, visited_on=data["visited_on"],
                    notes=data["notes"], follow_up_actions=data["follow_up_actions"], by=request.user,
                )
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("The supervision visit is recorded."))
                return redirect(clinic)
    else:
        form = SupervisionVisitForm(pick_supervisor=pick_supervisor, initial={"visited_on": timezone.localdate()})
    return render(request, "clinics/supervision_form.html", {"form": form, "clinic": clinic})
