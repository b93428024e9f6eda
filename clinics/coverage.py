"""Coverage: which days of a window a clinic has a pasante, and which it has not."""

from dataclasses import dataclass
from datetime import date, timedelta

COVERAGE_DAYS = 365


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
