"""Every write of the visitor program, one function per transition of ``Application.TRANSITIONS``.

Each locks the application's row, refuses a start state its transition does not list (a ValidationError
with code ``ILLEGAL_TRANSITION``: the pages answer it with ``ces.core.pages.transition_page``), checks the
input (a ValidationError with field -> message, nothing written), saves through ``validate_and_save`` and
writes one ``StatusChange`` per change of state (the timeline, and the e-mail to the applicant).

Host families, their stays, staff and clinics belong to the clinics app: this module reads them through
``clinics.selectors`` and writes them through ``clinics.services``.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext, pgettext_lazy

from ces.accounts.roles import Role
from ces.core.services import ILLEGAL_TRANSITION, validate_and_save
from clinics import selectors as clinic_selectors
from clinics import services as clinic_services
from clinics.models import Assignment, Cadre, Clinic, HostFamily, HostStay, Staff

from . import uploads
from .models import (
    ACCEPTABLE_SPANISH,
    CLINICIAN_CATEGORIES,
    MINIMUM_STAY,
    REQUIRED_DOCUMENTS,
    Application,
    Arrival,
    Category,
    Document,
    DocumentKind,
    DocumentRequest,
    ExitSurvey,
    Interview,
    InterviewSlot,
    OrientationPack,
    PasanteFeedback,
    Placement,
    SpanishLevel,
    StatusChange,
    minimum_last_day,
)

State = Application.State


@dataclass(frozen=True)
class Step:
    number: int
    title: str
    fields: tuple[str, ...]


# The application form's steps, in order: the fields each saves (``application_update``). Step 6 is the
# documents (``document_upload``), step 7 the review and the submit.
APPLICATION_STEPS = (
    Step(1, "About you", ("full_name", "phone", "country")),
    Step(2, "Your stay", ("category", "wanted_start", "wanted_end")),
    Step(3, "Training", ("institution", "program", "training_level", "licence_number", "licence_country")),
    Step(4, "Spanish and motivation", ("spanish_self_assessment", "motivation", "prior_visits")),
    Step(5, "Safety", ("emergency_contact_name", "emergency_contact_phone", "emergency_contact_relation",
                       "dietary_notes", "health_notes")),
    Step(6, "Documents", ()),
    Step(7, "Review and submit", ()),
)
STEP_TITLES = {
    1: pgettext_lazy("visitor application step", "About you"),
    2: pgettext_lazy("visitor application step", "Your stay"),
    3: pgettext_lazy("visitor application step", "Training"),
    4: pgettext_lazy("visitor application step", "Spanish and motivation"),
    5: pgettext_lazy("visitor application step", "Safety"),
    6: pgettext_lazy("visitor application step", "Documents"),
    7: pgettext_lazy("visitor application step", "Review and submit"),
}
STEPS_BY_NUMBER = {step.number: step for step in APPLICATION_STEPS}
APPLICATION_FIELDS = tuple(name for step in APPLICATION_STEPS for name in step.fields)

# What must be filled before submitting; the licence only for clinicians (students hold none).
REQUIRED_FIELDS = (
    "full_name", "phone", "country", "category", "wanted_start", "wanted_end", "institution", "training_level",
    "spanish_self_assessment", "motivation", "emergency_contact_name", "emergency_contact_phone",
)
CLINICIAN_REQUIRED_FIELDS = ("licence_number", "licence_country")

# States in which an application has ended: a new one may be started (the model's unique constraint).
ENDED_STATES = (State.COMPLETED, State.WITHDRAWN, State.DISENGAGED, State.DECLINED)
MANAGER_ROLES = (Role.VISITOR_PROGRAM, Role.COORDINATOR, Role.ADMIN)


# --- Helpers -------------------------------------------------------------------------------------------------

def _action(transition: str) -> str:
    """What trying ``transition`` is called in the refusal: "An application that is draft cannot be ..."."""
    return {
        "edit": pgettext("visitor application action", "edited"),
        "submit": pgettext("visitor application action", "submitted"),
        "request_document": pgettext("visitor application action", "asked for a document"),
        "offer_slots": pgettext("visitor application action", "offered interview times"),
        "schedule_interview": pgettext("visitor application action", "given an interview"),
        "record_interview": pgettext("visitor application action", "given an interview result"),
        "accept": pgettext("visitor application action", "accepted"),
        "waitlist": pgettext("visitor application action", "waitlisted"),
        "decline": pgettext("visitor application action", "declined"),
        "propose_placement": pgettext("visitor application action", "given a placement"),
        "confirm_placement": pgettext("visitor application action", "confirmed"),
        "arrange_arrival": pgettext("visitor application action", "given arrival details"),
        "mark_arrived": pgettext("visitor application action", "marked as arrived"),
        "mark_in_community": pgettext("visitor application action", "marked as in the community"),
        "complete": pgettext("visitor application action", "completed"),
        "withdraw": pgettext("visitor application action", "withdrawn"),
        "disengage": pgettext("visitor application action", "ended early"),
        "exit_survey": pgettext("visitor application action", "given an exit survey"),
        "allow_short_stay": pgettext("visitor application action", "allowed a shorter stay"),
        "upload_document": pgettext("visitor application action", "given a document"),
    }[transition]


def illegal_transition(application: Application, transition: str) -> ValidationError:
    """The refusal of ``transition`` from the application's state: it names the state and what was tried."""
    return ValidationError(
        _("An application that is %(state)s cannot be %(action)s.")
        % {"state": application.get_state_display().lower(), "action": _action(transition)},
        code=ILLEGAL_TRANSITION,
    )


