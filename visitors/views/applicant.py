"""The applicant's pages: the application in steps (saved as they go, resumed where they left), the documents,
submitting, and the status page, the heart of it: the timeline, what is asked of them next, the placement,
the pickup and the orientation pack; choosing an interview slot, confirming the placement, the flight,
withdrawing, the exit survey, applying again. And the ONE download view of a document, which the program's
staff use too.

An applicant reaches only their own applications (``visitors.selectors.application_for`` is a 404 outside
them); the other roles get 403 on the applicant's pages. Thin: parse, authorise, call one selector or service,
render. A service's ValidationError is shown (on the form, or as messages) and nothing is written.
"""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ces.core.pages import add_service_error, get_or_404, is_illegal_transition, require, show_errors, transition_page
from visitors import selectors, services
from visitors.forms.applicant import (
    DOCUMENTS_STEP,
    LAST_STEP,
    REVIEW_STEP,
    STEPS,
    DocumentUploadForm,
    ExitSurveyForm,
    FlightForm,
    SlotChoiceForm,
    WithdrawForm,
)
from visitors.models import REQUIRED_DOCUMENTS, Application, DocumentKind, OrientationPack

State = Application.State

# Applications that ended: a new one may start (from this one, in one click).
ENDED_STATES = (State.COMPLETED, State.WITHDRAWN, State.DISENGAGED, State.DECLINED)
# From here on the visitor sees where they go, with whom, and the orientation pack.
CONFIRMED_STATES = (State.PLACEMENT_CONFIRMED, State.ARRIVED, State.IN_COMMUNITY, State.COMPLETED)


# --- Access and helpers -----------------------------------------------------------------------------------


def _own_application(request, pk) -> Application:
    """The applicant's own application ``pk``: any other role gets 403, another person's application 404."""
    require(selectors.is_applicant(request.user))
    return get_or_404(selectors.application_for, request.user, pk)


def _status_url() -> str:
    return reverse("visitors:status")


def _step_url(application, step: int) -> str:
    return reverse("visitors:step", kwargs={"pk": application.pk, "step": step})


def _documents_url(application) -> str:
    if application.state == State.DRAFT:
        return _step_url(application, DOCUMENTS_STEP)
    return reverse("visitors:documents", kwargs={"pk": application.pk})


def _resume_step(application) -> int:
    """The step they come back to: the one after the furthest saved (``step``; the first if none was yet: a
    new draft's ``step`` is 1 with nothing of it saved but the account's name)."""
    if application.step <= 1 and not (application.phone or application.country):
        return 1
    return min(application.step + 1, LAST_STEP)


def _steps_nav(application, current: int) -> list[dict]:
    reachable = _resume_step(application)
    return [
        {"number": number, "title": title, "url": _step_url(application, number),
         "current": number == current, "reachable": number <= reachable, "done": number < reachable}
        for number, (title, _form) in STEPS.items()
    ]


def _not_a_draft(request, application):
    messages.info(request, _("Your application is sent: it can no longer be changed. Follow it here."))
    return redirect(_status_url())


def _current_documents(application) -> list:
    return [d for d in application.documents.all() if d.replaced_at is None]


# --- Starting: the first time, or again from the previous application --------------------------------------


@login_required
def apply(request):
    """Where "apply" leads: the application under way (at the step reached, or its status), else the start."""
    require(selectors.is_applicant(request.user))
    current = selectors.current_application(request.user)
    if current is not None and current.state == State.DRAFT:
        return redirect(_step_url(current, _resume_step(current)))
    if current is not None and current.state not in ENDED_STATES:
        return redirect(_status_url())
    return render(request, "visitors/applicant/start.html", {"previous": current})


@login_required
@require_POST
def start(request):
    """Start an application; with ``previous`` (one of theirs that ended), from its answers."""
    require(selectors.is_applicant(request.user))
    previous = None
    if request.POST.get("previous"):
        try:
            previous = get_or_404(selectors.application_for, request.user, int(request.POST["previous"]))
        except ValueError as exc:
            raise Http404 from exc
    try:
        application = services.application_start(applicant=request.user, previous=previous, by=request.user)
    except ValidationError as exc:
        show_errors(request, exc)
        return redirect(_status_url())
    if previous is not None:
        messages.success(request, _("Your new application starts from your previous answers: check each step, "
                                    "choose your new dates and upload your documents again."))
    return redirect(_step_url(application, 1))


# --- The application in steps -------------------------------------------------------------------------------


