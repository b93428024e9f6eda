"""Forms of the patient pages. They parse and check input only; the services decide and write."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ces.core.forms import UNKNOWN_CHOICE, DateField, SearchForm

from ..models import Clinic, Patient


class PatientFilterForm(SearchForm):
    clinic = forms.ModelChoiceField(label=_("Clinic"), required=False, queryset=Clinic.objects.none(),
                                    empty_label=_("All clinics"))

    def __init__(self, *args, clinics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinic"].queryset = clinics


class PatientForm(forms.Form):
    clinic = forms.ModelChoiceField(label=_("Clinic"), queryset=Clinic.objects.none(), error_messages=UNKNOWN_CHOICE)
    given_names = forms.CharField(label=_("Given names"), max_length=120)
    family_names = forms.CharField(label=_("Family names"), max_length=120)
    sex = forms.ChoiceField(label=_("Sex"), choices=Patient.Sex.choices)
    birth_date = DateField(label=_("Date of birth"))
    curp = forms.CharField(label=_("CURP"), max_length=18, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    # Shown only once possible duplicates have been listed.
    confirm_not_duplicate = forms.BooleanField(
        label=_("This is a different person: register them anyway"), required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, clinics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinic"].queryset = clinics.select_related("community")
        self.candidates = []
        if self.data.get("confirm_not_duplicate") in ("on", "true", "True", "1"):
            # Already offered: keep the box visible, so the choice stays the person's own.
            self.fields["confirm_not_duplicate"].widget = forms.CheckboxInput()

    def offer_duplicates(self, candidates):
        """List the possible duplicates and ask the person to confirm a different patient."""
        self.candidates = candidates
        self.fields["confirm_not_duplicate"].widget = forms.CheckboxInput()


class PatientEditForm(forms.Form):
    """A patient's details, corrected. The clinic and community are not changed here."""

    given_names = forms.CharField(label=_("Given names"), max_length=120)
    family_names = forms.CharField(label=_("Family names"), max_length=120)
    sex = forms.ChoiceField(label=_("Sex"), choices=Patient.Sex.choices)
    birth_date = DateField(label=_("Date of birth"))
    curp = forms.CharField(label=_("CURP"), max_length=18, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    confirm_not_duplicate = forms.BooleanField(
        label=_("This is a different person: save anyway"), required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = []
        if self.data.get("confirm_not_duplicate") in ("on", "true", "True", "1"):
            self.fields["confirm_not_duplicate"].widget = forms.CheckboxInput()

    def offer_duplicates(self, candidates):
        self.candidates = candidates
        self.fields["confirm_not_duplicate"].widget = forms.CheckboxInput()
