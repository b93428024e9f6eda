from datetime import date
from fractions import Fraction

import pytest

from pharmacy import calculations as calc


def test_consumption_is_scaled_up_for_stockout_days():
    # 30 consumed in a 30-day month, 10 days without stock: 30 * 30 / 20 = 45.
    assert calc.adjusted_consumption(30, days_in_period=30, stockout_days=10) == 45


def test_consumption_without_stockout_is_unchanged():
    assert calc.adjusted_consumption(42, days_in_period=31, stockout_days=0) == 42


def test_consumption_stays_exact_until_the_average_rounds():
    # 10 * 31 / 30 = 10.333...: kept exact.
    assert calc.adjusted_consumption(10, days_in_period=31, stockout_days=1) == Fraction(31, 3)


def test_stockout_all_period_gives_no_usable_figure():
    assert calc.adjusted_consumption(0, days_in_period=30, stockout_days=30) is None


@pytest.mark.parametrize("consumed, days, stockout", [(-1, 30, 0), (5, 30, 31), (5, 30, -1), (5, 0, 0)])
def test_impossible_figures_are_refused(consumed, days, stockout):
    with pytest.raises(ValueError):
        calc.adjusted_consumption(consumed, days_in_period=days, stockout_days=stockout)


def test_amc_averages_the_last_three_periods():
    # Four periods: the oldest (100) is out of the window; (30 + 45 + 60) / 3 = 45.
    assert calc.average_monthly_consumption([100, 30, 45, 60]) == 45


def test_amc_in_the_first_month_is_that_month():
    assert calc.average_monthly_consumption([24]) == 24


def test_amc_in_the_second_month_averages_two():
    # (20 + 25) / 2 = 22.5, rounded up: 23.
    assert calc.average_monthly_consumption([20, 25]) == 23


def test_amc_rounds_any_fraction_up():
    # (10 + 10 + 11) / 3 = 10.33: 11, where rounding to the nearest unit would say 10.
    assert calc.average_monthly_consumption([10, 10, 11]) == 11


def test_amc_of_a_whole_mean_is_not_rounded_up():
    assert calc.average_monthly_consumption([10, 11, 12]) == 11


def test_amc_with_no_history_is_zero():
    assert calc.average_monthly_consumption([]) == 0


def test_amc_skips_periods_out_of_stock_all_month():
    # The middle month was a stock-out all month: averaged over the other two, (30 + 45) / 2 = 37.5 -> 38.
    assert calc.average_monthly_consumption([30, None, 45]) == 38


def test_amc_of_only_unusable_periods_is_zero():
    assert calc.average_monthly_consumption([None, None]) == 0


def test_worked_example_with_stockout_adjustment():
    # Month 1: 30 consumed, no stock-out -> 30. Month 2: 20 consumed in 30 days, 10 out -> 30.
    # Month 3: 31-day month, 35 consumed, 0 out -> 35. AMC = 95 / 3 = 31.67 -> 32.
    # Max months 3 -> maximum 96; 40 on hand -> suggest 56.
    periods = [
        calc.adjusted_consumption(30, days_in_period=30, stockout_days=0),
        calc.adjusted_consumption(20, days_in_period=30, stockout_days=10),
        calc.adjusted_consumption(35, days_in_period=31, stockout_days=0),
    ]
    amc = calc.average_monthly_consumption(periods)
    assert amc == 32
    assert calc.maximum_stock(amc, 3) == 96
    assert calc.suggested_quantity(96, 40) == 56


def test_worked_example_of_a_slow_mover():
    # An essential medicine used once in three months: 1, 0, 0 -> AMC 1/3, rounded up to 1 (to the nearest
    # unit it would be 0, and the clinic would be sent nothing). Max months 3 -> maximum 3; none on hand ->
    # suggest 3; the one unit still on the shelf -> suggest 2.
    periods = [
        calc.adjusted_consumption(1, days_in_period=31, stockout_days=0),
        calc.adjusted_consumption(0, days_in_period=30, stockout_days=0),
    ]
    figures = calc.line_figures(periods, consumed=0, stockout_days=0, days=31, stock_on_hand=0, max_months=3)
    assert figures == {"amc": 1, "maximum": 3, "suggested": 3}
    assert calc.line_figures(periods, consumed=0, stockout_days=0, days=31, stock_on_hand=1,
                             max_months=3)["suggested"] == 2


def test_an_item_never_consumed_is_suggested_nothing():
    figures = calc.line_figures([0, 0], consumed=0, stockout_days=0, days=30, stock_on_hand=0, max_months=3)
    assert figures == {"amc": 0, "maximum": 0, "suggested": 0}


def test_line_figures_compose_the_chain_with_this_months_adjusted_consumption():
    # The worked example above, with month 3 the one being reported.
    past = [30, calc.adjusted_consumption(20, days_in_period=30, stockout_days=10)]
    figures = calc.line_figures(past, consumed=35, stockout_days=0, days=31, stock_on_hand=40, max_months=3)
    assert figures == {"amc": 32, "maximum": 96, "suggested": 56}


def test_line_figures_of_a_month_out_of_stock_every_day_average_the_earlier_ones():
    # This month says nothing about demand: (12 + 13) / 2 = 12.5 -> 13.
    figures = calc.line_figures([12, 13], consumed=0, stockout_days=30, days=30, stock_on_hand=0, max_months=2)
    assert figures == {"amc": 13, "maximum": 26, "suggested": 26}


@pytest.mark.parametrize("period, days", [(date(2026, 1, 1), 31), (date(2026, 2, 14), 28), (date(2028, 2, 1), 29),
                                          (date(2026, 4, 30), 30)])
def test_a_month_has_its_calendar_days(period, days):
    assert calc.days_in_month(period) == days


def test_suggestion_is_never_negative():
    assert calc.suggested_quantity(50, 80) == 0


@pytest.mark.parametrize("value, expected", [(Fraction(5, 2), 3), (Fraction(1, 3), 1), (Fraction(12, 5), 3),
                                             (Fraction(6, 3), 2), (0, 0), (Fraction(10**12 + 1, 10**12), 2)])
def test_rounding_is_up_and_exact(value, expected):
    assert calc.round_up(value) == expected
