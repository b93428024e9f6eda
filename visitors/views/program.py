"""The visitor program's pages and the pasante's: the board of applications by state, the review of one
application with every action the person may take now, the calendar of the clinics that receive visitors,
the orientation pack upload, and the pasante's page of the visitor paired with them.

The visitor program, coordinators and admins manage applications (``selectors.can_manage_applications``);
every other role gets 403. A pasante reaches only the placements of the visitors paired with them (another
clinic's: 404). Thin: parse, authorise, call one selector or service, render. A service's refusal goes on
the form that was posted (the review page drawn again with what was typed) or, when the application moved
on since the page was drawn, as a message on the review page (ces.core.pages.transition_page).
"""

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ces.core.pages import get_or_404, require, transition_page

from .. import selectors, services
from ..forms.program import (
    ArrivalForm,
    BoardFilterForm,
    DecisionForm,
    DisengageForm,
    DocumentRequestForm,
    InterviewRecordForm,
    MarkArrivedForm,
    OrientationPackForm,
    PasanteFeedbackForm,
    PlacementForm,
    ScheduleForm,
    ShortStayForm,
    SlotsForm,
    WithdrawForm,
)
from ..models import Application

State = Application.State
# The staff's transitions the review page offers (the applicant's own ones are theirs: edit, submit...).
ACTION_KEYS = ("request_document", "offer_slots", "schedule_interview", "record_interview", "accept", "waitlist",
               "decline", "propose_placement", "confirm_placement", "arrange_arrival", "mark_arrived",
               "mark_in_community", "complete", "withdraw", "disengage")


def _review_url(application) -> str:
    return reverse("visitors:review", kwargs={"pk": application.pk})


def _name(application) -> dict:
    return {"name": application.full_name or application.applicant.email}


def _document_url(document) -> str:
    # The one checked download view, shared with the applicant's pages.
    return reverse("visitors:document", kwargs={"pk": document.pk})


# --- The board ------------------------------------------------------------------------------------------


@login_required
@require_GET
def board(request):
    require(selectors.can_manage_applications(request.user))
    filters = BoardFilterForm(request.GET)
    columns = selectors.board(**filters.filters())
    today = timezone.localdate()
    for column in columns:
        for card in column.cards:
            card.days_waiting = (today - timezone.localdate(card.state_changed_at)).days
    context = {"filters": filters, "columns": columns, "total": sum(c.count for c in columns),
               "filtered": any(filters.data.get(k) for k in filters.fields)}
    return render(request, "visitors/program/board.html", context)


# --- Review: one application --------------------------------------------------------------------------------


def _placement_form(application, data=None):
    placement = selectors.placement_of(application)
    initial = {"start_date": application.wanted_start, "end_date": application.wanted_end, "meals_per_day": 3}
    if placement is not None:
        initial.update(clinic=placement.clinic_id, pasante=placement.pasante_id, host_family=placement.host_family_id,
                       start_date=placement.start_date, end_date=placement.end_date,
                       meals_per_day=placement.meals_per_day, notes=placement.notes)
    return PlacementForm(data, initial=initial, clinics=selectors.placement_clinic_choices(),
                         pasantes=selectors.pasante_choices(), host_families=selectors.host_family_choices())


def _arrival_form(application, data=None):
    arrival = getattr(application, "arrival", None)
    initial = {}
    if arrival is not None:
        initial = {name: getattr(arrival, name) for name in
                   ("flight_number", "arrives_at", "arrives_where", "pickup_at", "meeting_point", "vehicle", "notes")}
        initial["driver"] = arrival.driver_id
        for name in ("arrives_at", "pickup_at"):
            if initial[name]:
                initial[name] = timezone.localtime(initial[name])
    return ArrivalForm(data, initial=initial, drivers=selectors.driver_choices())


FORMS = {
    "request_document": lambda application, data=None: DocumentRequestForm(data),
    "offer_slots": lambda application, data=None: SlotsForm(data),
    "schedule_interview": lambda application, data=None: ScheduleForm(data),
    "record_interview": lambda application, data=None: InterviewRecordForm(data),
    "decision": lambda application, data=None: DecisionForm(data),
    "short_stay": lambda application, data=None: ShortStayForm(data),
    "propose_placement": _placement_form,
    "arrange_arrival": _arrival_form,
    "mark_arrived": lambda application, data=None: MarkArrivedForm(data),
    "withdraw": lambda application, data=None: WithdrawForm(data),
    "disengage": lambda application, data=None: DisengageForm(data),
}


