"""``manage.py import_catalogue <file.csv>``: the catalogue import of the pharmacy page, from a shell."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from pharmacy.catalogue import MAX_BYTES, ImportReport, catalogue_import, too_large


def write_report(command: BaseCommand, report: ImportReport) -> None:
    command.stdout.write(_("Items added: %(n)d") % {"n": report.created})
    command.stdout.write(_("Items updated: %(n)d") % {"n": report.updated})
    command.stdout.write(_("Rows rejected: %(n)d") % {"n": len(report.rejected)})
    for row in report.rejected:
        command.stdout.write(command.style.WARNING(
            _("Line %(line)d (%(code)s): %(reasons)s")
            % {"line": row.line, "code": row.key or "—", "reasons": " ".join(row.reasons)}
        ))


class Command(BaseCommand):
    help = "Create or update pharmacy items from a CSV file and print what was added, updated and rejected."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The CSV file (columns: code, name, form, strength, unit, category, "
                                         "controlled, max_months_of_stock; Spanish names accepted).")

    def handle(self, *args, path, **options):
        file = Path(path)
        try:
            size = file.stat().st_size
            if size > MAX_BYTES:
                raise too_large(size)
            report = catalogue_import(data=file.read_bytes())
        except OSError as exc:
            raise CommandError(_("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror}) from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        write_report(self, report)
