"""Forms of the host-family pages. They parse and check input only; clinics.services decides and writes."""

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ces.core.forms import UNKNOWN_CHOICE, DateField, SearchForm

from ..models import Cadre, Community, HostFamily, HostPayment, HostStay, Staff

MONEY = {"max_digits": 8, "decimal_places": 2, "min_value": 0}


class HostFamilyFilterForm(SearchForm):
    ACTIVE_CHOICES = [("", _("Active and inactive")), ("1", _("Active")), ("0", _("Inactive"))]

    community = forms.ModelChoiceField(label=_("Community"), required=False, queryset=Community.objects.none(),
                                       empty_label=_("All communities"))
    active = forms.ChoiceField(label=_("Status"), required=False, choices=ACTIVE_CHOICES)

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities


class HostFamilyForm(forms.Form):
    community = forms.ModelChoiceField(label=_("Community"), queryset=Community.objects.order_by("name"),
                                       error_messages=UNKNOWN_CHOICE)
    head_of_household = forms.CharField(label=_("Head of household"), max_length=200)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    address = forms.CharField(label=_("Address or directions"), max_length=255, required=False)
    rooms = forms.IntegerField(label=_("Rooms for guests"), min_value=1, max_value=50, initial=1)
    rate_per_night = forms.DecimalField(label=_("Rate per night (MXN)"), **MONEY)
    rate_per_meal = forms.DecimalField(label=_("Rate per meal (MXN)"), **MONEY)
    active = forms.BooleanField(label=_("Hosts guests (active)"), required=False, initial=True)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    @classmethod
    def initial_of(cls, family: HostFamily) -> dict:
        return {name: getattr(family, name) for name in cls.base_fields}


class PasanteChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.full_name} · {obj.cohort.name}" if obj.cohort_id else obj.full_name


class HostStayForm(forms.Form):
    guest_kind = forms.ChoiceField(label=_("Guest"), choices=HostStay.GuestKind.choices,
                                   initial=HostStay.GuestKind.PASANTE, error_messages=UNKNOWN_CHOICE)
    guest_staff = PasanteChoiceField(
        label=_("Pasante"), required=False, empty_label=_("Choose the pasante"), error_messages=UNKNOWN_CHOICE,
        queryset=Staff.objects.filter(cadre=Cadre.PASANTE, active=True).select_related("cohort").order_by("full_name"),
    )
    guest_name = forms.CharField(label=_("Visitor's name"), max_length=200, required=False,
                                 help_text=_("Only for a visitor."))
    first_night = DateField(label=_("First night"))
    last_night = DateField(label=_("Last night"))
    meals_per_day = forms.IntegerField(label=_("Meals per day"), min_value=0, max_value=5, initial=3)

    def clean(self):
        data = super().clean()
        if data.get("first_night") and data.get("last_night") and data["last_night"] < data["first_night"]:
            self.add_error("last_night", _("The last night cannot be before the first."))
        return data


class HostStayEditForm(forms.Form):
    first_night = DateField(label=_("First night"))
    last_night = DateField(label=_("Last night"))
    meals_per_day = forms.IntegerField(label=_("Meals per day"), min_value=0, max_value=5)

    def clean(self):
        data = super().clean()
        if data.get("first_night") and data.get("last_night") and data["last_night"] < data["first_night"]:
            self.add_error("last_night", _("The last night cannot be before the first."))
        return data


class HostStayCancelForm(forms.Form):
    reason = forms.CharField(label=_("Why is it cancelled?"), max_length=200,
                             help_text=_("For example: the visitor did not come; recorded twice."))


def _stay_label(stay: HostStay) -> str:
    return _("%(guest)s, %(first)s to %(last)s ($%(owed)s MXN)") % {
        "guest": stay.guest_name, "first": stay.first_night.strftime("%d/%m/%Y"),
        "last": stay.last_night.strftime("%d/%m/%Y"), "owed": stay.amount_owed}


class HostPaymentForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount (MXN)"), max_digits=10, decimal_places=2, min_value=0.01,
                                error_messages={"min_value": _("The amount must be more than zero.")})
    paid_on = DateField(label=_("Paid on"))
    method = forms.ChoiceField(label=_("Method"), choices=HostPayment.Method.choices, initial=HostPayment.Method.CASH,
                               error_messages=UNKNOWN_CHOICE)
    concept = forms.CharField(label=_("Concept"), max_length=200, help_text=_("For example: lodging and meals, March."))
    stays = forms.ModelMultipleChoiceField(
        label=_("Stays it covers"), required=False, queryset=HostStay.objects.none(),
        widget=forms.CheckboxSelectMultiple, error_messages={"invalid_choice": UNKNOWN_CHOICE["invalid_choice"]},
    )
    receipt = forms.FileField(label=_("Receipt (photo or PDF, up to 10 MB)"), required=False,
                              widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}))

    def __init__(self, *args, family: HostFamily, payment: HostPayment | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        offered = Q(cancelled_at__isnull=True)
        if payment is not None:  # a stay it covers stays on offer after it is cancelled
            offered |= Q(payments=payment)
        self.fields["stays"].queryset = family.stays.filter(offered).distinct().order_by("-first_night", "-pk")
        self.fields["stays"].label_from_instance = _stay_label
        if not self.is_bound:
            self.initial.setdefault("paid_on", timezone.localdate())


def payment_initial(payment: HostPayment) -> dict:
    return {"amount": payment.amount, "paid_on": payment.paid_on, "method": payment.method,
            "concept": payment.concept, "stays": [stay.pk for stay in payment.stay_list]}
