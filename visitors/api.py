"""The visitors REST API (/api/v1/visitors/): thin viewsets over visitors.selectors and visitors.services.

Who reaches what is the selectors' decision, as on the pages: an applicant reaches only their own
applications and what hangs from them (documents, interviews, the placement, the arrival, the survey); the
visitor program, coordinators and admins reach every one; a pasante reads the placements and arrivals of
the visitors paired with them, and speaks for them as on their page (the host family is ready, their
feedback after the stay). The orientation packs are the program's to read and upload. Anything outside a
person's reach answers 404, as if it did not exist; a step that is not the person's to take (an applicant
accepting, staff choosing the applicant's interview slot, anyone but a pasante saying a host family is
ready) is a 403 decided by role before any object is looked up.

Every transition of an application is one POST action calling one service; the service's refusal (an
illegal transition, a missing field, a broken placement rule) is a 400 with its message in the person's
language. Every POST honours ``Idempotency-Key`` (ces.core.idempotency), multipart uploads included.

Lists give compact rows (no nested timeline, documents or interviews); the detail of an application gives
everything a status page shows.
"""

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.http import FileResponse, Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.fields import empty
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ces.core.api import OptionalEmailField
from ces.core.fields import VisibleRelatedField
from ces.core.viewsets import ReadOnlyModelViewSet
from clinics import selectors as clinic_selectors
from clinics.models import Clinic, HostFamily, Staff

from . import selectors, services
from .models import (
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
)

MAX_SLOTS = 20
MAX_TEXT = 4000

# The steps of an application, by who may take them. A step not listed here is the program's.
# The applicant's own (staff have their own ways: scheduling the interview instead of choosing a slot).
APPLICANT_STEPS = frozenset({"create", "edit", "submit", "choose_slot", "exit_survey"})
# The applicant's, which staff may also take for them.
SHARED_STEPS = frozenset({"upload_document", "confirm_placement", "flight_details", "withdraw"})
STAFF_STEPS = frozenset({
    "request_document", "offer_slots", "schedule_interview", "record_interview", "accept", "waitlist", "decline",
    "allow_short_stay", "propose_placement", "check_placement", "arrange_arrival", "mark_arrived",
    "mark_in_community", "complete", "disengage",
})


# --- Permissions ------------------------------------------------------------------------------------


class WorksApplications(IsAuthenticated):
    """Reading goes through the selectors' scope; each step is the applicant's, the program's, or both.

    A role with no part in the applications (a pasante, pharmacy) is turned away before any lookup (403).
    An applicant's request on an application is looked up first, so one that is not theirs is a 404 for
    every step, the program's included; on their own, a step of the program's is a 403.
    """

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        user = request.user
        steps = APPLICANT_STEPS | SHARED_STEPS | STAFF_STEPS
        if view.action not in steps:
            return True
        if view.action == "create":
            return selectors.is_applicant(user)  # one's own application, with no object to look up
        return selectors.is_applicant(user) or selectors.can_manage_applications(user)

    def has_object_permission(self, request, view, obj):
        user = request.user
        if view.action in APPLICANT_STEPS:
            # A manager who also holds the applicant role takes these steps only on their own application.
            return obj.applicant_id == user.pk
        if view.action in STAFF_STEPS:
            return selectors.can_manage_applications(user)
        return True


# The paired pasante's steps on a placement (the page's "host family ready" and feedback).
PASANTE_STEPS = frozenset({"host_family_ready", "feedback"})


class SpeaksForPlacements(IsAuthenticated):
    """Reading goes through the viewset's scope; the pasante's steps are a pasante's only, any other role is
    turned away before any lookup (403), and a placement not paired with them is a 404 (as on their page)."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if view.action in PASANTE_STEPS:
            return selectors.is_pasante(request.user)
        return True


class ManagesOrientationPacks(IsAuthenticated):
    """The orientation packs are read through their selector's scope; uploading one is the program's (403)."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if view.action == "create":
            return selectors.can_manage_applications(request.user)
        return True


# --- Small pieces -----------------------------------------------------------------------------------


def _filters(serializer_class, request):
    filters = serializer_class(data=request.query_params, context={"request": request})
    filters.is_valid(raise_exception=True)
    return filters.validated_data


def _text(*, required=False, max_length=MAX_TEXT, **kwargs):
    if not required:
        kwargs.setdefault("default", "")
    return serializers.CharField(required=required, allow_blank=True, max_length=max_length, **kwargs)


def _required_text(message, **kwargs):
    return serializers.CharField(max_length=MAX_TEXT, error_messages={"required": message, "blank": message},
                                 **kwargs)


def _rating(label):
    return serializers.IntegerField(min_value=1, max_value=5, help_text=label)


def _manages(serializer) -> bool:
    request = serializer.context.get("request")
    return bool(request and selectors.can_manage_applications(request.user))


