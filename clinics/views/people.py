"""People and accounts (people10): add, edit and deactivate a person, invite them to log in, the page where
the invited person sets a password, and a cohort's import from a CSV file. Thin, as the other pages."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from ces.core.pages import add_service_error, get_or_404, require, show_errors

from .. import cohort_import as importer
from .. import selectors, services
from ..forms.people import (
    CohortImportForm,
    InvitationAcceptForm,
    InvitationForm,
    PersonDeactivateForm,
    PersonForm,
)


@login_required
def person_create(request):
    require(selectors.can_manage_people(request.user))
    if request.method == "POST":
        form = PersonForm(request.POST)
        if form.is_valid():
            try:
                person = services.person_add(**form.cleaned_data, by=request.user)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("%(person)s is in the staff directory.") % {"person": person.full_name})
                return redirect(person)
    else:
        initial = {}
        cohort = request.GET.get("cohort", "").strip()
        if cohort.isdigit():
            initial = {"cohort": cohort, "cadre": "pasante"}
        form = PersonForm(initial=initial)
    return render(request, "clinics/people/person_form.html", {"form": form, "title": _("Add a person")})


@login_required
def person_edit(request, pk):
    require(selectors.can_manage_people(request.user))
    person = get_or_404(selectors.staff_for_edit, request.user, pk)
    if request.method == "POST":
        form = PersonForm(request.POST)
        if form.is_valid():
            try:
                services.person_update(staff=person, **form.cleaned_data, by=request.user)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("The details of %(person)s are saved.") % {"person": person.full_name})
                return redirect(person)
    else:
        form = PersonForm(initial={name: getattr(person, name) for name in services.STAFF_FIELDS})
    return render(request, "clinics/people/person_form.html",
                  {"form": form, "person": person, "title": _("Edit %(person)s") % {"person": person.full_name}})


@login_required
def person_deactivate(request, pk):
    require(selectors.can_manage_people(request.user))
    person = get_or_404(selectors.staff_for_edit, request.user, pk)
    if request.method == "POST":
        form = PersonDeactivateForm(request.POST)
        if form.is_valid():
            try:
                services.person_deactivate(staff=person, last_day=form.cleaned_data["last_day"], by=request.user)
            except ValidationError as exc:
                if not hasattr(exc, "error_dict"):
                    show_errors(request, exc)
                    return redirect(person)
                add_service_error(form, exc)
            else:
                messages.success(request, _("%(person)s is deactivated from %(day)s.") % {
                    "person": person.full_name, "day": form.cleaned_data["last_day"].strftime("%d/%m/%Y")})
                return redirect(person)
    else:
        form = PersonDeactivateForm(initial={"last_day": timezone.localdate()})
    return render(request, "clinics/people/person_deactivate.html", {"form": form, "person": person})


@login_required
def person_invite(request, pk):
    require(selectors.can_manage_people(request.user))
    person = get_or_404(selectors.staff_for_edit, request.user, pk)
    if request.method == "POST":
        form = InvitationForm(request.POST, by=request.user)
        if form.is_valid():
            try:
                services.invitation_send(staff=person, roles=form.cleaned_data["roles"], by=request.user,
                                         base_url=request.build_absolute_uri("/")[:-1])
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("The invitation is on its way to %(email)s.") % {"email": person.email})
                return redirect(person)
    else:
        current = sorted(person.user.roles) if person.user_id else []
        default = services.CADRE_ROLES.get(person.cadre)
        form = InvitationForm(by=request.user, initial={"roles": current or ([default] if default else [])})
    return render(request, "clinics/people/person_invite.html",
                  {"form": form, "person": person, "invitations": selectors.person_invitations(person)})


def invitation_accept(request, token):
    """Anyone with the link: set a password, be logged in, land on one's home. A wrong, used or withdrawn
    token reads the same, whoever guesses; an expired one says so and offers nothing."""
    try:
        invitation = services.invitation_by_token(token)
    except ValidationError as exc:
        return render(request, "clinics/people/invitation_dead.html", {"message": exc.messages[0]})
    if request.method == "POST":
        form = InvitationAcceptForm(invitation.user, request.POST)
        if form.is_valid():
            try:
                invitation = services.invitation_accept(token=token, password=form.cleaned_data["new_password1"])
            except (services.InvitationInvalid, services.InvitationExpired) as exc:
                return render(request, "clinics/people/invitation_dead.html", {"message": exc.messages[0]})
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                login(request, invitation.user, backend="ces.accounts.backends.ModelBackend")
                messages.success(request, _("Welcome, %(name)s. Your password is set.") % {
                    "name": invitation.user.get_short_name()})
                return redirect("accounts:home")
    else:
        form = InvitationAcceptForm(invitation.user)
    return render(request, "clinics/people/invitation_accept.html", {"form": form, "invitation": invitation})


@login_required
def cohort_import(request, pk):
    require(selectors.can_manage_people(request.user))
    cohort = get_or_404(selectors.cohort_roster, pk)
    report = None
    form = CohortImportForm()
    if request.method == "POST":
        form = CohortImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                report = importer.cohort_import(cohort=cohort, data=form.cleaned_data["file"].read(),
                                                by=request.user)
            except ValidationError as exc:
                form.add_error("file", exc)
            else:
                form = CohortImportForm()
    context = {
        "form": form, "cohort": cohort, "report": report,
        "required_columns": [importer.header_name(c) for c in importer.REQUIRED_COLUMNS],
        "optional_columns": [importer.header_name(c) for c in importer.OPTIONAL_COLUMNS],
    }
    return render(request, "clinics/people/cohort_import.html", context)
