"""The applicant's forms: one per step of the application (its fields are those of the step in
``visitors.services.APPLICATION_STEPS``), the document upload, the interview slot, the flight, withdrawing and
the exit survey. They parse and check what was typed; the services decide and write."""

from django import forms
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ces.core.forms import UNKNOWN_CHOICE, DateField
from visitors.models import (
    CLINICIAN_CATEGORIES,
    MAX_DOCUMENT_BYTES,
    Application,
    Arrival,
    Category,
    DocumentKind,
    ExitSurvey,
    minimum_last_day,
)
from visitors.services import minimum_stay_text


def minimum_stays_help() -> str:
    """Every category's shortest stay, in one sentence (the help of the dates step)."""
    parts = [f"{Category(category).label}: {minimum_stay_text(category)}" for category in Category.values]
    return _("The shortest stay by category: %(list)s.") % {"list": "; ".join(parts)}


class StepForm(forms.ModelForm):
    """One step of the application: its fields, those marked in ``required`` needed before going on."""

    required: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.required = name in self.required
            if isinstance(field, forms.TypedChoiceField | forms.ChoiceField):
                field.error_messages.update(UNKNOWN_CHOICE)

    def changed_fields(self) -> dict:
        """The step's values to save (every field of the step: saving is idempotent)."""
        return {name: self.cleaned_data[name] for name in self.fields}


class AboutYouForm(StepForm):
    required = ("full_name", "phone", "country")

    class Meta:
        model = Application
        fields = ("full_name", "phone", "country")
        widgets = {"phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
                   "full_name": forms.TextInput(attrs={"autocomplete": "name"})}
        help_texts = {"full_name": _("As on your passport."),
                      "phone": _("With the country code, for example +1 617 555 0100.")}


class YourStayForm(StepForm):
    required = ("category", "wanted_start", "wanted_end")

    class Meta:
        model = Application
        fields = ("category", "wanted_start", "wanted_end")
        field_classes = {"wanted_start": DateField, "wanted_end": DateField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].help_text = minimum_stays_help()
        if self.instance.short_stay_reason:
            self.fields["wanted_end"].help_text = _("The program allowed you a shorter stay.")
        elif self.instance.minimum_last_day:
            self.fields["wanted_end"].help_text = _(
                "With these dates and category, the last day is %(date)s at the earliest."
            ) % {"date": formats.date_format(self.instance.minimum_last_day, "SHORT_DATE_FORMAT")}

    def clean(self):
        data = super().clean()
        category, start, end = data.get("category"), data.get("wanted_start"), data.get("wanted_end")
        if start and start <= timezone.localdate():
            self.add_error("wanted_start", _("The first day must be after today."))
        if start and end and end < start:
            self.add_error("wanted_end", _("The last day cannot be before the first."))
        elif category and start and end and not self.instance.short_stay_reason:
            earliest = minimum_last_day(category, start)
            if end < earliest:
                self.add_error("wanted_end", _(
                    "A stay as %(category)s lasts at least %(minimum)s: starting on %(start)s, the last day is "
                    "%(earliest)s at the earliest."
                ) % {"category": Category(category).label.lower(), "minimum": minimum_stay_text(category),
                     "start": formats.date_format(start, "SHORT_DATE_FORMAT"),
                     "earliest": formats.date_format(earliest, "SHORT_DATE_FORMAT")})
        return data