def _lock(application: Application, transition: str) -> Application:
    """The application's row locked, if ``transition`` may start from its state."""
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if locked.state not in Application.TRANSITIONS[transition]:
        raise illegal_transition(locked, transition)
    return locked


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def _save(application: Application, fields, *, at: datetime) -> Application:
    """Save ``fields`` (and the stamp), validating only them and the rules that read them (``fields=``): the
    rest of the row was validated when it was saved; a state change checks "one open application"."""
    application.updated_at = at
    fields = [*fields, "updated_at"]
    return validate_and_save(application, update_fields=fields, fields=fields)


def _move(application: Application, to_state: str, *, by, note: str = "", at: datetime | None = None,
          fields=()) -> StatusChange:
    """Save the application in ``to_state`` (with ``fields``) and write its timeline row."""
    at = _now(at)
    from_state = application.state
    application.state = to_state
    application.state_changed_at = at
    _save(application, [*fields, "state", "state_changed_at"], at=at)
    return StatusChange.objects.create(application=application, from_state=from_state, to_state=to_state,
                                       note=note, by=by if getattr(by, "pk", None) else None, at=at)


def _required(value, field: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: message})
    return text


def _is_manager(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.has_role(*MANAGER_ROLES))


def _day(day: date) -> str:
    """A day as a sentence reads it: "March 3, 2027", "3 de marzo de 2027"."""
    return formats.date_format(day, pgettext("date in a sentence (Django date format)", "F j, Y"))


def _span(start: date, end: date) -> dict:
    return {"start": _day(start), "end": _day(end)}


def _current_placement(application: Application, *, for_update: bool = False) -> Placement | None:
    placements = application.placements.exclude(state=Placement.State.CANCELLED)
    if for_update:
        placements = placements.select_for_update()
    return placements.order_by("-proposed_at", "-pk").first()


def _pending_interview(application: Application) -> Interview | None:
    return application.interviews.filter(recorded_at__isnull=True, cancelled_at__isnull=True).first()


def _cancel_pending_interview(application: Application, *, at: datetime) -> None:
    application.interviews.filter(recorded_at__isnull=True, cancelled_at__isnull=True).update(cancelled_at=at)


def _future(moment, field: str, *, now: datetime) -> datetime:
    if not isinstance(moment, datetime):
        raise ValidationError({field: _("Give a date and a time.")})
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment <= now:
        raise ValidationError({field: _("The time must be in the future.")})
    return moment


def _save_or_forget_file(instance):
    """Save a row whose file is already stored; when the row is refused, the file is removed again."""
    try:
        return validate_and_save(instance)
    except ValidationError:
        instance.file.storage.delete(instance.file.name)
        raise


# --- The application form ------------------------------------------------------------------------------------

@transaction.atomic
def application_start(*, applicant, previous: Application | None = None, by=None) -> Application:
    """A new draft for ``applicant``; from ``previous`` (theirs, ended) it copies what they wrote (not the
    dates, not the documents) and links it, so the program sees a repeat visit."""
    now = timezone.now()
    application = Application(applicant=applicant, full_name=getattr(applicant, "full_name", "") or "",
                              created_at=now, state_changed_at=now, updated_at=now)
    if previous is not None:
        if previous.applicant_id != applicant.pk:
            raise ValidationError({"previous": _("You can start again only from one of your own applications.")})
        if previous.state not in ENDED_STATES:
            raise ValidationError({"previous": _("You can start again once your last application has ended.")})
        application.previous = previous
        for name in APPLICATION_FIELDS:
            if name not in ("wanted_start", "wanted_end"):
                setattr(application, name, getattr(previous, name))
    validate_and_save(application)
    StatusChange.objects.create(application=application, from_state="", to_state=State.DRAFT,
                                by=by or applicant, at=now)
    return application


@transaction.atomic
def application_update(*, application: Application, by, step: int, fields: dict) -> Application:
    """Save the given fields of one step of a draft (partially: what is not given is left as it is), and
    remember the furthest step reached, where the applicant resumes."""
    application = _lock(application, "edit")
    if step not in STEPS_BY_NUMBER:
        raise ValidationError({"step": _("There is no such step.")})
    allowed = STEPS_BY_NUMBER[step].fields
    unknown = [name for name in fields if name not in allowed]
    if unknown:
        raise ValidationError({name: _("This is not part of this step.") for name in unknown})
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        if value is None and Application._meta.get_field(name).null is False:
            value = ""
        setattr(application, name, value)
    application.step = max(application.step, step)
    return _save(application, [*fields, "step"], at=timezone.now())


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or str(value) == ""


