"""``Percent``, the fill rate computed by PostgreSQL, reads exactly as ``percent`` in Python."""

import pytest
from django.contrib.auth import get_user_model
from django.db.models import IntegerField, Value

from ces.reports.rows import Percent, percent

CASES = [(9620, 9622), (1, 20_000), (0, 5), (5, 0), (None, 5), (5, None), (2, 3), (1, 8), (7, 7), (45, 50),
         (1, 1_000_000_000), (999_999_999, 1_000_000_000), (1, 16), (3, 400)]


@pytest.mark.parametrize("part, whole", CASES)
def test_the_database_rounds_a_fill_rate_as_python_does(coordinator, part, whole):
    def value(n):
        return Value(n, output_field=IntegerField())

    computed = get_user_model().objects.filter(pk=coordinator.pk).annotate(
        rate=Percent(value(part), value(whole))).values_list("rate", flat=True).get()

    expected = percent(part, whole)
    assert _text(computed) == _text(expected)


def _text(rate):
    return None if rate is None else format(rate, "f")