# Choice sets with a component of their own: "state" and "kind" are also other apps' fields, and the two
# Spanish-level fields share one scale (as pharmacy's RestockKindField, so the enums' names never move).
def _enum_field(component, choices, *, blank=False, description=""):
    values = [value for value, _label in choices]
    schema = {"type": "string", "enum": values + ([""] if blank else [])}
    if description:
        schema["description"] = description

    class EnumField(serializers.ChoiceField):
        def __init__(self, **kwargs):
            kwargs.setdefault("allow_blank", blank)
            super().__init__(choices=choices, **kwargs)

    EnumField.__name__ = EnumField.__qualname__ = component.removesuffix("Enum") + "Field"
    return extend_schema_field(schema, component_name=component)(EnumField)


ApplicationStateField = _enum_field("VisitorApplicationStateEnum", Application.State.choices)
PlacementStateField = _enum_field("VisitorPlacementStateEnum", Placement.State.choices)
DocumentKindField = _enum_field("VisitorDocumentKindEnum", DocumentKind.choices)
SpanishLevelField = _enum_field("SpanishLevelEnum", SpanishLevel.choices)
SpanishLevelOrBlankField = _enum_field("SpanishLevelOrBlankEnum", SpanishLevel.choices, blank=True,
                                       description="Blank: not given yet.")


# --- What is read -----------------------------------------------------------------------------------


class StatusChangeSerializer(serializers.ModelSerializer):
    from_state = serializers.CharField(read_only=True, help_text=_("Blank for the first step."))
    to_state = ApplicationStateField(read_only=True)

    class Meta:
        model = StatusChange
        fields = ["from_state", "to_state", "note", "at"]
        read_only_fields = fields


class DocumentSerializer(serializers.ModelSerializer):
    kind = DocumentKindField(read_only=True)
    download = serializers.SerializerMethodField(help_text=_("Where the file is read (the same checks)."))

    class Meta:
        model = Document
        fields = ["id", "application", "kind", "original_name", "content_type", "size", "uploaded_at",
                  "replaced_at", "download"]
        read_only_fields = fields

    def get_download(self, document) -> str:
        from django.urls import reverse

        return reverse("api:visitors:document-download", args=[document.pk])


class DocumentRequestSerializer(serializers.ModelSerializer):
    kind = DocumentKindField(read_only=True)
    class Meta:
        model = DocumentRequest
        fields = ["id", "kind", "note", "requested_at", "fulfilled_at"]
        read_only_fields = fields


class InterviewSlotSerializer(serializers.ModelSerializer):
    class Meta:
        model = InterviewSlot
        fields = ["id", "application", "starts_at"]
        read_only_fields = fields


class AssessmentSerializer(serializers.ModelSerializer):
    """What the interviewer found: for the program only, never shown to the applicant."""

    spanish_level = SpanishLevelField(read_only=True)

    class Meta:
        model = Interview
        fields = ["spanish_level", "values_fit", "notes", "recommendation", "recorded_at"]
        read_only_fields = fields


class InterviewSerializer(serializers.ModelSerializer):
    assessment = AssessmentSerializer(source="*", read_only=True, allow_null=True,
                                      help_text=_("The program's assessment; null for the applicant."))

    class Meta:
        model = Interview
        fields = ["id", "application", "scheduled_at", "where", "recorded_at", "cancelled_at", "assessment"]
        read_only_fields = fields

    def to_representation(self, interview):
        data = super().to_representation(interview)
        if not (_manages(self) and interview.recorded_at):
            data["assessment"] = None
        return data


class PlacementSerializer(serializers.ModelSerializer):
    state = PlacementStateField(read_only=True)
    clinic_name = serializers.CharField(source="clinic.name", read_only=True)
    community_name = serializers.CharField(source="clinic.community.name", read_only=True)
    pasante_name = serializers.CharField(source="pasante.full_name", read_only=True)
    host_family_name = serializers.CharField(source="host_family.head_of_household", read_only=True)

    class Meta:
        model = Placement
        fields = ["id", "application", "state", "clinic", "clinic_name", "community_name", "pasante",
                  "pasante_name", "host_family", "host_family_name", "start_date", "end_date", "meals_per_day",
                  "notes", "host_family_confirmed_at", "proposed_at", "confirmed_at", "cancelled_at"]
        read_only_fields = fields


class PasanteFeedbackSerializer(serializers.ModelSerializer):
    class Meta:
        model = PasanteFeedback
        fields = ["id", "placement", "rating", "would_host_again", "comments", "submitted_at"]
        read_only_fields = fields


class OrientationPackSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrientationPack
        fields = ["id", "title", "content_type", "uploaded_by", "uploaded_at"]
        read_only_fields = fields


def _placements():
    return Placement.objects.select_related("clinic__community", "pasante", "host_family")


class ArrivalSerializer(serializers.ModelSerializer):
    driver_name = serializers.CharField(source="driver.full_name", read_only=True, allow_null=True)
    pickup_organised = serializers.BooleanField(read_only=True)

    class Meta:
        model = Arrival
        fields = ["id", "application", "flight_number", "arrives_at", "arrives_where", "pickup_at", "meeting_point",
                  "driver", "driver_name", "vehicle", "notes", "pickup_organised", "orientation_done_at",
                  "arrived_at", "in_community_at", "updated_at"]
        read_only_fields = fields