class TrainingForm(StepForm):
    class Meta:
        model = Application
        fields = ("institution", "program", "training_level", "licence_number", "licence_country")
        help_texts = {"licence_number": _("Clinicians only: the number of your licence to practise."),
                      "program": _("For example: family medicine residency, nursing school.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        needed = ["institution", "training_level"]
        if self.instance.category in CLINICIAN_CATEGORIES:
            needed += ["licence_number", "licence_country"]
        for name in needed:
            self.fields[name].required = True


class SpanishForm(StepForm):
    required = ("spanish_self_assessment", "motivation")

    class Meta:
        model = Application
        fields = ("spanish_self_assessment", "motivation", "prior_visits")
        widgets = {"motivation": forms.Textarea(attrs={"rows": 5}), "prior_visits": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "spanish_self_assessment": _(
                "There are no translators: patients speak Spanish, and a visitor needs at least B1 (functional). "
                "The interview is in Spanish."
            ),
            "prior_visits": _("When and where, if you have been before."),
        }


class SafetyForm(StepForm):
    required = ("emergency_contact_name", "emergency_contact_phone", "emergency_contact_relation")

    class Meta:
        model = Application
        fields = ("emergency_contact_name", "emergency_contact_phone", "emergency_contact_relation",
                  "dietary_notes", "health_notes")
        widgets = {"emergency_contact_phone": forms.TextInput(attrs={"type": "tel"}),
                   "dietary_notes": forms.Textarea(attrs={"rows": 2}),
                   "health_notes": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"health_notes": _("Only what the team should know to keep you safe (allergies, conditions).")}


# The steps of the application form: number -> (title, form class or None for documents / review).
# The titles are those of visitors.services.APPLICATION_STEPS (same context), read in the person's language.
STEP = "visitor application step"
STEPS = {
    1: (pgettext_lazy(STEP, "About you"), AboutYouForm),
    2: (pgettext_lazy(STEP, "Your stay"), YourStayForm),
    3: (pgettext_lazy(STEP, "Training"), TrainingForm),
    4: (pgettext_lazy(STEP, "Spanish and motivation"), SpanishForm),
    5: (pgettext_lazy(STEP, "Safety"), SafetyForm),
    6: (pgettext_lazy(STEP, "Documents"), None),
    7: (pgettext_lazy(STEP, "Review and submit"), None),
}
DOCUMENTS_STEP = 6
REVIEW_STEP = 7
LAST_STEP = max(STEPS)


class DocumentUploadForm(forms.Form):
    kind = forms.ChoiceField(label=pgettext_lazy("visitor applicant", "Document"), choices=DocumentKind.choices,
                             error_messages=UNKNOWN_CHOICE)
    upload = forms.FileField(
        label=pgettext_lazy("visitor applicant", "File"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
        error_messages={"required": _("Choose the file to upload."),
                        "empty": _("The file is empty."),
                        "invalid": _("Choose the file to upload.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Here, not on the field: formatted in the language of the request, not of the first import.
        self.fields["upload"].help_text = _("PDF, JPEG or PNG, up to %(mb)d MB.") % {
            "mb": MAX_DOCUMENT_BYTES // (1024 * 1024)}


class SlotChoiceForm(forms.Form):
    slot = forms.ModelChoiceField(label=_("Interview time"), queryset=None, widget=forms.RadioSelect,
                                  empty_label=None, error_messages={**UNKNOWN_CHOICE,
                                                                    "required": _("Choose one of the times.")})

    def __init__(self, *args, slots, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].queryset = slots
        self.fields["slot"].label_from_instance = lambda slot: formats.date_format(
            timezone.localtime(slot.starts_at), "DATETIME_FORMAT")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


def _arrival_label(name):
    return capfirst(Arrival._meta.get_field(name).verbose_name)


class FlightForm(forms.Form):
    flight_number = forms.CharField(label=_arrival_label("flight_number"), max_length=40,
                                    help_text=_("For example AM 640, or the bus line and its departure."))
    arrives_at = forms.DateTimeField(
        label=_arrival_label("arrives_at"), widget=DateTimeInput, input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"],
        help_text=_("Local time in Chiapas."),
        error_messages={"invalid": _("Write a real date and time, for example 15/03/2026 14:30.")},
    )
    arrives_where = forms.CharField(label=_arrival_label("arrives_where"),
                                    max_length=200, required=False,
                                    help_text=_("For example Tuxtla Gutiérrez airport (TGZ)."))


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Why are you withdrawing?"), widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=2000,
                             error_messages={"required": _("Tell the program why, in a few words.")})


RATING_CHOICES = [(n, str(n)) for n in range(1, 6)]


class ExitSurveyForm(forms.ModelForm):
    RATINGS = ("mentorship", "clinical", "community", "host_family", "logistics")

    class Meta:
        model = ExitSurvey
        fields = ("mentorship", "clinical", "community", "host_family", "logistics", "best", "improve", "comments")
        widgets = {"best": forms.Textarea(attrs={"rows": 3}), "improve": forms.Textarea(attrs={"rows": 3}),
                   "comments": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.RATINGS:
            field = self.fields[name]
            self.fields[name] = forms.TypedChoiceField(
                label=field.label, choices=RATING_CHOICES, coerce=int, widget=forms.RadioSelect,
                help_text=_("1 poor · 5 excellent"),
                error_messages={**UNKNOWN_CHOICE, "required": _("Choose a rating from 1 to 5.")},
            )
