"""Forms of the restock request pages after the pasante's form: the list filters, the review (approve with
cuts, reject) and the receipt. They parse and check input only; pharmacy.services decides and writes."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ces.core.forms import UNKNOWN_CHOICE
from pharmacy.models import RestockRequest

WHOLE_NUMBER = {
    "invalid": _("Write a whole number."),
    "required": _("Write a quantity (0 or more)."),
    "min_value": _("The quantity cannot be negative."),
}


class QuantityField(forms.IntegerField):
    """A whole number of units, zero or more, typed on a phone's number pad."""

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", WHOLE_NUMBER)
        super().__init__(min_value=0, **kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "min": 0, "step": 1})


class MonthInput(forms.DateInput):
    """A phone's month picker; it sends yyyy-mm. Where the browser has none, mm/yyyy typed by hand works too."""

    input_type = "month"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m")


class RequestFilterForm(forms.Form):
    """The filters of the request list. Never invalid: an unknown value is simply ignored. Those who see one
    clinic only get no clinic filter; the others search the clinics by name, as they type (a select of every
    clinic, 950 of them, weighed more than the page and was no help to choose from)."""

    clinic = forms.CharField(label=_("Clinic"), required=False, max_length=100, strip=True,
                             widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off",
                                                           "placeholder": _("Part of its name")}))
    state = forms.ChoiceField(label=_("State"), required=False, error_messages=UNKNOWN_CHOICE,
                              choices=[("", _("All states")), *RestockRequest.State.choices])
    month = forms.DateField(label=_("Month"), required=False, widget=MonthInput, input_formats=["%Y-%m", "%m/%Y"],
                            error_messages={"invalid": _("Write the month as mm/yyyy, for example 03/2026.")})
    kind = forms.ChoiceField(label=_("Kind"), required=False, error_messages=UNKNOWN_CHOICE,
                             choices=[("", _("Regular and emergency")), *RestockRequest.Kind.choices])

    def __init__(self, *args, clinic_search=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not clinic_search:
            del self.fields["clinic"]


class _PerLineForm(forms.Form):
    """A quantity and a note for each line of a request, named after the line's item."""

    quantity_label = ""
    note_label = ""
    default_from = ""  # the line's field that gives the quantity's initial value

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            self.fields[f"quantity_{line.item_id}"] = QuantityField(
                label=self.quantity_label, initial=getattr(line, self.default_from) or 0)
            self.fields[f"note_{line.item_id}"] = forms.CharField(label=self.note_label, required=False,
                                                                 max_length=500)

    def rows(self):
        """``(line, quantity field, note field)`` for the template."""
        return [(line, self[f"quantity_{line.item_id}"], self[f"note_{line.item_id}"]) for line in self.lines]

    def by_item(self) -> dict:
        """``{item_id: (quantity, note)}`` for every line, as the services take them."""
        return {
            line.item_id: (self.cleaned_data[f"quantity_{line.item_id}"],
                           self.cleaned_data[f"note_{line.item_id}"].strip())
            for line in self.lines
        }


class ApproveForm(_PerLineForm):
    """The approved quantity of each line (the requested one unless cut) and the reason of a cut."""

    quantity_label = pgettext_lazy("quantity", "Approved")
    note_label = _("Reason for the cut")
    default_from = "requested"

    def clean(self):
        """The service's per-line rules, checked here too so that each message sits on its item's card
        (the service's list of messages can only go above the form). The service stays the last word."""
        cleaned = super().clean()
        for line in self.lines:
            approved = cleaned.get(f"quantity_{line.item_id}")
            if approved is None:
                continue
            if approved > line.requested:
                self.add_error(f"quantity_{line.item_id}",
                               _("%(item)s: cannot approve more than was requested (%(requested)d).")
                               % {"item": line.item, "requested": line.requested})
            elif approved < line.requested and not cleaned.get(f"note_{line.item_id}", "").strip():
                self.add_error(f"note_{line.item_id}",
                               _("%(item)s: give the reason for the cut.") % {"item": line.item})
        return cleaned


class RejectForm(forms.Form):
    # Not required here: the service's own message says what is missing.
    rejection_reason = forms.CharField(
        label=_("Reason for the rejection"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The pasante reads it, corrects the request and submits it again."),
    )


class ReceiveForm(_PerLineForm):
    """What arrived of each line (the dispatched quantity unless different), a remark where it differs,
    and remarks on the whole delivery."""

    quantity_label = pgettext_lazy("quantity", "Received")
    note_label = _("Remark on the difference")
    default_from = "dispatched"

    remarks = forms.CharField(label=_("Remarks on the delivery"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}))
