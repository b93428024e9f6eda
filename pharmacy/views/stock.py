"""The warehouse's pages: supplier deliveries, physical counts, stock on hand by item and lot, lots
expiring, items below minimum, and the deadline-day setting.

Pharmacy, coordinators and admins see every location; a pasante sees and counts their own clinic only
(another clinic answers 404); every other role gets 403. Thin: parse, authorise, call one selector or
service, render. A service's ValidationError is shown on the form and nothing is written.
"""

import re
import uuid
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ces.core.pages import add_service_error, get_or_404, paginate, require
from pharmacy import calculations, selectors, services
from pharmacy.forms.stock import (
    CountForm,
    FoundLotFormSet,
    LocationForm,
    PharmacySettingsForm,
    ReceiptForm,
    ReceiptLineFormSet,
    StockFilterForm,
)
from pharmacy.models import Item

PAGE_SIZE = 50
MOVEMENTS_PAGE_SIZE = 25
ADD_LINE = "add-line"  # the name of the button that asks for one more blank line
LOT_FIELD = re.compile(r"lot_([0-9]{1,18})")  # CountForm.field_name: a lot id, within a bigint


# --- Access and helpers -----------------------------------------------------------------------------------


def _places(request):
    """The clinics the user may see, the one asked for in ``?clinic=`` (None: the warehouse), and whether
    the user may see the warehouse. A pasante defaults to their clinic; a clinic out of reach is a 404;
    a role with no business with stock gets 403."""
    user = request.user
    warehouse = selectors.is_pharmacy_wide(user)
    clinics = list(selectors.stock_clinics_visible_to(user).order_by("name"))
    require(warehouse or bool(clinics))
    asked = request.GET.get("clinic", "").strip()
    if not asked:
        if warehouse:
            return clinics, None, warehouse
        return clinics, clinics[0], warehouse
    chosen = next((c for c in clinics if str(c.pk) == asked), None)
    if chosen is None:
        raise Http404
    return clinics, chosen, warehouse


def _with_one_more_line(data, prefix):
    """The posted data with one more (blank) form in the formset ``prefix``."""
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    try:
        data[key] = str(int(data.get(key, 0)) + 1)
    except ValueError:
        data[key] = "1"
    return data


# --- Stock on hand --------------------------------------------------------------------------------------------


@login_required
def stock_list(request):
    clinics, clinic, warehouse = _places(request)
    filters = StockFilterForm(request.GET, categories=selectors.item_categories(), clinics=clinics,
                              warehouse=warehouse)
    filters.is_valid()
    search = filters.cleaned_data.get("q", "").strip()
    category = filters.cleaned_data.get("category", "")
    items = selectors.stock_by_item(clinic=clinic)
    if search:
        items = items.filter(Q(name__icontains=search) | Q(code__icontains=search))
    if category:
        items = items.filter(category=category)
    page_obj, query_string = paginate(request, items, PAGE_SIZE)
    minimums = selectors.clinic_minimums(clinic) if clinic is not None else {}
    for item in page_obj:
        minimum = item.warehouse_minimum if clinic is None else minimums.get(item.pk, 0)
        item.minimum = minimum
        item.below_minimum = bool(minimum) and item.on_hand < minimum
    today = timezone.localdate()
    context = {"filters": filters, "page_obj": page_obj, "query_string": query_string, "clinic": clinic,
               "warehouse": warehouse, "today": today, "edits_catalogue": selectors.can_edit_catalogue(request.user),
               "expiry_alert": today + timedelta(days=selectors.EXPIRY_ALERT_DAYS)}
    return render(request, "pharmacy/stock_list.html", context)


@login_required
def stock_item(request, pk):
    user = request.user
    require(selectors.can_use_pharmacy(user))
    warehouse = selectors.is_pharmacy_wide(user)
    item = get_or_404(lambda: Item.objects.get(pk=pk))
    scope = None if warehouse else selectors.stock_clinics_visible_to(user)
    balances = list(selectors.stock_item_balances(item, clinics=scope))
    page_obj, query_string = paginate(request, selectors.stock_item_movements(item, clinics=scope),
                                   MOVEMENTS_PAGE_SIZE)
    context = {"item": item, "balances": balances, "total": sum(b.quantity for b in balances),
               "page_obj": page_obj, "query_string": query_string, "warehouse": warehouse,
               "today": timezone.localdate()}
    return render(request, "pharmacy/stock_item.html", context)


@login_required
def stock_expiring(request):
    require(selectors.is_pharmacy_wide(request.user))
    today = timezone.localdate()
    page_obj, query_string = paginate(request, selectors.lots_expiring(today=today), PAGE_SIZE)
    for balance in page_obj:
        balance.days_left = (balance.lot.expiry - today).days
    context = {"page_obj": page_obj, "query_string": query_string, "today": today,
               "within_days": selectors.EXPIRY_ALERT_DAYS,
               "edits_catalogue": selectors.can_edit_catalogue(request.user)}
    return render(request, "pharmacy/stock_expiring.html", context)


