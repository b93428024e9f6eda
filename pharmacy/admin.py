"""The catalogue in the admin, and read-only views of the stock ledger, balances and physical counts.

The ledger, balances and counts change only through pharmacy.services: an admin "add", "change" or
"delete" would bypass the ledger (balances are its cached sum, counts are its documents). So their admin
pages only show; their add and delete URLs answer 403, as tests/authorization_policy.py lists.
Restock requests are absent: they change through their state machine, on the pharmacy pages.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Item, Lot, StockBalance, StockCount, StockCountLine, StockMovement


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "form", "strength", "unit", "category", "controlled", "max_months_of_stock",
                    "active"]
    list_filter = ["active", "controlled", "category"]
    search_fields = ["code", "name"]


@admin.register(Lot)
class LotAdmin(admin.ModelAdmin):
    list_display = ["item", "lot_number", "expiry"]
    search_fields = ["lot_number", "item__name", "item__code"]
    list_select_related = ["item"]


class ReadOnlyAdminMixin:
    """Shows rows; never adds, changes or deletes them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class WarehouseListFilter(admin.SimpleListFilter):
    """Where the stock is: the central warehouse (a NULL clinic) or a clinic."""

    title = _("location")
    parameter_name = "location"

    def lookups(self, request, model_admin):
        return [("warehouse", _("Central warehouse")), ("clinics", _("Clinics"))]

    def queryset(self, request, queryset):
        if self.value() == "warehouse":
            return queryset.filter(clinic__isnull=True)
        if self.value() == "clinics":
            return queryset.filter(clinic__isnull=False)
        return queryset


def _location(obj):
    return obj.clinic or _("Central warehouse")


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "kind", "location", "lot", "quantity", "document", "by"]
    list_filter = ["kind", WarehouseListFilter, "clinic"]
    search_fields = ["lot__lot_number", "lot__item__name", "lot__item__code", "document"]
    list_select_related = ["lot__item", "clinic", "by"]
    date_hierarchy = "at"

    @admin.display(description=_("location"), ordering="clinic__name")
    def location(self, obj):
        return _location(obj)


@admin.register(StockBalance)
class StockBalanceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["lot", "location", "quantity"]
    list_filter = [WarehouseListFilter, "clinic"]
    search_fields = ["lot__lot_number", "lot__item__name", "lot__item__code"]
    list_select_related = ["lot__item", "clinic"]

    @admin.display(description=_("location"), ordering="clinic__name")
    def location(self, obj):
        return _location(obj)


class StockCountLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = StockCountLine
    fields = ["lot", "expected", "counted", "variance"]
    readonly_fields = ["variance"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("lot__item")

    @admin.display(description=_("difference"))
    def variance(self, obj):
        return obj.variance


@admin.register(StockCount)
class StockCountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["counted_at", "location", "counted_by"]
    list_filter = [WarehouseListFilter, "clinic"]
    search_fields = ["lines__lot__lot_number", "lines__lot__item__name", "lines__lot__item__code", "remarks"]
    list_select_related = ["clinic", "counted_by"]
    inlines = [StockCountLineInline]
    date_hierarchy = "counted_at"

    @admin.display(description=_("location"), ordering="clinic__name")
    def location(self, obj):
        return _location(obj)
