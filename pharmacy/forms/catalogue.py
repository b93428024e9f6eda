"""The catalogue import form: one CSV file. The checks of its content are pharmacy.catalogue's."""

from django import forms
from django.utils.translation import gettext_lazy as _

from pharmacy.catalogue import MAX_BYTES, too_large


class CatalogueImportForm(forms.Form):
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
        # Refused before it is read: the import reads the whole file in memory.
        if upload.size > MAX_BYTES:
            raise too_large(upload.size)
        return upload
