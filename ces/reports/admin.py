from django.contrib import admin

from .models import Export


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin):
    list_display = ["report_key", "user", "state", "rows_done", "rows_total", "created_at", "expires_at"]
    list_filter = ["state", "report_key"]
    readonly_fields = [f.name for f in Export._meta.fields]
