"""visitors.selectors.applications: who reaches which application, its timeline, what is asked of the
applicant now (``next_step``) and what each person may do with it (``application_actions``).

An applicant reaches only their own applications and documents; the visitor program, coordinators and
admins reach all; a pasante reaches the placements of the visitors paired with them; anyone else nothing.
Outside one's reach is a 404, never a hint that the object exists.
"""

from dataclasses import dataclass, fields
from datetime import date

from django.db.models import Case, CharField, QuerySet, Value, When
from django.http import Http404
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from ces.accounts.roles import Role

from ..models import Application, Document, DocumentKind, OrientationPack, Placement, StatusChange

__all__ = [
    "MANAGER_ROLES", "ApplicationActions", "NextStep", "application_actions", "application_for",
    "applications_filtered", "applications_visible_to", "can_manage_applications", "current_application",
    "document_for", "is_applicant", "is_pasante", "next_step", "open_document_requests",
    "orientation_packs_visible_to", "placement_of", "placements_for_pasante", "timeline",
]

State = Application.State
# Who manages applications: the visitor program, coordinators, admins.
MANAGER_ROLES = (Role.VISITOR_PROGRAM, Role.COORDINATOR, Role.ADMIN)
ENDED_STATES = (State.COMPLETED, State.WITHDRAWN, State.DISENGAGED, State.DECLINED)


def can_manage_applications(user) -> bool:
    return bool(user.is_authenticated and user.has_role(*MANAGER_ROLES))


def is_applicant(user) -> bool:
    return bool(user.is_authenticated and user.has_role(Role.APPLICANT))


def is_pasante(user) -> bool:
    """Who may speak for a placement (the host family ready, the feedback): a pasante, on the visitors paired
    with them (``placements_for_pasante``)."""
    return bool(user.is_authenticated and user.has_role(Role.PASANTE))


def applications_visible_to(user) -> QuerySet:
    """The applications ``user`` reaches: an applicant their own, the program all, anyone else none."""
    applications = Application.objects.select_related("applicant")
    if not user.is_authenticated:
        return applications.none()
    if can_manage_applications(user):
        return applications
    if is_applicant(user):
        return applications.filter(applicant=user)
    return applications.none()


def applications_filtered(applications: QuerySet, *, state: str = "", category: str = "", country: str = "",
                          institution: str = "", repeat: bool | None = None, wanted_from: date | None = None,
                          wanted_to: date | None = None) -> QuerySet:
    """The list's filters (the API's), on ``applications`` already scoped by ``applications_visible_to``: each
    given one narrows it. ``country`` whatever its capitals; ``institution`` a part of the name, whatever its
    capitals; ``repeat`` True returning visitors only, False first visits only; ``wanted_from`` and ``wanted_to``
    the stays wanted that overlap those days. No query of its own.

    (The program's board filters with ``board``'s own rules: open states only, the wanted start in a range.)"""
    if state:
        applications = applications.filter(state=state)
    if category:
        applications = applications.filter(category=category)
    if country:
        applications = applications.filter(country=country.upper())
    if (institution or "").strip():
        applications = applications.filter(institution__icontains=institution.strip())
    if repeat is not None:
        applications = applications.filter(previous__isnull=not repeat)
    if wanted_from:
        applications = applications.filter(wanted_end__gte=wanted_from)
    if wanted_to:
        applications = applications.filter(wanted_start__lte=wanted_to)
    return applications


def application_for(user, pk) -> Application:
    """The application ``pk`` if ``user`` reaches it; Http404 otherwise (or for a pk that is not a number)."""
    try:
        return applications_visible_to(user).get(pk=int(pk))
    except (Application.DoesNotExist, TypeError, ValueError) as exc:
        raise Http404 from exc


def current_application(user) -> Application | None:
    """The applicant's latest application (the one their status page shows), or None."""
    if not user.is_authenticated:
        return None
    return Application.objects.filter(applicant=user).order_by("-created_at", "-pk").first()


def document_for(user, pk) -> Document:
    """The document ``pk`` if its application is in ``user``'s reach; Http404 otherwise."""
    try:
        return (Document.objects.select_related("application")
                .get(pk=int(pk), application__in=applications_visible_to(user)))
    except (Document.DoesNotExist, TypeError, ValueError) as exc:
        raise Http404 from exc


def orientation_packs_visible_to(user) -> QuerySet:
    """The orientation packs, newest first (the first is the one visitors get): the program's, coordinators'
    and admins'; anyone else none (a visitor gets the current one through its page)."""
    if not can_manage_applications(user):
        return OrientationPack.objects.none()
    return OrientationPack.objects.order_by("-uploaded_at", "-pk")


def timeline(application: Application) -> list[StatusChange]:
    """Every change of the application, oldest first, with who made it."""
    return list(application.changes.select_related("by").order_by("at", "pk"))


def placement_of(application: Application) -> Placement | None:
    """The current placement (proposed or confirmed), or None."""
    return (application.placements.exclude(state=Placement.State.CANCELLED)
            .select_related("clinic__community", "pasante", "host_family", "host_stay")
            .order_by("-proposed_at", "-pk").first())


