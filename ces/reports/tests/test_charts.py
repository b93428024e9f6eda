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
    # Two drawings (phone and wide card), each as wide as its card.
    assert 'viewBox="0 0 360 230"' in html and 'viewBox="0 0 720 230"' in html and "<polyline" in html
    assert html.count('width="100%"') == 2
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


def test_a_month_without_data_is_a_gap_in_a_line_not_a_zero():
    data = ChartData("Fill rate", MONTHS[:5], [Series("Approved", [100, None, None, 80, 90])], kind="lines")
    for drawing in (render_context(data), render_context(data)["wide"]):
        line = drawing["lines"][0]
        # One segment, from April to May; January stands alone as a dot; nothing drawn at the axis (0 %).
        assert len(line["segments"]) == 1 and len(line["segments"][0].split()) == 2
        assert len(line["dots"]) == 3
        assert all(dot["y"] < drawing["bottom"] for dot in line["dots"])
    html = render_to_string("reports/_chart.html", {"chart": render_context(data)})
    assert html.count("<polyline") == 2 and html.count("<circle") == 6


def test_a_month_without_data_has_no_bar():
    data = ChartData("Days", MONTHS[:3], [Series("A", [5, None, 7])], kind="bars")
    ctx = render_context(data)
    assert [bar.label for bar in ctx["bars"]] == ["A: 5", "A: 7"]


def _text_boxes(drawing):
    """Rough boxes (x from, x to, y) of the month and year labels, at ces.css's 10px (6 units a letter)."""
    boxes = []
    for month in drawing["months"]:
        if month["label"]:
            boxes.append((month["x"] - 9, month["x"] + 9, drawing["label_y"]))
        if month["year"]:
            boxes.append((month["x"] - 12, month["x"] + 12, drawing["year_y"]))
    return boxes


def test_month_and_year_labels_never_overlap_and_the_first_month_is_labelled():
    months = [date(2026, 12, 1)] + [date(2027, m, 1) for m in range(1, 13)] + [date(2028, m, 1) for m in range(1, 12)]
    data = ChartData("Days", months, [Series("A", [1] * len(months))])
    for drawing in (render_context(data), render_context(data)["wide"]):
        assert drawing["months"][0]["label"]
        boxes = sorted(_text_boxes(drawing), key=lambda b: (b[2], b[0]))
        for first, second in zip(boxes, boxes[1:], strict=False):
            if first[2] == second[2]:
                assert first[1] < second[0], (first, second)
        # "Dic" needs no "2026" squeezed against "2027"; both later years are named.
        assert [m["year"] for m in drawing["months"] if m["year"]] == [2027, 2028]


def test_a_short_period_names_its_first_year():
    data = ChartData("Days", MONTHS[:3], [Series("A", [1, 2, 3])])
    assert [m["year"] for m in render_context(data)["months"]] == [2026, "", ""]
    assert [m["label"] != "" for m in render_context(data)["months"]] == [True, True, True]


def test_the_axis_name_sits_above_the_top_tick():
    data = ChartData("Days", MONTHS, [Series("A", [500] * 12)], y_label="días")
    ctx = render_context(data)
    assert ctx["ticks"][-1]["label"] == "500"
    assert ctx["y_label_y"] + 2 < ctx["ticks"][-1]["y"] - 10  # the name's baseline clears the tick's text
