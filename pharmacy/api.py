"""The pharmacy REST API (/api/v1/pharmacy/): thin viewsets over pharmacy.selectors and pharmacy.services.

Who may do what is decided by the selectors the permission classes wrap: a role with no business with a
resource gets 403; an object outside the person's reach answers 404, as if it did not exist. Every
transition of a restock request is one POST action calling one service; the service's refusal (an
illegal transition, a bad quantity) is a 400 with its message in the person's language. Every POST honours
``Idempotency-Key`` (ces.core.idempotency), so the offline client may retry anything it queued.
"""

from datetime import timedelta

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ces.core.fields import VisibleRelatedField
from ces.core.flat import flat_page
from ces.core.pagination import InlineCountPagination
from ces.core.viewsets import GenericViewSet, ReadOnlyModelViewSet
from clinics.models import Clinic

from . import selectors, services
from .calculations import MAX_QUANTITY
from .models import Item, Lot, RestockLine, RestockRequest, StockBalance

MAX_EXPIRY_DAYS = 3650
WAREHOUSE = "warehouse"


# --- Permissions ------------------------------------------------------------------------------------


class ReadsCatalogue(IsAuthenticated):
    """Items, lots and stock: pharmacy, coordinators, admins and pasantes."""

    def has_permission(self, request, view):
        return super().has_permission(request, view) and selectors.can_use_pharmacy(request.user)


class EditsCatalogueToWrite(IsAuthenticated):
    """Reading the catalogue follows ``ReadsCatalogue``; creating and changing items is for pharmacy and admins."""

    def has_permission(self, request, view):
        if view.action in ("list", "retrieve"):
            return True
        return selectors.can_edit_catalogue(request.user)


class WorksRestockRequests(IsAuthenticated):
    """The pasante's actions are the pasante's, the warehouse's the warehouse's; both sides read."""

    PASANTE_ACTIONS = frozenset({"create", "lines", "submit", "receive"})
    PHARMACY_ACTIONS = frozenset({"approve", "reject", "dispatch_request", "close"})

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        user = request.user
        if view.action in self.PASANTE_ACTIONS:
            return selectors.can_raise_restock_requests(user)
        if view.action in self.PHARMACY_ACTIONS:
            return selectors.is_pharmacy_wide(user)
        return selectors.can_use_pharmacy(user)

    def has_object_permission(self, request, view, obj):
        if view.action in self.PASANTE_ACTIONS:
            return selectors.can_raise_restock_requests_at(request.user, obj.clinic_id)
        return True


# --- Catalogue and stock ----------------------------------------------------------------------------


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["id", "code", "name", "form", "strength", "unit", "category", "controlled",
                  "max_months_of_stock", "warehouse_minimum", "active"]
        read_only_fields = ["id"]


class ItemFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100,
                              help_text=_("Search in the code and the name."))
    category = serializers.CharField(required=False, allow_blank=True, max_length=80,
                                     help_text=_("The category, whatever its capitals."))
    active = serializers.BooleanField(required=False, allow_null=True, default=None,
                                      help_text=_("true: items in use; false: retired items; left out: both."))


class LotSerializer(serializers.ModelSerializer):
    item_code = serializers.CharField(source="item.code", read_only=True)
    item_name = serializers.CharField(source="item.name", read_only=True)

    class Meta:
        model = Lot
        fields = ["id", "item", "item_code", "item_name", "lot_number", "expiry"]
        read_only_fields = fields


class LotFilterSerializer(serializers.Serializer):
    item = serializers.IntegerField(required=False, min_value=1)
    expiring_within = serializers.IntegerField(
        required=False, min_value=0, max_value=MAX_EXPIRY_DAYS,
        help_text=_("Only lots expiring within this many days from today (those already expired included)."),
    )


class StockSerializer(serializers.ModelSerializer):
    """One lot held at one location (``clinic`` null: the central warehouse)."""

    item = serializers.IntegerField(source="lot.item_id", read_only=True)
    item_code = serializers.CharField(source="lot.item.code", read_only=True)
    item_name = serializers.CharField(source="lot.item.name", read_only=True)
    unit = serializers.CharField(source="lot.item.unit", read_only=True)
    lot_number = serializers.CharField(source="lot.lot_number", read_only=True)
    expiry = serializers.DateField(source="lot.expiry", read_only=True)

    class Meta:
        model = StockBalance
        fields = ["clinic", "item", "item_code", "item_name", "unit", "lot", "lot_number", "expiry", "quantity"]
        read_only_fields = fields


