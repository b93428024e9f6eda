"""``manage.py seed_pharmacy_demo``: the pharmacy's demo data (see pharmacy/demo.py); run after seed_demo."""

import pghistory
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from pharmacy.demo import PharmacyDemo


class Command(BaseCommand):
    help = ("Load the pharmacy demo: the essential-medicines catalogue, warehouse stock, three months of restock "
            "requests and this month's in every state. Run seed_demo first; safe to run again.")

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off (never in production).")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_pharmacy_demo loads made-up stock and requests; it refuses to run with DEBUG "
                               "off. Use --force if this really is a demo server.")
        try:
            with transaction.atomic(), pghistory.context(command="seed_pharmacy_demo"):
                summary = PharmacyDemo().run()
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        states = ", ".join(f"{state} {n}" for state, n in sorted(summary.this_month.items()))
        self.stdout.write(self.style.SUCCESS(
            f"Pharmacy demo ready: {summary.items} items; this run added {summary.requests_created} restock "
            f"requests, {summary.lots_received} warehouse lots and {summary.counts} physical count(s). "
            f"This month: {states or 'no requests'}."
        ))
