"""Forms of the clinics pages. They parse and check input only; the services decide and write."""

from django import forms
from django.db.models import Case, OuterRef, Q, Subquery, When
from django.db.models.functions import Lower
from django.forms.models import ModelChoiceIterator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ces.core.forms import UNKNOWN_CHOICE, DateField, SearchForm

from ..models import Assignment, Cadre, Clinic, Staff


def _staff_label(staff: Staff) -> str:
    parts = [staff.full_name, staff.get_cadre_display()]
    if staff.cohort_id:
        parts.append(staff.cohort.name)
    return " · ".join(parts)


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return _staff_label(obj)


class ClinicFilterForm(SearchForm):
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *Clinic.Kind.choices])


class StaffFilterForm(SearchForm):
    ACTIVE_CHOICES = [("", _("Active and inactive")), ("1", _("Active")), ("0", _("Inactive"))]

    cadre = forms.ChoiceField(label=_("Cadre"), required=False, choices=[("", _("All cadres")), *Cadre.choices])
    clinic = forms.ModelChoiceField(label=_("Clinic"), required=False, queryset=Clinic.objects.none(),
                                    empty_label=_("All clinics"))
    active = forms.ChoiceField(label=_("Status"), required=False, choices=ACTIVE_CHOICES)

    def __init__(self, *args, clinics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinic"].queryset = clinics


class _UnplacedFirstIterator(ModelChoiceIterator):
    """The people without a post first, then those already placed, as two groups of the select."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        unplaced, placed = [], []
        for staff in self.queryset:
            (placed if staff.placed_at else unplaced).append(self.choice(staff))
        if unplaced:
            yield (_("Not assigned"), unplaced)
        if placed:
            yield (_("Already assigned"), placed)


class PlacementStaffChoiceField(StaffChoiceField):
    """A person, with where they are posted now or next (see ``staff_with_placement``)."""

    iterator = _UnplacedFirstIterator

    def label_from_instance(self, obj):
        label = super().label_from_instance(obj)
        if not obj.placed_at:
            return label
        until = obj.placed_to.strftime("%d/%m/%Y") if obj.placed_to else "…"
        return f"{label} · {obj.placed_at} ({obj.placed_from:%d/%m/%Y}–{until})"


def staff_with_placement(queryset):
    """``queryset`` with the clinic, start and end of each person's current or next assignment (one query)."""
    today = timezone.localdate()
    post = (Assignment.objects.filter(staff=OuterRef("pk")).filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
            .order_by("start_date"))
    return queryset.annotate(placed_at=Subquery(post.values("clinic__name")[:1]),
                             placed_from=Subquery(post.values("start_date")[:1]),
                             placed_to=Subquery(post.values("end_date")[:1]))


class AssignmentCreateForm(forms.Form):
    staff = PlacementStaffChoiceField(
        label=_("Person"), queryset=Staff.objects.none(), error_messages=UNKNOWN_CHOICE,
    )
    clinic = forms.ModelChoiceField(label=_("Clinic"), queryset=Clinic.objects.none(), error_messages=UNKNOWN_CHOICE)
    role = forms.ChoiceField(label=_("Role at the clinic"), choices=Assignment.Role.choices,
                             initial=Assignment.Role.PASANTE)
    start_date = DateField(label=_("Start"))
    end_date = DateField(
        label=_("End"), required=False,
        help_text=_("Optional. A pasante's post ends with their cohort unless you say otherwise."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Pasantes first: filling a post is what this form is mostly for. The field shows those without a
        # post before those already placed (and where).
        pasantes_first = Case(When(cadre=Cadre.PASANTE, then=0), default=1)
        self.fields["staff"].queryset = staff_with_placement(
            Staff.objects.filter(active=True).select_related("cohort").order_by(pasantes_first, Lower("full_name"))
        )
        self.fields["clinic"].queryset = Clinic.objects.filter(active=True)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The assignment cannot end before it starts."))
        return cleaned


class AssignmentEndForm(forms.Form):
    end_date = DateField(label=_("Last day"))
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class AssignmentMoveForm(forms.Form):
    clinic = forms.ModelChoiceField(label=_("New clinic"), queryset=Clinic.objects.none(),
                                    error_messages=UNKNOWN_CHOICE)
    move_date = DateField(label=_("First day at the new clinic"))

    def __init__(self, *args, exclude_clinic=None, **kwargs):
        super().__init__(*args, **kwargs)
        clinics = Clinic.objects.filter(active=True)
        if exclude_clinic is not None:
            clinics = clinics.exclude(pk=exclude_clinic.pk)
        self.fields["clinic"].queryset = clinics


class SupervisionVisitForm(forms.Form):
    supervisor = StaffChoiceField(label=_("Supervisor"), queryset=Staff.objects.none(), error_messages=UNKNOWN_CHOICE)
    visited_on = DateField(label=_("Date of the visit"))
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 4}))
    follow_up_actions = forms.CharField(label=_("Follow-up actions"), required=False,
                                        widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, pick_supervisor: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if pick_supervisor:
            self.fields["supervisor"].queryset = Staff.objects.filter(
                active=True, cadre__in=[Cadre.SUPERVISOR, Cadre.COORDINATOR]
            ).select_related("cohort")
        else:
            # A supervisor records their own visits.
            del self.fields["supervisor"]