def application_missing(application: Application, *, today: date | None = None) -> list[str]:
    """What still stops ``application`` being submitted, one sentence each; empty when it is ready."""
    today = _today(today)
    missing = []
    required = list(REQUIRED_FIELDS)
    if application.category in CLINICIAN_CATEGORIES:
        required += CLINICIAN_REQUIRED_FIELDS
    step_of = {name: step.number for step in APPLICATION_STEPS for name in step.fields}
    for name in required:
        if _is_blank(getattr(application, name)):
            field = Application._meta.get_field(name)
            missing.append(_("Fill in “%(field)s” (step %(step)d, %(title)s).") % {
                "field": field.verbose_name, "step": step_of[name], "title": STEP_TITLES[step_of[name]]})
    start, end = application.wanted_start, application.wanted_end
    if start and start < today:
        missing.append(_("The first day you want (%(day)s) has passed: choose new dates.") % {"day": _day(start)})
    if start and end and end < start:
        missing.append(_("The last day cannot be before the first."))
    elif start and end and application.category and not application.short_stay_reason:
        earliest = minimum_last_day(application.category, start)
        if end < earliest:
            missing.append(_("%(category)s stay at least %(minimum)s: from %(start)s your stay would end on "
                             "%(earliest)s at the earliest.") % {
                "category": Category(application.category).label, "minimum": minimum_stay_text(application.category),
                "start": _day(start), "earliest": _day(earliest)})
    for kind in missing_documents(application):
        missing.append(_("Upload your %(document)s.") % {"document": DocumentKind(kind).label})
    return missing


def missing_documents(application: Application) -> list[str]:
    """The kinds of the documents its category requires that the application has no current one of."""
    if not application.category:
        return []
    have = set(application.documents.filter(replaced_at__isnull=True).values_list("kind", flat=True))
    return [kind for kind in REQUIRED_DOCUMENTS[application.category] if kind not in have]


def minimum_stay_text(category: str) -> str:
    """The shortest stay of ``category`` in words: "28 days", "6 months"."""
    days, months = MINIMUM_STAY[category]
    if months:
        return ngettext("%(count)d month", "%(count)d months", months) % {"count": months}
    return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}


@transaction.atomic
def application_submit(*, application: Application, by, now: datetime | None = None) -> Application:
    """Draft -> submitted, once nothing is missing (``application_missing``): the program reviews it."""
    now = _now(now)
    application = _lock(application, "submit")
    missing = application_missing(application, today=timezone.localdate(now))
    if missing:
        raise ValidationError(missing)
    application.submitted_at = now
    _move(application, State.SUBMITTED, by=by, at=now, fields=["submitted_at"])
    return application


# --- Documents -----------------------------------------------------------------------------------------------

@transaction.atomic
def document_upload(*, application: Application, kind: str, upload, by, now: datetime | None = None) -> Document:
    """Store ``upload`` as the application's current document of ``kind``: it replaces the previous one of
    that kind (kept, with ``replaced_at``) and meets an open request for that kind. The applicant may
    upload before arrival; the program at any time."""
    now = _now(now)
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not _is_manager(by) and application.state not in Application.BEFORE_ARRIVAL:
        raise illegal_transition(application, "upload_document")
    if kind not in DocumentKind.values:
        raise ValidationError({"kind": _("Choose what kind of document this is.")})
    content_type, name = uploads.check_upload(upload)
    document = Document(application=application, kind=kind, content_type=content_type, size=upload.size,
                        original_name=name, uploaded_by=by, uploaded_at=now)
    document.file.save(f"upload.{document.extension}", upload, save=False)
    _save_or_forget_file(document)
    application.documents.filter(kind=kind, replaced_at__isnull=True).exclude(pk=document.pk).update(replaced_at=now)
    application.document_requests.filter(kind=kind, fulfilled_at__isnull=True).update(
        fulfilled_by=document, fulfilled_at=now)
    _save(application, [], at=now)
    return document


@transaction.atomic
def document_request(*, application: Application, kind: str, note: str, by,
                     now: datetime | None = None) -> DocumentRequest:
    """The program asks for a document (missing, or to be corrected), saying what is needed."""
    now = _now(now)
    application = _lock(application, "request_document")
    if kind not in DocumentKind.values:
        raise ValidationError({"kind": _("Choose the document you are asking for.")})
    note = _required(note, "note", _("Say what is needed, so the applicant knows what to send."))
    request = validate_and_save(DocumentRequest(application=application, kind=kind, note=note, requested_by=by,
                                                requested_at=now))
    _save(application, [], at=now)
    return request


@transaction.atomic
def short_stay_allow(*, application: Application, reason: str, by) -> Application:
    """A coordinator allows a stay shorter than the category's minimum, with the reason."""
    application = _lock(application, "allow_short_stay")
    application.short_stay_reason = _required(reason, "reason", _("Say why a shorter stay is allowed."))
    application.short_stay_allowed_by = by
    return _save(application, ["short_stay_reason", "short_stay_allowed_by"], at=timezone.now())


# --- The interview -------------------------------------------------------------------------------------------

@transaction.atomic
def interview_slots_offer(*, application: Application, starts: list[datetime], by,
                          now: datetime | None = None) -> list[InterviewSlot]:
    """Offer the applicant interview times to choose from (future times only)."""
    now = _now(now)
    application = _lock(application, "offer_slots")
    if not starts:
        raise ValidationError({"starts": _("Offer at least one time.")})
    moments = sorted({_future(moment, "starts", now=now) for moment in starts})
    slots = [validate_and_save(InterviewSlot(application=application, starts_at=moment, offered_by=by,
                                             offered_at=now)) for moment in moments]
    _save(application, [], at=now)
    return slots