class StockFilterSerializer(serializers.Serializer):
    clinic = VisibleRelatedField(
        model=Clinic, visible=selectors.stock_clinics_visible_to, required=False,
        unknown_message=_("Unknown clinic."),
        help_text=_("A clinic's stock. Left out, with no location: the warehouse, or a pasante's own clinic."),
    )
    location = serializers.ChoiceField(choices=[(WAREHOUSE, _("central warehouse"))], required=False,
                                       help_text=_("'warehouse': the central warehouse's stock."))
    item = serializers.IntegerField(required=False, min_value=1)

    def validate(self, data):
        if "clinic" in data and "location" in data:
            raise serializers.ValidationError(_("Ask for a clinic or for the warehouse, not both."))
        return data


def _filters(serializer_class, request):
    filters = serializer_class(data=request.query_params, context={"request": request})
    filters.is_valid(raise_exception=True)
    return filters.validated_data


@extend_schema_view(
    list=extend_schema(parameters=[ItemFilterSerializer]),
    create=extend_schema(description="Add an item to the catalogue (pharmacy and admins)."),
    update=extend_schema(description="Change an item (pharmacy and admins); retire it with active=false."),
    partial_update=extend_schema(description="Change some fields of an item (pharmacy and admins)."),
)
@extend_schema(tags=["pharmacy"])
class ItemViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, ReadOnlyModelViewSet):
    """The catalogue of essential medicines and supplies."""

    serializer_class = ItemSerializer
    permission_classes = [ReadsCatalogue, EditsCatalogueToWrite]
    pagination_class = InlineCountPagination  # the count comes with the page's query
    queryset = Item.objects.none()  # for the schema generator; reads go through get_queryset

    def list(self, request, *args, **kwargs):
        # The items written from values() rows as ItemSerializer writes them (ces.core.flat): no model
        # instance, no per-object serializer loop; the count in the page's own query. (No docstring: the
        # schema would take it for the list's description.)
        return flat_page(self, self.get_queryset(), ItemSerializer)

    def get_queryset(self):
        if self.action != "list":
            return selectors.item_list()
        filters = _filters(ItemFilterSerializer, self.request)
        return selectors.item_list(search=filters.get("q", "").strip(), category=filters.get("category", "").strip(),
                                   active=filters["active"])

    def perform_create(self, serializer):
        serializer.instance = services.item_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.item_update(item=serializer.instance, **serializer.validated_data)


@extend_schema_view(list=extend_schema(parameters=[LotFilterSerializer]))
@extend_schema(tags=["pharmacy"])
class LotViewSet(ReadOnlyModelViewSet):
    """Lots of the catalogue's items, first expiry first."""

    serializer_class = LotSerializer
    permission_classes = [ReadsCatalogue]
    pagination_class = InlineCountPagination  # the count comes with the page's query
    queryset = Lot.objects.none()

    def list(self, request, *args, **kwargs):
        # Written from values() rows as LotSerializer writes them (ces.core.flat); the item's code and name
        # read in the same query. (No docstring: the schema would take it for the list's description.)
        return flat_page(self, self.get_queryset(), LotSerializer)

    def get_queryset(self):
        if self.action != "list":
            return selectors.lot_list()
        filters = _filters(LotFilterSerializer, self.request)
        expiring_by = None
        if "expiring_within" in filters:
            expiring_by = timezone.localdate() + timedelta(days=filters["expiring_within"])
        return selectors.lot_list(item=filters.get("item"), expiring_by=expiring_by)


@extend_schema(tags=["pharmacy"])
class StockViewSet(GenericViewSet):
    serializer_class = StockSerializer
    permission_classes = [ReadsCatalogue]
    pagination_class = InlineCountPagination  # the count comes with the page's query
    queryset = StockBalance.objects.none()

    @extend_schema(parameters=[StockFilterSerializer])
    def list(self, request):
        """Stock on hand by lot at one location: ``?location=warehouse`` or ``?clinic=<id>``.

        Pharmacy, coordinators and admins see the warehouse and every clinic; a pasante only their own
        clinic's stock (the default for them).
        """
        filters = _filters(StockFilterSerializer, request)
        clinic, item = filters.get("clinic"), filters.get("item")
        if clinic is None and not selectors.is_pharmacy_wide(request.user):
            if filters.get("location") == WAREHOUSE:
                raise PermissionDenied(_("Only pharmacy, coordinators and admins see the warehouse's stock."))
            # A pasante's own clinic; between posts they have none, and the warehouse is never theirs.
            clinic = selectors.stock_clinics_visible_to(request.user).order_by("pk").first()
            rows = selectors.stock_by_lot(clinic=clinic, item=item) if clinic else StockBalance.objects.none()
        else:
            rows = selectors.stock_by_lot(clinic=clinic, item=item)  # clinic None: the warehouse
        return flat_page(self, rows, StockSerializer)  # values() rows written as StockSerializer writes them


