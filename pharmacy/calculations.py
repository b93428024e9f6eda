"""The restock arithmetic of a requisition line: the one place it is written. Pure functions: no database.

The chain is OpenLMIS's (``LineItemFieldsCalculator`` of openlmis-requisition): adjusted consumption,
average monthly consumption (AMC) over the last three months, maximum stock = AMC x months of stock,
suggestion = maximum - stock on hand. It departs from OpenLMIS on purpose in four places, each recorded with
OpenLMIS's own rule in docs/decisions/0010-restock-arithmetic-and-openlmis.md: a month has its calendar
days (not 30); a month out of stock every day is left out of the average (not counted at its consumption);
the months of stock are whole; the adjusted consumptions stay exact fractions and only the average is
rounded, up, once.

Rounding up is what keeps a slow mover stocked: consumed 1, 0, 0 averages 1/3, and a rounding to the
nearest unit would suggest nothing for a medicine the clinic does use. restock-form.js repeats this
arithmetic in the browser, identically (pharmacy/tests/test_request_form.py checks that the two agree).
"""

import calendar
from datetime import date
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


def round_up(value: Fraction) -> int:
    """A non-negative quantity to whole units, any fraction up: 1/3 -> 1, 2 -> 2. Exact, no float."""
    value = Fraction(value)
    return -(-value.numerator // value.denominator)


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
    """The mean of the last up-to-3 usable adjusted consumptions, oldest first, rounded up.

    At the start of a clinic's history there are fewer periods: the mean is over those there are
    (one period: its own figure). Periods with no usable figure (``None``, out of stock all period)
    are skipped; with none at all the average is 0. Any consumption in the window gives at least 1.
    """
    usable = [value for value in adjusted if value is not None][-AMC_PERIODS:]
    if not usable:
        return 0
    return round_up(sum(Fraction(v) for v in usable) / len(usable))


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
