"""visitors.forms.program: the forms of the visitor program's pages (the board's filters, the review page's
actions, the orientation pack) and of the pasante's page. They parse and check input only; the services
(visitors.services) decide and write, and their refusals go on these forms."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries import countries

from ces.core.forms import UNKNOWN_CHOICE, DateField

from ..models import Category, DocumentKind, Interview, SpanishLevel

MAX_SLOTS = 4
TEXT = 2000


class DateTimeInput(forms.DateTimeInput):
    """A phone's date-and-time picker; it sends yyyy-mm-ddThh:mm. dd/mm/yyyy hh:mm typed by hand works too."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class DateTimeField(forms.DateTimeField):
    widget = DateTimeInput
    default_error_messages = {
        "invalid": _("Write a real date and time as dd/mm/yyyy hh:mm, for example 15/03/2026 10:30."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M"])
        super().__init__(**kwargs)


def _text(label, *, required=False, rows=3, help_text="", max_length=TEXT):
    return forms.CharField(label=label, required=required, max_length=max_length, help_text=help_text,
                           widget=forms.Textarea(attrs={"rows": rows}))


def _choice(label, choices, *, required=True, blank=None, **kwargs):
    if blank is not None:
        choices = [("", blank), *choices]
    return forms.ChoiceField(label=label, choices=choices, required=required, error_messages={
        **UNKNOWN_CHOICE, "required": _("Choose one of the options.")}, **kwargs)


# --- The board ------------------------------------------------------------------------------------------


class BoardFilterForm(forms.Form):
    """The board's filters. Never invalid: a value that does not parse is ignored (and said on the field)."""

    category = _choice(_("Category"), Category.choices, required=False, blank=_("All categories"))
    start_from = DateField(label=_("Wanted start from"), required=False)
    start_to = DateField(label=_("Wanted start until"), required=False)
    institution = forms.CharField(label=_("Institution"), required=False, max_length=100, strip=True,
                                  widget=forms.TextInput(attrs={"type": "search",
                                                                "placeholder": _("Part of its name")}))
    country = _choice(_("Country"), list(countries), required=False, blank=_("All countries"))
    repeat = _choice(_("Repeat visitor"), [("yes", _("Repeat visitors only")), ("no", _("First visit only"))],
                     required=False, blank=_("Everyone"))

    def filters(self) -> dict:
        """The valid filters as keyword arguments of ``selectors.board``."""
        self.is_valid()
        data = self.cleaned_data
        repeat = {"yes": True, "no": False}.get(data.get("repeat") or "")
        return {
            "category": data.get("category") or "",
            "start_from": data.get("start_from"),
            "start_to": data.get("start_to"),
            "institution": data.get("institution") or "",
            "country": data.get("country") or "",
            "repeat": repeat,
        }


# --- The review page's actions ------------------------------------------------------------------------


class DocumentRequestForm(forms.Form):
    kind = _choice(_("Document"), DocumentKind.choices, blank="—")
    # Not required here: the service's own message says what is missing.
    note = _text(_("What is missing or needs correcting"), rows=2,
                 help_text=_("The applicant reads it on their status page and in the e-mail."))


class SlotsForm(forms.Form):
    """Up to four date-times offered for the interview; the applicant chooses one."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, MAX_SLOTS + 1):
            self.fields[f"slot_{n}"] = DateTimeField(label=_("Option %(n)d") % {"n": n}, required=False)

    def clean(self):
        cleaned = super().clean()
        starts = [cleaned[f"slot_{n}"] for n in range(1, MAX_SLOTS + 1) if cleaned.get(f"slot_{n}")]
        if not starts and not self.errors:
            raise forms.ValidationError(_("Offer at least one date and time."))
        cleaned["starts"] = sorted(set(starts))
        return cleaned


class ScheduleForm(forms.Form):
    scheduled_at = DateTimeField(label=_("Date and time"), error_messages={"required": _("Give the date and time.")})
    where = forms.CharField(label=_("Call link or place"), required=False, max_length=300)


class InterviewRecordForm(forms.Form):
    spanish_level = _choice(pgettext_lazy("interview", "Spanish level"), SpanishLevel.choices, blank="—",
                            help_text=_("From B1 (functional) up, the visitor can be placed: "
                                        "there are no translators."))
    values_fit = _choice(_("Values fit"), Interview.ValuesFit.choices, blank="—")
    recommendation = _choice(_("Recommendation"), Interview.Recommendation.choices, blank="—")
    notes = _text(_("Notes"), rows=4)


class DecisionForm(forms.Form):
    """Accept, waitlist or decline: one message (required to decline, the service says so)."""

    message = _text(_("Message to the applicant"), rows=3,
                    help_text=_("Sent to the applicant with the decision. Required to decline."))


class ShortStayForm(forms.Form):
    reason = _text(_("Reason for allowing a shorter stay"), rows=2)


class PlacementForm(forms.Form):
    """Clinic, paired pasante, host family, dates and meals. The choices are the places, people and families
    that could fit; the service's ``placement_problems`` says which rules a choice breaks."""

    clinic = forms.ModelChoiceField(queryset=None, label=_("Clinic"), empty_label="—",
                                    error_messages={**UNKNOWN_CHOICE, "required": _("Choose the clinic.")})
    pasante = forms.ModelChoiceField(queryset=None, label=_("Paired pasante"), empty_label="—",
                                     error_messages={**UNKNOWN_CHOICE, "required": _("Choose the pasante.")})
    host_family = forms.ModelChoiceField(queryset=None, label=_("Host family"), empty_label="—",
                                         error_messages={**UNKNOWN_CHOICE, "required": _("Choose the host family.")})
    start_date = DateField(label=_("First day"), error_messages={"required": _("Give the first day.")})
    end_date = DateField(label=_("Last day"), error_messages={"required": _("Give the last day.")})
    meals_per_day = forms.IntegerField(label=_("Meals per day with the family"), min_value=0, max_value=5, initial=3,
                                       error_messages={"invalid": _("Write a whole number."),
                                                       "required": _("Write how many meals (0 to 5)."),
                                                       "min_value": _("Write how many meals (0 to 5)."),
                                                       "max_value": _("Write how many meals (0 to 5).")})
    notes = _text(_("Notes for the visitor"), rows=2)

    def __init__(self, *args, clinics, pasantes, host_families, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinic"].queryset = clinics
        self.fields["clinic"].label_from_instance = lambda c: f"{c.name} · {c.community.name}"
        self.fields["pasante"].queryset = pasantes
        self.fields["pasante"].label_from_instance = (
            lambda s: f"{s.full_name} · {s.clinic_names}" if getattr(s, "clinic_names", "") else s.full_name)
        self.fields["host_family"].queryset = host_families
        self.fields["host_family"].label_from_instance = (
            lambda f: f"{f.head_of_household} · {f.community.name}")
        self.fields["meals_per_day"].widget.attrs.update({"inputmode": "numeric"})

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The last day cannot be before the first."))
        return cleaned

    @property
    def complete(self) -> bool:
        """Every field that placement_problems needs is filled and valid."""
        needed = ("clinic", "pasante", "host_family", "start_date", "end_date")
        return all(self.cleaned_data.get(name) for name in needed) and not self.errors


class ArrivalForm(forms.Form):
    """The flight (the applicant may have entered it already) and the pickup the program organises."""

    flight_number = forms.CharField(label=_("Flight or bus"), required=False, max_length=40)
    arrives_at = DateTimeField(label=_("Arrives at (date and time)"), required=False)
    arrives_where = forms.CharField(label=_("Airport or terminal"), required=False, max_length=200)
    pickup_at = DateTimeField(label=_("Pickup time"), required=False)
    meeting_point = forms.CharField(label=_("Meeting point"), required=False, max_length=200)
    driver = forms.ModelChoiceField(queryset=None, label=_("Driver"), required=False, empty_label="—",
                                    error_messages=UNKNOWN_CHOICE)
    vehicle = forms.CharField(label=_("Vehicle"), required=False, max_length=100)
    notes = _text(_("Notes"), rows=2)

    def __init__(self, *args, drivers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["driver"].queryset = drivers
        self.fields["driver"].label_from_instance = lambda s: s.full_name

    @property
    def has_flight(self) -> bool:
        return bool(self.cleaned_data.get("flight_number") or self.cleaned_data.get("arrives_at"))


class MarkArrivedForm(forms.Form):
    orientation_done = forms.BooleanField(label=_("Orientation done"), required=False)


class WithdrawForm(forms.Form):
    reason = _text(_("Reason for withdrawing"), rows=2)


class DisengageForm(forms.Form):
    reason = _text(_("Reason"), rows=2)
    ended_on = DateField(label=_("Last day in the community"), error_messages={"required": _("Give the date.")})
    return_arranged = forms.BooleanField(label=_("Return to the capital arranged"), required=False)


# --- The orientation pack ---------------------------------------------------------------------------------


class OrientationPackForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, error_messages={"required": _("Give it a title.")})
    upload = forms.FileField(label=_("File (PDF, JPEG or PNG, up to 10 MB)"),
                             error_messages={"required": _("Choose the file to upload."),
                                             "empty": _("The file is empty."),
                                             "invalid": _("Choose the file to upload.")},
                             widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))


# --- The pasante --------------------------------------------------------------------------------------------


class PasanteFeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How helpful was the visitor?"), coerce=int, widget=forms.RadioSelect,
        choices=[(n, str(n)) for n in range(1, 6)],
        help_text=_("1 not at all, 5 very helpful."),
        error_messages={**UNKNOWN_CHOICE, "required": _("Choose from 1 to 5.")},
    )
    would_host_again = forms.TypedChoiceField(
        label=_("Would you work with them again?"), widget=forms.RadioSelect,
        coerce=lambda v: v == "yes", choices=[("yes", _("Yes")), ("no", _("No"))],
        error_messages={**UNKNOWN_CHOICE, "required": _("Answer yes or no.")},
    )
    comments = _text(_("Comments"), rows=3)