def _step_page(request, application, number, *, form=None, upload_form=None, status=200):
    title, _form_class = STEPS[number]
    context = {
        "application": application,
        "number": number,
        "title": title,
        "steps": _steps_nav(application, number),
        "step_count": LAST_STEP,
        "previous_url": _step_url(application, number - 1) if number > 1 else None,
        "form": form,
    }
    if number == DOCUMENTS_STEP:
        context.update(_documents_context(application, upload_form, kind=request.GET.get("kind")))
    if number == REVIEW_STEP:
        context.update(_review_context(application))
    return render(request, "visitors/applicant/step.html", context, status=status)


@login_required
def step(request, pk, step):
    application = _own_application(request, pk)
    if application.state != State.DRAFT:
        return _not_a_draft(request, application)
    if step not in STEPS:
        raise Http404
    if step > _resume_step(application):
        # Not reached yet: the steps are filled in order.
        return redirect(_step_url(application, _resume_step(application)))
    form_class = STEPS[step][1]
    if request.method != "POST":
        form = form_class(instance=application) if form_class else None
        return _step_page(request, application, step, form=form)
    if step == REVIEW_STEP:
        return redirect(_step_url(application, REVIEW_STEP))
    form = form_class(request.POST, instance=application) if form_class else None
    if form is not None and not form.is_valid():
        return _step_page(request, application, step, form=form)
    fields = form.changed_fields() if form is not None else {}
    try:
        services.application_update(application=application, by=request.user, step=step, fields=fields)
    except ValidationError as exc:
        if is_illegal_transition(exc) or form is None:
            show_errors(request, exc)
            return redirect(_status_url() if is_illegal_transition(exc) else _step_url(application, step))
        application.refresh_from_db()
        add_service_error(form, exc)
        return _step_page(request, application, step, form=form)
    return redirect(_step_url(application, step + 1))


# --- Documents ----------------------------------------------------------------------------------------------


def _documents_context(application, upload_form=None, *, kind=None) -> dict:
    current = _current_documents(application)
    by_kind = {document.kind: document for document in current}
    required = REQUIRED_DOCUMENTS.get(application.category, (DocumentKind.CV,))
    requests = [r for r in application.document_requests.all() if r.fulfilled_at is None]
    kinds = [
        {"kind": kind, "label": label, "document": by_kind.get(kind), "required": kind in required,
         "request": next((r for r in requests if r.kind == kind), None)}
        for kind, label in DocumentKind.choices
        if kind in required or kind in by_kind or any(r.kind == kind for r in requests)
        or kind in (DocumentKind.IMMUNIZATION, DocumentKind.INSURANCE, DocumentKind.PHOTO)
    ]
    first_missing = next((k["kind"] for k in kinds if k["document"] is None and (k["required"] or k["request"])),
                         None)
    return {
        "kinds": kinds,
        "upload_form": upload_form or DocumentUploadForm(
            initial={"kind": kind if kind in DocumentKind.values else first_missing}),
        "can_upload": application.state in Application.BEFORE_ARRIVAL,
    }


def _documents_page(request, application, *, upload_form=None, status=200):
    if application.state == State.DRAFT:
        return _step_page(request, application, DOCUMENTS_STEP, upload_form=upload_form, status=status)
    context = {"application": application,
               **_documents_context(application, upload_form, kind=request.GET.get("kind"))}
    return render(request, "visitors/applicant/documents.html", context, status=status)


@login_required
def documents(request, pk):
    application = _own_application(request, pk)
    if application.state == State.DRAFT:
        return redirect(_step_url(application, DOCUMENTS_STEP))
    return _documents_page(request, application)


@login_required
@require_POST
def document_upload(request, pk):
    application = _own_application(request, pk)
    form = DocumentUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _documents_page(request, application, upload_form=form)
    try:
        document = services.document_upload(application=application, kind=form.cleaned_data["kind"],
                                            upload=form.cleaned_data["upload"], by=request.user)
    except ValidationError as exc:
        if is_illegal_transition(exc):
            show_errors(request, exc)
            return redirect(_status_url())
        add_service_error(form, exc)
        return _documents_page(request, application, upload_form=form)
    messages.success(request, _("%(kind)s uploaded: %(name)s.") % {"kind": document.get_kind_display(),
                                                                    "name": document.original_name})
    return redirect(_documents_url(application))


def _file_response(handle, *, content_type: str, filename: str):
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def document(request, pk):
    """A document, to its applicant and to the program's staff only; anyone else gets 404, as for a document
    that does not exist. Always a download, with the type its content showed at upload, never sniffed."""
    found = get_or_404(selectors.document_for, request.user, pk)
    try:
        handle = found.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    return _file_response(handle, content_type=found.content_type, filename=found.original_name)


