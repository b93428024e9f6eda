"""Reference-data management for the admin role.

Day-to-day staffing goes through the coordinator pages and the services; the admin site is where the
data manager corrects reference data. Model forms run ``full_clean``, so the database rules (no
overlapping pasante posts, dates in order, unique CURP) hold here too; assignments also get the
service's cadre and active-clinic checks.
"""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ces.accounts.roles import Role

from . import services
from .models import (
    Assignment,
    Clinic,
    Cohort,
    Community,
    HostFamily,
    HostPayment,
    HostStay,
    Patient,
    Staff,
    SupervisionVisit,
)


class AdminRoleMixin:
    """Everything in this app is open to the admin role (and superusers), and to nobody else."""

    def _is_data_manager(self, request) -> bool:
        user = request.user
        return user.is_active and user.is_staff and (user.is_superuser or user.has_role(Role.ADMIN))

    def has_module_permission(self, request):
        return self._is_data_manager(request)

    def has_view_permission(self, request, obj=None):
        return self._is_data_manager(request)

    def has_add_permission(self, request, *args):
        return self._is_data_manager(request)

    def has_change_permission(self, request, obj=None):
        return self._is_data_manager(request)

    def has_delete_permission(self, request, obj=None):
        return self._is_data_manager(request)


class RecordedByMixin:
    """Stamps the person who adds a row through the admin."""

    recorded_by_field = "created_by"

    def save_model(self, request, obj, form, change):
        if not change and getattr(obj, f"{self.recorded_by_field}_id") is None:
            setattr(obj, self.recorded_by_field, request.user)
        super().save_model(request, obj, form, change)


@admin.register(Community)
class CommunityAdmin(AdminRoleMixin, admin.ModelAdmin):
    list_display = ["name", "municipality", "travel_minutes", "accepts_visitors", "visitors_agreed_on"]
    search_fields = ["name", "municipality"]
    list_filter = ["accepts_visitors", "municipality"]


@admin.register(Clinic)
class ClinicAdmin(AdminRoleMixin, admin.ModelAdmin):
    list_display = ["name", "community", "kind", "moh_code", "active"]
    list_select_related = ["community"]
    search_fields = ["name", "community__name", "moh_code"]
    list_filter = ["kind", "active"]
    autocomplete_fields = ["community"]


@admin.register(Cohort)
class CohortAdmin(AdminRoleMixin, admin.ModelAdmin):
    list_display = ["name", "start_date", "end_date"]
    search_fields = ["name"]
    list_filter = ["start_date"]


@admin.register(Staff)
class StaffAdmin(AdminRoleMixin, admin.ModelAdmin):
    list_display = ["full_name", "cadre", "email", "phone", "cohort", "active"]
    list_select_related = ["cohort"]
    search_fields = ["full_name", "email", "phone"]
    list_filter = ["cadre", "active", "cohort"]
    raw_id_fields = ["user"]


class AssignmentAdminForm(forms.ModelForm):
    class Meta:
        model = Assignment
        fields = ["staff", "clinic", "role", "start_date", "end_date", "end_reason"]

    def clean(self):
        data = super().clean()
        staff, clinic, role = data.get("staff"), data.get("clinic"), data.get("role")
        changed = {"staff", "clinic", "role"} & set(self.changed_data)
        # Only when the post itself is new or changed: ending the post of a person who has since
        # left must stay possible.
        if staff and clinic and role and (self.instance._state.adding or changed):
            services._check_assignment_fits(staff=staff, clinic=clinic, role=role)
        return data


@admin.register(Assignment)
class AssignmentAdmin(AdminRoleMixin, RecordedByMixin, admin.ModelAdmin):
    form = AssignmentAdminForm
    list_display = ["staff", "clinic", "role", "start_date", "end_date", "end_reason"]
    list_select_related = ["staff", "clinic"]
    search_fields = ["staff__full_name", "clinic__name", "end_reason"]
    list_filter = ["role", "clinic", "start_date", "end_date"]
    date_hierarchy = "start_date"
    autocomplete_fields = ["staff", "clinic"]
    readonly_fields = ["created_by", "created_at"]


