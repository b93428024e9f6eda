from django import forms
from django.utils.translation import gettext_lazy as _

from . import registry
from .models import Notification


class OutboxFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("Any state"))] + list(Notification.State.choices))
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Person or title")}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("Any kind"))] + [(r.kind, r.label) for r in registry.rules()]


class EmailPreferencesForm(forms.Form):
    """One checkbox per kind the person may receive: also send it by e-mail?"""

    def __init__(self, *args, rules, initial_choices: dict[str, bool], **kwargs):
        super().__init__(*args, **kwargs)
        for rule in rules:
            self.fields[rule.kind] = forms.BooleanField(
                label=rule.label, required=False, initial=initial_choices.get(rule.kind, True)
            )