@login_required
def stock_below_minimum(request):
    require(selectors.is_pharmacy_wide(request.user))
    warehouse_items = list(selectors.warehouse_below_minimum())
    page_obj, query_string = paginate(request, selectors.ClinicItemsBelowMinimumPages(), PAGE_SIZE)
    for line in page_obj:
        line.minimum = calculations.minimum_stock(line.amc)
    context = {"warehouse_items": warehouse_items, "page_obj": page_obj, "query_string": query_string,
               "edits_catalogue": selectors.can_edit_catalogue(request.user)}
    return render(request, "pharmacy/stock_below_minimum.html", context)


# --- Supplier deliveries into the warehouse -------------------------------------------------------------------


@login_required
def warehouse_receipt_create(request):
    require(selectors.is_pharmacy_wide(request.user))
    if request.method == "POST":
        data = request.POST
        if ADD_LINE in data:
            data = _with_one_more_line(data, "lines")
        form = ReceiptForm(data)
        lines = ReceiptLineFormSet(data, prefix="lines")
        if ADD_LINE not in data and form.is_valid() & lines.is_valid():
            try:
                # The same form posted again answers with the delivery its key already received.
                delivery = services.warehouse_receive_delivery(
                    lines=lines.filled(), document=form.cleaned_data["document"],
                    reason=form.cleaned_data["reason"], by=request.user, client_key=form.cleaned_data["client_key"],
                )
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, ngettext(
                    "Delivery %(document)s received: %(lines)d line, %(units)d units.",
                    "Delivery %(document)s received: %(lines)d lines, %(units)d units.", delivery.lines,
                ) % {"document": delivery.document, "lines": delivery.lines, "units": delivery.units})
                return redirect("pharmacy:stock-list")
    else:
        form = ReceiptForm(initial={"client_key": uuid.uuid4()})
        lines = ReceiptLineFormSet(prefix="lines")
    return render(request, "pharmacy/receipt_form.html", {"form": form, "lines": lines, "add_line": ADD_LINE})


# --- Physical counts ------------------------------------------------------------------------------------------


def _posted_lots(data) -> set[int]:
    """Ids of the lots whose "counted" box came back in the post. Other names are ignored, among them
    "lot_²" or a 5,000-digit id, which ``str.isdigit`` passes and ``int`` refuses (a server error)."""
    return {int(match[1]) for key in data if (match := LOT_FIELD.fullmatch(key))}


@login_required
def count_create(request):
    clinics, clinic, warehouse = _places(request)
    location = LocationForm(initial={"clinic": str(clinic.pk) if clinic else ""}, clinics=clinics,
                            warehouse=warehouse)
    posted = _posted_lots(request.POST) if request.method == "POST" else ()
    rows = selectors.stock_count_sheet(clinic=clinic, also_lots=posted)
    if request.method == "POST":
        data = request.POST
        if ADD_LINE in data:
            data = _with_one_more_line(data, "found")
        form = CountForm(data, rows=rows)
        found = FoundLotFormSet(data, prefix="found")
        if ADD_LINE not in data and form.is_valid() & found.is_valid():
            try:
                count = services.stock_count_record_with_found(
                    clinic=clinic, counts=form.counts(), found=found.filled(), by=request.user,
                    remarks=form.cleaned_data["remarks"],
                )
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("The count is recorded; the stock now matches it."))
                return redirect("pharmacy:count-detail", pk=count.pk)
    else:
        form = CountForm(rows=rows)
        found = FoundLotFormSet(prefix="found")
    context = {"form": form, "found": found, "location": location, "clinic": clinic, "add_line": ADD_LINE,
               "choose_location": len(location.fields["clinic"].choices) > 1}
    return render(request, "pharmacy/count_form.html", context)


@login_required
def count_list(request):
    user = request.user
    require(selectors.can_use_pharmacy(user))
    page_obj, query_string = paginate(request, selectors.stock_count_list(user), PAGE_SIZE)
    return render(request, "pharmacy/count_list.html", {"page_obj": page_obj, "query_string": query_string})


@login_required
def count_detail(request, pk):
    user = request.user
    require(selectors.can_use_pharmacy(user))
    count = get_or_404(selectors.stock_count_for, user, pk)
    lines = list(count.lines.all())
    totals = {
        "expected": sum(line.expected for line in lines),
        "counted": sum(line.counted for line in lines),
        "variance": sum(line.variance for line in lines),
        "differing": sum(1 for line in lines if line.variance),
    }
    return render(request, "pharmacy/count_detail.html", {"count": count, "lines": lines, "totals": totals})


# --- Settings -------------------------------------------------------------------------------------------------


@login_required
def pharmacy_settings(request):
    user = request.user
    require(selectors.can_see_pharmacy_settings(user))
    may_change = selectors.can_change_pharmacy_settings(user)
    current = selectors.pharmacy_settings()
    if request.method == "POST":
        require(may_change)
        form = PharmacySettingsForm(request.POST)
        if form.is_valid():
            try:
                services.pharmacy_settings_update(
                    request_deadline_day=form.cleaned_data["request_deadline_day"], by=user)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("The monthly request is now due on day %(day)d.")
                                 % {"day": form.cleaned_data["request_deadline_day"]})
                return redirect(reverse("pharmacy:settings"))
    else:
        form = PharmacySettingsForm(initial={"request_deadline_day": current.request_deadline_day})
    return render(request, "pharmacy/settings.html", {"form": form, "current": current, "may_change": may_change})