def _schedule(application: Application, *, scheduled_at: datetime, where: str, interviewer, by,
              now: datetime) -> Interview:
    rescheduled = application.state == State.INTERVIEW_SCHEDULED
    _cancel_pending_interview(application, at=now)
    interview = validate_and_save(Interview(application=application, scheduled_at=scheduled_at,
                                            where=(where or "").strip(), interviewer=interviewer))
    local = timezone.localtime(scheduled_at)
    note = (_("Interview moved to %(when)s.") if rescheduled else _("Interview on %(when)s.")) % {
        "when": formats.date_format(
            local, pgettext("date and time in a sentence (Django date format)", "F j, Y, H:i"))}
    _move(application, State.INTERVIEW_SCHEDULED, by=by, note=note, at=now)
    return interview


@transaction.atomic
def interview_slot_choose(*, application: Application, slot: InterviewSlot, by,
                          now: datetime | None = None) -> Interview:
    """The applicant picks one of the offered times: the interview is scheduled then."""
    now = _now(now)
    application = _lock(application, "schedule_interview")
    if slot.application_id != application.pk:
        raise ValidationError({"slot": _("Choose one of the times offered to you.")})
    if slot.starts_at <= now:
        raise ValidationError({"slot": _("This time has passed. Choose another one.")})
    return _schedule(application, scheduled_at=slot.starts_at, where="", interviewer=slot.offered_by, by=by,
                     now=now)


@transaction.atomic
def interview_schedule(*, application: Application, scheduled_at: datetime, where: str = "", interviewer=None,
                       by, now: datetime | None = None) -> Interview:
    """The program sets the interview's time directly, or moves it (the pending one is cancelled)."""
    now = _now(now)
    application = _lock(application, "schedule_interview")
    scheduled_at = _future(scheduled_at, "scheduled_at", now=now)
    return _schedule(application, scheduled_at=scheduled_at, where=where, interviewer=interviewer, by=by, now=now)


@transaction.atomic
def interview_record(*, application: Application, spanish_level: str, values_fit: str, notes: str,
                     recommendation: str, by, now: datetime | None = None) -> Interview:
    """The interview's result: the Spanish level found, the values fit, the notes, the recommendation."""
    now = _now(now)
    application = _lock(application, "record_interview")
    interview = _pending_interview(application)
    if interview is None:
        raise illegal_transition(application, "record_interview")
    errors = {}
    if spanish_level not in SpanishLevel.values:
        errors["spanish_level"] = _("Choose the Spanish level the interview found.")
    if values_fit not in Interview.ValuesFit.values:
        errors["values_fit"] = _("Choose how well their values fit.")
    if recommendation not in Interview.Recommendation.values:
        errors["recommendation"] = _("Choose a recommendation.")
    if errors:
        raise ValidationError(errors)
    interview.spanish_level = spanish_level
    interview.values_fit = values_fit
    interview.notes = (notes or "").strip()
    interview.recommendation = recommendation
    interview.recorded_by = by
    interview.recorded_at = now
    validate_and_save(interview)
    _move(application, State.INTERVIEWED, by=by, at=now, note=_("Spanish: %(level)s.") % {
        "level": SpanishLevel(spanish_level).label})
    return interview


# --- The decision --------------------------------------------------------------------------------------------

def _decide(application: Application, transition: str, to_state: str, message: str, by) -> Application:
    application = _lock(application, transition)
    application.decision_message = (message or "").strip()
    _move(application, to_state, by=by, note=application.decision_message, fields=["decision_message"])
    return application


@transaction.atomic
def application_accept(*, application: Application, message: str = "", by) -> Application:
    return _decide(application, "accept", State.ACCEPTED, message, by)


@transaction.atomic
def application_waitlist(*, application: Application, message: str = "", by) -> Application:
    return _decide(application, "waitlist", State.WAITLISTED, message, by)


@transaction.atomic
def application_decline(*, application: Application, message: str, by) -> Application:
    _required(message, "message", _("Write the message the applicant will read."))
    return _decide(application, "decline", State.DECLINED, message, by)


# --- The placement -------------------------------------------------------------------------------------------

def _capacity(clinic) -> int:
    return clinic.community.visitor_capacity or 1


def _overlapping(start_date: date, end_date: date) -> Q:
    return Q(start_date__lte=end_date, end_date__gte=start_date) & ~Q(state=Placement.State.CANCELLED)


def _most_at_once(ranges, start_date: date, end_date: date) -> int:
    """The largest number of (start, end) ranges covering any one day between the two (inclusive)."""
    changes: dict[date, int] = {}
    for first, last in ranges:
        first, last = max(first, start_date), min(last, end_date)
        if first > last:
            continue
        changes[first] = changes.get(first, 0) + 1
        changes[last + timedelta(days=1)] = changes.get(last + timedelta(days=1), 0) - 1
    most = current = 0
    for day in sorted(changes):
        current += changes[day]
        most = max(most, current)
    return most


def _full_nights(stays, first_night: date, last_night: date, rooms: int) -> list[date]:
    """The nights between the two (inclusive) on which ``stays`` fill every room."""
    full = []
    night = first_night
    while night <= last_night:
        guests = sum(1 for stay in stays if stay.first_night <= night <= stay.last_night)
        if guests >= rooms:
            full.append(night)
        night += timedelta(days=1)
    return full


