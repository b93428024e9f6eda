"""The visitor program: a foreign clinician's or student's application, from the first draft to the exit survey.

One ``Application`` per stay. Its ``state`` moves only through the services (``visitors.services``), one
function per transition, each refusing a start state that ``Application.TRANSITIONS`` does not list; every
change is a ``StatusChange`` row (the timeline of the status page, and the e-mail to the applicant).

Around it: the documents the applicant uploads (stored under ``private/``, served only by a checked view),
the documents the program asks for, interview slots and the interview, the placement (clinic, paired
pasante, host family, dates: two exclusion constraints keep a clinic and a pasante to their visitor
capacity), the arrival (flight, pickup), the exit survey and the pasante's feedback.
"""

import uuid
from datetime import date, timedelta

import pghistory
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField


class _DateRange(Func):
    function = "daterange"
    output_field = DateRangeField()


class Category(models.TextChoices):
    RESIDENT = "resident", _("Resident physician")
    ATTENDING = "attending", _("Attending physician")
    NURSE = "nurse", _("Nurse or advanced practice provider")
    STUDENT = "student", _("Medical student")
    GRADUATE = "graduate", _("College graduate")


# The shortest stay of each category (DESIGN.md; the case study's Box 1), as (days, months): a coordinator
# may record an exception with a reason.
MINIMUM_STAY = {
    Category.RESIDENT: (28, 0),
    Category.ATTENDING: (14, 0),
    Category.NURSE: (14, 0),
    Category.STUDENT: (0, 6),
    Category.GRADUATE: (0, 6),
}
# Clinicians among the categories (the visitor log's "clinicians" total, as the case study counts them).
CLINICIAN_CATEGORIES = frozenset({Category.RESIDENT, Category.ATTENDING, Category.NURSE})


def minimum_last_day(category: str, first_day: date) -> date:
    """The earliest last day (inclusive) of a stay of ``category`` that starts on ``first_day``."""
    days, months = MINIMUM_STAY[category]
    return first_day + relativedelta(months=months) + timedelta(days=days) - timedelta(days=1)


class SpanishLevel(models.TextChoices):
    """The Common European Framework's scale. There are no translators: the pasante's patients speak
    Spanish (and Tzotzil, Tzeltal...), so a visitor works only from an independent user's level up."""

    A1 = "A1", _("A1 · beginner")
    A2 = "A2", _("A2 · elementary")
    B1 = "B1", _("B1 · intermediate (functional)")
    B2 = "B2", _("B2 · upper intermediate")
    C1 = "C1", _("C1 · advanced")
    C2 = "C2", _("C2 · proficient")