def _review_page(request, application, *, bound: dict | None = None, problems=None, status=200):
    """The whole application and a form for each action the person may take now; ``bound``: the form just
    posted, drawn again with what was typed and its errors."""
    bound = bound or {}
    actions = selectors.application_actions(request.user, application)
    documents = selectors.review_documents(application)
    for document in documents:
        document.url = _document_url(document)
    forms = {key: bound.get(key) or make(application) for key, make in FORMS.items()}
    context = {
        "application": application,
        "actions": actions,
        "any_action": any(getattr(actions, key, False) for key in (*ACTION_KEYS, "allow_short_stay")),
        "forms": forms,
        "documents": documents,
        "requests": list(application.document_requests.order_by("-requested_at")),
        "interviews": list(application.interviews.order_by("-scheduled_at")),
        "slots": list(application.slots.order_by("starts_at")),
        "placement": selectors.placement_of(application),
        "arrival": getattr(application, "arrival", None),
        "timeline": selectors.timeline(application),
        "problems": problems,
        "open_form": next(iter(bound), None),
    }
    return render(request, "visitors/program/review.html", context, status=status)


def _application(request, pk):
    require(selectors.can_manage_applications(request.user))
    return get_or_404(selectors.application_for, request.user, pk)


@login_required
@require_GET
def review(request, pk):
    return _review_page(request, _application(request, pk))


def _act(request, pk, key: str, call, done: str):
    """The POST of one action of the review page: the form of ``key`` parsed, then ``call(application,
    cleaned_data)`` (a service) through transition_page. A form the person can mend is drawn again on the
    review page; a refusal of the state is a message on it."""
    application = _application(request, pk)
    form = FORMS[key](application, request.POST)
    if form.is_valid():
        answer = transition_page(request, lambda: call(application, form.cleaned_data), form=form,
                                 back=_review_url(application), done=done % _name(application))
        if answer:
            return answer
    return _review_page(request, application, bound={key: form})


@login_required
@require_POST
def request_document(request, pk):
    return _act(request, pk, "request_document", lambda a, d: services.document_request(
        application=a, kind=d["kind"], note=d["note"].strip(), by=request.user),
        _("The document is requested from %(name)s."))


@login_required
@require_POST
def offer_slots(request, pk):
    return _act(request, pk, "offer_slots", lambda a, d: services.interview_slots_offer(
        application=a, starts=d["starts"], by=request.user),
        _("The interview times are offered to %(name)s."))


@login_required
@require_POST
def schedule_interview(request, pk):
    return _act(request, pk, "schedule_interview", lambda a, d: services.interview_schedule(
        application=a, scheduled_at=d["scheduled_at"], where=d["where"].strip(), interviewer=request.user,
        by=request.user),
        _("The interview with %(name)s is scheduled."))


@login_required
@require_POST
def record_interview(request, pk):
    return _act(request, pk, "record_interview", lambda a, d: services.interview_record(
        application=a, spanish_level=d["spanish_level"], values_fit=d["values_fit"], notes=d["notes"].strip(),
        recommendation=d["recommendation"], by=request.user),
        _("The interview with %(name)s is recorded."))


def _decide(service, done):
    @login_required
    @require_POST
    def view(request, pk):
        return _act(request, pk, "decision", lambda a, d: service(
            application=a, message=d["message"].strip(), by=request.user), done)
    return view


accept = _decide(lambda **kw: services.application_accept(**kw), _("%(name)s is accepted."))
waitlist = _decide(lambda **kw: services.application_waitlist(**kw), _("%(name)s is on the waiting list."))
decline = _decide(lambda **kw: services.application_decline(**kw), _("%(name)s is declined."))


@login_required
@require_POST
def allow_short_stay(request, pk):
    return _act(request, pk, "short_stay", lambda a, d: services.short_stay_allow(
        application=a, reason=d["reason"].strip(), by=request.user),
        _("A shorter stay is allowed for %(name)s."))


def _placement_args(application, data) -> dict:
    return {"application": application, "clinic": data["clinic"], "pasante": data["pasante"],
            "host_family": data["host_family"], "start_date": data["start_date"], "end_date": data["end_date"]}


def _problems(application, form) -> list[str]:
    current = selectors.placement_of(application)
    return services.placement_problems(**_placement_args(application, form.cleaned_data), exclude=current)


@login_required
@require_POST
def propose_placement(request, pk):
    """Every rule the choice breaks is listed before anything is saved; the form keeps what was typed."""
    application = _application(request, pk)
    form = _placement_form(application, request.POST)
    if form.is_valid():
        if problems := _problems(application, form):
            return _review_page(request, application, bound={"propose_placement": form}, problems=problems)
        data = form.cleaned_data
        answer = transition_page(
            request, lambda: services.placement_propose(
                **_placement_args(application, data), meals_per_day=data["meals_per_day"],
                notes=data["notes"].strip(), by=request.user),
            form=form, back=_review_url(application),
            done=_("The placement is proposed to %(name)s: they confirm it on their status page.") % _name(application),
        )
        if answer:
            return answer
    return _review_page(request, application, bound={"propose_placement": form})