def _latest_interview(application: Application) -> Interview | None:
    return (application.interviews.filter(recorded_at__isnull=False, cancelled_at__isnull=True)
            .order_by("-recorded_at", "-pk").first())


def placement_problems(*, application: Application, clinic, pasante, host_family: HostFamily, start_date: date,
                       end_date: date, exclude: Placement | None = None, today: date | None = None) -> list[str]:
    """Every rule the placement would break, each a sentence naming the conflict; nothing is written.
    The application's own placements never conflict with it (a new proposal replaces the old one)."""
    today = _today(today)
    problems = []
    if end_date < start_date:
        return [_("The last day cannot be before the first.")]
    community = clinic.community
    if start_date < today:
        problems.append(_("The first day (%(day)s) has passed.") % {"day": _day(start_date)})
    if not community.accepts_visitors:
        problems.append(_("%(community)s does not receive visitors: the community has not agreed to.") % {
            "community": community.name})
    if not clinic.active:
        problems.append(_("%(clinic)s is closed.") % {"clinic": clinic.name})

    # The pasante: posted at that clinic every day of the stay.
    if pasante.cadre != Cadre.PASANTE:
        problems.append(_("%(person)s is not a pasante.") % {"person": pasante.full_name})
    elif not clinic_selectors.assigned_throughout(staff=pasante, clinic=clinic, first_day=start_date,
                                                  last_day=end_date, role=Assignment.Role.PASANTE):
        problems.append(_("%(person)s is not the pasante of %(clinic)s every day from %(start)s to %(end)s.") % {
            "person": pasante.full_name, "clinic": clinic.name, **_span(start_date, end_date)})

    # Capacity of the clinic and of the pasante, on those days.
    capacity = _capacity(clinic)
    others = Placement.objects.filter(_overlapping(start_date, end_date)).exclude(application=application)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    at_clinic = list(others.filter(clinic=clinic).select_related("application"))
    if _most_at_once([(p.start_date, p.end_date) for p in at_clinic], start_date, end_date) >= capacity:
        visitors = "; ".join(
            _("%(visitor)s from %(start)s to %(end)s") % {"visitor": p.application.full_name,
                                                          **_span(p.start_date, p.end_date)}
            for p in sorted(at_clinic, key=lambda p: p.start_date))
        problems.append(ngettext(
            "%(clinic)s receives %(count)d visitor at a time and already has one on those days: %(visitors)s.",
            "%(clinic)s receives %(count)d visitors at a time and already has them on those days: %(visitors)s.",
            capacity) % {"clinic": clinic.name, "count": capacity, "visitors": visitors})
    with_pasante = list(others.filter(pasante=pasante).order_by("start_date"))
    if _most_at_once([(p.start_date, p.end_date) for p in with_pasante], start_date, end_date) >= capacity:
        for p in with_pasante:
            problems.append(_("%(person)s already has a visitor from %(start)s to %(end)s.") % {
                "person": pasante.full_name, **_span(p.start_date, p.end_date)})

    # Spanish: an interview recorded with a functional level.
    interview = _latest_interview(application)
    if interview is None:
        problems.append(_("No interview has been recorded: a visitor needs functional Spanish (B1 or more)."))
    elif interview.spanish_level not in ACCEPTABLE_SPANISH:
        problems.append(_("The interview found Spanish at %(level)s: a visitor needs functional Spanish "
                          "(B1 or more).") % {"level": interview.spanish_level})

    # The minimum stay of the category, unless a coordinator allowed a shorter one.
    if application.category and not application.short_stay_reason:
        earliest = minimum_last_day(application.category, start_date)
        if end_date < earliest:
            problems.append(_("%(category)s stay at least %(minimum)s: starting on %(start)s, the last day is "
                              "%(earliest)s at the earliest (or record the reason for a shorter stay).") % {
                "category": Category(application.category).label,
                "minimum": minimum_stay_text(application.category), "start": _day(start_date),
                "earliest": _day(earliest)})

    # The host family: active, in that community, a room free every night.
    family_name = host_family.head_of_household
    if not host_family.active:
        problems.append(_("The %(family)s family no longer hosts guests.") % {"family": family_name})
    if host_family.community_id != community.pk:
        problems.append(_("The %(family)s family lives in %(theirs)s, not in %(community)s.") % {
            "family": family_name, "theirs": host_family.community.name, "community": community.name})
    stays = HostStay.objects.filter(family=host_family, first_night__lte=end_date, last_night__gte=start_date,
                                    cancelled_at__isnull=True)
    own = Placement.objects.filter(application=application, host_stay__isnull=False).values("host_stay")
    stays = list(stays.exclude(pk__in=own))
    full = _full_nights(stays, start_date, end_date, host_family.rooms)
    if full:
        if len(full) == 1:
            problems.append(_("The %(family)s family has no free room on the night of %(night)s.") % {
                "family": family_name, "night": _day(full[0])})
        else:
            problems.append(ngettext(
                "The %(family)s family has no free room on the night of %(night)s and %(more)d more night "
                "(the last on %(last)s).",
                "The %(family)s family has no free room on the night of %(night)s and %(more)d more nights "
                "(the last on %(last)s).", len(full) - 1) % {
                "family": family_name, "night": _day(full[0]), "more": len(full) - 1, "last": _day(full[-1])})
    return problems