# An interview must find at least this level before a placement (the case study: "functional Spanish").
ACCEPTABLE_SPANISH = frozenset({SpanishLevel.B1, SpanishLevel.B2, SpanishLevel.C1, SpanishLevel.C2})


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Application(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        INTERVIEW_SCHEDULED = "interview_scheduled", _("Interview scheduled")
        INTERVIEWED = "interviewed", _("Interviewed")
        ACCEPTED = "accepted", _("Accepted")
        WAITLISTED = "waitlisted", _("Waitlisted")
        DECLINED = "declined", _("Declined")
        PLACEMENT_PROPOSED = "placement_proposed", _("Placement proposed")
        PLACEMENT_CONFIRMED = "placement_confirmed", _("Placement confirmed")
        ARRIVED = "arrived", _("Arrived")
        IN_COMMUNITY = "in_community", _("In community")
        COMPLETED = "completed", _("Completed")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        DISENGAGED = "disengaged", _("Disengaged")

    # The state machine: the states each transition starts from. The services refuse any other start; the
    # pages and the API offer a transition only from these.
    BEFORE_ARRIVAL = (
        State.DRAFT, State.SUBMITTED, State.INTERVIEW_SCHEDULED, State.INTERVIEWED, State.ACCEPTED,
        State.WAITLISTED, State.PLACEMENT_PROPOSED, State.PLACEMENT_CONFIRMED,
    )
    TRANSITIONS = {
        "edit": (State.DRAFT,),
        "submit": (State.DRAFT,),
        "request_document": (State.SUBMITTED, State.INTERVIEW_SCHEDULED, State.INTERVIEWED, State.ACCEPTED,
                             State.WAITLISTED, State.PLACEMENT_PROPOSED, State.PLACEMENT_CONFIRMED),
        "offer_slots": (State.SUBMITTED, State.INTERVIEW_SCHEDULED),
        "schedule_interview": (State.SUBMITTED, State.INTERVIEW_SCHEDULED),
        "record_interview": (State.INTERVIEW_SCHEDULED,),
        "accept": (State.INTERVIEWED, State.WAITLISTED),
        "waitlist": (State.INTERVIEWED,),
        "decline": (State.SUBMITTED, State.INTERVIEW_SCHEDULED, State.INTERVIEWED, State.WAITLISTED),
        "propose_placement": (State.ACCEPTED, State.PLACEMENT_PROPOSED),
        "confirm_placement": (State.PLACEMENT_PROPOSED,),
        "arrange_arrival": (State.PLACEMENT_CONFIRMED,),
        "mark_arrived": (State.PLACEMENT_CONFIRMED,),
        "mark_in_community": (State.ARRIVED,),
        "complete": (State.IN_COMMUNITY,),
        "withdraw": BEFORE_ARRIVAL,
        "disengage": (State.ARRIVED, State.IN_COMMUNITY),
        "exit_survey": (State.IN_COMMUNITY, State.COMPLETED),
        # Not changes of state: what the program and the applicant may still do before arrival.
        "allow_short_stay": BEFORE_ARRIVAL,
        "upload_document": BEFORE_ARRIVAL,
    }
    # States in which the application is still going somewhere (the board's columns, the reminders).
    OPEN_STATES = (
        State.SUBMITTED, State.INTERVIEW_SCHEDULED, State.INTERVIEWED, State.ACCEPTED, State.WAITLISTED,
        State.PLACEMENT_PROPOSED, State.PLACEMENT_CONFIRMED, State.ARRIVED, State.IN_COMMUNITY,
    )
    # The visitor came: the visitor log counts these.
    VISITED_STATES = (State.ARRIVED, State.IN_COMMUNITY, State.COMPLETED, State.DISENGAGED)

    class TrainingLevel(models.TextChoices):
        PRECLINICAL = "preclinical", _("Pre-clinical student")
        CLINICAL = "clinical", _("Clinical student")
        GRADUATE = "graduate", _("Graduate (not a clinician)")
        PGY1 = "pgy1", _("Resident, first year")
        PGY2 = "pgy2", _("Resident, second year")
        PGY3 = "pgy3", _("Resident, third year or later")
        FELLOW = "fellow", _("Fellow")
        ATTENDING = "attending", _("Attending or consultant")
        NURSE = "nurse", _("Registered nurse")
        APP = "app", _("Nurse practitioner or physician assistant")

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visitor_applications",
        verbose_name=_("applicant"),
    )
    previous = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="repeats",
        verbose_name=_("previous application"),
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT)
    # The last step of the application form the applicant saved (they resume there).
    step = models.PositiveSmallIntegerField(_("step reached"), default=1)

    # About them.
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    phone = models.CharField(_("phone (with country code)"), max_length=40, blank=True)
    country = CountryField(_("country of residence"), blank=True)
    # The stay.
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, blank=True)
    wanted_start = models.DateField(_("first day wanted"), null=True, blank=True)
    wanted_end = models.DateField(_("last day wanted"), null=True, blank=True)
    # Training.
    institution = models.CharField(_("home institution"), max_length=200, blank=True)
    program = models.CharField(_("program or department"), max_length=200, blank=True)
    training_level = models.CharField(_("training level"), max_length=20, choices=TrainingLevel.choices,
                                      blank=True)
    licence_number = models.CharField(_("licence number"), max_length=60, blank=True)
    licence_country = CountryField(_("licence issued in"), blank=True)
    # Spanish and motivation.
    spanish_self_assessment = models.CharField(_("your Spanish (self-assessed)"), max_length=2,
                                               choices=SpanishLevel.choices, blank=True)
    motivation = models.TextField(_("why you want to come"), blank=True)
    prior_visits = models.TextField(_("previous visits to CES or to Mexico"), blank=True)
    # Safety.
    emergency_contact_name = models.CharField(_("emergency contact"), max_length=200, blank=True)
    emergency_contact_phone = models.CharField(_("emergency contact's phone"), max_length=40, blank=True)
    emergency_contact_relation = models.CharField(_("relation to you"), max_length=80, blank=True)
    dietary_notes = models.TextField(_("dietary needs"), blank=True)
    health_notes = models.TextField(_("health notes the team should know"), blank=True)

    # A coordinator may allow a stay shorter than the category's minimum.
    short_stay_reason = models.TextField(_("reason for allowing a shorter stay"), blank=True)
    short_stay_allowed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("shorter stay allowed by"),
    )
    # The message of the last decision (accepted, waitlisted, declined), sent to the applicant.
    decision_message = models.TextField(_("message to the applicant"), blank=True)
    # How it ended early: withdrawn or disengaged.
    end_reason = models.TextField(_("reason"), blank=True)
    ended_on = models.DateField(_("date"), null=True, blank=True)
    return_arranged = models.BooleanField(_("return to the capital arranged"), default=False)

    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    # When the state last changed (the board's "waiting since", the review reminder).
    state_changed_at = models.DateTimeField(_("state changed at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, db_default=Now())

    class Meta:
        verbose_name = _("visitor application")
        verbose_name_plural = _("visitor applications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "state_changed_at"]),
            models.Index(fields=["applicant", "-created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(wanted_end__isnull=True) | Q(wanted_start__isnull=True)
                | Q(wanted_end__gte=F("wanted_start")),
                name="visitor_application_ends_after_start",
                violation_error_message=_("The last day cannot be before the first."),
            ),
            # One application under way per person: a repeat visit starts once the last one has ended.
            models.UniqueConstraint(
                fields=["applicant"],
                condition=~Q(state__in=["completed", "withdrawn", "disengaged", "declined"]),
                name="visitor_one_open_application",
                violation_error_message=_("You already have an application under way."),
            ),
        ]

    def __str__(self):
        return f"{self.full_name or self.applicant} · {self.get_category_display() or '—'}"

    @property
    def is_repeat(self) -> bool:
        return self.previous_id is not None

    @property
    def minimum_last_day(self) -> date | None:
        if not (self.category and self.wanted_start):
            return None
        return minimum_last_day(self.category, self.wanted_start)

    def clean(self):
        if self.wanted_start and self.wanted_end and self.wanted_end < self.wanted_start:
            raise ValidationError({"wanted_end": _("The last day cannot be before the first.")})


class StatusChange(models.Model):
    """One step of an application's timeline: what it became, when, by whom, with the message sent."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="changes",
                                    verbose_name=_("application"))
    from_state = models.CharField(_("from"), max_length=20, choices=Application.State.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=20, choices=Application.State.choices)
    note = models.TextField(_("note"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                           related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["application", "at"])]

    def __str__(self):
        return f"{self.application_id}: {self.from_state} → {self.to_state}"


class DocumentKind(models.TextChoices):
    CV = "cv", _("CV")
    LICENCE = "licence", _("Professional licence")
    IMMUNIZATION = "immunization", _("Immunization record")
    INSURANCE = "insurance", _("Travel insurance")
    PHOTO = "photo", _("Photo")
    OTHER = "other", _("Other document")


# What an application needs before it can be submitted, by category: students and graduates hold no licence.
REQUIRED_DOCUMENTS = {
    Category.RESIDENT: (DocumentKind.CV, DocumentKind.LICENCE),
    Category.ATTENDING: (DocumentKind.CV, DocumentKind.LICENCE),
    Category.NURSE: (DocumentKind.CV, DocumentKind.LICENCE),
    Category.STUDENT: (DocumentKind.CV,),
    Category.GRADUATE: (DocumentKind.CV,),
}
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


def document_path(document, filename: str) -> str:
    # Never the applicant's own file name: a random one, with the extension of the type the content showed
    # (visitors.uploads), under private/, which no URL serves but the checked view.
    return f"private/visitor-documents/{document.application_id}/{uuid.uuid4().hex}.{document.extension}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Document(models.Model):
    """A file the applicant uploaded. A newer one of the same kind replaces it on the page; both are kept."""

    EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="documents",
                                    verbose_name=_("application"))
    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind.choices)
    file = models.FileField(_("file"), upload_to=document_path, max_length=200)
    content_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    # Shown to people, never used as a path: cleaned of any folder part and control character.
    original_name = models.CharField(_("file name"), max_length=200)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="+", verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    replaced_at = models.DateTimeField(_("replaced at"), null=True, blank=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["kind", "-uploaded_at"]
        indexes = [models.Index(fields=["application", "kind"])]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.original_name}"

    @property
    def extension(self) -> str:
        return self.EXTENSIONS.get(self.content_type, "bin")


class DocumentRequest(models.Model):
    """The program asks for a missing or corrected document, with a note; met when one of that kind arrives."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="document_requests",
                                    verbose_name=_("application"))
    kind = models.CharField(_("document"), max_length=20, choices=DocumentKind.choices)
    note = models.TextField(_("what is needed"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                     blank=True, related_name="+", verbose_name=_("requested by"))
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    fulfilled_by = models.ForeignKey(Document, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("met by"))
    fulfilled_at = models.DateTimeField(_("met at"), null=True, blank=True)

    class Meta:
        verbose_name = _("document request")
        verbose_name_plural = _("document requests")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["application", "kind"], condition=Q(fulfilled_at__isnull=True),
                                    name="visitor_one_open_request_per_kind",
                                    violation_error_message=_("This document has already been asked for.")),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.application_id}"


class InterviewSlot(models.Model):
    """A time the program offers for the interview; the applicant picks one (which schedules the interview)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="slots",
                                    verbose_name=_("application"))
    starts_at = models.DateTimeField(_("starts at"))
    offered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+", verbose_name=_("offered by"))
    offered_at = models.DateTimeField(_("offered at"), default=timezone.now)

    class Meta:
        verbose_name = _("interview slot")
        verbose_name_plural = _("interview slots")
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["application", "starts_at"], name="visitor_slot_unique",
                                    violation_error_message=_("This time is already offered.")),
        ]

    def __str__(self):
        return f"{self.application_id} · {self.starts_at:%Y-%m-%d %H:%M}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Interview(models.Model):
    """The Spanish interview (no translators): scheduled, then recorded with its assessment."""

    class ValuesFit(models.TextChoices):
        STRONG = "strong", _("Strong")
        ADEQUATE = "adequate", _("Adequate")
        CONCERNS = "concerns", _("Concerns")

    class Recommendation(models.TextChoices):
        ACCEPT = "accept", _("Accept")
        WAITLIST = "waitlist", _("Waitlist")
        DECLINE = "decline", _("Decline")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="interviews",
                                    verbose_name=_("application"))
    scheduled_at = models.DateTimeField(_("date and time"))
    where = models.CharField(_("call link or place"), max_length=300, blank=True)
    interviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="+", verbose_name=_("interviewer"))
    # Filled when it is recorded.
    spanish_level = models.CharField(_("Spanish level"), max_length=2, choices=SpanishLevel.choices, blank=True)
    values_fit = models.CharField(_("values fit"), max_length=10, choices=ValuesFit.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recommendation = models.CharField(_("recommendation"), max_length=10, choices=Recommendation.choices,
                                      blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="+", verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("interview")
        verbose_name_plural = _("interviews")
        ordering = ["-scheduled_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"], condition=Q(recorded_at__isnull=True, cancelled_at__isnull=True),
                name="visitor_one_pending_interview",
                violation_error_message=_("An interview is already scheduled for this application."),
            ),
        ]

    def __str__(self):
        return f"{self.application_id} · {self.scheduled_at:%Y-%m-%d %H:%M}"

    @property
    def spanish_acceptable(self) -> bool:
        return self.spanish_level in ACCEPTABLE_SPANISH


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Placement(models.Model):
    """Where and with whom the visitor will be: a clinic, its pasante, a host family, the dates (inclusive).

    ``slot`` numbers the visitors a clinic receives at once (1 up to its community's visitor capacity); the
    service gives the lowest free one. The two exclusion constraints make "at most N visitors per clinic and
    per pasante at a time" true under any concurrency: two placements into the same clinic and days take the
    same slot, and the second to commit is refused. A cancelled placement (re-proposed, withdrawn) frees it.
    """

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="placements",
                                    verbose_name=_("application"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PROPOSED)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="visitor_placements",
                               verbose_name=_("clinic"))
    pasante = models.ForeignKey("clinics.Staff", on_delete=models.PROTECT, related_name="visitor_placements",
                                verbose_name=_("paired pasante"))
    host_family = models.ForeignKey("clinics.HostFamily", on_delete=models.PROTECT,
                                    related_name="visitor_placements", verbose_name=_("host family"))
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    meals_per_day = models.PositiveSmallIntegerField(_("meals per day"), default=3,
                                                     validators=[MaxValueValidator(5)])
    slot = models.PositiveSmallIntegerField(_("visitor place at the clinic"), default=1,
                                            validators=[MinValueValidator(1)])
    # The stay recorded with the host family when the placement is confirmed (what is owed comes from it).
    host_stay = models.OneToOneField("clinics.HostStay", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="visitor_placement", verbose_name=_("host stay"))
    # The pasante confirms that the host family is ready for the visitor.
    host_family_confirmed_at = models.DateTimeField(_("host family confirmed by the pasante"), null=True,
                                                    blank=True)
    notes = models.TextField(_("notes for the visitor"), blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="+", verbose_name=_("proposed by"))
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("placement")
        verbose_name_plural = _("placements")
        ordering = ["-start_date", "-pk"]
        indexes = [models.Index(fields=["clinic", "start_date"])]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="visitor_placement_dates",
                                   violation_error_message=_("The last day cannot be before the first.")),
            ExclusionConstraint(
                name="visitor_placement_clinic_capacity",
                expressions=[(F("clinic"), RangeOperators.EQUAL), (F("slot"), RangeOperators.EQUAL),
                             (_DateRange("start_date", "end_date", Value("[]")), RangeOperators.OVERLAPS)],
                condition=~Q(state="cancelled"),
                violation_error_message=_("The clinic already receives as many visitors as it can on those days."),
            ),
            ExclusionConstraint(
                name="visitor_placement_pasante_capacity",
                expressions=[(F("pasante"), RangeOperators.EQUAL), (F("slot"), RangeOperators.EQUAL),
                             (_DateRange("start_date", "end_date", Value("[]")), RangeOperators.OVERLAPS)],
                condition=~Q(state="cancelled"),
                violation_error_message=_("The pasante already has a visitor on those days."),
            ),
        ]

    def __str__(self):
        return f"{self.application_id} · {self.clinic} · {self.start_date}–{self.end_date}"

    def clean(self):
        # Before the constraints: daterange(start, end) with end < start is a DataError in PostgreSQL.
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The last day cannot be before the first.")})

    @property
    def nights(self) -> int:
        return (self.end_date - self.start_date).days + 1


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Arrival(models.Model):
    """How the visitor gets there: the flight (the applicant enters it), the pickup (the program organises it)."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="arrival",
                                       verbose_name=_("application"))
    flight_number = models.CharField(_("flight or bus"), max_length=40, blank=True)
    arrives_at = models.DateTimeField(_("arrives at"), null=True, blank=True)
    arrives_where = models.CharField(_("arrives at (airport or terminal)"), max_length=200, blank=True)
    pickup_at = models.DateTimeField(_("pickup time"), null=True, blank=True)
    meeting_point = models.CharField(_("meeting point"), max_length=200, blank=True)
    driver = models.ForeignKey("clinics.Staff", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="visitor_pickups", verbose_name=_("driver"))
    vehicle = models.CharField(_("vehicle"), max_length=100, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    orientation_done_at = models.DateTimeField(_("orientation done"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived"), null=True, blank=True)
    in_community_at = models.DateTimeField(_("in the community since"), null=True, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+", verbose_name=_("updated by"))
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("arrival")
        verbose_name_plural = _("arrivals")

    def __str__(self):
        return f"{self.application_id} · {self.flight_number or '—'}"

    @property
    def pickup_organised(self) -> bool:
        return bool(self.pickup_at and self.meeting_point and self.driver_id)


RATING_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]


class ExitSurvey(models.Model):
    """The visitor's ratings (1 to 5) and words at the end of the stay, tied to the placement it judges."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="exit_survey",
                                       verbose_name=_("application"))
    placement = models.ForeignKey(Placement, on_delete=models.PROTECT, related_name="exit_surveys",
                                  verbose_name=_("placement"))
    mentorship = models.PositiveSmallIntegerField(_("mentorship by the pasante"), validators=RATING_VALIDATORS)
    clinical = models.PositiveSmallIntegerField(_("clinical experience"), validators=RATING_VALIDATORS)
    community = models.PositiveSmallIntegerField(_("life in the community"), validators=RATING_VALIDATORS)
    host_family = models.PositiveSmallIntegerField(_("host family"), validators=RATING_VALIDATORS)
    logistics = models.PositiveSmallIntegerField(_("logistics (travel, pickup, orientation)"),
                                                 validators=RATING_VALIDATORS)
    best = models.TextField(_("what worked best"), blank=True)
    improve = models.TextField(_("what we should improve"), blank=True)
    comments = models.TextField(_("anything else"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)

    class Meta:
        verbose_name = _("exit survey")
        verbose_name_plural = _("exit surveys")
        ordering = ["-submitted_at"]

    def __str__(self):
        return f"{self.application_id} · {self.submitted_at:%Y-%m-%d}"


class PasanteFeedback(models.Model):
    """The paired pasante's short word on the visitor after the stay."""

    placement = models.OneToOneField(Placement, on_delete=models.PROTECT, related_name="pasante_feedback",
                                     verbose_name=_("placement"))
    rating = models.PositiveSmallIntegerField(_("how helpful the visitor was"), validators=RATING_VALIDATORS)
    would_host_again = models.BooleanField(_("would work with them again"))
    comments = models.TextField(_("comments"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                           related_name="+", verbose_name=_("by"))
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)

    class Meta:
        verbose_name = _("pasante feedback")
        verbose_name_plural = _("pasante feedback")

    def __str__(self):
        return f"{self.placement_id} · {self.rating}"


def orientation_path(pack, filename: str) -> str:
    extension = Document.EXTENSIONS.get(pack.content_type, "bin")
    return f"private/visitor-orientation/{uuid.uuid4().hex}.{extension}"


class OrientationPack(models.Model):
    """The document the program gives every visitor before arrival; the newest one is the one sent."""

    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to=orientation_path, max_length=200)
    content_type = models.CharField(_("type"), max_length=40)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="+", verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("orientation pack")
        verbose_name_plural = _("orientation packs")
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self):
        return self.title