@login_required
@require_GET
def placement_check(request, pk):
    """The placement's problems as the fields change (htmx): the list, or that every rule is met."""
    application = _application(request, pk)
    form = _placement_form(application, request.GET)
    problems = None
    if form.is_valid() and form.complete:
        problems = _problems(application, form)
    # While the form is half filled, only what was typed wrong is said, not what is still empty.
    typed_wrong = [(form[name].label, error) for name, errors in form.errors.items() if name in form.fields
                   and request.GET.get(name) for error in errors]
    return render(request, "visitors/program/placement_problems.html",
                  {"problems": problems, "checked": problems is not None, "typed_wrong": typed_wrong})


@login_required
@require_POST
def confirm_placement(request, pk):
    """Staff confirm the proposed placement for the applicant (who said yes by phone or e-mail)."""
    application = _application(request, pk)
    return transition_page(
        request, lambda: services.placement_confirm(application=application, by=request.user),
        back=_review_url(application),
        done=_("The placement of %(name)s is confirmed and the host family's stay recorded.") % _name(application),
    )


@login_required
@require_POST
def arrange_arrival(request, pk):
    def call(application, data):
        # Both or neither: the flight and the pickup are one form.
        with transaction.atomic():
            if data["flight_number"] or data["arrives_at"]:
                services.flight_details_set(application=application, flight_number=data["flight_number"].strip(),
                                            arrives_at=data["arrives_at"], arrives_where=data["arrives_where"].strip(),
                                            by=request.user)
            services.arrival_arrange(application=application, pickup_at=data["pickup_at"],
                                     meeting_point=data["meeting_point"].strip(), driver=data["driver"],
                                     vehicle=data["vehicle"].strip(), notes=data["notes"].strip(), by=request.user)
    return _act(request, pk, "arrange_arrival", call, _("The arrival of %(name)s is organised."))


@login_required
@require_POST
def mark_arrived(request, pk):
    return _act(request, pk, "mark_arrived", lambda a, d: services.application_mark_arrived(
        application=a, orientation_done=d["orientation_done"], by=request.user),
        _("%(name)s has arrived."))


def _simple(service, done):
    @login_required
    @require_POST
    def view(request, pk):
        application = _application(request, pk)
        return transition_page(request, lambda: service(application=application, by=request.user),
                               back=_review_url(application), done=done % _name(application))
    return view


mark_in_community = _simple(lambda **kw: services.application_mark_in_community(**kw),
                            _("%(name)s is in the community."))
complete = _simple(lambda **kw: services.application_complete(**kw), _("The stay of %(name)s is completed."))


@login_required
@require_POST
def withdraw(request, pk):
    return _act(request, pk, "withdraw", lambda a, d: services.application_withdraw(
        application=a, reason=d["reason"].strip(), by=request.user),
        _("The application of %(name)s is withdrawn."))


@login_required
@require_POST
def disengage(request, pk):
    return _act(request, pk, "disengage", lambda a, d: services.application_disengage(
        application=a, reason=d["reason"].strip(), ended_on=d["ended_on"], return_arranged=d["return_arranged"],
        by=request.user),
        _("%(name)s is disengaged."))


# --- The calendar -----------------------------------------------------------------------------------------


@login_required
@require_GET
def calendar(request):
    require(selectors.can_manage_applications(request.user))
    return render(request, "visitors/program/calendar.html", selectors.calendar())


# --- The orientation pack -------------------------------------------------------------------------------------


@login_required
def orientation_pack(request):
    """The document every visitor receives before arrival: the newest upload is the one sent."""
    require(selectors.can_manage_applications(request.user))
    form = OrientationPackForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        answer = transition_page(
            request, lambda: services.orientation_pack_upload(title=form.cleaned_data["title"].strip(),
                                                              upload=form.cleaned_data["upload"], by=request.user),
            form=form, back=reverse("visitors:orientation-pack-upload"),
            done=_("The orientation pack is uploaded: visitors receive this one from now on."),
        )
        if answer:
            return answer
    packs = list(selectors.orientation_packs_visible_to(request.user).select_related("uploaded_by")[:10])
    return render(request, "visitors/program/orientation_pack.html", {"form": form, "packs": packs})


# --- The pasante ----------------------------------------------------------------------------------------------


def _pasante_placement(request, pk):
    require(selectors.is_pasante(request.user))
    return selectors.pasante_placement_for(request.user, pk)