def _free_slot(*, clinic, pasante, start_date: date, end_date: date, application: Application) -> int:
    """The lowest visitor place at the clinic free on those days, for the clinic and for the pasante."""
    taken = set(Placement.objects.filter(_overlapping(start_date, end_date))
                .filter(Q(clinic=clinic) | Q(pasante=pasante)).exclude(application=application)
                .values_list("slot", flat=True))
    for slot in range(1, _capacity(clinic) + 1):
        if slot not in taken:
            return slot
    return _capacity(clinic) + 1  # refused by placement_problems before this is used


def _take_turn(clinic, pasante) -> None:
    """Proposals into one clinic, or with one pasante, wait for one another here (the clinic's row, then the
    pasante's, always in that order, so two proposals never wait on each other the other way round).

    Without it, two at once each inserted a placement that the other's exclusion-constraint check then had
    to wait for; PostgreSQL broke that deadlock by failing one of them with an error (a 500) instead of the
    message that the place is taken. Now the second one counts the first one's place once it is committed.
    ``FOR NO KEY UPDATE``: rows that merely refer to the clinic or the person are not held up."""
    list(Clinic.objects.select_for_update(no_key=True).filter(pk=clinic.pk).values_list("pk", flat=True))
    list(Staff.objects.select_for_update(no_key=True).filter(pk=pasante.pk).values_list("pk", flat=True))


@transaction.atomic
def placement_propose(*, application: Application, clinic, pasante, host_family: HostFamily, start_date: date,
                      end_date: date, meals_per_day: int = 3, notes: str = "", by,
                      today: date | None = None) -> Placement:
    """Propose where, with whom and when: refused with every problem (``placement_problems``); a previous
    proposal is cancelled. Two people placing into the same clinic and days at the same moment take the same
    visitor place, and the exclusion constraint refuses the second with its message."""
    now = timezone.now()
    application = _lock(application, "propose_placement")
    _take_turn(clinic, pasante)
    problems = placement_problems(application=application, clinic=clinic, pasante=pasante,
                                  host_family=host_family, start_date=start_date, end_date=end_date, today=today)
    if problems:
        raise ValidationError(problems)
    application.placements.filter(state=Placement.State.PROPOSED).update(state=Placement.State.CANCELLED,
                                                                         cancelled_at=now)
    placement = Placement(application=application, clinic=clinic, pasante=pasante, host_family=host_family,
                          start_date=start_date, end_date=end_date, meals_per_day=meals_per_day,
                          notes=(notes or "").strip(), proposed_by=by, proposed_at=now,
                          slot=_free_slot(clinic=clinic, pasante=pasante, start_date=start_date,
                                          end_date=end_date, application=application))
    validate_and_save(placement)
    _move(application, State.PLACEMENT_PROPOSED, by=by, at=now, note=_(
        "%(clinic)s, from %(start)s to %(end)s.") % {"clinic": clinic.name, **_span(start_date, end_date)})
    return placement


@transaction.atomic
def placement_confirm(*, application: Application, by, today: date | None = None) -> Placement:
    """The applicant (or the program for them) confirms the proposed placement: the rules are checked
    again, and the stay is recorded with the host family (what the family is owed comes from it)."""
    now = timezone.now()
    application = _lock(application, "confirm_placement")
    placement = application.placements.select_for_update().filter(state=Placement.State.PROPOSED).first()
    if placement is None:
        raise illegal_transition(application, "confirm_placement")
    problems = placement_problems(application=application, clinic=placement.clinic, pasante=placement.pasante,
                                  host_family=placement.host_family, start_date=placement.start_date,
                                  end_date=placement.end_date, exclude=placement, today=today)
    if problems:
        raise ValidationError(problems)
    stay = clinic_services.host_family_stay_create(
        family=placement.host_family, guest_kind=HostStay.GuestKind.VISITOR,
        guest_name=application.full_name or str(application.applicant), first_night=placement.start_date,
        last_night=placement.end_date, meals_per_day=placement.meals_per_day, by=by)
    placement.host_stay = stay
    placement.state = Placement.State.CONFIRMED
    placement.confirmed_at = now
    # The proposal was validated whole; what changed is checked again (the capacity constraints read state).
    validate_and_save(placement, update_fields=["host_stay", "state", "confirmed_at"],
                      fields=["host_stay", "state", "confirmed_at"])
    _move(application, State.PLACEMENT_CONFIRMED, by=by, at=now)
    return placement


# --- The arrival ---------------------------------------------------------------------------------------------

def _arrival_of(application: Application) -> Arrival:
    return Arrival.objects.select_for_update().filter(application=application).first() or Arrival(
        application=application)


def _save_arrival(arrival: Arrival, changed) -> Arrival:
    """A new arrival is validated whole; an existing one, only the ``changed`` fields (with the rules that
    read them), as a state change is."""
    return validate_and_save(arrival, fields=[*changed, "updated_by", "updated_at"] if arrival.pk else None)


def _aware(moment, field: str) -> datetime:
    if not isinstance(moment, datetime):
        raise ValidationError({field: _("Give a date and a time.")})
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


