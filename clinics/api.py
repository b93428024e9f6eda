"""The clinics REST API: thin viewsets over clinics.selectors (reads, scoping) and clinics.services (writes).

An object outside the user's scope answers 404, exactly as if it did not exist; a role that has no
business with a resource at all (an applicant asking for clinics, pharmacy asking for patients) gets 403.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response

from ces.core.api import OptionalEmailField
from ces.core.fields import VisibleRelatedField
from ces.core.pages import get_or_404
from ces.core.viewsets import ReadOnlyModelViewSet

from . import selectors, services
from .models import (
    Assignment,
    Cadre,
    Clinic,
    Cohort,
    Community,
    HostFamily,
    HostPayment,
    HostStay,
    Patient,
    Staff,
)

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


class WritesWith(BasePermission):
    """Reading follows the viewset's own scope; any other action needs ``check(user)`` (a selector).
    Subclassed per rule, so the schema and the 403s name it."""

    check = staticmethod(lambda user: False)

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return type(self).check(request.user)


class ManagesNetworkToWrite(WritesWith):
    """Creating, editing and closing communities and clinics: coordinators and admins."""

    check = staticmethod(selectors.can_manage_network)


class ManagesPeopleToWrite(WritesWith):
    """Adding, editing, deactivating and inviting people: coordinators and admins."""

    check = staticmethod(selectors.can_manage_people)


class ManagesStaffing(IsAuthenticated):
    """Cohorts, read or written: coordinators and admins (as the pages)."""

    def has_permission(self, request, view):
        return super().has_permission(request, view) and selectors.can_manage_staffing(request.user)


class ManagesHostFamilies(IsAuthenticated):
    """Host families, their stays and payments: coordinators, the visitor program and admins."""

    def has_permission(self, request, view):
        return super().has_permission(request, view) and selectors.can_manage_host_families(request.user)


class EditsPatientsToWrite(BasePermission):
    """Correcting a patient: pasantes and supervisors of its clinic, coordinators, admins; merging: coordinators
    and admins. Reading and registering keep their own rules (``SeesPatients``)."""

    def has_permission(self, request, view):
        if view.action in ("update", "partial_update"):
            return selectors.can_edit_patients(request.user)
        if view.action == "merge":
            return selectors.can_merge_patients(request.user)
        return True


def _updated(serializer, instance, names) -> dict:
    """The values a PUT or PATCH asks for, the instance's current ones for what a PATCH leaves out."""
    data = {name: getattr(instance, name) for name in names}
    data.update(serializer.validated_data)
    return data


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


def _duplicate_answer(duplicate):
    return Response(
        {
            "detail": duplicate.messages[0],
            "code": "possible_duplicate",
            "candidates": DuplicateCandidateSerializer(duplicate.candidates, many=True).data,
        },
        status=status.HTTP_409_CONFLICT,
    )


class CommunityWriteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Community
        fields = list(services.COMMUNITY_FIELDS)
        # The name's uniqueness is the model's to say (full_clean in the service), in its words.
        extra_kwargs = {"name": {"validators": []}}


class ClinicWriteSerializer(serializers.Serializer):
    community = _community_field()
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=Clinic.Kind.choices)
    moh_code = serializers.CharField(required=False, allow_blank=True, default="", max_length=20,
                                     help_text=_("CLUES: 5 capital letters and 6 digits; unique."))


class PersonWriteSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=200)
    cadre = serializers.ChoiceField(choices=Cadre.choices)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=30)
    curp = serializers.CharField(required=False, allow_blank=True, default="", max_length=18)
    cohort = serializers.PrimaryKeyRelatedField(queryset=Cohort.objects.all(), required=False, allow_null=True,
                                                default=None)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class PersonDeactivateSerializer(serializers.Serializer):
    last_day = serializers.DateField(help_text=_("The person's last day: open posts end that day, the account "
                                                 "closes the day after."))


