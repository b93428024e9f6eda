"""The filters of the visitor log and of the feedback page. A filter that does not parse is shown with its
message and the page shows everything, as if it were not given."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ces.core.forms import UNKNOWN_CHOICE, DateField

from ..models import Category

FIRST_YEAR, LAST_YEAR = 1990, 2100
YEAR_INPUT = forms.NumberInput(attrs={"inputmode": "numeric"})


class VisitorLogFilterForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), required=False, error_messages=UNKNOWN_CHOICE,
                                 choices=[("", _("All categories")), *Category.choices])
    year_from = forms.IntegerField(label=pgettext_lazy("visitor insights", "From the year"), required=False,
                                   min_value=FIRST_YEAR, max_value=LAST_YEAR,
                                   widget=YEAR_INPUT)
    year_to = forms.IntegerField(label=pgettext_lazy("visitor insights", "To the year"), required=False,
                                 min_value=FIRST_YEAR, max_value=LAST_YEAR,
                                 widget=YEAR_INPUT)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if data.get("year_from") and data.get("year_to") and data["year_to"] < data["year_from"]:
            self.add_error("year_to", _("The last year cannot be before the first."))
        return data


class FeedbackFilterForm(forms.Form):
    date_from = DateField(label=pgettext_lazy("visitor insights", "Surveys from"), required=False)
    date_to = DateField(label=_("To"), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("The end of the period cannot be before its start."))
        return data
