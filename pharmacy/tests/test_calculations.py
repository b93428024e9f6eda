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
    # (20 + 25) / 2 = 22.5, rounded half up: 23.
    assert calc.average_monthly_consumption([20, 25]) == 23


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


def test_suggestion_is_never_negative():
    assert calc.suggested_quantity(50, 80) == 0


@pytest.mark.parametrize("value, expected", [(Fraction(5, 2), 3), (Fraction(7, 2), 4), (2.4, 2), (0, 0)])
def test_rounding_is_half_up(value, expected):
    assert calc.round_half_up(value) == expected