# --- Restock requests: what is read -----------------------------------------------------------------


# A component of its own: "kind" is also the clinics' field (Clinic.Kind), and two choice sets under one
# property name would make the schema generator guess the enums' names (a warning, and names that move).
@extend_schema_field(
    {"type": "string", "enum": RestockRequest.Kind.values,
     "description": "regular: the clinic's request of the month (one per clinic and month); "
                    "emergency: outside the monthly cycle, with a reason."},
    component_name="RestockKindEnum",
)
class RestockKindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=RestockRequest.Kind.choices, **kwargs)


class RestockLineSerializer(serializers.ModelSerializer):
    item_code = serializers.CharField(source="item.code", read_only=True)
    item_name = serializers.CharField(source="item.name", read_only=True)
    unit = serializers.CharField(source="item.unit", read_only=True)

    class Meta:
        model = RestockLine
        fields = ["item", "item_code", "item_name", "unit", "beginning_balance", "received", "consumed",
                  "losses_adjustments", "adjustment_reason", "stock_on_hand", "stockout_days", "amc", "maximum",
                  "suggested", "requested", "explanation", "approved", "cut_reason", "dispatched",
                  "received_quantity", "remarks"]
        read_only_fields = fields


HEADER_FIELDS = ["id", "clinic", "clinic_name", "period", "kind", "state", "emergency_reason", "rejection_reason",
                 "receipt_remarks", "client_key", "created_at", "submitted_at", "decided_at", "dispatched_at",
                 "received_at", "closed_at", "updated_at"]


class RestockRequestSummarySerializer(serializers.ModelSerializer):
    """A request in the list: its header, how many lines it has, and ``updated_at``, without the lines.

    The offline client keeps its clinic's requests: it reads the list, and the detail only of those whose
    ``updated_at`` differs from its copy's (docs/decisions/0014).
    """

    clinic_name = serializers.CharField(source="clinic.name", read_only=True)
    kind = RestockKindField(read_only=True)
    line_count = serializers.IntegerField(read_only=True, help_text=_("How many items the request has."))

    class Meta:
        model = RestockRequest
        fields = [*HEADER_FIELDS, "line_count"]
        read_only_fields = fields
        extra_kwargs = {"updated_at": {"help_text": _(
            "When the request or one of its lines last changed: its detail needs reading again when this "
            "differs from the copy held.")}}


class RestockRequestSerializer(serializers.ModelSerializer):
    """A request with its lines."""

    clinic_name = serializers.CharField(source="clinic.name", read_only=True)
    kind = RestockKindField(read_only=True)
    lines = RestockLineSerializer(many=True, read_only=True)

    class Meta:
        model = RestockRequest
        fields = [*HEADER_FIELDS, "lines"]
        read_only_fields = fields
        extra_kwargs = RestockRequestSummarySerializer.Meta.extra_kwargs


class PickSerializer(serializers.Serializer):
    """One lot taken from the warehouse for the request."""

    item = serializers.IntegerField(source="lot.item_id")
    item_code = serializers.CharField(source="lot.item.code")
    item_name = serializers.CharField(source="lot.item.name")
    unit = serializers.CharField(source="lot.item.unit")
    lot = serializers.IntegerField(source="lot_id")
    lot_number = serializers.CharField(source="lot.lot_number")
    expiry = serializers.DateField(source="lot.expiry")
    quantity = serializers.SerializerMethodField()

    def get_quantity(self, movement) -> int:
        return -movement.quantity  # out of the warehouse: the ledger row is negative


class DispatchedRequestSerializer(RestockRequestSerializer):
    pick_list = PickSerializer(many=True, read_only=True)

    class Meta(RestockRequestSerializer.Meta):
        fields = [*RestockRequestSerializer.Meta.fields, "pick_list"]
        read_only_fields = fields


class RestockRequestFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=RestockRequest.State.choices, required=False)
    kind = RestockKindField(required=False)
    clinic = serializers.IntegerField(required=False, min_value=1)
    period = serializers.DateField(required=False, input_formats=["%Y-%m", "iso-8601", "%d/%m/%Y"],
                                   help_text=_("The month: 2026-06, or any day of it."))
    updated_since = serializers.DateTimeField(
        required=False,
        help_text=_("Only requests changed at or after this instant (ISO 8601 with its offset). Ask from a few "
                    "minutes before the latest updated_at held: a change saved at that moment may be read late."),
    )


