"""Importing a cohort's pasantes from a CSV file: parse, validate each row, write the valid ones (people10).

The file is what a coordinator saves from Excel (read by ``ces.core.csv_files``, as the pharmacy's catalogue
is): columns ``nombre, correo, telefono, curp`` (or ``name, email, phone, curp``; accents, case and spacing
do not matter). Each row is checked on its own (a name, an e-mail, the CURP's format, the model's field
rules); a row that fails is reported with its line and every reason. The rest are written together, in one
transaction: a new e-mail adds a pasante to the cohort, a known one updates that person (and moves them to
the cohort), so importing the same file twice adds nobody the second time. An e-mail twice in the file is a
rejected row (the second). A file that cannot be read as a roster raises ``ValidationError`` and writes
nothing.
"""


from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from ces.core.csv_files import MAX_BYTES, ImportReport, RejectedRow, plain_name, read_rows, save_rows

from .models import Cadre, Cohort, Staff

COLUMNS = {
    "full_name": ("nombre", "name", "nombre_completo", "full_name"),
    "email": ("correo", "email", "e_mail", "correo_electronico"),
    "phone": ("telefono", "phone", "celular"),
    "curp": ("curp",),
}
HEADERS = {"full_name": "nombre", "email": "correo", "phone": "telefono", "curp": "curp"}
REQUIRED_COLUMNS = ("full_name", "email")
OPTIONAL_COLUMNS = ("phone", "curp")
ALIASES = {alias: column for column, names in COLUMNS.items() for alias in names}


def header_name(column: str) -> str:
    """How messages name a column: "correo (email)"; "curp", the same in both languages."""
    spanish, english = HEADERS[column], COLUMNS[column][min(1, len(COLUMNS[column]) - 1)]
    return spanish if spanish == english else f"{spanish} ({english})"


def _label(column: str) -> str:
    return capfirst(str(Staff._meta.get_field(column).verbose_name))


def _columns(header: list[str]) -> dict[str, int]:
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
               "expected": ", ".join(header_name(c) for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS))},
            code="missing_columns",
        )
    return found


def _model_errors(staff: Staff) -> list[str]:
    try:
        # E-mails are matched to the people on file before this, the cohort and accounts are known: no query per row.
        staff.full_clean(exclude=["cohort", "user"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        return [f"{_label(name)}: {message}" if name in COLUMNS else message
                for name, messages in exc.message_dict.items() for message in messages]
    return []


@transaction.atomic
def cohort_import(*, cohort: Cohort, data: bytes, by=None) -> ImportReport:
    """Add or update the pasantes of ``cohort`` from the CSV file ``data``; rejected rows are in the report.

    A fixed number of queries whatever the number of rows: the people with those e-mails, one insert, one
    update."""
    header, rows = read_rows(data, MAX_BYTES)
    columns = _columns(header)
    if not rows:
        raise ValidationError(_("The file has column names but no rows to import."), code="empty")
    emails = {row[columns["email"]].strip().lower() for _line, row in rows if len(row) > columns["email"]}
    on_file = Staff.objects.select_for_update().annotate(email_lower=Lower("email"))
    existing = {s.email_lower: s for s in on_file.filter(email_lower__in=[e for e in emails if e])}
    report = ImportReport()
    seen_on: dict[str, int] = {}
    to_create, to_update = [], []
    for line, row in rows:
        cells = {column: row[index].strip() for column, index in columns.items() if index < len(row)}
        reasons = []
        if any(cell.strip() for cell in row[len(header):]):
            reasons.append(_("The row has more cells than the first row has column names."))
        for column in REQUIRED_COLUMNS:
            if not cells.get(column):
                reasons.append(_("%(column)s is missing.") % {"column": _label(column)})
        email = cells.get("email", "").lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                reasons.append(_("“%(value)s” is not an e-mail address.") % {"value": email})
        if email and email in seen_on:
            reasons.append(_("The e-mail %(email)s is already on line %(line)d of the file.")
                           % {"email": email, "line": seen_on[email]})
        elif email:
            seen_on[email] = line
        staff = existing.get(email)
        if staff is not None and staff.cadre != Cadre.PASANTE:
            reasons.append(_("%(email)s belongs to %(person)s, who is not a pasante.")
                           % {"email": email, "person": staff.full_name})
        if staff is not None and not staff.active:
            reasons.append(_("%(person)s is inactive.") % {"person": staff.full_name})
        staff = staff or Staff(cadre=Cadre.PASANTE)
        staff.full_name = " ".join(cells.get("full_name", "").split())
        staff.email = email
        staff.cohort = cohort
        if "phone" in cells:
            staff.phone = cells["phone"]
        if cells.get("curp"):
            staff.curp = cells["curp"].upper()
        if not reasons:
            reasons = _model_errors(staff)
        if reasons:
            report.rejected.append(RejectedRow(line=line, key=email, reasons=reasons))
        elif staff.pk:
            to_update.append(staff)
        else:
            to_create.append(staff)
    return save_rows(Staff, to_create=to_create, to_update=to_update, report=report,
                     fields=["full_name", "email", "cohort", "phone", "curp"],
                     conflict_message=_("Someone else added some of these people at the same time. Import the file "
                                        "again."))