@transaction.atomic
def flight_details_set(*, application: Application, flight_number: str, arrives_at: datetime,
                       arrives_where: str = "", by) -> Arrival:
    """The applicant's flight (or bus): number, when and where it arrives."""
    application = _lock(application, "arrange_arrival")
    arrival = _arrival_of(application)
    arrival.flight_number = _required(flight_number, "flight_number", _("Write the flight or bus number."))
    arrival.arrives_at = _aware(arrives_at, "arrives_at")
    arrival.arrives_where = (arrives_where or "").strip()
    arrival.updated_by = by
    arrival.updated_at = timezone.now()
    _save_arrival(arrival, ["flight_number", "arrives_at", "arrives_where"])
    _save(application, [], at=arrival.updated_at)
    return arrival


@transaction.atomic
def arrival_arrange(*, application: Application, pickup_at: datetime, meeting_point: str, driver, vehicle: str = "",
                    notes: str = "", by) -> Arrival:
    """The program organises the pickup: when, where, the driver (a clinics.Staff of the driver cadre)."""
    application = _lock(application, "arrange_arrival")
    arrival = _arrival_of(application)
    arrival.pickup_at = _aware(pickup_at, "pickup_at")
    arrival.meeting_point = _required(meeting_point, "meeting_point", _("Write where the driver meets them."))
    if driver is None or driver.cadre != Cadre.DRIVER:
        raise ValidationError({"driver": _("Choose one of the drivers.")})
    arrival.driver = driver
    arrival.vehicle = (vehicle or "").strip()
    arrival.notes = (notes or "").strip()
    arrival.updated_by = by
    arrival.updated_at = timezone.now()
    _save_arrival(arrival, ["pickup_at", "meeting_point", "driver", "vehicle", "notes"])
    _save(application, [], at=arrival.updated_at)
    return arrival


@transaction.atomic
def application_mark_arrived(*, application: Application, orientation_done: bool = False, by,
                             now: datetime | None = None) -> Application:
    now = _now(now)
    application = _lock(application, "mark_arrived")
    arrival = _arrival_of(application)
    arrival.arrived_at = now
    if orientation_done:
        arrival.orientation_done_at = now
    arrival.updated_by = by
    arrival.updated_at = now
    _save_arrival(arrival, ["arrived_at", "orientation_done_at"])
    _move(application, State.ARRIVED, by=by, at=now)
    return application


@transaction.atomic
def application_mark_in_community(*, application: Application, by, now: datetime | None = None) -> Application:
    now = _now(now)
    application = _lock(application, "mark_in_community")
    arrival = _arrival_of(application)
    arrival.in_community_at = now
    if arrival.orientation_done_at is None:
        arrival.orientation_done_at = now
    arrival.updated_by = by
    arrival.updated_at = now
    _save_arrival(arrival, ["in_community_at", "orientation_done_at"])
    _move(application, State.IN_COMMUNITY, by=by, at=now)
    return application


@transaction.atomic
def application_complete(*, application: Application, by, now: datetime | None = None) -> Application:
    now = _now(now)
    application = _lock(application, "complete")
    _move(application, State.COMPLETED, by=by, at=now)
    return application


# --- Ending early --------------------------------------------------------------------------------------------

def _stay_cancel(stay: HostStay, *, reason: str, by) -> None:
    """The host family is owed nothing for a stay that will not happen (and its room is free again)."""
    if stay.cancelled_at is None:
        clinic_services.host_family_stay_cancel(stay=stay, reason=reason, by=by)


def _stay_shorten(stay: HostStay, *, last_night: date, by) -> None:
    """The host family is owed the nights the visitor stayed, up to ``last_night``."""
    if stay.cancelled_at is None and last_night < stay.last_night:
        clinic_services.host_family_stay_update(stay=stay, first_night=stay.first_night,
                                                last_night=max(last_night, stay.first_night),
                                                meals_per_day=stay.meals_per_day, by=by)


@transaction.atomic
def application_withdraw(*, application: Application, reason: str, by, today: date | None = None) -> Application:
    """The applicant (or the program) withdraws before arrival: the placement is cancelled, and with it the
    host family's stay; a pending interview too."""
    now = timezone.now()
    application = _lock(application, "withdraw")
    reason = _required(reason, "reason", _("Say why the application is withdrawn."))
    for placement in application.placements.select_for_update().exclude(state=Placement.State.CANCELLED):
        if placement.host_stay_id:
            _stay_cancel(placement.host_stay, reason=reason, by=by)
        placement.state = Placement.State.CANCELLED
        placement.cancelled_at = now
        validate_and_save(placement, update_fields=["state", "cancelled_at"], fields=["state", "cancelled_at"])
    _cancel_pending_interview(application, at=now)
    application.end_reason = reason
    application.ended_on = _today(today)
    _move(application, State.WITHDRAWN, by=by, at=now, note=reason, fields=["end_reason", "ended_on"])
    return application


