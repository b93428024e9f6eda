"""The restock arithmetic of a requisition, as OpenLMIS does it. Pure functions: no database.

Quantities are whole units of the item. Where a division leaves a fraction, it is rounded half up
(2.5 -> 3, 2.4 -> 2), never to even as Python's ``round`` does, so a pasante who does the sum on
paper gets the same number as the form.
"""

import calendar
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

# The average monthly consumption looks back over at most this many periods.
AMC_PERIODS = 3
# A clinic is below its minimum when it holds less than this many months of its AMC.
MIN_MONTHS_OF_STOCK = 1
# The largest quantity of one line that any input takes (a form, the API): larger than any real count of
# units, small enough that the arithmetic on it (maximum stock = AMC x months) and the balances it
# adds to stay inside PostgreSQL's integer.
MAX_QUANTITY = 1_000_000


def days_in_month(period: date) -> int:
    """The calendar days of the month of ``period``: 28 to 31."""
    return calendar.monthrange(period.year, period.month)[1]


def round_half_up(value) -> int:
    """A non-negative quantity to whole units, halves rounded up: 2.5 -> 3, 2.49 -> 2."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def adjusted_consumption(consumed: int, *, days_in_period: int, stockout_days: int) -> Fraction | None:
    """What the clinic would have consumed had the item been in stock all period.

    ``consumed * days_in_period / (days_in_period - stockout_days)``: 30 consumed in a 30-day month
    with 10 days out of stock is 30 * 30 / 20 = 45. Kept exact (a Fraction) so the average rounds
    once. A period out of stock every day says nothing about demand: ``None``, and the average
    leaves it out.
    """
    if consumed < 0 or days_in_period <= 0 or not 0 <= stockout_days <= days_in_period:
        raise ValueError("consumed >= 0 and 0 <= stockout_days <= days_in_period > 0")
    if stockout_days == days_in_period:
        return None
    return Fraction(consumed * days_in_period, days_in_period - stockout_days)


def average_monthly_consumption(adjusted: list) -> int:
    """The mean of the last up-to-3 usable adjusted consumptions, oldest first, rounded half up.

    At the start of a clinic's history there are fewer periods: the mean is over those there are
    (one period: its own figure). Periods with no usable figure (``None``, out of stock all period)
    are skipped; with none at all the average is 0.
    """
    usable = [value for value in adjusted if value is not None][-AMC_PERIODS:]
    if not usable:
        return 0
    return round_half_up(Fraction(sum(Fraction(v) for v in usable)) / len(usable))


def maximum_stock(amc: int, max_months: int) -> int:
    """The most a clinic should hold: AMC x the item's maximum months of stock."""
    return amc * max_months


def suggested_quantity(maximum: int, stock_on_hand: int) -> int:
    """What to send to bring the clinic back to its maximum; never negative."""
    return max(0, maximum - stock_on_hand)


def minimum_stock(amc: int) -> int:
    """The level below which a clinic is short: ``MIN_MONTHS_OF_STOCK`` months of its AMC."""
    return amc * MIN_MONTHS_OF_STOCK


def line_figures(past: list, *, consumed: int, stockout_days: int, days: int, stock_on_hand: int,
                 max_months: int) -> dict:
    """``{"amc", "maximum", "suggested"}`` of one line: the whole chain, for the form and the service alike.

    ``past``: the adjusted consumptions of the earlier months, oldest first (``selectors.
    restock_past_consumption``); ``days``: this month's (``days_in_month``).
    """
    current = adjusted_consumption(consumed, days_in_period=days, stockout_days=stockout_days)
    amc = average_monthly_consumption([*past, current])
    maximum = maximum_stock(amc, max_months)
    return {"amc": amc, "maximum": maximum, "suggested": suggested_quantity(maximum, stock_on_hand)}
