from django.contrib import admin

from .models import Item, Lot, RestockLine, RestockRequest, StockBalance, StockMovement


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


class ReadOnlyAdmin(admin.ModelAdmin):
    """The ledger and its balances change only through pharmacy.services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "clinic", "lot", "quantity", "document", "by"]
    list_filter = ["kind"]
    list_select_related = ["clinic", "lot__item", "by"]


@admin.register(StockBalance)
class StockBalanceAdmin(ReadOnlyAdmin):
    list_display = ["clinic", "lot", "quantity"]
    list_select_related = ["clinic", "lot__item"]


class RestockLineInline(admin.TabularInline):
    model = RestockLine
    extra = 0
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RestockRequest)
class RestockRequestAdmin(ReadOnlyAdmin):
    """Read-only: the state changes only through the services' transitions."""

    list_display = ["clinic", "period", "kind", "state"]
    list_filter = ["state", "kind"]
    inlines = [RestockLineInline]
    list_select_related = ["clinic"]
