"""Importing the item catalogue from a CSV file: the warehouse keeper's and the data manager's page."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import render

from pharmacy import catalogue, selectors
from pharmacy.forms.catalogue import CatalogueImportForm


@login_required
def catalogue_import(request):
    if not selectors.can_edit_catalogue(request.user):
        raise PermissionDenied
    report = None
    form = CatalogueImportForm()
    if request.method == "POST":
        form = CatalogueImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                report = catalogue.catalogue_import(data=form.cleaned_data["file"].read())
            except ValidationError as exc:
                form.add_error("file", exc)
            else:
                form = CatalogueImportForm()
    context = {
        "form": form,
        "report": report,
        "required_columns": [catalogue.header_name(c) for c in catalogue.REQUIRED_COLUMNS],
        "optional_columns": [catalogue.header_name("warehouse_minimum")],
    }
    return render(request, "pharmacy/catalogue_import.html", context)