class ExitSurveySerializer(serializers.ModelSerializer):
    class Meta:
        model = ExitSurvey
        fields = ["id", "application", "placement", "mentorship", "clinical", "community", "host_family",
                  "logistics", "best", "improve", "comments", "submitted_at"]
        read_only_fields = fields


class NextStepSerializer(serializers.Serializer):
    sentence = serializers.CharField(help_text=_("What is asked of the applicant now, in one sentence."))
    action = serializers.CharField(allow_null=True, help_text=_(
        "edit, upload_document, choose_slot, confirm_placement, flight_details, exit_survey; null: nothing is "
        "asked, the program is working on it."))
    label = serializers.CharField(allow_null=True)
    kind = serializers.CharField(allow_null=True, help_text=_("The document's kind, to upload_document."))


SUMMARY_FIELDS = ["id", "applicant", "applicant_email", "full_name", "state", "category", "country",
                  "institution", "wanted_start", "wanted_end", "is_repeat", "previous", "step", "created_at",
                  "submitted_at", "state_changed_at", "updated_at"]


class ApplicationSummarySerializer(serializers.ModelSerializer):
    """An application in the list: who, what, when, its state; without documents, interviews or timeline."""

    applicant_email = OptionalEmailField(source="applicant.email")
    state = ApplicationStateField(read_only=True)
    country = serializers.CharField(read_only=True, help_text=_("ISO 3166 code; blank when not given."))
    is_repeat = serializers.BooleanField(read_only=True)

    class Meta:
        model = Application
        fields = SUMMARY_FIELDS
        read_only_fields = fields


class ApplicationSerializer(ApplicationSummarySerializer):
    """An application with everything its status page shows."""

    licence_country = serializers.CharField(read_only=True, help_text=_("ISO 3166 code; blank when not given."))
    spanish_self_assessment = SpanishLevelOrBlankField(read_only=True)
    timeline = serializers.SerializerMethodField()
    next_step = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField(help_text=_("The steps the person asking may take now."))
    missing = serializers.SerializerMethodField(help_text=_("What still stops the draft from being submitted."))
    documents = serializers.SerializerMethodField(help_text=_("The current document of each kind."))
    document_requests = serializers.SerializerMethodField(help_text=_("Documents the program asked for, not met yet."))
    slots = serializers.SerializerMethodField(help_text=_("Interview times offered, to choose one."))
    interviews = serializers.SerializerMethodField()
    placement = serializers.SerializerMethodField(help_text=_("The current (proposed or confirmed) placement."))
    arrival = serializers.SerializerMethodField()
    exit_survey = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [*SUMMARY_FIELDS, "phone", "program", "training_level", "licence_number", "licence_country",
                  "spanish_self_assessment", "motivation", "prior_visits", "emergency_contact_name",
                  "emergency_contact_phone", "emergency_contact_relation", "dietary_notes", "health_notes",
                  "short_stay_reason", "decision_message", "end_reason", "ended_on", "return_arranged",
                  "minimum_last_day", "timeline", "next_step", "actions", "missing", "documents",
                  "document_requests", "slots", "interviews", "placement", "arrival", "exit_survey"]
        read_only_fields = fields

    def _nested(self, serializer_class, value, **kwargs):
        return serializer_class(value, context=self.context, **kwargs).data

    def get_timeline(self, application) -> StatusChangeSerializer(many=True):
        return self._nested(StatusChangeSerializer, selectors.timeline(application), many=True)

    def get_next_step(self, application) -> NextStepSerializer:
        step = selectors.next_step(application)
        return {"sentence": str(step.sentence), "action": step.action,
                "label": None if step.label is None else str(step.label), "kind": step.kind}

    def get_actions(self, application) -> list[str]:
        actions = selectors.application_actions(self.context["request"].user, application)
        return sorted(name for name, allowed in vars(actions).items() if allowed is True)

    def get_missing(self, application) -> list[str]:
        if application.state != Application.State.DRAFT:
            return []
        return [str(message) for message in services.application_missing(application)]

    def get_documents(self, application) -> DocumentSerializer(many=True):
        current = application.documents.filter(replaced_at__isnull=True).order_by("kind", "-uploaded_at")
        return self._nested(DocumentSerializer, current, many=True)

    def get_document_requests(self, application) -> DocumentRequestSerializer(many=True):
        open_requests = application.document_requests.filter(fulfilled_at__isnull=True)
        return self._nested(DocumentRequestSerializer, open_requests, many=True)

    def get_slots(self, application) -> InterviewSlotSerializer(many=True):
        return self._nested(InterviewSlotSerializer, application.slots.order_by("starts_at"), many=True)

    def get_interviews(self, application) -> InterviewSerializer(many=True):
        return self._nested(InterviewSerializer, application.interviews.order_by("-scheduled_at", "-pk"), many=True)

    def get_placement(self, application) -> PlacementSerializer(allow_null=True):
        placement = selectors.placement_of(application)
        return None if placement is None else self._nested(PlacementSerializer, placement)

    def get_arrival(self, application) -> ArrivalSerializer(allow_null=True):
        arrival = Arrival.objects.select_related("driver").filter(application=application).first()
        return None if arrival is None else self._nested(ArrivalSerializer, arrival)

    def get_exit_survey(self, application) -> ExitSurveySerializer(allow_null=True):
        survey = ExitSurvey.objects.filter(application=application).first()
        return None if survey is None else self._nested(ExitSurveySerializer, survey)