@transaction.atomic
def application_disengage(*, application: Application, reason: str, ended_on: date, return_arranged: bool,
                          by) -> Application:
    """The visitor leaves before the end: the placement and the host family's stay end on ``ended_on``."""
    application = _lock(application, "disengage")
    reason = _required(reason, "reason", _("Say why the stay ended early."))
    if not isinstance(ended_on, date):
        raise ValidationError({"ended_on": _("Give the day the stay ended.")})
    placement = application.placements.select_for_update().filter(state=Placement.State.CONFIRMED).first()
    if placement is not None:
        if ended_on < placement.start_date:
            raise ValidationError({"ended_on": _("The stay began on %(day)s: the day it ended cannot be before.")
                                   % {"day": _day(placement.start_date)}})
        if ended_on > placement.end_date:
            raise ValidationError({"ended_on": _("The stay was to end on %(day)s: the day it ended cannot be "
                                                 "after.") % {"day": _day(placement.end_date)}})
        if placement.host_stay_id:
            _stay_shorten(placement.host_stay, last_night=ended_on, by=by)
        if ended_on < placement.end_date:
            placement.end_date = ended_on
            validate_and_save(placement, update_fields=["end_date"], fields=["end_date"])
    application.end_reason = reason
    application.ended_on = ended_on
    application.return_arranged = bool(return_arranged)
    _move(application, State.DISENGAGED, by=by, note=reason, fields=["end_reason", "ended_on", "return_arranged"])
    return application


# --- After the stay ------------------------------------------------------------------------------------------

@transaction.atomic
def exit_survey_submit(*, application: Application, mentorship: int, clinical: int, community: int,
                       host_family: int, logistics: int, best: str = "", improve: str = "", comments: str = "",
                       by, now: datetime | None = None) -> ExitSurvey:
    """The visitor's ratings (1 to 5) and words about the stay; once."""
    now = _now(now)
    application = _lock(application, "exit_survey")
    if ExitSurvey.objects.filter(application=application).exists():
        raise ValidationError(_("The exit survey of this stay has already been sent. Thank you!"),
                              code=ILLEGAL_TRANSITION)
    placement = application.placements.filter(state=Placement.State.CONFIRMED).order_by("-pk").first()
    if placement is None:
        raise illegal_transition(application, "exit_survey")
    survey = ExitSurvey(application=application, placement=placement, mentorship=mentorship, clinical=clinical,
                        community=community, host_family=host_family, logistics=logistics,
                        best=(best or "").strip(), improve=(improve or "").strip(),
                        comments=(comments or "").strip(), submitted_at=now)
    validate_and_save(survey)
    _save(application, [], at=now)
    return survey


def _require_paired_pasante(placement: Placement, by) -> None:
    """Only the pasante the visitor is paired with speaks for the placement (the pages, the API and any
    later caller alike)."""
    if by is None or placement.pasante.user_id != by.pk:
        raise ValidationError(_("Only the pasante paired with this visitor can do this."), code="not_the_pasante")


@transaction.atomic
def host_family_confirm(*, placement: Placement, by, now: datetime | None = None) -> Placement:
    """The paired pasante says the host family is ready for the visitor."""
    now = _now(now)
    placement = Placement.objects.select_for_update().select_related("application", "pasante").get(pk=placement.pk)
    _require_paired_pasante(placement, by)
    if placement.state == Placement.State.CANCELLED or placement.application.state not in Application.BEFORE_ARRIVAL:
        raise ValidationError(_("This placement is no longer waiting for the host family."), code=ILLEGAL_TRANSITION)
    if placement.host_family_confirmed_at is None:
        placement.host_family_confirmed_at = now
        validate_and_save(placement, update_fields=["host_family_confirmed_at"], fields=["host_family_confirmed_at"])
    return placement


# The application states after which the pasante may say how the stay went.
FEEDBACK_STATES = (State.IN_COMMUNITY, State.COMPLETED, State.DISENGAGED)


@transaction.atomic
def pasante_feedback_submit(*, placement: Placement, rating: int, would_host_again: bool, comments: str = "", by,
                            today: date | None = None) -> PasanteFeedback:
    """The paired pasante's word on the visitor, once the stay is over (or ended early)."""
    today = _today(today)
    placement = Placement.objects.select_for_update().select_related("application", "pasante").get(pk=placement.pk)
    _require_paired_pasante(placement, by)
    state = placement.application.state
    over = state in (State.COMPLETED, State.DISENGAGED) or (
        state == State.IN_COMMUNITY and placement.end_date <= today)
    if placement.state != Placement.State.CONFIRMED or not over:
        raise ValidationError(_("The feedback opens once the visitor's stay is over."), code=ILLEGAL_TRANSITION)
    if PasanteFeedback.objects.filter(placement=placement).exists():
        raise ValidationError(_("You already gave your feedback on this visitor. Thank you!"),
                              code=ILLEGAL_TRANSITION)
    if would_host_again is None:
        raise ValidationError({"would_host_again": _("Say whether you would work with them again.")})
    feedback = PasanteFeedback(placement=placement, rating=rating, would_host_again=bool(would_host_again),
                               comments=(comments or "").strip(), by=by)
    return validate_and_save(feedback)


@transaction.atomic
def orientation_pack_upload(*, title: str, upload, by) -> OrientationPack:
    """The program's new orientation pack (the newest is the one visitors get); the same checks as documents."""
    title = _required(title, "title", _("Give the pack a title."))
    content_type, _name = uploads.check_upload(upload)
    pack = OrientationPack(title=title, content_type=content_type, uploaded_by=by)
    pack.file.save(f"pack.{Document.EXTENSIONS[content_type]}", upload, save=False)
    return _save_or_forget_file(pack)
