"""Worked examples of coverage: which days of a window a clinic has a pasante.

The window is 1 March to 31 March 2026 throughout; assignments are plain objects because coverage is
pure arithmetic on dates.
"""

from dataclasses import dataclass
from datetime import date

from clinics.coverage import coverage_segments, first_gap_start, gaps

START = date(2026, 3, 1)
END = date(2026, 3, 31)


@dataclass
class Post:
    start_date: date
    end_date: date | None = None


def shape(segments):
    """(start, end, covered) triples, easy to read in an assertion."""
    return [(s.start, s.end, not s.is_gap) for s in segments]


def test_no_assignments_is_one_gap_over_the_whole_window():
    segments = coverage_segments([], START, END)

    assert shape(segments) == [(START, END, False)]
    assert segments[0].days == 31
    assert first_gap_start(segments) == START


def test_assignment_covering_the_whole_window_leaves_no_gap():
    post = Post(date(2026, 1, 1), date(2026, 12, 31))

    segments = coverage_segments([post], START, END)

    assert shape(segments) == [(START, END, True)]
    assert segments[0].assignment is post
    assert gaps(segments) == []
    assert first_gap_start(segments) is None


def test_gap_at_the_start_until_the_pasante_arrives():
    segments = coverage_segments([Post(date(2026, 3, 11), date(2026, 6, 30))], START, END)

    assert shape(segments) == [
        (START, date(2026, 3, 10), False),
        (date(2026, 3, 11), END, True),
    ]
    assert gaps(segments)[0].days == 10


def test_gap_at_the_end_after_the_pasante_leaves():
    segments = coverage_segments([Post(date(2026, 2, 1), date(2026, 3, 20))], START, END)

    assert shape(segments) == [
        (START, date(2026, 3, 20), True),
        (date(2026, 3, 21), END, False),
    ]
    assert first_gap_start(segments) == date(2026, 3, 21)


def test_gap_between_two_pasantes():
    # Given in the wrong order on purpose: coverage sorts them.
    later = Post(date(2026, 3, 16), date(2026, 4, 30))
    earlier = Post(date(2026, 2, 1), date(2026, 3, 9))

    segments = coverage_segments([later, earlier], START, END)

    assert shape(segments) == [
        (START, date(2026, 3, 9), True),
        (date(2026, 3, 10), date(2026, 3, 15), False),
        (date(2026, 3, 16), END, True),
    ]
    assert [s.assignment for s in segments] == [earlier, None, later]
    assert gaps(segments)[0].days == 6


def test_adjacent_pasantes_leave_no_gap():
    segments = coverage_segments(
        [Post(date(2026, 2, 1), date(2026, 3, 15)), Post(date(2026, 3, 16), None)], START, END
    )

    assert shape(segments) == [(START, date(2026, 3, 15), True), (date(2026, 3, 16), END, True)]
    assert gaps(segments) == []


def test_open_ended_assignment_covers_to_the_end_of_the_window():
    segments = coverage_segments([Post(date(2026, 3, 5), None)], START, END)

    assert shape(segments) == [(START, date(2026, 3, 4), False), (date(2026, 3, 5), END, True)]


def test_assignment_partly_before_the_window_is_clipped_to_it():
    segments = coverage_segments([Post(date(2025, 12, 1), date(2026, 3, 3))], START, END)

    assert shape(segments) == [(START, date(2026, 3, 3), True), (date(2026, 3, 4), END, False)]
    assert segments[0].days == 3


def test_assignments_entirely_outside_the_window_are_ignored():
    before = Post(date(2025, 1, 1), date(2026, 2, 28))
    after = Post(date(2026, 4, 1), None)

    segments = coverage_segments([before, after], START, END)

    assert shape(segments) == [(START, END, False)]


def test_one_day_gap_is_one_day_long():
    segments = coverage_segments(
        [Post(date(2026, 2, 1), date(2026, 3, 14)), Post(date(2026, 3, 16), None)], START, END
    )

    (gap,) = gaps(segments)
    assert (gap.start, gap.end, gap.days) == (date(2026, 3, 15), date(2026, 3, 15), 1)
