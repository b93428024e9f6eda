"""The pasante's restock request form: one line per active item, named ``<figure>-<item id>``.

The form parses and checks what was typed, line by line, so each message stands next to its box; it
computes the AMC, maximum and suggestion with ``calculations.line_figures`` (as restock-form.js does in the
browser) to know when an explanation is needed. pharmacy.services recomputes with the same function and
decides.
"""

import uuid
from dataclasses import dataclass, field

from django import forms
from django.utils.translation import gettext_lazy as _

from pharmacy import calculations
from pharmacy.calculations import MAX_QUANTITY
from pharmacy.models import RestockRequest

# The figures the pasante counts, in the order of the form; every one a whole number.
FIGURES = ("beginning_balance", "received", "consumed", "losses_adjustments", "stock_on_hand", "stockout_days")
# Figures that cannot be negative (losses and adjustments are signed).
NON_NEGATIVE = ("beginning_balance", "received", "consumed", "stock_on_hand", "stockout_days")
TEXTS = ("adjustment_reason", "explanation")
BOXES = (*FIGURES, "requested", *TEXTS)  # every box of a line, in the order of the page
TEXT_LENGTH = 2000
SAVE, SUBMIT = "save", "submit"

WHOLE_NUMBER = {
    "invalid": _("Write a whole number."),
    "min_value": _("Quantities cannot be negative."),
    "max_value": _("This month has %(limit_value)s days."),
}
# A figure beyond any real stock: without a limit here the service's computed maximum overflowed
# PostgreSQL's integer and the pasante read "less than or equal to 2147483647" with no item named.
QUANTITY = {**WHOLE_NUMBER, "max_value": _("A quantity cannot be above %(limit_value)s.")}
SIGNED_QUANTITY = {**QUANTITY, "min_value": _("A quantity cannot be below %(limit_value)s.")}
LABELS = {
    "beginning_balance": _("Beginning balance"),
    "received": _("Units received"),
    "consumed": _("Consumed"),
    "losses_adjustments": _("Losses (−) or adjustments (+)"),
    "stock_on_hand": _("Stock on hand (counted)"),
    "stockout_days": _("Days out of stock"),
    "requested": _("Requested"),
    "adjustment_reason": _("Reason for the losses or adjustments"),
    "explanation": _("Why a quantity other than the suggested one"),
}


def field_name(name: str, item_id: int) -> str:
    return f"{name}-{item_id}"


def fraction_attr(values: list) -> str:
    """Past adjusted consumptions for a ``data-`` attribute: ``"45/1 x 61/2"`` (x: out of stock all month)."""
    return " ".join("x" if v is None else f"{v.numerator}/{v.denominator}" for v in values)


@dataclass
class Line:
    """One item of the form: what it starts with, what the form computed for it, and its boxes as the
    template writes them (``cells``, filled by ``RestockRequestForm.page_lines``)."""

    item: object
    prefill: dict
    past: list
    history: bool
    initial: dict = field(default_factory=dict)  # each box's value before anything is posted
    figures: dict | None = None  # amc, maximum, suggested; None while a figure it needs is wrong
    needs_explanation: bool = False
    has_errors: bool = False
    cells: dict = field(default_factory=dict)

    @property
    def past_attr(self) -> str:
        return fraction_attr(self.past)

    @property
    def figure_cells(self) -> list:
        return [self.cells[name] for name in FIGURES]


