"""Importing the item catalogue from a CSV file: parse, validate each row, write the valid ones.

The file is what a warehouse keeper saves from Excel in Mexico: UTF-8 (with or without a BOM) or
Windows-1252, comma- or semicolon-separated, with English or Spanish column names. Each row is
checked on its own (required values, numbers, yes/no, duplicate codes, and the model's own field
rules through ``full_clean``); the rows that fail are reported with their line number and every
reason, and the rest are written in one transaction: a new code creates an item, a known code
updates it, so importing the same file twice creates nothing the second time.

A file that cannot be read as a catalogue at all (too large, empty, not a CSV, missing columns)
raises ``ValidationError`` and writes nothing.
"""


from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import capfirst
from django.utils.translation import gettext as _

# The file is read by ces.core.csv_files, as every import reads it; MAX_BYTES and too_large stay importable from here.
from ces.core.csv_files import (  # noqa: F401
    MAX_BYTES,
    ImportReport,
    RejectedRow,
    plain_name,
    read_rows,
    save_rows,
    too_large,
)

from .models import Item

# Every column, in the order of the file we ship; each with the names accepted for it in the header
# (compared without accents, case or spacing: "Concentración" and "concentracion" are the same).
COLUMNS = {
    "code": ("code", "clave", "codigo"),
    "name": ("name", "nombre", "descripcion"),
    "form": ("form", "forma", "forma_farmaceutica", "presentacion"),
    "strength": ("strength", "concentracion"),
    "unit": ("unit", "unidad"),
    "category": ("category", "categoria", "grupo"),
    "controlled": ("controlled", "controlado"),
    "max_months_of_stock": ("max_months_of_stock", "meses_maximos", "max_months", "meses_maximos_de_existencia"),
    "warehouse_minimum": ("warehouse_minimum", "minimo_almacen", "minimo_de_almacen"),
}
# The header of the file we ship, and how messages name the columns: "clave (code)".
HEADERS = {"code": "clave", "name": "nombre", "form": "forma", "strength": "concentración", "unit": "unidad",
           "category": "categoría", "controlled": "controlado", "max_months_of_stock": "meses_maximos",
           "warehouse_minimum": "minimo_almacen"}
REQUIRED_COLUMNS = ("code", "name", "form", "strength", "unit", "category", "controlled", "max_months_of_stock")
REQUIRED_VALUES = ("code", "name", "unit", "controlled", "max_months_of_stock")
TEXT_FIELDS = ("name", "form", "strength", "unit", "category")
ALIASES = {alias: column for column, names in COLUMNS.items() for alias in names}

YES = frozenset({"si", "yes", "true", "verdadero", "1"})
NO = frozenset({"no", "false", "falso", "0"})


def header_name(column: str) -> str:
    return f"{HEADERS[column]} ({COLUMNS[column][0]})"


def _column_label(column: str) -> str:
    """The name of a column as the person reads it in messages: the model field's label."""
    return str(Item._meta.get_field(column).verbose_name)


def _columns(header: list[str]) -> dict[str, int]:
    """``{column: index}`` for the columns the header names; refuses a header that misses required ones."""
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        column = ALIASES.get(plain_name(name))
        if column is not None and column not in found:
            found[column] = index
    missing = [column for column in REQUIRED_COLUMNS if column not in found]
    if missing:
        raise ValidationError(
            _("The first row of the file must name the columns. Missing: %(missing)s. Expected: %(expected)s.")
            % {"missing": ", ".join(header_name(c) for c in missing),
               "expected": ", ".join(header_name(c) for c in REQUIRED_COLUMNS)},
            code="missing_columns",
        )
    return found


def _boolean(value: str) -> bool | None:
    plain = plain_name(value)
    if plain in YES:
        return True
    if plain in NO:
        return False
    return None


