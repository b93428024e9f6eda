"""The catalogue in the admin. The ledger, balances and restock requests are deliberately absent:
they change only through pharmacy.services (an admin "add" or "delete" would bypass the ledger and
the state machine). Read-only admin views of them need their add/delete URLs listed as forbidden in
tests/authorization_policy.py first."""

from django.contrib import admin

from .models import Item, Lot


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