class HostStayInline(admin.TabularInline):
    model = HostStay
    extra = 0
    fields = ["guest_kind", "guest_name", "guest_staff", "first_night", "last_night", "meals_per_day",
              "rate_per_night", "rate_per_meal"]
    raw_id_fields = ["guest_staff"]
    # Stays are recorded through clinics.services (the rooms check); the admin only reads them.
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(HostFamily)
class HostFamilyAdmin(AdminRoleMixin, admin.ModelAdmin):
    list_display = ["head_of_household", "community", "phone", "rooms", "rate_per_night", "rate_per_meal", "active"]
    list_select_related = ["community"]
    search_fields = ["head_of_household", "community__name", "phone"]
    list_filter = ["active", "community"]
    autocomplete_fields = ["community"]
    inlines = [HostStayInline]

    def has_delete_permission(self, request, obj=None):
        return False  # a family has history (stays, payments): deactivate it instead


@admin.register(HostStay)
class HostStayAdmin(AdminRoleMixin, admin.ModelAdmin):
    list_display = ["guest_name", "family", "guest_kind", "first_night", "last_night", "meals_per_day"]
    list_select_related = ["family__community"]
    search_fields = ["guest_name", "family__head_of_household", "guest_staff__full_name"]
    list_filter = ["guest_kind", "first_night"]
    autocomplete_fields = ["family", "guest_staff"]

    def has_delete_permission(self, request, obj=None):
        return False  # a stay has history (and payments): nobody deletes it


@admin.register(HostPayment)
class HostPaymentAdmin(AdminRoleMixin, RecordedByMixin, admin.ModelAdmin):
    recorded_by_field = "recorded_by"
    list_display = ["family", "amount", "paid_on", "concept", "recorded_by"]
    list_select_related = ["family__community", "recorded_by"]
    search_fields = ["family__head_of_household", "concept"]
    list_filter = ["paid_on"]
    date_hierarchy = "paid_on"
    autocomplete_fields = ["family"]
    # The stays it covers are set on the family's pages (a model of their own, audited), not here.
    # The receipt is uploaded through the family's page, where its content is checked.
    readonly_fields = ["recorded_by", "receipt", "excess"]

    def has_delete_permission(self, request, obj=None):
        return False  # a payment has history: nobody deletes it


@admin.register(SupervisionVisit)
class SupervisionVisitAdmin(AdminRoleMixin, RecordedByMixin, admin.ModelAdmin):
    recorded_by_field = "recorded_by"
    list_display = ["clinic", "supervisor", "visited_on", "recorded_by"]
    list_select_related = ["clinic", "supervisor", "recorded_by"]
    search_fields = ["clinic__name", "supervisor__full_name", "notes"]
    list_filter = ["clinic", "visited_on"]
    date_hierarchy = "visited_on"
    autocomplete_fields = ["clinic", "supervisor"]
    readonly_fields = ["recorded_by", "created_at"]


@admin.register(Patient)
class PatientAdmin(AdminRoleMixin, RecordedByMixin, admin.ModelAdmin):
    list_display = ["family_names", "given_names", "sex", "birth_date", "curp", "clinic", "community",
                    "duplicate_reviewed"]
    list_select_related = ["clinic", "community"]
    search_fields = ["family_names", "given_names", "curp", "phone"]
    list_filter = ["clinic", "sex", "duplicate_reviewed"]
    autocomplete_fields = ["clinic", "community"]
    readonly_fields = ["created_by", "created_at"]
    fieldsets = [
        (None, {"fields": ["given_names", "family_names", "sex", "birth_date", "curp", "phone"]}),
        (_("Where"), {"fields": ["clinic", "community"]}),
        (_("Record"), {"fields": ["duplicate_reviewed", "created_by", "created_at"]}),
    ]
