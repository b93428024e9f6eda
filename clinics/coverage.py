"""Coverage: which days of a window a clinic has a pasante, and which it has not.

``coverage_segments`` and ``gaps`` are pure arithmetic on dates. ``coverage_gap_warnings`` finds the
clinics that will have no pasante in 90, 60 or 30 days; ``clinics/reminders.py`` adapts it to the
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

from .models import Assignment, Clinic

COVERAGE_DAYS = 365
KIND = "clinics.coverage_gap"
THRESHOLDS = (90, 60, 30)  # days before a gap starts


@dataclass(frozen=True)
class Segment:
    start: date
    end: date  # inclusive
    assignment: object | None = None  # the pasante's Assignment, or None for a gap

    @property
    def is_gap(self) -> bool:
        return self.assignment is None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def coverage_segments(assignments, start: date, end: date) -> list[Segment]:
    """Cut ``[start, end]`` into covered and uncovered segments.

    ``assignments`` are one clinic's pasante assignments, which never overlap (a database constraint),
    in any order. An assignment with no end date covers to the end of the window.
    """
    segments: list[Segment] = []
    cursor = start
    for a in sorted(assignments, key=lambda a: a.start_date):
        a_start = max(a.start_date, start)
        a_end = min(a.end_date or end, end)
        if a_end < cursor or a_start > end:
            continue
        if a_start > cursor:
            segments.append(Segment(cursor, a_start - timedelta(days=1)))
        a_start = max(a_start, cursor)
        segments.append(Segment(a_start, a_end, a))
        cursor = a_end + timedelta(days=1)
    if cursor <= end:
        segments.append(Segment(cursor, end))
    return segments


def gaps(segments: list[Segment]) -> list[Segment]:
    return [s for s in segments if s.is_gap]


def first_gap_start(segments: list[Segment]) -> date | None:
    found = gaps(segments)
    return found[0].start if found else None


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