@login_required
def orientation_pack(request):
    """The program's newest orientation pack, to a visitor whose placement is confirmed and to the staff."""
    user = request.user
    if not selectors.can_manage_applications(user):
        require(selectors.is_applicant(user))
        current = selectors.current_application(user)
        if current is None or current.state not in CONFIRMED_STATES:
            raise Http404
    pack = OrientationPack.objects.order_by("-uploaded_at", "-pk").first()
    if pack is None:
        raise Http404
    try:
        handle = pack.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    return _file_response(handle, content_type=pack.content_type,
                          filename=f"{pack.title}.{pack.file.name.rsplit('.', 1)[-1]}")


# --- Review and submit --------------------------------------------------------------------------------------


def _step_of(message: str, application) -> int:
    """Which step mends a sentence of ``application_missing``: the step whose field or document it names."""
    lowered = message.lower()
    for _kind, label in DocumentKind.choices:
        if str(label).lower() in lowered:
            return DOCUMENTS_STEP
    for number, (_title, form_class) in STEPS.items():
        if form_class is None:
            continue
        for name in form_class._meta.fields:
            if str(Application._meta.get_field(name).verbose_name).lower() in lowered:
                return number
    return 2  # the dates and the stay: what is left (the minimum stay, dates in the past)


def _review_context(application) -> dict:
    missing = [{"message": message, "step": _step_of(message, application)}
               for message in services.application_missing(application)]
    for item in missing:
        item["url"] = _step_url(application, item["step"])
        item["step_title"] = STEPS[item["step"]][0]
    sections = []
    for number, (title, form_class) in STEPS.items():
        if form_class is None:
            continue
        rows = []
        for name in form_class._meta.fields:
            field = Application._meta.get_field(name)
            value = getattr(application, name)
            if field.choices and value:
                value = getattr(application, f"get_{name}_display")()
            elif isinstance(value, date):
                value = formats.date_format(value, "SHORT_DATE_FORMAT")
            rows.append({"label": field.verbose_name, "value": value})
        sections.append({"number": number, "title": title, "url": _step_url(application, number), "rows": rows})
    return {"missing": missing, "documents": _current_documents(application), "sections": sections}


@login_required
@require_POST
def submit(request, pk):
    application = _own_application(request, pk)
    return transition_page(
        request, lambda: services.application_submit(application=application, by=request.user),
        back=_step_url(application, REVIEW_STEP) if application.state == State.DRAFT else _status_url(),
        then=_status_url(),
        done=_("Your application is sent. The program will answer by e-mail; follow it on this page."),
    )


# --- The status page ----------------------------------------------------------------------------------------


def _next_button(application, step) -> str | None:
    """The URL of the one button of the next step, by its action (visitors.selectors.next_step)."""
    action = step.action
    if action == "edit":
        if not services.application_missing(application):
            return _step_url(application, REVIEW_STEP)
        return _step_url(application, _resume_step(application))
    if action == "upload_document":
        return _documents_url(application) + (f"?kind={step.kind}" if getattr(step, "kind", None) else "")
    if action in ("choose_slot", "confirm_placement"):
        return f"#{action.replace('_', '-')}"
    if action == "flight_details":
        return reverse("visitors:flight", kwargs={"pk": application.pk})
    if action == "exit_survey":
        return reverse("visitors:exit-survey", kwargs={"pk": application.pk})
    return None


@login_required
def status(request):
    require(selectors.is_applicant(request.user))
    application = selectors.current_application(request.user)
    if application is None:
        return redirect("visitors:apply")
    state = application.state
    next_step = selectors.next_step(application)
    placement = selectors.placement_of(application)
    arrival = getattr(application, "arrival", None) if state in CONFIRMED_STATES else None
    actions = selectors.application_actions(request.user, application)
    slots = application.slots.filter(starts_at__gt=timezone.now())
    interview = next((i for i in application.interviews.all() if i.cancelled_at is None), None)
    context = {
        "actions": actions,
        "application": application,
        "timeline": selectors.timeline(application),
        "next_step": next_step,
        "next_url": _next_button(application, next_step),
        "placement": placement,
        "placement_confirmed": state in CONFIRMED_STATES and placement is not None,
        "can_confirm_placement": actions.confirm_placement and placement is not None,
        "arrival": arrival,
        "can_set_flight": actions.flight_details,
        "interview": interview,
        "slot_form": SlotChoiceForm(slots=slots) if actions.choose_slot else None,
        "orientation_pack": (OrientationPack.objects.order_by("-uploaded_at", "-pk").first()
                             if state in CONFIRMED_STATES else None),
        "open_requests": selectors.open_document_requests(application),
        "can_withdraw": actions.withdraw,
        "can_upload": actions.upload_document and state != State.DRAFT,
        "can_survey": actions.exit_survey,
        "ended": state in ENDED_STATES,
        "can_apply_again": actions.apply_again,
        "documents": _current_documents(application),
    }
    return render(request, "visitors/applicant/status.html", context)


