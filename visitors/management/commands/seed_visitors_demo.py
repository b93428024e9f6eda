"""``manage.py seed_visitors_demo``: the visitor program's demo data (see visitors/demo.py); run after seed_demo."""

import time

import pghistory
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from visitors.demo import PAST_VISITORS, VisitorsDemo


class Command(BaseCommand):
    help = ("Load the visitor program's demo: about 300 past visitors since 2013 with their exit surveys, and "
            "this season's applications in every state. Run seed_demo first; safe to run again.")

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off (never in production).")
        parser.add_argument("--past", type=int, default=PAST_VISITORS, metavar="N",
                            help=f"About how many past visitors the history has (default {PAST_VISITORS}; the "
                                 "years, categories and endings are scaled to it). Run again with the same N: "
                                 "another N plans another history.")

    def handle(self, *args, force=False, past=PAST_VISITORS, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_visitors_demo loads made-up applicants with a known password; it refuses to "
                               "run with DEBUG off. Use --force if this really is a demo server.")
        if past < 1:
            raise CommandError("--past: give at least 1 past visitor.")
        started = time.monotonic()
        try:
            # No e-mail leaves: the made-up applicants' thousands of status changes would fill the console (or
            # a real mailbox with EMAIL_URL set).
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"), \
                    transaction.atomic(), pghistory.context(command="seed_visitors_demo"):
                summary = VisitorsDemo(past=past).run()
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        states = ", ".join(f"{state} {n}" for state, n in sorted(summary.states.items()))
        self.stdout.write(self.style.SUCCESS(
            f"Visitors demo ready in {time.monotonic() - started:.1f} s: this run added "
            f"{summary.applications_created} applications; {summary.past_visitors} past visitors. "
            f"Applications: {states or 'none'}."
        ))