class ApplicationFilterSerializer(serializers.Serializer):
    state = ApplicationStateField(required=False)
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    country = serializers.CharField(required=False, max_length=2, help_text=_("ISO 3166 code: US, CA, DE..."))
    institution = serializers.CharField(required=False, allow_blank=True, max_length=100,
                                        help_text=_("Part of the home institution's name, whatever its capitals."))
    repeat = serializers.BooleanField(required=False, allow_null=True, default=None,
                                      help_text=_("true: returning visitors only; false: first visits only."))
    wanted_from = serializers.DateField(required=False, help_text=_("Stays wanted that end on or after this day."))
    wanted_to = serializers.DateField(required=False, help_text=_("Stays wanted that start on or before this day."))


class ApplicationScopedFilterSerializer(serializers.Serializer):
    application = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1,
                                           help_text=_("Only those of this application."))


# --- What is written --------------------------------------------------------------------------------


class StartSerializer(serializers.Serializer):
    previous = VisibleRelatedField(
        model=Application, visible=lambda user: selectors.applications_visible_to(user), required=False,
        allow_null=True, default=None, unknown_message=_("Unknown application."),
        help_text=_("A previous application of yours that has ended: its answers are copied into the new one."),
    )


class EditSerializer(serializers.Serializer):
    """One step of the application form: the fields of that step, those sent are saved."""

    step = serializers.IntegerField(min_value=1, max_value=7)
    full_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40)
    country = serializers.CharField(required=False, allow_blank=True, max_length=2)
    category = serializers.ChoiceField(choices=Category.choices, required=False, allow_blank=True)
    wanted_start = serializers.DateField(required=False, allow_null=True)
    wanted_end = serializers.DateField(required=False, allow_null=True)
    institution = serializers.CharField(required=False, allow_blank=True, max_length=200)
    program = serializers.CharField(required=False, allow_blank=True, max_length=200)
    training_level = serializers.ChoiceField(choices=Application.TrainingLevel.choices, required=False,
                                             allow_blank=True)
    licence_number = serializers.CharField(required=False, allow_blank=True, max_length=60)
    licence_country = serializers.CharField(required=False, allow_blank=True, max_length=2)
    spanish_self_assessment = SpanishLevelOrBlankField(required=False)
    motivation = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT)
    prior_visits = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT)
    emergency_contact_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    emergency_contact_phone = serializers.CharField(required=False, allow_blank=True, max_length=40)
    emergency_contact_relation = serializers.CharField(required=False, allow_blank=True, max_length=80)
    dietary_notes = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT)
    health_notes = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT)

    def validate(self, data):
        # A field of another step is the service's refusal (application_update), with its message.
        for name in ("country", "licence_country"):
            if name in data:
                data[name] = data[name].upper()
        return data


class UploadSerializer(serializers.Serializer):
    kind = DocumentKindField()
    file = serializers.FileField(help_text=_("PDF, JPEG or PNG, up to 10 MB: the type is read from the content."))


class RequestDocumentSerializer(serializers.Serializer):
    kind = DocumentKindField()
    note = _required_text(_("Say what is needed."))


class OfferSlotsSerializer(serializers.Serializer):
    starts = serializers.ListField(child=serializers.DateTimeField(), min_length=1, max_length=MAX_SLOTS,
                                   help_text=_("The times offered (future, ISO 8601 with their offset)."))


class ChooseSlotSerializer(serializers.Serializer):
    slot = serializers.IntegerField(min_value=1, max_value=2**31 - 1, help_text=_("One of the slots offered."))


class ScheduleInterviewSerializer(serializers.Serializer):
    scheduled_at = serializers.DateTimeField()
    where = _text(max_length=300, help_text=_("The call link or the place."))


class RecordInterviewSerializer(serializers.Serializer):
    spanish_level = SpanishLevelField()
    values_fit = serializers.ChoiceField(choices=Interview.ValuesFit.choices)
    notes = _text()
    recommendation = serializers.ChoiceField(choices=Interview.Recommendation.choices)


class MessageSerializer(serializers.Serializer):
    message = _text(help_text=_("The message to the applicant."))


class DeclineSerializer(serializers.Serializer):
    message = _required_text(_("Write the message to the applicant."))


class ReasonSerializer(serializers.Serializer):
    reason = _required_text(_("Give the reason."))