class PersonInviteSerializer(serializers.Serializer):
    roles = serializers.ListField(child=serializers.ChoiceField(choices=services.INVITABLE_ROLES), allow_empty=False)

    def validate_roles(self, roles):
        allowed = services.invitable_roles_for(self.context["request"].user)
        refused = sorted(set(roles) - set(allowed))
        if refused:
            raise serializers.ValidationError(_("You cannot give these roles: %(roles)s.") % {
                "roles": ", ".join(refused)})
        return roles


class InvitationSerializer(serializers.ModelSerializer):
    state = serializers.CharField(read_only=True)

    class Meta:
        model = services.Invitation
        fields = ["id", "staff", "email", "roles", "state", "sent_at", "expires_at", "accepted_at"]
        read_only_fields = fields


class CohortSerializer(serializers.ModelSerializer):
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Cohort
        fields = ["id", "name", "start_date", "end_date", "member_count"]
        read_only_fields = ["id", "member_count"]
        extra_kwargs = {"name": {"validators": []}}


class HostFamilySerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    owed = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True,
                                    help_text=_("Its stays' nights until today, at the stays' rates."))
    paid = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    balance = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True,
                                       help_text=_("Owed minus paid: above zero the coordination still owes it."))

    class Meta:
        model = HostFamily
        fields = ["id", "community", "community_name", "head_of_household", "phone", "address", "rooms",
                  "rate_per_night", "rate_per_meal", "active", "notes", "owed", "paid", "balance"]
        read_only_fields = fields


class HostFamilyWriteSerializer(serializers.Serializer):
    community = serializers.PrimaryKeyRelatedField(queryset=Community.objects.all(),
                                                   error_messages={"does_not_exist": _("Unknown community.")})
    head_of_household = serializers.CharField(max_length=200)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=30)
    address = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    rooms = serializers.IntegerField(min_value=1, max_value=50, default=1)
    rate_per_night = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0)
    rate_per_meal = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0)
    active = serializers.BooleanField(default=True)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class HostStaySerializer(serializers.ModelSerializer):
    nights = serializers.IntegerField(read_only=True)
    amount_owed = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True,
                                           help_text=_("Zero once the stay is cancelled."))

    class Meta:
        model = HostStay
        fields = ["id", "family", "guest_kind", "guest_staff", "guest_name", "first_night", "last_night",
                  "meals_per_day", "rate_per_night", "rate_per_meal", "nights", "amount_owed", "cancelled_at",
                  "cancel_reason"]
        read_only_fields = fields


class HostStayCreateSerializer(serializers.Serializer):
    family = VisibleRelatedField(model=HostFamily, visible=selectors.host_families_visible_to,
                                 unknown_message=_("Unknown host family."))
    guest_kind = serializers.ChoiceField(choices=HostStay.GuestKind.choices)
    guest_staff = serializers.PrimaryKeyRelatedField(
        queryset=Staff.objects.filter(cadre=Cadre.PASANTE, active=True), required=False, allow_null=True,
        default=None, error_messages={"does_not_exist": _("Unknown person.")})
    guest_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=200,
                                       help_text=_("Only for a visitor."))
    first_night = serializers.DateField()
    last_night = serializers.DateField()
    meals_per_day = serializers.IntegerField(min_value=0, max_value=5, default=3)


class HostStayUpdateSerializer(serializers.Serializer):
    first_night = serializers.DateField()
    last_night = serializers.DateField()
    meals_per_day = serializers.IntegerField(min_value=0, max_value=5)


class HostStayCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


def _stays_field(**kwargs):
    return VisibleRelatedField(
        model=HostStay, many=True, required=False, default=list,
        visible=lambda user: HostStay.objects.filter(family__in=selectors.host_families_visible_to(user)),
        unknown_message=_("Unknown stay."), **kwargs)


class HostPaymentSerializer(serializers.ModelSerializer):
    stays = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    has_receipt = serializers.SerializerMethodField()

    class Meta:
        model = HostPayment
        fields = ["id", "family", "amount", "paid_on", "method", "concept", "stays", "excess", "has_receipt",
                  "created_at"]
        read_only_fields = fields

    def get_has_receipt(self, payment) -> bool:
        return bool(payment.receipt)


class HostPaymentUpdateSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    paid_on = serializers.DateField()
    method = serializers.ChoiceField(choices=HostPayment.Method.choices, default=HostPayment.Method.CASH)
    concept = serializers.CharField(max_length=200)
    stays = _stays_field(help_text=_("The stays it covers (none: weighed against all the family's stays)."))


class HostPaymentCreateSerializer(HostPaymentUpdateSerializer):
    family = VisibleRelatedField(model=HostFamily, visible=selectors.host_families_visible_to,
                                 unknown_message=_("Unknown host family."))


class PatientUpdateSerializer(serializers.Serializer):
    given_names = serializers.CharField(max_length=120)
    family_names = serializers.CharField(max_length=120)
    sex = serializers.ChoiceField(choices=Patient.Sex.choices)
    birth_date = serializers.DateField()
    curp = serializers.CharField(required=False, allow_blank=True, default="", max_length=18)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=30)
    confirm_not_duplicate = serializers.BooleanField(required=False, default=False)


class PatientMergeSerializer(serializers.Serializer):
    merged = VisibleRelatedField(model=Patient, visible=selectors.patients_visible_to,
                                 unknown_message=_("Unknown patient."),
                                 help_text=_("The record of the same person that joins this one."))


# --- Viewsets ---------------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(request=CommunityWriteSerializer, responses={201: CommunitySerializer},
                         description="Add a community (coordinators and admins)."),
    update=extend_schema(request=CommunityWriteSerializer, responses={200: CommunitySerializer},
                         description="Change a community (coordinators and admins)."),
    partial_update=extend_schema(request=CommunityWriteSerializer, responses={200: CommunitySerializer},
                                 description="Change some fields of a community (coordinators and admins)."),
)
@extend_schema(tags=["clinics"])
class CommunityViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, ReadOnlyModelViewSet):
    permission_classes = [SeesClinics, ManagesNetworkToWrite]

    def get_queryset(self):
        return selectors.community_list(self.request.user)

    def get_serializer_class(self):
        return CommunitySerializer if self.action in ("list", "retrieve") else CommunityWriteSerializer

    def _answer(self, community, status_code=status.HTTP_200_OK):
        return Response(CommunitySerializer(community).data, status=status_code)

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        community = services.community_create(**serializer.validated_data, by=request.user)
        return self._answer(community, status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        community = self.get_object()
        serializer = self.get_serializer(community, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        community = services.community_update(community=community, by=request.user, **serializer.validated_data)
        return self._answer(community)


@extend_schema_view(
    list=extend_schema(parameters=[
        OpenApiParameter("q", OpenApiTypes.STR, description="Search in the clinic or community name."),
        OpenApiParameter("kind", OpenApiTypes.STR, enum=Clinic.Kind.values),
    ]),
)
@extend_schema(tags=["clinics"])
class ClinicViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, ReadOnlyModelViewSet):
    serializer_class = ClinicSerializer
    permission_classes = [SeesClinics, ManagesNetworkToWrite]
    queryset = Clinic.objects.none()  # for the schema generator; reads go through the selectors

    def get_queryset(self):
        return selectors.clinics_visible_to(self.request.user)

    def _answer(self, clinic, status_code=status.HTTP_200_OK):
        return Response(ClinicSerializer(get_or_404(selectors.clinic_detail, self.request.user, clinic.pk)).data,
                        status=status_code)

    @extend_schema(request=ClinicWriteSerializer, responses={201: ClinicSerializer},
                   description="Open a clinic (coordinators and admins); a CLUES code already used is refused.")
    def create(self, request):
        serializer = ClinicWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        clinic = services.clinic_create(**serializer.validated_data, by=request.user)
        return self._answer(clinic, status.HTTP_201_CREATED)

    @extend_schema(request=ClinicWriteSerializer, responses={200: ClinicSerializer},
                   description="Change a clinic (coordinators and admins).")
    def update(self, request, pk=None, partial=False):
        clinic = self.get_object()
        serializer = ClinicWriteSerializer(data=request.data, partial=partial, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        clinic = services.clinic_update(clinic=clinic, by=request.user,
                                        **_updated(serializer, clinic, ("community", "name", "kind", "moh_code")))
        return self._answer(clinic)

    @extend_schema(request=ClinicWriteSerializer, responses={200: ClinicSerializer})
    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    @extend_schema(request=None, responses={200: ClinicSerializer})
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        """Close the clinic: refused while someone holds or is to hold a post there. Its history stays."""
        clinic = services.clinic_deactivate(clinic=self.get_object(), by=request.user)
        return self._answer(clinic)

    @extend_schema(request=None, responses={200: ClinicSerializer})
    @action(detail=True, methods=["post"])
    def reactivate(self, request, pk=None):
        """Open a closed clinic again."""
        clinic = services.clinic_reactivate(clinic=self.get_object(), by=request.user)
        return self._answer(clinic)

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
class StaffViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, ReadOnlyModelViewSet):
    serializer_class = StaffSerializer
    permission_classes = [SeesClinics, ManagesPeopleToWrite]

    def get_queryset(self):
        params = self.request.query_params
        search = params.get("q", "").strip() if self.action == "list" else ""
        cadre = params.get("cadre", "") if self.action == "list" else ""
        return selectors.staff_directory(self.request.user, search=search, cadre=cadre)

    def _answer(self, staff, status_code=status.HTTP_200_OK):
        return Response(StaffSerializer(selectors.staff_directory(self.request.user).get(pk=staff.pk)).data,
                        status=status_code)

    def _person(self):
        return get_or_404(selectors.staff_for_edit, self.request.user, self.kwargs["pk"])

    @extend_schema(request=PersonWriteSerializer, responses={201: StaffSerializer},
                   description="Add a person (coordinators and admins); an e-mail already in the directory is "
                               "refused with the name of who has it.")
    def create(self, request):
        serializer = PersonWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        staff = services.person_add(**serializer.validated_data, by=request.user)
        return self._answer(staff, status.HTTP_201_CREATED)

    @extend_schema(request=PersonWriteSerializer, responses={200: StaffSerializer},
                   description="Correct a person's details (coordinators and admins).")
    def update(self, request, pk=None, partial=False):
        staff = self._person()
        serializer = PersonWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        staff = services.person_update(staff=staff, by=request.user, **serializer.validated_data)
        return self._answer(staff)

    @extend_schema(request=PersonWriteSerializer, responses={200: StaffSerializer})
    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    @extend_schema(request=PersonDeactivateSerializer, responses={200: StaffSerializer})
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        """Deactivate the person from ``last_day`` (today by default): open posts end that day, the account
        closes the day after. Nobody is deleted."""
        staff = self._person()
        serializer = PersonDeactivateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        staff = services.person_deactivate(staff=staff, by=request.user, **serializer.validated_data)
        return self._answer(staff)

    @extend_schema(request=PersonInviteSerializer, responses={201: InvitationSerializer})
    @action(detail=True, methods=["post"])
    def invite(self, request, pk=None):
        """Invite the person to log in with ``roles`` (sent again: a new link, the older ones withdrawn)."""
        staff = self._person()
        serializer = PersonInviteSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        invitation, _token = services.invitation_send(staff=staff, roles=serializer.validated_data["roles"],
                                                      by=request.user,
                                                      base_url=request.build_absolute_uri("/")[:-1])
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


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
class PatientViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, ReadOnlyModelViewSet):
    permission_classes = [SeesPatients, EditsPatientsToWrite]

    @extend_schema(request=PatientUpdateSerializer,
                   responses={200: PatientSerializer, 409: PossibleDuplicateResponse},
                   description="Correct a patient's details (the clinic stays). A change that makes the record "
                               "look like another patient of the community answers 409 with the candidates.")
    def update(self, request, pk=None, partial=False):
        patient = get_or_404(selectors.patient_for, request.user, pk)
        serializer = PatientUpdateSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = _updated(serializer, patient, ("given_names", "family_names", "sex", "birth_date", "curp", "phone"))
        try:
            patient = services.patient_update(patient=patient, **data, by=request.user)
        except services.PossibleDuplicate as duplicate:
            return _duplicate_answer(duplicate)
        return Response(PatientSerializer(selectors.patient_for(request.user, patient.pk)).data)

    @extend_schema(request=PatientUpdateSerializer,
                   responses={200: PatientSerializer, 409: PossibleDuplicateResponse})
    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    @extend_schema(request=PatientMergeSerializer, responses={200: PatientSerializer})
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """``merged`` was the same person as this record: everything that pointed at it moves here; both
        records keep their history (coordinators and admins)."""
        survivor = get_or_404(selectors.patient_for, request.user, pk)
        serializer = PatientMergeSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        survivor = services.patient_merge(survivor=survivor, merged=serializer.validated_data["merged"],
                                          by=request.user)
        return Response(PatientSerializer(selectors.patient_for(request.user, survivor.pk)).data)

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
            return _duplicate_answer(duplicate)
        patient = selectors.patient_for(request.user, patient.pk)
        return Response(PatientSerializer(patient).data, status=status.HTTP_201_CREATED)


