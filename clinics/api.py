"""The clinics REST API: thin viewsets over clinics.selectors (reads, scoping) and clinics.services (writes).

An object outside the user's scope answers 404, exactly as if it did not exist; a role that has no
business with a resource at all (an applicant asking for clinics, pharmacy asking for patients) gets 403.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from ces.core.api import OptionalEmailField
from ces.core.fields import VisibleRelatedField
from ces.core.pages import get_or_404
from ces.core.viewsets import ReadOnlyModelViewSet

from . import selectors, services
from .models import Assignment, Cadre, Clinic, Community, Patient, Staff

# --- Permissions ------------------------------------------------------------------------------------


class SeesClinics(IsAuthenticated):
    """``selectors.can_see_clinics``."""

    def has_permission(self, request, view):
        return super().has_permission(request, view) and selectors.can_see_clinics(request.user)


class SeesPatients(IsAuthenticated):
    """``selectors.can_see_patients``."""

    def has_permission(self, request, view):
        return super().has_permission(request, view) and selectors.can_see_patients(request.user)


class ManagesStaffingToWrite(BasePermission):
    """Reading assignments follows the clinic scope; creating, ending and moving them is for coordinators."""

    def has_permission(self, request, view):
        if view.action in ("list", "retrieve"):
            return True
        return selectors.can_manage_staffing(request.user)


# --- Fields -----------------------------------------------------------------------------------------


def _clinic_field(**kwargs):
    return VisibleRelatedField(model=Clinic, visible=selectors.clinics_visible_to,
                               unknown_message=_("Unknown clinic."), **kwargs)


def _staff_field(**kwargs):
    return VisibleRelatedField(model=Staff, visible=selectors.staff_visible_to,
                               unknown_message=_("Unknown person."), **kwargs)


def _community_field(**kwargs):
    return VisibleRelatedField(model=Community, visible=selectors.communities_visible_to,
                               unknown_message=_("Unknown community."), **kwargs)


# --- Serializers ------------------------------------------------------------------------------------


class CommunitySerializer(serializers.ModelSerializer):
    # Empty when the community receives no visitors (or has not said how it agreed).
    visitors_agreement_kind = serializers.ChoiceField(choices=Community.Agreement.choices, allow_blank=True,
                                                      read_only=True)

    class Meta:
        model = Community
        fields = ["id", "name", "municipality", "travel_minutes", "road_notes", "latitude", "longitude",
                  "accepts_visitors", "visitors_agreed_on", "visitors_agreement_kind", "visitor_capacity"]
        read_only_fields = fields


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()


class ClinicSerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    current_pasante = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Clinic
        fields = ["id", "name", "kind", "moh_code", "active", "community", "community_name", "current_pasante"]
        read_only_fields = fields


class CoverageSegmentSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    days = serializers.IntegerField()
    is_gap = serializers.BooleanField()
    pasante = serializers.SerializerMethodField()

    def get_pasante(self, segment) -> str | None:
        return segment.assignment.staff.full_name if segment.assignment else None


class CurrentAssignmentSerializer(serializers.ModelSerializer):
    clinic_name = serializers.CharField(source="clinic.name", read_only=True)

    class Meta:
        model = Assignment
        fields = ["id", "clinic", "clinic_name", "role", "start_date", "end_date"]
        read_only_fields = fields


class StaffSerializer(serializers.ModelSerializer):
    cohort_name = serializers.CharField(source="cohort.name", read_only=True, allow_null=True, default=None)
    current_assignments = CurrentAssignmentSerializer(many=True, read_only=True)
    email = OptionalEmailField(help_text=_("Null when the person has no e-mail address."))

    class Meta:
        model = Staff
        fields = ["id", "full_name", "cadre", "email", "phone", "cohort", "cohort_name", "active",
                  "current_assignments"]
        read_only_fields = fields


class AssignmentSerializer(serializers.ModelSerializer):
    staff_name = serializers.CharField(source="staff.full_name", read_only=True)
    clinic_name = serializers.CharField(source="clinic.name", read_only=True)

    class Meta:
        model = Assignment
        fields = ["id", "staff", "staff_name", "clinic", "clinic_name", "role", "start_date", "end_date",
                  "end_reason"]
        read_only_fields = fields


class AssignmentCreateSerializer(serializers.Serializer):
    staff = _staff_field()
    clinic = _clinic_field()
    role = serializers.ChoiceField(choices=Assignment.Role.choices)
    start_date = serializers.DateField()
    end_date = serializers.DateField(required=False, allow_null=True, default=None)


class AssignmentEndSerializer(serializers.Serializer):
    end_date = serializers.DateField()
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class AssignmentMoveSerializer(serializers.Serializer):
    clinic = _clinic_field()
    move_date = serializers.DateField()


class PatientSerializer(serializers.ModelSerializer):
    clinic_name = serializers.CharField(source="clinic.name", read_only=True)
    community_name = serializers.CharField(source="community.name", read_only=True)

    class Meta:
        model = Patient
        fields = ["id", "clinic", "clinic_name", "community", "community_name", "given_names", "family_names",
                  "sex", "birth_date", "curp", "phone", "duplicate_reviewed", "created_at"]
        read_only_fields = fields


class PatientCreateSerializer(serializers.Serializer):
    clinic = _clinic_field()
    community = _community_field(required=False, allow_null=True, default=None,
                                 help_text=_("Where the patient lives; the clinic's community if left out."))
    given_names = serializers.CharField(max_length=120)
    family_names = serializers.CharField(max_length=120)
    sex = serializers.ChoiceField(choices=Patient.Sex.choices)
    birth_date = serializers.DateField()
    curp = serializers.CharField(required=False, allow_blank=True, default="", max_length=18)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=30)
    confirm_not_duplicate = serializers.BooleanField(
        required=False, default=False,
        help_text=_("Set after reviewing the candidates of a 409 answer, when this is a different person."),
    )


class DuplicateCandidateSerializer(serializers.ModelSerializer):
    clinic_name = serializers.CharField(source="clinic.name", read_only=True)

    class Meta:
        model = Patient
        fields = ["id", "given_names", "family_names", "birth_date", "clinic_name"]


PossibleDuplicateResponse = inline_serializer(
    "PossibleDuplicateResponse",
    {
        "detail": serializers.CharField(),
        "code": serializers.CharField(),
        "candidates": DuplicateCandidateSerializer(many=True),
    },
)


# --- Viewsets ---------------------------------------------------------------------------------------


@extend_schema(tags=["clinics"])
class CommunityViewSet(ReadOnlyModelViewSet):
    serializer_class = CommunitySerializer
    permission_classes = [SeesClinics]

    def get_queryset(self):
        return selectors.community_list(self.request.user)


@extend_schema_view(
    list=extend_schema(parameters=[
        OpenApiParameter("q", OpenApiTypes.STR, description="Search in the clinic or community name."),
        OpenApiParameter("kind", OpenApiTypes.STR, enum=Clinic.Kind.values),
    ]),
)
@extend_schema(tags=["clinics"])
class ClinicViewSet(ReadOnlyModelViewSet):
    serializer_class = ClinicSerializer
    permission_classes = [SeesClinics]
    queryset = Clinic.objects.none()  # for the schema generator; reads go through the selectors

    def list(self, request):
        clinics = selectors.clinic_directory(
            request.user, search=request.query_params.get("q", "").strip(),
            kind=request.query_params.get("kind", ""),
        )
        page = self.paginate_queryset(clinics)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        clinic = get_or_404(selectors.clinic_detail, request.user, pk)
        return Response(self.get_serializer(clinic).data)

    @extend_schema(responses=CoverageSegmentSerializer(many=True), operation_id="clinics_coverage")
    @action(detail=True, pagination_class=None)
    def coverage(self, request, pk=None):
        """The next 12 months cut into covered and uncovered segments (a gap has no pasante)."""
        clinic = get_or_404(selectors.clinic_detail, request.user, pk)
        return Response(CoverageSegmentSerializer(clinic.coverage, many=True).data)


@extend_schema_view(
    list=extend_schema(parameters=[
        OpenApiParameter("q", OpenApiTypes.STR, description="Search in the name, e-mail or phone."),
        OpenApiParameter("cadre", OpenApiTypes.STR, enum=Cadre.values),
    ]),
)
@extend_schema(tags=["staff"])
class StaffViewSet(ReadOnlyModelViewSet):
    serializer_class = StaffSerializer
    permission_classes = [SeesClinics]

    def get_queryset(self):
        params = self.request.query_params
        search = params.get("q", "").strip() if self.action == "list" else ""
        cadre = params.get("cadre", "") if self.action == "list" else ""
        return selectors.staff_directory(self.request.user, search=search, cadre=cadre)


@extend_schema(tags=["assignments"])
class AssignmentViewSet(mixins.CreateModelMixin, ReadOnlyModelViewSet):
    permission_classes = [SeesClinics, ManagesStaffingToWrite]

    def get_queryset(self):
        return selectors.assignment_list(self.request.user)

    def get_serializer_class(self):
        return {
            "create": AssignmentCreateSerializer,
            "end": AssignmentEndSerializer,
            "move": AssignmentMoveSerializer,
        }.get(self.action, AssignmentSerializer)

    def _answer(self, assignment, status_code=status.HTTP_200_OK):
        assignment = selectors.assignment_for(self.request.user, assignment.pk)
        return Response(AssignmentSerializer(assignment).data, status=status_code)

    @extend_schema(request=AssignmentCreateSerializer, responses={201: AssignmentSerializer})
    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assignment = services.assignment_create(**serializer.validated_data, by=request.user)
        return self._answer(assignment, status.HTTP_201_CREATED)

    @extend_schema(request=AssignmentEndSerializer, responses={200: AssignmentSerializer})
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        """End the assignment on ``end_date`` (inclusive); the access it gave ends the day after."""
        assignment = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.assignment_end(assignment=assignment, **serializer.validated_data, by=request.user)
        return self._answer(assignment)

    @extend_schema(request=AssignmentMoveSerializer, responses={201: AssignmentSerializer})
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the person to another clinic from ``move_date``; answers the new assignment."""
        assignment = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        new = services.assignment_move(assignment=assignment, **serializer.validated_data, by=request.user)
        return self._answer(new, status.HTTP_201_CREATED)


@extend_schema(tags=["patients"])
class PatientViewSet(mixins.CreateModelMixin, ReadOnlyModelViewSet):
    permission_classes = [SeesPatients]

    def get_queryset(self):
        return selectors.patient_list(self.request.user)

    def get_serializer_class(self):
        return PatientCreateSerializer if self.action == "create" else PatientSerializer

    @extend_schema(
        request=PatientCreateSerializer,
        responses={201: PatientSerializer, 409: PossibleDuplicateResponse},
    )
    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["community"] = data["community"] or data["clinic"].community
        try:
            patient = services.patient_create(**data, by=request.user)
        except services.PossibleDuplicate as duplicate:
            return Response(
                {
                    "detail": duplicate.messages[0],
                    "code": "possible_duplicate",
                    "candidates": DuplicateCandidateSerializer(duplicate.candidates, many=True).data,
                },
                status=status.HTTP_409_CONFLICT,
            )
        patient = selectors.patient_for(request.user, patient.pk)
        return Response(PatientSerializer(patient).data, status=status.HTTP_201_CREATED)