class RestockRequestForm(forms.Form):
    """``rows``: ``selectors.restock_form_rows``; a new request's ``client_key``, or the ``lines`` of the
    request being corrected."""

    client_key = forms.UUIDField(widget=forms.HiddenInput, error_messages={
        "required": _("This form is incomplete; reload the page (what you typed is kept on this phone)."),
        "invalid": _("This form is incomplete; reload the page (what you typed is kept on this phone)."),
    })
    emergency_reason = forms.CharField(
        label=_("Why is this emergency request needed?"), max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say why this emergency request is needed.")},
    )
    item = forms.TypedMultipleChoiceField(
        coerce=int, widget=forms.MultipleHiddenInput,
        error_messages={"invalid_choice": _("Unknown item: %(value)s."),
                        "required": _("Add at least one item to the request.")},
    )

    def __init__(self, *args, rows, period, kind, lines=(), client_key=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.period, self.kind, self.days = period, kind, calculations.days_in_month(period)
        # A new request carries its key and, an emergency, its reason; a saved one has them already.
        if kind != RestockRequest.Kind.EMERGENCY or client_key is None:
            del self.fields["emergency_reason"]
        if client_key is None:
            del self.fields["client_key"]
        else:
            self.fields["client_key"].initial = client_key
        self.fields["item"].choices = [(str(row["item"].pk), str(row["item"])) for row in rows]
        saved = {line.item_id: line for line in lines}
        boxes = self._box_fields()
        self.lines = []
        for row in rows:
            line = Line(item=row["item"], prefill=row["prefill"], past=row["past"], history=row["history"])
            self._add_fields(line, saved.get(row["item"].pk), boxes)
            self.lines.append(line)
        if not self.is_bound:
            for line in self.lines:
                self._compute(line, {name: self._initial(line, name) for name in (*FIGURES, "requested")})

    def _box_fields(self) -> dict:
        """One field per kind of box, shared by every line: a field parses and checks a value and keeps
        nothing of it (each line's initial value is in ``self.initial``), so 58 items need 9 fields, not 522."""
        boxes = {}
        for name in FIGURES:
            signed = name == "losses_adjustments"
            if name == "stockout_days":
                maximum, messages = self.days, WHOLE_NUMBER
            else:
                maximum, messages = MAX_QUANTITY, SIGNED_QUANTITY if signed else QUANTITY
            boxes[name] = forms.IntegerField(label=LABELS[name], required=False, error_messages=messages,
                                             min_value=-MAX_QUANTITY if signed else 0, max_value=maximum)
        boxes["requested"] = forms.IntegerField(label=LABELS["requested"], required=False, min_value=0,
                                                max_value=MAX_QUANTITY, error_messages=QUANTITY)
        for name in TEXTS:
            boxes[name] = forms.CharField(label=LABELS[name], required=False, max_length=TEXT_LENGTH)
        return boxes

    def _add_fields(self, line: Line, saved, boxes: dict) -> None:
        # A saved line shows its figures, zeros included; a new one its pre-filled ones, blank for 0.
        for name in FIGURES:
            line.initial[name] = getattr(saved, name) if saved else (line.prefill.get(name) or None)
        # Blank: the suggestion. A saved quantity equal to the suggestion is shown blank, so it follows
        # the figures when they change.
        line.initial["requested"] = saved.requested if saved and saved.requested != saved.suggested else None
        for name in TEXTS:
            line.initial[name] = getattr(saved, name, "")
        for name in BOXES:
            self.fields[field_name(name, line.item.pk)] = boxes[name]
            self.initial[field_name(name, line.item.pk)] = line.initial[name]

    def _initial(self, line: Line, name: str):
        value = line.initial[name]
        return value if name == "requested" else value or 0

    def _compute(self, line: Line, values: dict) -> None:
        """AMC, maximum and suggestion from ``values`` (None where a figure is blank: 0; requested: the
        suggestion); whether an explanation is needed."""
        figure = {name: values.get(name) or 0 for name in FIGURES}
        if any(figure[name] < 0 for name in NON_NEGATIVE) or figure["stockout_days"] > self.days:
            line.figures = None
            return
        line.figures = calculations.line_figures(
            line.past, consumed=figure["consumed"], stockout_days=figure["stockout_days"], days=self.days,
            stock_on_hand=figure["stock_on_hand"], max_months=line.item.max_months_of_stock)
        requested = values.get("requested")
        line.needs_explanation = requested is not None and requested != line.figures["suggested"]

    def clean(self):
        cleaned = super().clean()
        posted = set(cleaned.get("item") or ())
        for line in self.lines:
            if line.item.pk not in posted:
                continue
            pk = line.item.pk
            values = {name: cleaned.get(field_name(name, pk)) for name in (*FIGURES, "requested", *TEXTS)}
            if any(field_name(name, pk) in self.errors for name in (*FIGURES, "requested")):
                line.has_errors = True
                continue
            self._compute(line, values)
            if values["losses_adjustments"] and not (values["adjustment_reason"] or "").strip():
                self.add_error(field_name("adjustment_reason", pk), _("Give the reason for the losses or adjustments."))
            if line.needs_explanation and not (values["explanation"] or "").strip():
                self.add_error(field_name("explanation", pk),
                               _("Explain why the requested quantity differs from the suggested one (%(n)d).")
                               % {"n": line.figures["suggested"]})
        for line in self.lines:
            line.has_errors = line.has_errors or any(field_name(name, line.item.pk) in self.errors for name in BOXES)
        return cleaned

    # --- After is_valid() ---------------------------------------------------------------------------------

    def _keeps(self, line: Line, values: dict) -> bool:
        """Whether the line goes into the request.

        A regular request reports every item the clinic has used, and any other item with a figure other
        than zero. An emergency request carries only the items the pasante filled in: a figure or a
        requested quantity typed (even 0), or a pre-filled balance changed.
        """
        if self.kind == RestockRequest.Kind.EMERGENCY:
            typed = any(values[name] is not None for name in ("consumed", "losses_adjustments", "stock_on_hand",
                                                              "stockout_days", "requested"))
            changed = any((values[name] or 0) != line.prefill.get(name, 0) for name in ("beginning_balance",
                                                                                         "received"))
            return typed or changed
        return line.history or any(values[name] for name in (*FIGURES, "requested"))

    def service_lines(self) -> list[dict]:
        """The lines for ``restock_request_create_draft`` / ``_update_lines``, blank figures as 0 and a
        blank requested quantity left out (the service takes the suggestion)."""
        posted = set(self.cleaned_data["item"])
        result = []
        for line in self.lines:
            if line.item.pk not in posted:
                continue
            pk = line.item.pk
            values = {name: self.cleaned_data.get(field_name(name, pk)) for name in (*FIGURES, "requested")}
            if not self._keeps(line, values):
                continue
            data = {"item": pk, **{name: values[name] or 0 for name in FIGURES}}
            if values["requested"] is not None:
                data["requested"] = values["requested"]
            for name in TEXTS:
                data[name] = (self.cleaned_data.get(field_name(name, pk)) or "").strip()
            result.append(data)
        return result

    @property
    def other_open(self) -> bool:
        """Whether the part with the items never used here starts open: when nothing has history, or one
        of them has an error or a figure."""
        others = [line for line in self.lines if not line.history]
        if len(others) == len(self.lines):
            return True
        if not self.is_bound:
            return False
        return any(line.has_errors or any(self.data.get(field_name(name, line.item.pk)) for name in BOXES)
                   for line in others)

    def page_lines(self) -> list[Line]:
        """The lines with their boxes as plain data for jinja2/pharmacy/request_form_lines.html, which writes the inputs
        itself: 58 items × 9 boxes through Django's widget templates were most of the page's time.

        Each box as a widget would show it: what was posted when the form is bound, the initial value
        otherwise; blank for None or "". Its messages are the form's errors for its name.
        """
        errors = self.errors
        labels = {name: str(LABELS[name]) for name in BOXES}
        for line in self.lines:
            pk = line.item.pk
            line.cells = {}
            for name in BOXES:
                html_name = field_name(name, pk)
                value = self.data.get(html_name) if self.is_bound else line.initial[name]
                line.cells[name] = {
                    "name": html_name, "label": labels[name], "errors": errors.get(html_name, ()),
                    "value": "" if value is None else str(value), "signed": name == "losses_adjustments",
                }
        return self.lines


def new_client_key() -> uuid.UUID:
    return uuid.uuid4()
