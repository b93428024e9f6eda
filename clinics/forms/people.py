"""Forms of the people pages (people10): add and edit a person, deactivate, invite, accept, import a cohort."""

from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.utils.translation import gettext_lazy as _

from ces.accounts.roles import Role
from ces.core.csv_files import MAX_BYTES, too_large
from ces.core.forms import UNKNOWN_CHOICE, DateField

from ..models import Cadre, Cohort
from ..services import INVITABLE_ROLES, invitable_roles_for


class PersonForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    cadre = forms.ChoiceField(label=_("Cadre"), choices=Cadre.choices, error_messages=UNKNOWN_CHOICE)
    email = forms.EmailField(label=_("E-mail"), required=False,
                             help_text=_("Needed to invite the person to log in."))
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    curp = forms.CharField(label=_("CURP"), max_length=18, required=False, help_text=_("Optional."))
    cohort = forms.ModelChoiceField(label=_("Cohort"), queryset=Cohort.objects.all(), required=False,
                                    empty_label=_("No cohort"), error_messages=UNKNOWN_CHOICE,
                                    help_text=_("Pasantes only."))
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class PersonDeactivateForm(forms.Form):
    last_day = DateField(label=_("Last day"),
                         help_text=_("Their posts end this day; their access ends the day after."))


class InvitationForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles"), widget=forms.CheckboxSelectMultiple, error_messages={
            "required": _("Choose at least one role."), **UNKNOWN_CHOICE},
        choices=[(role, Role(role).label) for role in INVITABLE_ROLES],
    )

    def __init__(self, *args, by, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = [(role, Role(role).label) for role in invitable_roles_for(by)]


class InvitationAcceptForm(SetPasswordForm):
    """Django's own: two passwords, checked by the project's password validators."""


class CohortImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Saved from Excel as “CSV UTF-8” or “CSV (comma delimited)”; up to 2 MB."),
        error_messages={"required": _("Choose the CSV file to import."),
                        "empty": _("The file is empty."),
                        "invalid": _("Choose the CSV file to import.")},
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise too_large(upload.size)
        return upload