def _whole_number(value: str) -> int | None:
    value = value.strip()
    try:
        return int(value)
    except ValueError:
        pass
    try:
        number = float(value)  # "3.0", as some spreadsheets write whole numbers
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def _parse_row(cells: dict[str, str], extra: list[str]) -> tuple[dict, list[str]]:
    """The item's values from one row, and every reason to reject it found without the database.

    ``extra``: the cells beyond the header's last column (spreadsheets leave empty ones there)."""
    reasons, values = [], {}
    if any(cell.strip() for cell in extra):
        reasons.append(_("The row has more cells than the first row has column names."))
    for column in REQUIRED_VALUES:
        if not cells.get(column):
            reasons.append(_("%(column)s is missing.") % {"column": capfirst(_column_label(column))})
    values["code"] = cells.get("code", "")
    for column in TEXT_FIELDS:
        values[column] = cells.get(column, "")
    controlled = cells.get("controlled", "")
    if controlled:
        values["controlled"] = _boolean(controlled)
        if values["controlled"] is None:
            reasons.append(_("Controlled must be “sí” or “no” (found “%(value)s”).") % {"value": controlled})
    months = cells.get("max_months_of_stock", "")
    if months:
        values["max_months_of_stock"] = _whole_number(months)
        if values["max_months_of_stock"] is None or values["max_months_of_stock"] < 1:
            reasons.append(_("Maximum months of stock must be a whole number, 1 or more (found “%(value)s”).")
                           % {"value": months})
    if "warehouse_minimum" in cells:
        minimum = cells["warehouse_minimum"]
        values["warehouse_minimum"] = _whole_number(minimum) if minimum else 0
        if values["warehouse_minimum"] is None or values["warehouse_minimum"] < 0:
            reasons.append(_("The warehouse minimum must be a whole number, 0 or more (found “%(value)s”).")
                           % {"value": minimum})
    return values, reasons


def _model_errors(item: Item) -> list[str]:
    """What the model's own rules (field lengths, ranges) say about the item, each named by its field."""
    try:
        # Codes are matched to the items on file before this, and the CHECK on the months is the
        # field's validator too: no query per row.
        item.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        return [
            f"{capfirst(_column_label(name))}: {message}" if name in COLUMNS else message
            for name, messages in exc.message_dict.items() for message in messages
        ]
    return []


@transaction.atomic
def catalogue_import(*, data: bytes) -> ImportReport:
    """Create or update items from the CSV file ``data``; the rows rejected are in the report, with why.

    Valid rows are written together, in this transaction; a ``ValidationError`` (a file that is not
    a catalogue) writes nothing. Columns left out of the file (the warehouse minimum) keep the
    values already on file.
    """
    header, rows = read_rows(data, MAX_BYTES)
    columns = _columns(header)
    if not rows:
        raise ValidationError(_("The file has column names but no rows to import."), code="empty")

    codes = {row[columns["code"]].strip() for _line, row in rows if len(row) > columns["code"]}
    existing = Item.objects.select_for_update().in_bulk([c for c in codes if c], field_name="code")
    report = ImportReport()
    seen_on: dict[str, int] = {}
    to_create, to_update = [], []
    for line, row in rows:
        cells = {column: row[index].strip() for column, index in columns.items() if index < len(row)}
        values, reasons = _parse_row(cells, row[len(header):])
        code = values["code"]
        if code and code in seen_on:
            reasons.append(_("The code %(code)s is already on line %(line)d of the file.")
                           % {"code": code, "line": seen_on[code]})
        elif code:
            seen_on[code] = line
        item = existing.get(code) or Item()
        for name, value in values.items():
            if value is not None:
                setattr(item, name, value)
        if not reasons:
            reasons = _model_errors(item)
        if reasons:
            report.rejected.append(RejectedRow(line=line, key=code, reasons=reasons))
        elif item.pk:
            to_update.append(item)
        else:
            to_create.append(item)
    save_rows(Item, to_create=to_create, to_update=to_update, report=report,
              fields=[*TEXT_FIELDS, "controlled", "max_months_of_stock", "warehouse_minimum"],
              conflict_message=_("Someone else added some of these items at the same time. Import the file again."))
    return report