class PlacementInputSerializer(serializers.Serializer):
    clinic = VisibleRelatedField(model=Clinic, visible=clinic_selectors.clinics_visible_to,
                                 unknown_message=_("Unknown clinic."))
    pasante = VisibleRelatedField(model=Staff, visible=clinic_selectors.staff_visible_to,
                                  unknown_message=_("Unknown pasante."))
    host_family = VisibleRelatedField(model=HostFamily, visible=clinic_selectors.host_families_visible_to,
                                      unknown_message=_("Unknown host family."))
    start_date = serializers.DateField()
    end_date = serializers.DateField(help_text=_("The last day, inclusive."))


class ProposePlacementSerializer(PlacementInputSerializer):
    meals_per_day = serializers.IntegerField(min_value=0, max_value=5, default=3)
    notes = _text(help_text=_("Notes for the visitor."))


class PlacementProblemsSerializer(serializers.Serializer):
    problems = serializers.ListField(child=serializers.CharField(), help_text=_(
        "Every rule the placement would break, each a sentence; empty: it can be proposed."))


class FlightDetailsSerializer(serializers.Serializer):
    flight_number = serializers.CharField(max_length=40)
    arrives_at = serializers.DateTimeField()
    arrives_where = _text(max_length=200, help_text=_("The airport or terminal."))


class ArrangeArrivalSerializer(serializers.Serializer):
    pickup_at = serializers.DateTimeField()
    meeting_point = serializers.CharField(max_length=200)
    driver = VisibleRelatedField(model=Staff, visible=clinic_selectors.staff_visible_to,
                                 unknown_message=_("Unknown driver."), help_text=_("A driver of the staff list."))
    vehicle = _text(max_length=100)
    notes = _text()


class MarkArrivedSerializer(serializers.Serializer):
    # Said every time: an empty POST never marks anyone arrived.
    orientation_done = serializers.BooleanField(help_text=_("The orientation was given on arrival."))


class DisengageSerializer(serializers.Serializer):
    reason = _required_text(_("Give the reason."))
    ended_on = serializers.DateField()
    return_arranged = serializers.BooleanField(default=False, help_text=_("The return to the capital is arranged."))


class ExitSurveyInputSerializer(serializers.Serializer):
    mentorship = _rating(_("Mentorship by the pasante, 1 to 5."))
    clinical = _rating(_("Clinical experience, 1 to 5."))
    community = _rating(_("Life in the community, 1 to 5."))
    host_family = _rating(_("The host family, 1 to 5."))
    logistics = _rating(_("Travel, pickup and orientation, 1 to 5."))
    best = _text()
    improve = _text()
    comments = _text()


class AnsweredBooleanField(serializers.BooleanField):
    """A yes or no that must be said: DRF takes a form's missing checkbox for "no", this one for no answer."""

    default_empty_html = empty


class PasanteFeedbackInputSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5, help_text=_("How helpful the visitor was, 1 to 5."),
                                      error_messages={key: _("Choose from 1 to 5.")
                                                      for key in ("required", "null", "invalid", "min_value",
                                                                  "max_value", "max_string_length")})
    would_host_again = AnsweredBooleanField(help_text=_("Would you work with them again?"),
                                            error_messages={key: _("Answer yes or no.")
                                                            for key in ("required", "null", "invalid")})
    comments = _text()


class OrientationPackUploadSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, error_messages={"required": _("Give the pack a title."),
                                                                  "blank": _("Give the pack a title.")})
    file = serializers.FileField(help_text=_("PDF, JPEG or PNG, up to 10 MB: the type is read from the content."))


# --- Applications -----------------------------------------------------------------------------------


def _step(request_serializer=None, description=""):
    """The schema of one step: its body, and the application as it now is (or the service's refusal)."""
    return extend_schema(
        request=request_serializer, description=description,
        responses={200: ApplicationSerializer, 400: OpenApiResponse(description=_("Refused: the message says why."))},
    )