# --- What the status page asks ------------------------------------------------------------------------------


@login_required
@require_POST
def choose_slot(request, pk):
    application = _own_application(request, pk)
    form = SlotChoiceForm(request.POST, slots=application.slots.filter(starts_at__gt=timezone.now()))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_status_url())
    slot = form.cleaned_data["slot"]
    return transition_page(
        request, lambda: services.interview_slot_choose(application=application, slot=slot, by=request.user),
        back=_status_url(), done=_("Your interview is booked. You will receive the call details by e-mail."),
    )


@login_required
@require_POST
def confirm_placement(request, pk):
    application = _own_application(request, pk)
    return transition_page(
        request, lambda: services.placement_confirm(application=application, by=request.user),
        back=_status_url(), done=_("Your placement is confirmed. Now tell the program your flight."),
    )


@login_required
def flight(request, pk):
    application = _own_application(request, pk)
    if application.state not in Application.TRANSITIONS["arrange_arrival"]:
        messages.info(request, _("You enter your flight once your placement is confirmed."))
        return redirect(_status_url())
    arrival = getattr(application, "arrival", None)
    initial = {}
    if arrival is not None:
        initial = {"flight_number": arrival.flight_number, "arrives_where": arrival.arrives_where,
                   "arrives_at": timezone.localtime(arrival.arrives_at) if arrival.arrives_at else None}
    form = FlightForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        answer = transition_page(
            request, lambda: services.flight_details_set(application=application, by=request.user, **form.cleaned_data),
            form=form, back=_status_url(), done=_("Your flight is saved. The program will arrange your pickup."),
        )
        if answer:
            return answer
    return render(request, "visitors/applicant/flight.html", {"application": application, "form": form})


@login_required
def withdraw(request, pk):
    """The confirmation step of withdrawing: what it means, the reason, one button."""
    application = _own_application(request, pk)
    if application.state not in Application.TRANSITIONS["withdraw"]:
        messages.info(request, _("This application can no longer be withdrawn."))
        return redirect(_status_url())
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        answer = transition_page(
            request, lambda: services.application_withdraw(application=application, reason=form.cleaned_data["reason"],
                                                           by=request.user),
            form=form, back=_status_url(), done=_("Your application is withdrawn. You may apply again at any time."),
        )
        if answer:
            return answer
    placement = selectors.placement_of(application)
    return render(request, "visitors/applicant/withdraw.html",
                  {"application": application, "form": form, "placement": placement})


@login_required
def exit_survey(request, pk):
    application = _own_application(request, pk)
    if application.state not in Application.TRANSITIONS["exit_survey"] or hasattr(application, "exit_survey"):
        messages.info(request, _("The exit survey opens at the end of your stay, once."))
        return redirect(_status_url())
    form = ExitSurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        answer = transition_page(
            request, lambda: services.exit_survey_submit(application=application, by=request.user, **form.cleaned_data),
            form=form, back=_status_url(), done=_("Thank you: your answers help the next visitors and the program."),
        )
        if answer:
            return answer
    return render(request, "visitors/applicant/exit_survey.html", {"application": application, "form": form})


urlpatterns = [
    path("solicitud/", apply, name="apply"),
    path("solicitud/nueva/", start, name="start"),
    path("mi-solicitud/", status, name="status"),
    path("orientacion/", orientation_pack, name="orientation-pack"),
    path("documentos/<int:pk>/", document, name="document"),
    path("solicitud/<int:pk>/paso/<int:step>/", step, name="step"),
    path("solicitud/<int:pk>/documentos/", documents, name="documents"),
    path("solicitud/<int:pk>/documentos/subir/", document_upload, name="document-upload"),
    path("solicitud/<int:pk>/enviar/", submit, name="submit"),
    path("solicitud/<int:pk>/entrevista/", choose_slot, name="choose-slot"),
    path("solicitud/<int:pk>/confirmar-colocacion/", confirm_placement, name="confirm-placement"),
    path("solicitud/<int:pk>/vuelo/", flight, name="flight"),
    path("solicitud/<int:pk>/retirar/", withdraw, name="withdraw"),
    path("solicitud/<int:pk>/encuesta-final/", exit_survey, name="exit-survey"),
]
