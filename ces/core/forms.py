"""Form fields and filters every app's pages share. Forms parse and check input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _


class DateInput(forms.DateInput):
    """A phone's date picker; it sends yyyy-mm-dd, and the field also accepts dd/mm/yyyy typed by hand."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DateField(forms.DateField):
    widget = DateInput
    default_error_messages = {
        "invalid": _("Write a real date as dd/mm/yyyy, for example 15/03/2026."),
    }


# The error of a choice field (or a model choice) whose value is not among those offered: an id that does
# not exist and one outside the person's reach read the same.
UNKNOWN_CHOICE = {"invalid_choice": _("Choose one of the options in the list.")}


class SearchForm(forms.Form):
    """The filters of a list page. Never invalid: an unknown value is simply ignored."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