def open_document_requests(application: Application) -> list:
    return list(application.document_requests.filter(fulfilled_at__isnull=True).order_by("requested_at", "pk"))


def placements_for_pasante(user, *, today: date | None = None) -> QuerySet:
    """The visitor placements (proposed or confirmed) of the pasante ``user`` is, each annotated ``when``:
    "coming", "current" or "past" on ``today``; current and coming first, soonest first, then the past."""
    today = today or timezone.localdate()
    if not user.is_authenticated:
        return Placement.objects.none()
    return (Placement.objects.filter(pasante__user=user).exclude(state=Placement.State.CANCELLED)
            .select_related("application", "clinic", "host_family")
            .annotate(when=Case(When(start_date__gt=today, then=Value("coming")),
                                When(end_date__lt=today, then=Value("past")),
                                default=Value("current"), output_field=CharField()))
            .annotate(_past=Case(When(end_date__lt=today, then=Value(1)), default=Value(0)))
            .order_by("_past", "start_date", "pk"))


@dataclass(frozen=True)
class NextStep:
    """What is asked of the applicant now: one sentence, and one button (``action`` a page key, ``label``
    its text), or no button (``action`` None) while the program has the next move. ``kind`` is the document
    kind when the action is "upload_document"."""

    sentence: str
    action: str | None = None
    label: str | None = None
    kind: str | None = None


def _day(day: date) -> str:
    """A day as a sentence reads it: "March 3, 2027", "3 de marzo de 2027"."""
    return formats.date_format(day, pgettext("date in a sentence (Django date format)", "F j, Y"))


def _moment(moment) -> str:
    """A time as a sentence reads it: "March 3, 2027, 10:00", "3 de marzo de 2027, 10:00"."""
    return formats.date_format(timezone.localtime(moment),
                               pgettext("date and time in a sentence (Django date format)", "F j, Y, H:i"))


def _future_slots(application: Application, now) -> list:
    return list(application.slots.filter(starts_at__gt=now).order_by("starts_at"))


def next_step(application: Application, *, today: date | None = None, now=None) -> NextStep:
    """The one thing the applicant is asked to do now (or what they are waiting for)."""
    from .. import services

    now = now or timezone.now()
    today = today or timezone.localdate(now)
    state = application.state

    if state == State.DRAFT:
        missing = services.application_missing(application, today=today)
        if not missing:
            return NextStep(_("Your application is complete: review it and submit it."), "edit",
                            pgettext("visitor next step button", "Review and submit"))
        documents = services.missing_documents(application)
        if len(documents) == len(missing):
            kind = documents[0]
            return NextStep(_("Upload your %(document)s to finish your application.")
                            % {"document": DocumentKind(kind).label}, "upload_document",
                            pgettext("visitor next step button", "Upload"), kind)
        return NextStep(_("Finish your application: %(missing)s") % {"missing": missing[0]}, "edit",
                        pgettext("visitor next step button", "Continue your application"))

    if state in Application.BEFORE_ARRIVAL:
        requests = open_document_requests(application)
        if requests:
            request = requests[0]
            return NextStep(_("The program asks for your %(document)s: %(note)s")
                            % {"document": request.get_kind_display(), "note": request.note},
                            "upload_document", pgettext("visitor next step button", "Upload"), request.kind)

    if state == State.SUBMITTED:
        if _future_slots(application, now):
            return NextStep(_("Choose a time for your interview in Spanish."), "choose_slot",
                            pgettext("visitor next step button", "Choose a time"))
        return NextStep(_("We are reviewing your application. We will write to you with times for an "
                          "interview in Spanish."))
    if state == State.INTERVIEW_SCHEDULED:
        interview = application.interviews.filter(recorded_at__isnull=True, cancelled_at__isnull=True).first()
        if interview is not None:
            where = f" ({interview.where})" if interview.where else ""
            return NextStep(_("Your interview in Spanish is on %(when)s%(where)s.")
                            % {"when": _moment(interview.scheduled_at), "where": where})
        return NextStep(_("Your interview in Spanish is being arranged."))
    if state == State.INTERVIEWED:
        return NextStep(_("Thank you for the interview. We will write to you with our decision."))
    if state == State.ACCEPTED:
        return NextStep(_("You are accepted. We are finding you a clinic, a pasante and a host family."))
    if state == State.WAITLISTED:
        return NextStep(_("You are on the waiting list. We will write to you if a place opens."))
    if state == State.DECLINED:
        return NextStep(_("We cannot offer you a place this time."))
    if state == State.PLACEMENT_PROPOSED:
        placement = placement_of(application)
        return NextStep(_("We propose %(clinic)s from %(start)s to %(end)s: confirm it if it suits you.")
                        % {"clinic": placement.clinic.name, "start": _day(placement.start_date),
                           "end": _day(placement.end_date)} if placement else _("Confirm your placement."),
                        "confirm_placement", pgettext("visitor next step button", "Confirm the placement"))
    if state == State.PLACEMENT_CONFIRMED:
        arrival = _arrival(application)
        if arrival is None or not arrival.flight_number:
            return NextStep(_("Tell us your flight or bus, so we can pick you up."), "flight_details",
                            pgettext("visitor next step button", "Add your flight"))
        if arrival.pickup_organised:
            return NextStep(_("Your pickup is on %(when)s at %(where)s.")
                            % {"when": _moment(arrival.pickup_at), "where": arrival.meeting_point})
        return NextStep(_("We are organising your pickup. We will write to you with the time and the place."))
    if state == State.ARRIVED:
        return NextStep(_("Welcome! After the orientation we take you to your community."))
    if state == State.IN_COMMUNITY:
        placement = placement_of(application)
        if placement and today >= placement.end_date and not _has_survey(application):
            return NextStep(_("Your stay is ending: tell us how it went."), "exit_survey",
                            pgettext("visitor next step button", "Answer the survey"))
        if placement:
            return NextStep(_("You are at %(clinic)s until %(end)s.")
                            % {"clinic": placement.clinic.name, "end": _day(placement.end_date)})
        return NextStep(_("You are in the community."))
    if state == State.COMPLETED:
        if not _has_survey(application):
            return NextStep(_("Tell us how your stay went."), "exit_survey",
                            pgettext("visitor next step button", "Answer the survey"))
        return NextStep(_("Thank you for your stay and for your answers."))
    if state == State.WITHDRAWN:
        return NextStep(_("You withdrew this application."))
    return NextStep(_("Your stay ended early."))