def _pasante_url(placement) -> str:
    return reverse("visitors:my-visitor-detail", kwargs={"pk": placement.pk})


@login_required
@require_GET
def my_visitor(request):
    """The pasante's visitors: the one coming or there now first; with one, straight to their page."""
    require(selectors.is_pasante(request.user))
    placements = list(selectors.pasante_placements(request.user))
    today = timezone.localdate()
    coming = [p for p in placements if p.end_date >= today]
    if len(coming) == 1 and len(placements) == 1:
        return redirect(_pasante_url(coming[0]))
    past = [p for p in placements if p.end_date < today]
    return render(request, "visitors/program/my_visitors.html",
                  {"coming": sorted(coming, key=lambda p: p.start_date), "past": past})


def _pasante_page(request, placement, *, feedback_form=None, status=200):
    today = timezone.localdate()
    context = {
        "placement": placement,
        "application": placement.application,
        "arrival": getattr(placement.application, "arrival", None),
        "feedback": getattr(placement, "pasante_feedback", None),
        "feedback_form": feedback_form or PasanteFeedbackForm(),
        "can_confirm_family": placement.host_family_confirmed_at is None and placement.end_date >= today,
        "stay_over": placement.end_date < today or placement.application.state in (State.COMPLETED, State.DISENGAGED),
    }
    return render(request, "visitors/program/my_visitor.html", context, status=status)


@login_required
@require_GET
def my_visitor_detail(request, pk):
    return _pasante_page(request, _pasante_placement(request, pk))


@login_required
@require_POST
def host_family_ready(request, pk):
    placement = _pasante_placement(request, pk)
    return transition_page(
        request, lambda: services.host_family_confirm(placement=placement, by=request.user),
        back=_pasante_url(placement), done=_("Thank you: the program knows the host family is ready."),
    )


@login_required
@require_POST
def pasante_feedback(request, pk):
    placement = _pasante_placement(request, pk)
    form = PasanteFeedbackForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        answer = transition_page(
            request, lambda: services.pasante_feedback_submit(
                placement=placement, rating=data["rating"], would_host_again=data["would_host_again"],
                comments=data["comments"].strip(), by=request.user),
            form=form, back=_pasante_url(placement), done=_("Thank you for your feedback on the visitor."),
        )
        if answer:
            return answer
    return _pasante_page(request, placement, feedback_form=form)


urlpatterns = [
    path("programa/", board, name="board"),
    path("programa/calendario/", calendar, name="calendar"),
    path("programa/orientacion/", orientation_pack, name="orientation-pack-upload"),
    path("programa/<int:pk>/", review, name="review"),
    path("programa/<int:pk>/pedir-documento/", request_document, name="review-request-document"),
    path("programa/<int:pk>/ofrecer-horarios/", offer_slots, name="review-offer-slots"),
    path("programa/<int:pk>/agendar-entrevista/", schedule_interview, name="review-schedule-interview"),
    path("programa/<int:pk>/registrar-entrevista/", record_interview, name="review-record-interview"),
    path("programa/<int:pk>/aceptar/", accept, name="review-accept"),
    path("programa/<int:pk>/lista-de-espera/", waitlist, name="review-waitlist"),
    path("programa/<int:pk>/rechazar/", decline, name="review-decline"),
    path("programa/<int:pk>/estancia-corta/", allow_short_stay, name="review-short-stay"),
    path("programa/<int:pk>/colocacion/", propose_placement, name="review-propose-placement"),
    path("programa/<int:pk>/colocacion/revisar/", placement_check, name="review-placement-check"),
    path("programa/<int:pk>/colocacion/confirmar/", confirm_placement, name="review-confirm-placement"),
    path("programa/<int:pk>/llegada/", arrange_arrival, name="review-arrival"),
    path("programa/<int:pk>/llego/", mark_arrived, name="review-mark-arrived"),
    path("programa/<int:pk>/en-comunidad/", mark_in_community, name="review-mark-in-community"),
    path("programa/<int:pk>/completar/", complete, name="review-complete"),
    path("programa/<int:pk>/retirar/", withdraw, name="review-withdraw"),
    path("programa/<int:pk>/desvincular/", disengage, name="review-disengage"),
    path("mi-visitante/", my_visitor, name="my-visitor"),
    path("mi-visitante/<int:pk>/", my_visitor_detail, name="my-visitor-detail"),
    path("mi-visitante/<int:pk>/familia-lista/", host_family_ready, name="my-visitor-host-family-ready"),
    path("mi-visitante/<int:pk>/comentarios/", pasante_feedback, name="my-visitor-feedback"),
]
