from django.contrib import admin

from .models import EmailPreference, Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["kind", "occurrence", "recipient", "state", "due_at", "attempts", "sent_at", "read_at"]
    list_filter = ["state", "kind"]
    search_fields = ["recipient__email", "title", "occurrence"]
    list_select_related = ["recipient"]
    raw_id_fields = ["recipient"]
    # The engine owns every transition; the admin is for looking.
    readonly_fields = [f.name for f in Notification._meta.fields if f.name != "id"]

    def has_add_permission(self, request):
        return False


@admin.register(EmailPreference)
class EmailPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "email"]
    list_filter = ["kind", "email"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]
