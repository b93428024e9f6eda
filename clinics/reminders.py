"""Reminder rule of clinics: a rural clinic that will have no pasante in 90, 60 or 30 days.

This module holds the rule only, pure in ``today``; ``clinics/reminder_rules.py`` adapts it to the
engine of ``ces.notifications`` (recipients, due time, wording), which uses it like this:

1. On its tick, the engine calls ``coverage_gap_warnings(day)`` for today (and for the last few days,
   to catch up after a beat that was down). Each warning is due on ``day``: a gap in the clinic's
   pasante coverage starts exactly 90, 60 or 30 days later. Because the match is on the exact day, a
   gap yields at most one warning per threshold, and evaluating a day again finds the same warnings;
   the engine stores each under a key unique per kind, clinic, gap start and threshold (``key`` here),
   so it is scheduled exactly once.
2. Just before sending a pending reminder, the engine calls ``coverage_gap_warning_is_valid(warning)``;
   when it answers False (a pasante now covers the first day of the gap, or the clinic was closed or is
   no longer a rural clinic) the reminder is cancelled, not sent.

Every gap that starts at a threshold counts, not only the clinic's first one, so a gap later in the
year is announced even while an earlier one is still open. A clinic uncovered today is already on the
coverage page; it gets no "will have no pasante" warning until a pasante arrives and leaves again.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Prefetch, Q

from .coverage import coverage_segments, gaps
from .models import Assignment, Clinic

KIND = "clinics.coverage_gap"
THRESHOLDS = (90, 60, 30)  # days before a gap starts


@dataclass(frozen=True)
class CoverageWarning:
    clinic_id: int
    days_before: int
    gap_start: date

    @property
    def key(self) -> str:
        """Unique per occurrence: the engine's idempotency key."""
        return f"{KIND}:{self.clinic_id}:{self.gap_start.isoformat()}:{self.days_before}"


def _pasante_posts(first_day: date, last_day: date):
    return Assignment.objects.filter(role=Assignment.Role.PASANTE, start_date__lte=last_day).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=first_day)
    )


def coverage_gap_warnings(today: date) -> list[CoverageWarning]:
    """The warnings due ``today``, for every active rural clinic. Two queries, whatever the number of clinics."""
    end = today + timedelta(days=max(THRESHOLDS))
    clinics = (
        Clinic.objects.filter(active=True, kind=Clinic.Kind.RURAL_CLINIC)
        .only("pk")
        .order_by("pk")
        .prefetch_related(Prefetch("assignments", queryset=_pasante_posts(today, end), to_attr="pasante_posts"))
    )
    warnings = []
    for clinic in clinics:
        for gap in gaps(coverage_segments(clinic.pasante_posts, today, end)):
            days_before = (gap.start - today).days
            if days_before in THRESHOLDS:
                warnings.append(CoverageWarning(clinic.pk, days_before, gap.start))
    return warnings


def coverage_gap_warning_is_valid(warning: CoverageWarning) -> bool:
    """Whether the gap still exists: the clinic is still an active rural clinic with no pasante that day."""
    still_rural = Clinic.objects.filter(
        pk=warning.clinic_id, active=True, kind=Clinic.Kind.RURAL_CLINIC
    ).exists()
    if not still_rural:
        return False
    day = warning.gap_start
    return not _pasante_posts(day, day).filter(clinic_id=warning.clinic_id).exists()
