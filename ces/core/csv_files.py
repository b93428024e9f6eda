"""Reading a CSV file as Excel saves it in Mexico, for every import of the project (the pharmacy's catalogue,
a cohort's pasantes): UTF-8 (with or without a BOM) or Windows-1252, comma-, semicolon- or tab-separated,
header names compared without accents, case or spacing. A file that cannot be read as a table at all raises
``ValidationError`` with a message for the person; what the rows mean is each import's business."""

import csv
import io
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

MAX_BYTES = 2 * 1024 * 1024


def plain_name(text: str) -> str:
    """Lower case, no accents, words joined by underscores: how header names are compared."""
    text = unicodedata.normalize("NFKD", text.strip().lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return "_".join(text.replace("-", " ").replace(".", " ").split())


def decode(data: bytes) -> str:
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


def too_large(size: int, limit: int = MAX_BYTES) -> ValidationError:
    """The message for a file over ``limit``; the pages and commands check the size before reading."""
    return ValidationError(
        _("The file is too large (%(size)s MB); the limit is %(limit)d MB. Split it into smaller files.")
        % {"size": f"{size / 1024 / 1024:.1f}", "limit": limit // 1024 // 1024},
        code="too_large",
    )


def not_a_csv() -> ValidationError:
    return ValidationError(
        _("This file is not a CSV file. In Excel, use “Save as” and choose “CSV UTF-8” or “CSV (comma delimited)”."),
        code="not_csv",
    )


def read_rows(data: bytes, max_bytes: int = MAX_BYTES) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header's cells and the non-empty data rows with the line each starts on; refuses what is not a CSV."""
    if len(data) > max_bytes:
        raise too_large(len(data), max_bytes)
    if data.startswith(b"PK\x03\x04"):
        raise ValidationError(
            _("This is an Excel workbook, not a CSV file. In Excel, use “Save as” and choose “CSV UTF-8”."),
            code="not_csv",
        )
    if b"\x00" in data:
        raise not_a_csv()
    text = decode(data)
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
        raise not_a_csv() from exc
    return header or [], rows


@dataclass(frozen=True)
class RejectedRow:
    """A row an import left out: its line in the file, its key (the e-mail, the code...) and every reason."""

    line: int
    key: str
    reasons: list[str]


@dataclass
class ImportReport:
    """What an import did: rows created, rows updated, and the rows left out with why."""

    created: int = 0
    updated: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated


def save_rows(model, *, to_create: list, to_update: list, fields: list[str], report: ImportReport,
              conflict_message: str) -> ImportReport:
    """Write an import's checked rows in bulk (the caller's transaction) and count them on ``report``. A row
    created by someone else meanwhile breaks a unique constraint: ``conflict_message`` says to import again."""
    try:
        with transaction.atomic():
            model.objects.bulk_create(to_create)
    except IntegrityError as exc:
        raise ValidationError(conflict_message, code="conflict") from exc
    model.objects.bulk_update(to_update, fields)
    report.created, report.updated = len(to_create), len(to_update)
    return report
