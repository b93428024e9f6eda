from datetime import date

from django.template.loader import render_to_string

from ces.reports.charts import nice_max, render_context
from ces.reports.registry import ChartData, Series
from clinics.reports import coverage_chart
from clinics.tests.factories import AssignmentFactory, ClinicFactory

MONTHS = [date(2026, m, 1) for m in range(1, 13)]


def test_nice_max_rounds_up_to_a_readable_scale():
    assert [nice_max(v) for v in (0, 1, 7, 31, 250, 251, 930)] == [1, 1, 10, 50, 250, 500, 1000]


def test_bars_stack_series_and_scale_to_the_axis():
    data = ChartData("Days", MONTHS[:2], [Series("A", [10, 0]), Series("B", [10, 20])], kind="bars")
    ctx = render_context(data)
    assert [b.css for b in ctx["bars"]] == ["chart-s0", "chart-s1", "chart-s1"]
    top_of_stack = ctx["bars"][1].y
    assert top_of_stack == ctx["bars"][2].y == ctx["top"]  # 20 is the top of a 0..20 axis
    assert ctx["ticks"][-1]["label"] == "20" and ctx["legend"][1]["name"] == "B"


def test_the_chart_is_inline_svg_without_style_attributes_or_scripts():
    data = ChartData("Covered", MONTHS, [Series("Capitán", list(range(12))), Series("Reforma", [3] * 12)],
                     kind="lines", y_label="days")
    html = render_to_string("reports/_chart.html", {"chart": render_context(data)})
    assert "<svg" in html and 'viewBox="0 0 360 220"' in html and "<polyline" in html
    assert "style=" not in html and "<script" not in html and "http" not in html.replace("http://www.w3.org", "")
    assert "Capitán" in html and "2026" in html


def test_covered_clinic_days_by_month(coordinator):
    clinic = ClinicFactory(name="Clínica Salvador Urbina")
    AssignmentFactory(clinic=clinic, start_date=date(2026, 1, 1), end_date=date(2026, 2, 10))
    AssignmentFactory(clinic=ClinicFactory(), start_date=date(2026, 2, 1), end_date=None)
    data = coverage_chart(coordinator, {"date_from": date(2026, 1, 1), "date_to": date(2026, 3, 31)})
    assert data.labels == MONTHS[:3]
    assert data.series[0].values == [31, 10 + 28, 31]
    by_clinic = coverage_chart(coordinator, {"date_from": date(2026, 1, 1), "date_to": date(2026, 3, 31),
                                             "by_clinic": True})
    assert {s.name: list(s.values) for s in by_clinic.series}["Clínica Salvador Urbina"] == [31, 10, 0]


def test_the_coverage_chart_counts_only_the_clinics_the_person_sees(supervisor, clinic_a, clinic_b):
    AssignmentFactory(clinic=clinic_a, start_date=date(2026, 1, 1), end_date=date(2026, 1, 15))
    AssignmentFactory(clinic=clinic_b, start_date=date(2026, 1, 1), end_date=date(2026, 1, 31))
    data = coverage_chart(supervisor, {"date_from": date(2026, 1, 1), "date_to": date(2026, 1, 31),
                                       "by_clinic": True})
    assert [(s.name, list(s.values)) for s in data.series] == [("Clínica Capitán", [15])]