def _arrival(application: Application):
    try:
        return application.arrival
    except Application.arrival.RelatedObjectDoesNotExist:
        return None


def _has_survey(application: Application) -> bool:
    try:
        return application.exit_survey is not None
    except Application.exit_survey.RelatedObjectDoesNotExist:
        return False


@dataclass(frozen=True)
class ApplicationActions:
    """What ``user`` may do with the application now (the pages show these buttons; the services still
    check). Applicant's: edit, submit, upload_document, choose_slot, confirm_placement, flight_details,
    withdraw, exit_survey, apply_again. The program's: the rest (and confirm, flight, upload, withdraw for
    the applicant)."""

    edit: bool = False
    submit: bool = False
    upload_document: bool = False
    request_document: bool = False
    allow_short_stay: bool = False
    offer_slots: bool = False
    choose_slot: bool = False
    schedule_interview: bool = False
    record_interview: bool = False
    accept: bool = False
    waitlist: bool = False
    decline: bool = False
    propose_placement: bool = False
    confirm_placement: bool = False
    flight_details: bool = False
    arrange_arrival: bool = False
    mark_arrived: bool = False
    mark_in_community: bool = False
    complete: bool = False
    withdraw: bool = False
    disengage: bool = False
    exit_survey: bool = False
    apply_again: bool = False

    def any(self) -> bool:
        return any(getattr(self, field.name) for field in fields(self))


def application_actions(user, application: Application, *, now=None) -> ApplicationActions:
    """The transitions ``user`` may start on ``application`` from its state."""
    if not user.is_authenticated:
        return ApplicationActions()
    now = now or timezone.now()
    state = application.state
    transitions = Application.TRANSITIONS

    def may(name):
        return state in transitions[name]

    manager = can_manage_applications(user)
    owner = application.applicant_id == user.pk
    if not (manager or owner):
        return ApplicationActions()
    survey_open = may("exit_survey") and not _has_survey(application)
    own = {}
    if owner:
        ended = state in ENDED_STATES
        own = {
            "edit": may("edit"),
            "submit": may("submit"),
            "upload_document": may("upload_document"),
            "choose_slot": may("schedule_interview") and bool(_future_slots(application, now)),
            "confirm_placement": may("confirm_placement"),
            "flight_details": may("arrange_arrival"),
            "withdraw": may("withdraw"),
            "exit_survey": survey_open,
            "apply_again": ended and not Application.objects.filter(applicant_id=user.pk).exclude(
                state__in=ENDED_STATES).exists(),
        }
    staff = {}
    if manager:
        staff = {
            "upload_document": True,
            "request_document": may("request_document"),
            "allow_short_stay": may("allow_short_stay") and not application.short_stay_reason,
            "offer_slots": may("offer_slots"),
            "schedule_interview": may("schedule_interview"),
            "record_interview": may("record_interview"),
            "accept": may("accept"),
            "waitlist": may("waitlist"),
            "decline": may("decline"),
            "propose_placement": may("propose_placement"),
            "confirm_placement": may("confirm_placement"),
            "flight_details": may("arrange_arrival"),
            "arrange_arrival": may("arrange_arrival"),
            "mark_arrived": may("mark_arrived"),
            "mark_in_community": may("mark_in_community"),
            "complete": may("complete"),
            "withdraw": may("withdraw"),
            "disengage": may("disengage"),
        }
    merged = {name: own.get(name, False) or staff.get(name, False) for name in {*own, *staff}}
    return ApplicationActions(**merged)

