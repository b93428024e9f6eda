"""Forms of the warehouse and stock pages. They parse and check input only; pharmacy.services decides and
writes."""

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ces.core.forms import UNKNOWN_CHOICE, DateField, SearchForm
from pharmacy.calculations import MAX_QUANTITY
from pharmacy.models import Item

WHOLE_NUMBER = {"invalid": _("Write a whole number."), "required": _("This field is required.")}


class ItemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj} · {obj.code}"


def _active_items():
    return Item.objects.filter(active=True).order_by("name", "code")


class QuantityField(forms.IntegerField):
    """A whole number of units, zero or more (``minimum`` 1 for a quantity received), up to MAX_QUANTITY:
    a figure beyond any real stock would overflow the ledger's balance (a server error, not a message)."""

    def __init__(self, *, minimum=0, **kwargs):
        messages = {**WHOLE_NUMBER, "min_value": _("The quantity cannot be negative.") if minimum == 0
                    else _("The quantity must be above zero."),
                    "max_value": _("The quantity cannot be above %(limit_value)s.")}
        kwargs.setdefault("error_messages", messages)
        super().__init__(min_value=minimum, max_value=MAX_QUANTITY, **kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "min": minimum, "step": 1})


# --- Stock lists ----------------------------------------------------------------------------------------------


class StockFilterForm(SearchForm):
    """Search, category and (for those who see more than one place) the location: "" is the warehouse."""

    category = forms.ChoiceField(label=_("Category"), required=False)
    clinic = forms.ChoiceField(label=_("Where"), required=False)

    def __init__(self, *args, categories, clinics, warehouse, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All categories")), *((c, c) for c in categories)]
        self.fields["q"].widget.attrs["placeholder"] = _("Name or code")
        if warehouse:
            self.fields["clinic"].choices = [("", _("Central warehouse")), *((str(c.pk), c.name) for c in clinics)]
        else:
            del self.fields["clinic"]


class LocationForm(forms.Form):
    """Which place is counted: the warehouse ("") or a clinic."""

    clinic = forms.ChoiceField(label=_("Place to count"), required=False)

    def __init__(self, *args, clinics, warehouse, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(c.pk), c.name) for c in clinics]
        self.fields["clinic"].choices = [("", _("Central warehouse")), *choices] if warehouse else choices


# --- Warehouse receipt ----------------------------------------------------------------------------------------


class ReceiptForm(forms.Form):
    # Made when the form is first drawn: the same form posted twice (double tap, retry on a bad
    # connection) receives the delivery once.
    client_key = forms.UUIDField(required=False, widget=forms.HiddenInput)
    document = forms.CharField(label=_("Invoice or delivery note number"), max_length=80)
    reason = forms.CharField(label=_("Remarks"), max_length=500, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Optional: supplier, donation, anything worth keeping."))


class ReceiptLineForm(forms.Form):
    item = ItemChoiceField(label=_("Item"), queryset=Item.objects.none(), error_messages=UNKNOWN_CHOICE)
    lot_number = forms.CharField(label=_("Lot number"), max_length=60)
    expiry = DateField(label=_("Expiry"))
    quantity = QuantityField(label=_("Quantity received"), minimum=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = _active_items()

    def clean_lot_number(self):
        return self.cleaned_data["lot_number"].strip()

    def clean_expiry(self):
        expiry = self.cleaned_data["expiry"]
        if expiry < timezone.localdate():
            raise forms.ValidationError(_("This lot has expired: expired stock cannot be received."))
        return expiry


class BaseLineFormSet(forms.BaseFormSet):
    """Lines of which the blank ones are ignored; ``min_num`` lines must be filled."""

    def filled(self) -> list[dict]:
        return [form.cleaned_data for form in self.forms if form.cleaned_data and form.has_changed()]


ReceiptLineFormSet = forms.formset_factory(
    ReceiptLineForm, formset=BaseLineFormSet, extra=0, min_num=1, validate_min=True, max_num=50,
    validate_max=True,
)


# --- Physical count -------------------------------------------------------------------------------------------


class CountForm(forms.Form):
    """One "counted" box per lot listed (blank: not counted), and the remarks of the count."""

    remarks = forms.CharField(label=_("Remarks"), max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            self.fields[self.field_name(row["lot"])] = QuantityField(
                label=_("Counted"), required=False,
            )

    @staticmethod
    def field_name(lot) -> str:
        return f"lot_{lot.pk}"

    def lines(self):
        """Each listed lot with its expected stock and its bound field, for the template."""
        for row in self.rows:
            yield {**row, "field": self[self.field_name(row["lot"])]}

    def counts(self) -> dict[int, int]:
        return {
            row["lot"].pk: self.cleaned_data[self.field_name(row["lot"])]
            for row in self.rows
            if self.cleaned_data.get(self.field_name(row["lot"])) is not None
        }


class FoundLotForm(forms.Form):
    item = ItemChoiceField(label=_("Item"), queryset=Item.objects.none(), error_messages=UNKNOWN_CHOICE)
    lot_number = forms.CharField(label=_("Lot number"), max_length=60)
    expiry = DateField(label=_("Expiry"))
    counted = QuantityField(label=_("Counted"), minimum=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = _active_items()

    def clean_lot_number(self):
        return self.cleaned_data["lot_number"].strip()


FoundLotFormSet = forms.formset_factory(
    FoundLotForm, formset=BaseLineFormSet, extra=0, min_num=0, max_num=50, validate_max=True,
)


# --- Settings -------------------------------------------------------------------------------------------------


class PharmacySettingsForm(forms.Form):
    request_deadline_day = forms.IntegerField(
        label=_("Monthly request deadline (day of the month)"),
        help_text=_("From 1 to 28: the pasantes' monthly request is due on this day."),
        validators=[MinValueValidator(1, _("Choose a day from 1 to 28.")),
                    MaxValueValidator(28, _("Choose a day from 1 to 28."))],
        error_messages=WHOLE_NUMBER,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1, "max": 28, "step": 1}),
    )