# --- Restock requests: what is written --------------------------------------------------------------


def _quantity(**kwargs):
    return serializers.IntegerField(max_value=MAX_QUANTITY, **kwargs)


class RestockLineInputSerializer(serializers.Serializer):
    """The pasante's figures for one item; the service computes AMC, maximum and the suggestion."""

    item = serializers.IntegerField(help_text=_("The item's id."))
    beginning_balance = _quantity(required=False, help_text=_("Left out: 0."))
    received = _quantity(required=False, help_text=_("Left out: 0."))
    consumed = _quantity()
    losses_adjustments = _quantity(required=False, min_value=-MAX_QUANTITY,
                                   help_text=_("Signed: losses negative. Needs adjustment_reason."))
    adjustment_reason = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    stock_on_hand = _quantity()
    stockout_days = _quantity(required=False, help_text=_("Left out: 0."))
    requested = _quantity(required=False,
                          help_text=_("Left out: the suggested quantity. When different, give an explanation."))
    explanation = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    remarks = serializers.CharField(required=False, allow_blank=True, max_length=1000)


def _no_repeated_items(rows, message):
    items = [row["item"] for row in rows]
    repeated = sorted({item for item in items if items.count(item) > 1})
    if repeated:
        raise serializers.ValidationError(message % {"items": ", ".join(map(str, repeated))})
    return rows


class RestockLinesSerializer(serializers.Serializer):
    lines = RestockLineInputSerializer(many=True)

    def validate_lines(self, lines):
        return _no_repeated_items(lines, _("Each item goes once in a request; repeated: %(items)s."))


class RestockRequestCreateSerializer(RestockLinesSerializer):
    clinic = VisibleRelatedField(
        model=Clinic, visible=selectors.restock_clinics_for,
        unknown_message=_("You can raise requests only for the clinic you are assigned to as pasante."),
    )
    period = serializers.DateField(help_text=_("The month of the request: any day of it (stored as the 1st)."))
    kind = RestockKindField(default=RestockRequest.Kind.REGULAR)
    emergency_reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    client_key = serializers.UUIDField(
        required=False, allow_null=True, default=None,
        help_text=_("Made by the offline client when the request is first written: a repeat with the same key "
                    "returns the request already created."),
    )


class CutSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    approved = serializers.IntegerField(min_value=0, max_value=MAX_QUANTITY)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class ApproveSerializer(serializers.Serializer):
    cuts = CutSerializer(many=True, required=False, default=list,
                         help_text=_("Lines approved below the request, each with its reason; the others are "
                                     "approved as requested."))

    def validate_cuts(self, cuts):
        return _no_repeated_items(cuts, _("Each item is cut once; repeated: %(items)s."))


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000,
        error_messages={"required": _("Give the reason for the rejection."),
                        "blank": _("Give the reason for the rejection.")},
    )


class ReceivedLineSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    received = serializers.IntegerField(min_value=0, max_value=MAX_QUANTITY)
    remark = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class ReceiveSerializer(serializers.Serializer):
    lines = ReceivedLineSerializer(
        many=True, required=False, default=list,
        help_text=_("Lines that arrived different from the dispatch, each with a remark; the others arrived "
                    "as dispatched."),
    )
    remarks = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def validate_lines(self, lines):
        return _no_repeated_items(lines, _("Each item is received once; repeated: %(items)s."))


# --- Restock requests: the viewset ------------------------------------------------------------------


def _lines():
    return Prefetch("lines", queryset=RestockLine.objects.select_related("item").order_by("item__name", "pk"))