# --- Cohorts, host families, their stays and payments (i10) -------------------------------------------------


@extend_schema_view(
    create=extend_schema(description="Create a cohort (coordinators and admins); an end before its start is "
                                     "refused."),
    update=extend_schema(description="Rename a cohort or move its dates; refused when it would leave a post of "
                                     "its pasantes outside its year."),
    partial_update=extend_schema(description="Change some fields of a cohort."),
)
@extend_schema(tags=["staff"])
class CohortViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, ReadOnlyModelViewSet):
    serializer_class = CohortSerializer
    permission_classes = [ManagesStaffing]

    def get_queryset(self):
        return selectors.cohort_list()

    def _answer(self, cohort, status_code=status.HTTP_200_OK):
        return Response(CohortSerializer(selectors.cohort_list().get(pk=cohort.pk)).data, status=status_code)

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._answer(services.cohort_create(**serializer.validated_data), status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        cohort = self.get_object()
        serializer = self.get_serializer(cohort, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        cohort = services.cohort_update(cohort=cohort, by=request.user,
                                        **_updated(serializer, cohort, ("name", "start_date", "end_date")))
        return self._answer(cohort)


@extend_schema_view(
    list=extend_schema(parameters=[
        OpenApiParameter("q", OpenApiTypes.STR, description="Search in the head of household, community or phone."),
    ]),
    create=extend_schema(request=HostFamilyWriteSerializer, responses={201: HostFamilySerializer}),
    update=extend_schema(request=HostFamilyWriteSerializer, responses={200: HostFamilySerializer},
                         description="Change a family; new rates apply to the stays recorded from now on."),
    partial_update=extend_schema(request=HostFamilyWriteSerializer, responses={200: HostFamilySerializer}),
)
@extend_schema(tags=["host families"])
class HostFamilyViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, ReadOnlyModelViewSet):
    """Host families with what each is owed to date, paid and its balance."""

    serializer_class = HostFamilySerializer
    permission_classes = [ManagesHostFamilies]

    def get_queryset(self):
        search = self.request.query_params.get("q", "").strip() if self.action == "list" else ""
        return selectors.host_family_list(self.request.user, search=search)

    def _answer(self, family, status_code=status.HTTP_200_OK):
        return Response(HostFamilySerializer(selectors.host_family_list(self.request.user).get(pk=family.pk)).data,
                        status=status_code)

    def create(self, request):
        serializer = HostFamilyWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._answer(services.host_family_create(**serializer.validated_data), status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        family = get_or_404(selectors.host_family_for, request.user, pk)
        serializer = HostFamilyWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        family = services.host_family_update(family=family, **_updated(serializer, family, services.HOST_FAMILY_FIELDS))
        return self._answer(family)


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("family", OpenApiTypes.INT, description="One family's stays.")]),
    create=extend_schema(request=HostStayCreateSerializer, responses={201: HostStaySerializer},
                         description="Record a stay at the family's rates of today; refused when a night has no "
                                     "room left or the family is inactive."),
    update=extend_schema(request=HostStayUpdateSerializer, responses={200: HostStaySerializer},
                         description="Change a stay's nights or meals (the same rules as recording it)."),
    partial_update=extend_schema(request=HostStayUpdateSerializer, responses={200: HostStaySerializer}),
)
@extend_schema(tags=["host families"])
class HostStayViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, ReadOnlyModelViewSet):
    serializer_class = HostStaySerializer
    permission_classes = [ManagesHostFamilies]

    def get_queryset(self):
        stays = HostStay.objects.filter(family__in=selectors.host_families_visible_to(self.request.user))
        if self.action == "list":
            family = self.request.query_params.get("family", "")
            if family:
                if not family.isdigit() or len(family) > 18:
                    raise serializers.ValidationError({"family": [_("Unknown host family.")]})
                stays = stays.filter(family_id=int(family))
        return stays.order_by("-first_night", "-pk")

    def _answer(self, stay, status_code=status.HTTP_200_OK):
        return Response(HostStaySerializer(stay).data, status=status_code)

    def create(self, request):
        serializer = HostStayCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        stay = services.host_family_stay_create(**serializer.validated_data, by=request.user)
        return self._answer(stay, status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        stay = get_or_404(selectors.host_stay_for, request.user, pk)
        serializer = HostStayUpdateSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        stay = services.host_family_stay_update(
            stay=stay, by=request.user, **_updated(serializer, stay, ("first_night", "last_night", "meals_per_day")))
        return self._answer(stay)

    @extend_schema(request=HostStayCancelSerializer, responses={200: HostStaySerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel the stay with a reason: owed nothing and taking no room from now on, kept in the history."""
        stay = get_or_404(selectors.host_stay_for, request.user, pk)
        serializer = HostStayCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        stay = services.host_family_stay_cancel(stay=stay, reason=serializer.validated_data["reason"],
                                                by=request.user)
        return self._answer(stay)


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("family", OpenApiTypes.INT,
                                                    description="One family's payments.")]),
    create=extend_schema(request=HostPaymentCreateSerializer, responses={201: HostPaymentSerializer},
                         description="Record a payment (its receipt is added on the family's page). Above what "
                                     "is owed is allowed: its excess is kept and flagged."),
    update=extend_schema(request=HostPaymentUpdateSerializer, responses={200: HostPaymentSerializer},
                         description="Correct a payment; each stay added or taken off is in its history."),
    partial_update=extend_schema(request=HostPaymentUpdateSerializer, responses={200: HostPaymentSerializer}),
)
@extend_schema(tags=["host families"])
class HostPaymentViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, ReadOnlyModelViewSet):
    serializer_class = HostPaymentSerializer
    permission_classes = [ManagesHostFamilies]

    def get_queryset(self):
        payments = (HostPayment.objects.filter(family__in=selectors.host_families_visible_to(self.request.user))
                    .prefetch_related("stays"))
        if self.action == "list":
            family = self.request.query_params.get("family", "")
            if family:
                if not family.isdigit() or len(family) > 18:
                    raise serializers.ValidationError({"family": [_("Unknown host family.")]})
                payments = payments.filter(family_id=int(family))
        return payments.order_by("-paid_on", "-pk")

    def _answer(self, payment, status_code=status.HTTP_200_OK):
        return Response(HostPaymentSerializer(self.get_queryset().get(pk=payment.pk)).data, status=status_code)

    def create(self, request):
        serializer = HostPaymentCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        payment = services.host_family_payment_create(**serializer.validated_data, by=request.user)
        return self._answer(payment, status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        payment = get_or_404(selectors.host_payment_detail, request.user, pk)
        serializer = HostPaymentUpdateSerializer(data=request.data, partial=partial,
                                                 context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = {"amount": payment.amount, "paid_on": payment.paid_on, "method": payment.method,
                "concept": payment.concept, "stays": payment.stay_list, **serializer.validated_data}
        payment = services.host_family_payment_update(payment=payment, by=request.user, **data)
        return self._answer(payment)
