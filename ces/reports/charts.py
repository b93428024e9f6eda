"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, no style attributes (the CSP).

Geometry is computed here; ``reports/_chart.html`` draws it with SVG presentation attributes and the
classes of ces.css (``chart-s0`` ... ``chart-s7`` colour the series). Each chart is drawn twice, 360 and
720 units wide, each at 100 % of its card's width; ces.css shows the one that suits the card.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.formats import date_format


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # None: no data that month, drawn as a gap


@dataclass(frozen=True)
class ChartData:
    """One value per label (a month) for each series. ``kind`` is ``"bars"`` or ``"lines"``."""

    title: str
    labels: Sequence[date]
    series: Sequence[Series]
    kind: str = "bars"
    y_label: str = ""


# Two drawings of each chart: the narrow one for a phone (or a narrow card), the wide one for a card of
# at least 36rem (a CSS container query shows one). Each fills its card's width at a readable type size.
NARROW, WIDE = 360, 720
HEIGHT = 230
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 26, 38
PALETTE = 8
# The room a month label ("Sep") and a year label ("2026") need, in drawing units, at ces.css's 10px.
MONTH_ROOM, YEAR_ROOM = 24, 30


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    label: str


def nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def _month_labels(labels: Sequence[date], x_of, slot: float) -> list[dict]:
    """A label under every month when they fit, else under every second or third one (always the first);
    the year under the first month of each year labelled, dropping the earlier of two years too close to
    read apart (a December just before "Ene 2027" needs no "2026")."""
    every = max(1, math.ceil(MONTH_ROOM / slot))
    months = [{"x": round(x_of(i), 1), "label": date_format(day, "M") if i % every == 0 else "", "year": ""}
              for i, day in enumerate(labels)]
    years = []
    for i, day in enumerate(labels):
        if months[i]["label"] and (not years or labels[years[-1]].year != day.year):
            if years and x_of(i) - x_of(years[-1]) < YEAR_ROOM:
                years.pop()
            years.append(i)
    for i in years:
        months[i]["year"] = labels[i].year
    return months


def _segments(points: list) -> list[list]:
    """The runs of consecutive months with data: a month without data breaks the line."""
    runs, run = [], []
    for point in points:
        if point is None:
            if run:
                runs.append(run)
            run = []
        else:
            run.append(point)
    if run:
        runs.append(run)
    return runs


def _geometry(data: ChartData, width: int) -> dict:
    n = len(data.labels)
    plot_w, plot_h = width - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    stacked = data.kind == "bars"
    if stacked:
        totals = [sum(s.values[i] or 0 for s in data.series) for i in range(n)]
    else:
        totals = [max((s.values[i] or 0 for s in data.series), default=0) for i in range(n)]
    top = nice_max(max(totals, default=0))
    slot = plot_w / max(n, 1)

    def x_of(i):
        return LEFT + slot * (i + 0.5)

    def y_of(value):
        return TOP + plot_h - value * plot_h / top

    ticks = [{"y": round(y_of(top * k / 4), 1), "label": _number(top * k / 4)} for k in range(5)]
    bars, lines = [], []
    if stacked:
        bar_w = slot * 0.7
        for i in range(n):
            base = 0.0
            for k, series in enumerate(data.series):
                value = series.values[i]
                if value:
                    y = y_of(base + value)
                    bars.append(Bar(round(LEFT + slot * i + (slot - bar_w) / 2, 1), round(y, 1), round(bar_w, 1),
                                    round(y_of(base) - y, 1), f"chart-s{k % PALETTE}",
                                    f"{series.name}: {_number(value)}"))
                    base += value
    else:
        for k, series in enumerate(data.series):
            points = [None if v is None else (round(x_of(i), 1), round(y_of(v), 1), v)
                      for i, v in enumerate(series.values)]
            lines.append({
                "css": f"chart-s{k % PALETTE}",
                "segments": [" ".join(f"{x},{y}" for x, y, _ in run) for run in _segments(points) if len(run) > 1],
                "dots": [{"x": x, "y": y, "label": f"{series.name}: {_number(v)}"}
                         for x, y, v in filter(None, points)],
            })
    return {
        "width": width, "height": HEIGHT,
        "left": LEFT, "right": width - RIGHT, "top": TOP, "bottom": HEIGHT - BOTTOM,
        "tick_x": LEFT - 4, "label_y": HEIGHT - BOTTOM + 14, "year_y": HEIGHT - BOTTOM + 26, "y_label_y": TOP - 14,
        "ticks": ticks, "months": _month_labels(data.labels, x_of, slot), "bars": bars, "lines": lines,
        "empty": not any(totals),
    }


def render_context(data: ChartData) -> dict:
    """What the template needs: axes, ticks, month labels, bars or line segments, and the legend, for the
    narrow drawing (at the top level) and the wide one (``wide``). A ``None`` value is a month without data:
    no bar, no dot, and the line stops there (never a zero)."""
    return {
        "data": data,
        **_geometry(data, NARROW),
        "wide": _geometry(data, WIDE),
        "legend": [{"name": s.name, "css": f"chart-s{k % PALETTE}"} for k, s in enumerate(data.series)],
    }


def chart_for(report, user, form) -> dict | None:
    """A ``registry.Report``'s chart for these filters, ready to draw; None without a chart or with invalid filters."""
    if report.chart is None or not form.is_valid():
        return None
    return render_context(report.chart(user, form.cleaned_data))