@extend_schema_view(list=extend_schema(
    parameters=[RestockRequestFilterSerializer],
    description="The requests without their lines, each with its line count and updated_at; the lines are in "
                "the detail.",
))
@extend_schema(tags=["pharmacy"])
class RestockRequestViewSet(mixins.ListModelMixin, GenericViewSet):
    """Restock requests: a pasante's own clinic's, or every clinic's for pharmacy, coordinators and admins.

    The list gives each request's header; the detail and every action's answer give it with its lines.
    """

    permission_classes = [WorksRestockRequests]
    pagination_class = InlineCountPagination  # the count comes with the page's query
    queryset = RestockRequest.objects.none()  # for the schema generator; reads go through the selectors

    def get_serializer_class(self):
        return RestockRequestSummarySerializer if self.action == "list" else RestockRequestSerializer

    def get_queryset(self):
        if self.action != "list":
            return selectors.restock_request_list(self.request.user)
        filters = _filters(RestockRequestFilterSerializer, self.request)
        return selectors.restock_request_list(
            self.request.user, clinic=filters.get("clinic"), state=filters.get("state", ""),
            period=filters.get("period"), kind=filters.get("kind", ""),
            updated_since=filters.get("updated_since"),
        )

    def list(self, request, *args, **kwargs):
        """Each request's summary written from a ``values()`` row (``ces.core.flat``): the same items as the
        summary serializer gives, a quarter of its time; the count in the page's own query."""
        return flat_page(self, self.filter_queryset(self.get_queryset()), RestockRequestSummarySerializer)

    def get_object(self):
        try:
            request = selectors.restock_request_for(self.request.user, self.kwargs["pk"])
        except (ObjectDoesNotExist, ValueError) as exc:
            raise Http404 from exc
        self.check_object_permissions(self.request, request)
        return request

    def _input(self, serializer_class):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _answer(self, restock, status_code=status.HTTP_200_OK, serializer_class=RestockRequestSerializer, **extra):
        """The request as it now is, read again through the user's scope, with its lines."""
        restock = selectors.restock_request_for(self.request.user, restock.pk)
        prefetch_related_objects([restock], _lines())
        for name, value in extra.items():
            setattr(restock, name, value)
        return Response(serializer_class(restock).data, status=status_code)

    def retrieve(self, request, pk=None):
        """One request with its lines."""
        return self._answer(self.get_object())

    @extend_schema(request=RestockRequestCreateSerializer, responses={201: RestockRequestSerializer})
    def create(self, request):
        """Write a draft for the pasante's clinic and month, its lines computed (AMC, maximum, suggestion).

        Sent again with the same ``client_key``, it answers the request already written and writes nothing.
        """
        data = self._input(RestockRequestCreateSerializer)
        created = services.restock_request_create_draft(**data, by=request.user)
        return self._answer(created, status.HTTP_201_CREATED)

    @extend_schema(request=RestockLinesSerializer, responses={200: RestockRequestSerializer})
    @action(detail=True, methods=["post"])
    def lines(self, request, pk=None):
        """Replace every line of a draft, or of a rejected request being corrected."""
        restock = self.get_object()
        data = self._input(RestockLinesSerializer)
        return self._answer(services.restock_request_update_lines(request=restock, lines=data["lines"],
                                                                  by=request.user))

    @extend_schema(request=None, responses={200: RestockRequestSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Send the draft (or the corrected rejected request) to the pharmacy."""
        return self._answer(services.restock_request_submit(request=self.get_object(), by=request.user))

    @extend_schema(request=ApproveSerializer, responses={200: RestockRequestSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve a submitted request, cutting some lines with a reason."""
        restock = self.get_object()
        data = self._input(ApproveSerializer)
        cuts = {cut["item"]: (cut["approved"], cut["reason"]) for cut in data["cuts"]}
        return self._answer(services.restock_request_approve(request=restock, cuts=cuts, by=request.user))

    @extend_schema(request=RejectSerializer, responses={200: RestockRequestSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Send a submitted request back to the pasante with the reason."""
        restock = self.get_object()
        data = self._input(RejectSerializer)
        return self._answer(services.restock_request_reject(request=restock, reason=data["reason"],
                                                            by=request.user))

    @extend_schema(request=None, responses={200: DispatchedRequestSerializer})
    @action(detail=True, methods=["post"], url_path="dispatch", url_name="dispatch")
    def dispatch_request(self, request, pk=None):
        """Pick the approved quantities first-expiry-first-out from the warehouse; answers the pick list.

        Every line is served in full or nothing moves.
        """
        # Not named ``dispatch``: that is the method of every Django view that runs the request.
        restock = services.restock_request_dispatch(request=self.get_object(), by=request.user)
        return self._answer(restock, serializer_class=DispatchedRequestSerializer,
                            pick_list=services.dispatch_pick_list(restock))

    @extend_schema(request=ReceiveSerializer, responses={200: RestockRequestSerializer})
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        """The pasante confirms the delivery; differences from the dispatch need a remark."""
        restock = self.get_object()
        data = self._input(ReceiveSerializer)
        received = {line["item"]: (line["received"], line["remark"]) for line in data["lines"]}
        return self._answer(services.restock_request_receive(request=restock, received=received,
                                                             remarks=data["remarks"], by=request.user))

    @extend_schema(request=None, responses={200: RestockRequestSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close a received request."""
        return self._answer(services.restock_request_close(request=self.get_object(), by=request.user))

