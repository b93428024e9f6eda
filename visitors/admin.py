"""The visitor program's rows in the admin, read-only.

An application moves only through visitors.services (one function per transition, each writing the
timeline); its documents, interviews, placements and the rest are written by those services too. An admin
"add", "change" or "delete" would bypass the state machine, the placement rules and the timeline, so the
admin only shows; its add and delete URLs answer 403 (tests/authorization_policy.py lists them).
"""

from django.contrib import admin

from .models import (
    Application,
    Arrival,
    Document,
    DocumentRequest,
    ExitSurvey,
    Interview,
    InterviewSlot,
    OrientationPack,
    PasanteFeedback,
    Placement,
    StatusChange,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shows rows; never adds, changes or deletes them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    extra = 0
    fields = ["at", "from_state", "to_state", "by", "note"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ["full_name", "applicant", "category", "state", "wanted_start", "wanted_end", "state_changed_at"]
    list_filter = ["state", "category"]
    search_fields = ["full_name", "applicant__email", "institution"]
    list_select_related = ["applicant"]
    inlines = [StatusChangeInline]


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ["application", "kind", "original_name", "content_type", "size", "uploaded_at", "replaced_at"]
    list_filter = ["kind"]
    list_select_related = ["application"]
    # The file is served only by the checked view (visitors:document), never as a MEDIA_URL link here.
    exclude = ["file"]


@admin.register(DocumentRequest)
class DocumentRequestAdmin(ReadOnlyAdmin):
    list_display = ["application", "kind", "requested_at", "fulfilled_at"]
    list_select_related = ["application"]


@admin.register(InterviewSlot)
class InterviewSlotAdmin(ReadOnlyAdmin):
    list_display = ["application", "starts_at", "offered_by"]
    list_select_related = ["application", "offered_by"]


@admin.register(Interview)
class InterviewAdmin(ReadOnlyAdmin):
    list_display = ["application", "scheduled_at", "spanish_level", "recommendation", "recorded_at", "cancelled_at"]
    list_filter = ["spanish_level", "recommendation"]
    list_select_related = ["application"]


@admin.register(Placement)
class PlacementAdmin(ReadOnlyAdmin):
    list_display = ["application", "clinic", "pasante", "host_family", "start_date", "end_date", "slot", "state"]
    list_filter = ["state"]
    list_select_related = ["application", "clinic", "pasante", "host_family__community"]


@admin.register(Arrival)
class ArrivalAdmin(ReadOnlyAdmin):
    list_display = ["application", "flight_number", "arrives_at", "pickup_at", "driver", "arrived_at"]
    list_select_related = ["application", "driver"]


@admin.register(ExitSurvey)
class ExitSurveyAdmin(ReadOnlyAdmin):
    list_display = ["application", "mentorship", "clinical", "community", "host_family", "logistics", "submitted_at"]
    list_select_related = ["application"]


@admin.register(PasanteFeedback)
class PasanteFeedbackAdmin(ReadOnlyAdmin):
    list_display = ["placement", "rating", "would_host_again", "submitted_at"]
    list_select_related = ["placement"]


@admin.register(OrientationPack)
class OrientationPackAdmin(ReadOnlyAdmin):
    list_display = ["title", "content_type", "uploaded_at"]
    exclude = ["file"]


ADMIN_MODELS = ("application", "document", "documentrequest", "interviewslot", "interview", "placement", "arrival",
                "exitsurvey", "pasantefeedback", "orientationpack")
