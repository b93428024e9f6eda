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

import csv
import io
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from .models import Item

MAX_BYTES = 2 * 1024 * 1024

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


@dataclass(frozen=True)
class RejectedRow:
    line: int
    code: str
    reasons: list[str]


@dataclass
class CatalogueImportReport:
    created: int = 0
    updated: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated


def _plain(text: str) -> str:
    """Lower case, no accents, words joined by underscores: how header names are compared."""
    text = unicodedata.normalize("NFKD", text.strip().lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return "_".join(text.replace("-", " ").replace(".", " ").split())


def header_name(column: str) -> str:
    return f"{HEADERS[column]} ({COLUMNS[column][0]})"


def _column_label(column: str) -> str:
    """The name of a column as the person reads it in messages: the model field's label."""
    return str(Item._meta.get_field(column).verbose_name)


def _decode(data: bytes) -> str:
    """UTF-8 (a BOM is dropped) or, failing that, Windows-1252 as Excel writes it in Mexico."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        # Five bytes have no character in Windows-1252; Latin-1 reads them all.
        return data.decode("latin-1")


def too_large(size: int) -> ValidationError:
    """The message for a file over ``MAX_BYTES``; the page and the command check the size before reading."""
    return ValidationError(
        _("The file is too large (%(size)s MB); the limit is %(limit)d MB. Split it into smaller files.")
        % {"size": f"{size / 1024 / 1024:.1f}", "limit": MAX_BYTES // 1024 // 1024},
        code="too_large",
    )


def _not_a_csv():
    return ValidationError(
        _("This file is not a CSV file. In Excel, use “Save as” and choose “CSV UTF-8” or “CSV (comma delimited)”."),
        code="not_csv",
    )


def _read_rows(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header's columns and the data rows with the line each starts on; refuses what is not a catalogue."""
    if len(data) > MAX_BYTES:
        raise too_large(len(data))
    if data.startswith(b"PK\x03\x04"):
        raise ValidationError(
            _("This is an Excel workbook, not a CSV file. In Excel, use “Save as” and choose “CSV UTF-8”."),
            code="not_csv",
        )
    if b"\x00" in data:
        raise _not_a_csv()
    text = _decode(data)
    if not text.strip():
        raise ValidationError(_("The file is empty."), code="empty")
    first_line = next(line for line in text.splitlines() if line.strip())
    delimiter = max((";", ",", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header, rows, line = None, [], 1
    try:
        for row in reader:
            if header is None:
                if any(cell.strip() for cell in row):
                    header = row
            elif any(cell.strip() for cell in row):
                rows.append((line, row))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise _not_a_csv() from exc
    return header or [], rows


def _columns(header: list[str]) -> dict[str, int]:
    """``{column: index}`` for the columns the header names; refuses a header that misses required ones."""
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        column = ALIASES.get(_plain(name))
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
    plain = _plain(value)
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
def catalogue_import(*, data: bytes) -> CatalogueImportReport:
    """Create or update items from the CSV file ``data``; the rows rejected are in the report, with why.

    Valid rows are written together, in this transaction; a ``ValidationError`` (a file that is not
    a catalogue) writes nothing. Columns left out of the file (the warehouse minimum) keep the
    values already on file.
    """
    header, rows = _read_rows(data)
    columns = _columns(header)
    if not rows:
        raise ValidationError(_("The file has column names but no rows to import."), code="empty")

    codes = {row[columns["code"]].strip() for _line, row in rows if len(row) > columns["code"]}
    existing = Item.objects.select_for_update().in_bulk([c for c in codes if c], field_name="code")
    report = CatalogueImportReport()
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
            report.rejected.append(RejectedRow(line=line, code=code, reasons=reasons))
        elif item.pk:
            to_update.append(item)
        else:
            to_create.append(item)
    try:
        with transaction.atomic():
            Item.objects.bulk_create(to_create)
    except IntegrityError as exc:
        raise ValidationError(
            _("Someone else added some of these items at the same time. Import the file again."), code="conflict",
        ) from exc
    Item.objects.bulk_update(to_update, [*TEXT_FIELDS, "controlled", "max_months_of_stock", "warehouse_minimum"])
    report.created, report.updated = len(to_create), len(to_update)
    return report
