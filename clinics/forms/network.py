"""Forms of the network pages: communities, clinics, cohorts and their placement, supervision settings.
They parse and check input only; the services decide and write."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ces.core.forms import UNKNOWN_CHOICE, DateField, SearchForm

from ..models import Clinic, Community, SupervisionSettings


class CommunityFilterForm(SearchForm):
    pass


class CommunityForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    municipality = forms.CharField(label=_("Municipality"), max_length=120)
    travel_minutes = forms.IntegerField(label=_("Travel time to the central office (minutes)"), required=False,
                                        min_value=0, max_value=10000)
    road_notes = forms.CharField(label=_("Road notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    latitude = forms.DecimalField(label=_("Latitude"), required=False, min_value=-90, max_value=90,
                                  max_digits=9, decimal_places=6)
    longitude = forms.DecimalField(label=_("Longitude"), required=False, min_value=-180, max_value=180,
                                   max_digits=9, decimal_places=6)
    accepts_visitors = forms.BooleanField(label=_("Accepts visitors"), required=False)
    visitors_agreed_on = DateField(label=_("Date the community agreed"), required=False)
    visitors_agreement_kind = forms.ChoiceField(
        label=_("Agreement recorded in"), required=False,
        choices=[("", "—"), *Community.Agreement.choices], error_messages=UNKNOWN_CHOICE,
    )
    visitors_agreement = forms.CharField(label=_("Details of the agreement"), required=False,
                                         widget=forms.Textarea(attrs={"rows": 2}))
    visitor_capacity = forms.IntegerField(label=_("Visitors it can receive at once"), required=False,
                                          min_value=1, max_value=500)

    @classmethod
    def initial_from(cls, community: Community) -> dict:
        return {name: getattr(community, name) for name in cls.base_fields}


class ClinicForm(forms.Form):
    community = forms.ModelChoiceField(label=_("Community"), queryset=Community.objects.none(),
                                       error_messages=UNKNOWN_CHOICE)
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=Clinic.Kind.choices, initial=Clinic.Kind.RURAL_CLINIC,
                             error_messages=UNKNOWN_CHOICE)
    moh_code = forms.CharField(label=_("MoH code (CLUES)"), max_length=20, required=False,
                               help_text=_("5 letters and 6 digits, e.g. CSSSA019201. Leave empty if it has none."))

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities


class CohortForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80, help_text=_("For example, Promoción 2027–2028."))
    start_date = DateField(label=_("Start"))
    end_date = DateField(label=_("End"))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end <= start:
            self.add_error("end_date", _("The cohort must end after it starts."))
        return cleaned


class SupervisionSettingsForm(forms.Form):
    visit_every_days = forms.IntegerField(
        label=SupervisionSettings._meta.get_field("visit_every_days").verbose_name.capitalize(),
        min_value=7, max_value=365, help_text=SupervisionSettings._meta.get_field("visit_every_days").help_text,
    )


class _PasanteChoiceField(forms.ChoiceField):
    """Offers the unplaced pasantes, and accepts any person's id: one offered when the page was drawn may have
    been placed since, and the service then says where, beside the row."""

    def valid_value(self, value):
        # An id the database can hold (a longer one would be a DataError, not a message).
        return str(value).isdigit() and len(str(value)) <= 9


class CohortPlacementForm(forms.Form):
    """One select per clinic with a gap in the cohort's year, offering the cohort's unplaced pasantes. Field
    ``clinic-<id>``; an empty choice leaves the clinic for later. ``choices()`` gives {clinic id: staff id}."""

    def __init__(self, *args, placement, **kwargs):
        super().__init__(*args, **kwargs)
        options = [("", _("— leave for later —")), *((str(p.pk), p.full_name) for p in placement.unplaced)]
        self.rows = []
        for clinic in placement.clinics:
            name = f"clinic-{clinic.pk}" if clinic.placement_gap is not None else None
            if name:
                self.fields[name] = _PasanteChoiceField(label=clinic.name, required=False, choices=options,
                                                        error_messages=UNKNOWN_CHOICE)
            self.rows.append((clinic, name))

    def choices(self) -> dict[int, int]:
        return {int(name.removeprefix("clinic-")): int(value) for name, value in self.cleaned_data.items() if value}

    def bound_rows(self):
        """(clinic, bound field or None) in the order of the page."""
        return [(clinic, self[name] if name else None) for clinic, name in self.rows]
