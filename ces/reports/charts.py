"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, no style attributes (the CSP).

Geometry is computed here; ``reports/_chart.html`` draws it with SVG presentation attributes and the
classes of ces.css (``chart-s0`` ... ``chart-s7`` colour the series). The drawing is 360 units wide
and scales to its container, so it reads on a phone.
"""

import math
from dataclasses import dataclass

from django.utils.formats import date_format

from .registry import ChartData, Report

WIDTH, HEIGHT = 360, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 12, 38
PALETTE = 8


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


def render_context(data: ChartData) -> dict:
    """What the template needs: axes, ticks, month labels, bars or polylines, and the legend."""
    n = len(data.labels)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    stacked = data.kind == "bars"
    if stacked:
        totals = [sum(s.values[i] for s in data.series) for i in range(n)]
    else:
        totals = [max((s.values[i] for s in data.series), default=0) for i in range(n)]
    top = nice_max(max(totals, default=0))
    slot = plot_w / max(n, 1)

    def y_of(value):
        return TOP + plot_h - value * plot_h / top

    ticks = [{"y": round(y_of(top * k / 4), 1), "label": _number(top * k / 4)} for k in range(5)]
    months = []
    for i, day in enumerate(data.labels):
        show_year = i == 0 or day.month == 1
        months.append({
            "x": round(LEFT + slot * (i + 0.5), 1),
            "label": date_format(day, "M"),
            "year": day.year if show_year else "",
        })
    bars, lines = [], []
    if stacked:
        width = slot * 0.7
        for i in range(n):
            base = 0.0
            for k, series in enumerate(data.series):
                value = series.values[i]
                if value:
                    y = y_of(base + value)
                    bars.append(Bar(round(LEFT + slot * i + (slot - width) / 2, 1), round(y, 1), round(width, 1),
                                    round(y_of(base) - y, 1), f"chart-s{k % PALETTE}",
                                    f"{series.name}: {_number(value)}"))
                base += value
    else:
        for k, series in enumerate(data.series):
            points = [(round(LEFT + slot * (i + 0.5), 1), round(y_of(v), 1)) for i, v in enumerate(series.values)]
            lines.append({
                "css": f"chart-s{k % PALETTE}",
                "points": " ".join(f"{x},{y}" for x, y in points),
                "dots": [{"x": x, "y": y, "label": f"{series.name}: {_number(v)}"}
                         for (x, y), v in zip(points, series.values, strict=True)],
            })
    return {
        "data": data,
        "width": WIDTH, "height": HEIGHT,
        "left": LEFT, "right": WIDTH - RIGHT, "top": TOP, "bottom": HEIGHT - BOTTOM,
        "label_y": HEIGHT - BOTTOM + 14, "year_y": HEIGHT - BOTTOM + 26,
        "ticks": ticks, "months": months, "bars": bars, "lines": lines,
        "legend": [{"name": s.name, "css": f"chart-s{k % PALETTE}"} for k, s in enumerate(data.series)],
        "empty": not any(totals),
    }


def chart_for(report: Report, user, form) -> dict | None:
    """The report's chart for these filters, ready to draw; None without a chart or with invalid filters."""
    if report.chart is None or not form.is_valid():
        return None
    return render_context(report.chart(user, form.cleaned_data))