@extend_schema_view(
    list=extend_schema(parameters=[ApplicationFilterSerializer], description=(
        "Applications without their documents, interviews or timeline: an applicant's own, or every one for "
        "the visitor program, coordinators and admins.")),
    retrieve=extend_schema(description="One application with everything its status page shows."),
)
@extend_schema(tags=["visitors"])
class ApplicationViewSet(ReadOnlyModelViewSet):
    """Visitor applications and their steps, one POST action per transition."""

    permission_classes = [WorksApplications]
    queryset = Application.objects.none()  # for the schema generator; reads go through the selectors

    def get_serializer_class(self):
        return ApplicationSummarySerializer if self.action == "list" else ApplicationSerializer

    def get_queryset(self):
        queryset = selectors.applications_visible_to(self.request.user).select_related("applicant")
        if self.action != "list":
            return queryset
        return selectors.applications_filtered(queryset, **_filters(ApplicationFilterSerializer, self.request))

    def get_object(self):
        try:
            application = selectors.application_for(self.request.user, self.kwargs["pk"])
        except (ObjectDoesNotExist, ValueError) as exc:
            raise Http404 from exc
        self.check_object_permissions(self.request, application)
        return application

    def _input(self, serializer_class):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _answer(self, application, status_code=status.HTTP_200_OK):
        """The application as it now is, read again through the person's scope."""
        application = selectors.application_for(self.request.user, application.pk)
        return Response(ApplicationSerializer(application, context=self.get_serializer_context()).data,
                        status=status_code)

    def _run(self, service, serializer_class=None, **extra):
        application = self.get_object()
        data = self._input(serializer_class) if serializer_class else {}
        service(application=application, by=self.request.user, **data, **extra)
        return self._answer(application)

    @extend_schema(request=StartSerializer, responses={201: ApplicationSerializer})
    def create(self, request):
        """Start a draft (the applicant), or a new one from a previous application that has ended."""
        data = self._input(StartSerializer)
        application = services.application_start(applicant=request.user, previous=data["previous"], by=request.user)
        return self._answer(application, status.HTTP_201_CREATED)

    @_step(EditSerializer, "Save one step of the draft: the fields of that step that are sent.")
    @action(detail=True, methods=["post"])
    def edit(self, request, pk=None):
        application = self.get_object()
        data = self._input(EditSerializer)
        step = data.pop("step")
        services.application_update(application=application, by=request.user, step=step, fields=data)
        return self._answer(application)

    @_step(description="Send the draft to the program; what is missing is the 400's message.")
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._run(services.application_submit)

    @extend_schema(request={"multipart/form-data": UploadSerializer},
                   responses={201: DocumentSerializer, 400: OpenApiResponse(description=_("Refused: the message."))})
    @action(detail=True, methods=["post"], url_path="upload-document", url_name="upload-document",
            parser_classes=[MultiPartParser, FormParser])
    def upload_document(self, request, pk=None):
        """Upload a document (multipart: ``kind``, ``file``); it replaces the current one of that kind."""
        application = self.get_object()
        data = self._input(UploadSerializer)
        document = services.document_upload(application=application, kind=data["kind"], upload=data["file"],
                                            by=request.user)
        return Response(DocumentSerializer(document, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @_step(RequestDocumentSerializer, "Ask the applicant for a missing or corrected document, with a note.")
    @action(detail=True, methods=["post"], url_path="request-document", url_name="request-document")
    def request_document(self, request, pk=None):
        return self._run(services.document_request, RequestDocumentSerializer)

    @_step(OfferSlotsSerializer, "Offer interview times for the applicant to choose one.")
    @action(detail=True, methods=["post"], url_path="offer-slots", url_name="offer-slots")
    def offer_slots(self, request, pk=None):
        return self._run(services.interview_slots_offer, OfferSlotsSerializer)

    @_step(ChooseSlotSerializer, "The applicant picks one of the times offered: the interview is scheduled.")
    @action(detail=True, methods=["post"], url_path="choose-slot", url_name="choose-slot")
    def choose_slot(self, request, pk=None):
        application = self.get_object()
        data = self._input(ChooseSlotSerializer)
        slot = application.slots.filter(pk=data["slot"]).first()
        if slot is None:
            raise ValidationError({"slot": [_("This time is not one of those offered to you.")]})
        services.interview_slot_choose(application=application, slot=slot, by=request.user)
        return self._answer(application)

    @_step(ScheduleInterviewSerializer, "Set the interview directly, or move it (the pending one is cancelled).")
    @action(detail=True, methods=["post"], url_path="schedule-interview", url_name="schedule-interview")
    def schedule_interview(self, request, pk=None):
        return self._run(services.interview_schedule, ScheduleInterviewSerializer, interviewer=request.user)

    @_step(RecordInterviewSerializer, "Record the interview's assessment.")
    @action(detail=True, methods=["post"], url_path="record-interview", url_name="record-interview")
    def record_interview(self, request, pk=None):
        return self._run(services.interview_record, RecordInterviewSerializer)

    @_step(MessageSerializer, "Accept the applicant, with an optional message.")
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._run(services.application_accept, MessageSerializer)

    @_step(MessageSerializer, "Put the applicant on the waiting list, with an optional message.")
    @action(detail=True, methods=["post"])
    def waitlist(self, request, pk=None):
        return self._run(services.application_waitlist, MessageSerializer)

    @_step(DeclineSerializer, "Decline the application, with a message to the applicant.")
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return self._run(services.application_decline, DeclineSerializer)

    @_step(ReasonSerializer, "Allow a stay shorter than the category's minimum, with the reason.")
    @action(detail=True, methods=["post"], url_path="allow-short-stay", url_name="allow-short-stay")
    def allow_short_stay(self, request, pk=None):
        return self._run(services.short_stay_allow, ReasonSerializer)

    @extend_schema(request=PlacementInputSerializer, responses={200: PlacementProblemsSerializer})
    @action(detail=True, methods=["post"], url_path="check-placement", url_name="check-placement")
    def check_placement(self, request, pk=None):
        """Every rule a placement would break, before proposing it; writes nothing."""
        application = self.get_object()
        data = self._input(PlacementInputSerializer)
        current = selectors.placement_of(application)
        problems = services.placement_problems(application=application, exclude=current, **data)
        return Response({"problems": [str(problem) for problem in problems]})

    @_step(ProposePlacementSerializer, "Propose a placement (a previous proposal is cancelled); every rule it "
                                       "breaks is in the 400, each a sentence.")
    @action(detail=True, methods=["post"], url_path="propose-placement", url_name="propose-placement")
    def propose_placement(self, request, pk=None):
        return self._run(services.placement_propose, ProposePlacementSerializer)

    @_step(description="Confirm the proposed placement (the applicant, or the program for them).")
    @action(detail=True, methods=["post"], url_path="confirm-placement", url_name="confirm-placement")
    def confirm_placement(self, request, pk=None):
        return self._run(services.placement_confirm)

    @_step(FlightDetailsSerializer, "The flight (or bus) the visitor arrives on.")
    @action(detail=True, methods=["post"], url_path="flight-details", url_name="flight-details")
    def flight_details(self, request, pk=None):
        return self._run(services.flight_details_set, FlightDetailsSerializer)

    @_step(ArrangeArrivalSerializer, "Organise the pickup: time, meeting point, driver and vehicle.")
    @action(detail=True, methods=["post"], url_path="arrange-arrival", url_name="arrange-arrival")
    def arrange_arrival(self, request, pk=None):
        return self._run(services.arrival_arrange, ArrangeArrivalSerializer)

    @_step(MarkArrivedSerializer, "The visitor has arrived (and had the orientation, when said).")
    @action(detail=True, methods=["post"], url_path="mark-arrived", url_name="mark-arrived")
    def mark_arrived(self, request, pk=None):
        return self._run(services.application_mark_arrived, MarkArrivedSerializer)

    @_step(description="The visitor is in the community.")
    @action(detail=True, methods=["post"], url_path="mark-in-community", url_name="mark-in-community")
    def mark_in_community(self, request, pk=None):
        return self._run(services.application_mark_in_community)

    @_step(description="The stay is completed.")
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self._run(services.application_complete)

    @_step(ReasonSerializer, "Withdraw the application before arrival (the placement is cancelled).")
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._run(services.application_withdraw, ReasonSerializer)

    @_step(DisengageSerializer, "End the stay early: the reason, the date, the return arranged.")
    @action(detail=True, methods=["post"])
    def disengage(self, request, pk=None):
        return self._run(services.application_disengage, DisengageSerializer)

    @_step(ExitSurveyInputSerializer, "The visitor's exit survey.")
    @action(detail=True, methods=["post"], url_path="exit-survey", url_name="exit-survey")
    def exit_survey(self, request, pk=None):
        return self._run(services.exit_survey_submit, ExitSurveyInputSerializer)


# --- Documents, interviews, placements, arrivals, surveys: read -------------------------------------


class ScopedToApplications(ReadOnlyModelViewSet):
    """Rows hanging from the applications the person reaches (``?application=`` narrows to one)."""

    permission_classes = [IsAuthenticated]
    model = None

    def base_queryset(self):
        return self.model.objects.filter(application__in=selectors.applications_visible_to(self.request.user))

    def get_queryset(self):
        queryset = self.base_queryset()
        if self.action == "list":
            filters = _filters(ApplicationScopedFilterSerializer, self.request)
            if "application" in filters:
                queryset = queryset.filter(application_id=filters["application"])
        return queryset


SCOPED_LIST = extend_schema_view(list=extend_schema(parameters=[ApplicationScopedFilterSerializer]))


@SCOPED_LIST
@extend_schema(tags=["visitors"])
class DocumentViewSet(ScopedToApplications):
    """Documents of the applications in reach, replaced ones included (``replaced_at`` set)."""

    serializer_class = DocumentSerializer
    queryset = Document.objects.none()
    model = Document

    def get_object(self):
        return selectors.document_for(self.request.user, self.kwargs["pk"])

    @extend_schema(responses={(200, content_type): OpenApiTypes.BINARY for content_type in Document.EXTENSIONS})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """The file itself, through the same checks as the page's download."""
        document = self.get_object()
        try:
            handle = document.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404 from exc
        response = FileResponse(handle, as_attachment=True, filename=document.original_name,
                                content_type=document.content_type)
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


@SCOPED_LIST
@extend_schema(tags=["visitors"])
class InterviewSlotViewSet(ScopedToApplications):
    """Interview times offered."""

    serializer_class = InterviewSlotSerializer
    queryset = InterviewSlot.objects.none()
    model = InterviewSlot


@SCOPED_LIST
@extend_schema(tags=["visitors"])
class InterviewViewSet(ScopedToApplications):
    """Interviews, scheduled, recorded or cancelled; the assessment is the program's only."""

    serializer_class = InterviewSerializer
    queryset = Interview.objects.none()
    model = Interview


def _paired_with(user):
    """The placements of the visitors paired with a pasante (the selector's, as their page shows)."""
    return selectors.placements_for_pasante(user).values("pk")


def _as_the_paired_pasante(service, **kwargs):
    """Call a service of the paired pasante's: its refusal of anyone else (``not_the_pasante``, were the visitor
    paired with someone else between the lookup and the service's lock) is a 403, as the lookup's would be; any
    other refusal is the 400 with its message."""
    try:
        return service(**kwargs)
    except DjangoValidationError as exc:
        if getattr(exc, "code", None) == "not_the_pasante":
            raise PermissionDenied(exc.messages[0]) from exc
        raise


PASANTE_REFUSALS = {
    400: OpenApiResponse(description=_("Refused: the message says why.")),
    403: OpenApiResponse(description=_("Not a pasante, or not the one paired with this visitor.")),
    404: OpenApiResponse(description=_("No placement of a visitor paired with you has this id.")),
}


@SCOPED_LIST
@extend_schema(tags=["visitors"])
class PlacementViewSet(ScopedToApplications):
    """Placements, cancelled ones included; a pasante reads those of the visitors paired with them, and speaks
    for them (the host family is ready, their feedback after the stay) as on their page."""

    permission_classes = [SpeaksForPlacements]
    serializer_class = PlacementSerializer
    queryset = Placement.objects.none()
    model = Placement

    def base_queryset(self):
        user = self.request.user
        return _placements().filter(Q(application__in=selectors.applications_visible_to(user))
                                    | Q(pk__in=_paired_with(user)))

    def get_object(self):
        if self.action in PASANTE_STEPS:
            # Their own visitors only (cancelled placements left out), whatever else their roles reach.
            return selectors.pasante_placement_for(self.request.user, self.kwargs["pk"])
        return super().get_object()

    @extend_schema(request=None, responses={200: PlacementSerializer, **PASANTE_REFUSALS})
    @action(detail=True, methods=["post"], url_path="host-family-ready", url_name="host-family-ready")
    def host_family_ready(self, request, pk=None):
        """The paired pasante says the host family is ready for the visitor (saying it again changes nothing)."""
        placement = self.get_object()
        _as_the_paired_pasante(services.host_family_confirm, placement=placement, by=request.user)
        placement = selectors.pasante_placement_for(request.user, placement.pk)
        return Response(PlacementSerializer(placement, context=self.get_serializer_context()).data)

    @extend_schema(request=PasanteFeedbackInputSerializer,
                   responses={201: PasanteFeedbackSerializer, **PASANTE_REFUSALS})
    @action(detail=True, methods=["post"])
    def feedback(self, request, pk=None):
        """The paired pasante's word on the visitor, once the stay is over; once."""
        placement = self.get_object()
        serializer = PasanteFeedbackInputSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        feedback = _as_the_paired_pasante(services.pasante_feedback_submit, placement=placement, by=request.user,
                                          **serializer.validated_data)
        return Response(PasanteFeedbackSerializer(feedback, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)


@SCOPED_LIST
@extend_schema(tags=["visitors"])
class ArrivalViewSet(ScopedToApplications):
    """Arrivals: the flight and the pickup; a pasante reads those of the visitors paired with them."""

    serializer_class = ArrivalSerializer
    queryset = Arrival.objects.none()
    model = Arrival

    def base_queryset(self):
        user = self.request.user
        paired = Placement.objects.filter(pk__in=_paired_with(user)).values("application_id")
        return Arrival.objects.select_related("driver").filter(
            Q(application__in=selectors.applications_visible_to(user)) | Q(application_id__in=paired)
        ).order_by("-pk")


@SCOPED_LIST
@extend_schema(tags=["visitors"])
class ExitSurveyViewSet(ScopedToApplications):
    """Exit surveys: the visitor's own, or every one for the program."""

    serializer_class = ExitSurveySerializer
    queryset = ExitSurvey.objects.none()
    model = ExitSurvey


@extend_schema_view(
    list=extend_schema(description="The orientation packs, newest first: the first is the one visitors get."),
    retrieve=extend_schema(description="One orientation pack."),
)
@extend_schema(tags=["visitors"])
class OrientationPackViewSet(ReadOnlyModelViewSet):
    """The orientation packs the program uploaded: the program's, coordinators' and admins' (others read none)."""

    permission_classes = [ManagesOrientationPacks]
    parser_classes = [MultiPartParser, FormParser]  # the one write is an upload
    serializer_class = OrientationPackSerializer
    queryset = OrientationPack.objects.none()  # for the schema generator; reads go through the selector

    def get_queryset(self):
        return selectors.orientation_packs_visible_to(self.request.user)

    @extend_schema(request={"multipart/form-data": OrientationPackUploadSerializer},
                   responses={201: OrientationPackSerializer,
                              400: OpenApiResponse(description=_("Refused: the message says why."))})
    def create(self, request):
        """Upload a new orientation pack (multipart: ``title``, ``file``); visitors get it from now on."""
        serializer = OrientationPackUploadSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        pack = services.orientation_pack_upload(title=serializer.validated_data["title"],
                                                upload=serializer.validated_data["file"], by=request.user)
        return Response(OrientationPackSerializer(pack, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)
