"""The visitor log and the feedback: what the program has done since it began, and what visitors and pasantes
said about it. Coordinators, the visitor program and admins read them (``can_see_visitor_insights``).

A *visit* is an application whose visitor came (``Application.VISITED_STATES``: arrived, in community,
completed, or sent back early); its year is the year of the first day of its confirmed placement (the stay
itself), else of the first day wanted. Each read below runs a fixed number of queries whatever the number of
visits, surveys or years.
"""

import math
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Avg, Count, F, FloatField, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, ExtractYear, Lower, Trim, TruncDate
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django_countries import countries

from ces.reports import charts
from ces.reports.registry import ChartData, Series

from ..models import CLINICIAN_CATEGORIES, Application, Category, ExitSurvey, PasanteFeedback, Placement
from .applications import MANAGER_ROLES, can_manage_applications

__all__ = [
    "FEEDBACK_GROUPS",
    "INSIGHT_ROLES",
    "SCORES",
    "can_see_visitor_insights",
    "exit_survey_comments",
    "exit_survey_scores",
    "feedback_summary",
    "pasante_feedback_list",
    "visit_year",
    "visitor_log",
    "visits",
]

# Who reads the visitor log and the feedback (the pages, the reports).
INSIGHT_ROLES = MANAGER_ROLES
INSTITUTIONS_SHOWN = 20
# Year labels need more room than month labels under the chart's bars ("2026" at 10px).
YEAR_ROOM = 30


def can_see_visitor_insights(user) -> bool:
    """The visitor log, the feedback and their reports: those who manage the applications (coordinators, the
    visitor program, admins)."""
    return can_manage_applications(user)


def visit_year():
    """SQL: the year of a visit, from its confirmed placement's first day, else the first day wanted, else the
    day the application was created (an application always has one)."""
    placed = (Placement.objects.filter(application=OuterRef("pk"), state=Placement.State.CONFIRMED)
              .order_by("start_date").values("start_date")[:1])
    return ExtractYear(Coalesce(Subquery(placed), F("wanted_start"), TruncDate("created_at")))


def visits(user, *, category: str = "", year_from: int | None = None, year_to: int | None = None) -> QuerySet:
    """The visits the user may read (all of them for the insight roles, none otherwise), with ``year``."""
    if not can_see_visitor_insights(user):
        return Application.objects.none()
    rows = Application.objects.filter(state__in=Application.VISITED_STATES).annotate(year=visit_year())
    if category:
        rows = rows.filter(category=category)
    if year_from:
        rows = rows.filter(year__gte=year_from)
    if year_to:
        rows = rows.filter(year__lte=year_to)
    return rows


@dataclass
class LogLine:
    """One line of the visitor log's table: a category (or a subtotal), its visits per year and in all."""

    label: str
    by_year: list[int]
    total: int
    css: str = ""
    key: str = ""


@dataclass
class Share:
    label: str
    count: int
    percent: float
    code: str = ""


@dataclass
class VisitorLog:
    years: list[int]
    lines: list[LogLine]  # the categories, then the clinicians' subtotal, the others', the total
    year_rows: list[dict]  # newest first: {"year", "cells" ((category label, count) each), "total"}
    categories: list[tuple[str, str]]
    countries: list[Share]
    institutions: list[Share]
    institutions_more: int  # institutions beyond those listed
    people: int  # different persons among the visits
    repeat_visits: int
    total: int
    first_year: int | None
    chart: dict | None = field(default=None)


def _share(count: int, total: int) -> float:
    return round(count * 100 / total, 1) if total else 0.0


def _year_chart(years: list[int], categories: list[tuple[str, str]], counts: dict) -> dict:
    """Visits by year, one stacked bar per year and a colour per category: the charts of ces.reports (server
    drawn SVG), their month labels turned into years."""
    data = ChartData(
        title=_("Visitors by year and category"),
        labels=[date(year, 1, 1) for year in years],
        series=[Series(label, [counts.get((value, year), 0) for year in years]) for value, label in categories],
        kind="bars",
        y_label=pgettext("visitor insights", "visitors"),
    )
    context = charts.render_context(data)
    for geometry in (context, context["wide"]):
        slot = (geometry["right"] - geometry["left"]) / max(len(years), 1)
        every = max(1, math.ceil(YEAR_ROOM / slot))
        for i, (label, year) in enumerate(zip(geometry["months"], years, strict=True)):
            label["label"] = str(year) if (len(years) - 1 - i) % every == 0 else ""
            label["year"] = ""
    return context


def visitor_log(user, *, category: str = "", year_from: int | None = None,
                year_to: int | None = None) -> VisitorLog:
    """The visitor log, as the case study's Table 1: visits by category and year since the program began,
    with the clinicians' subtotal, by country and by home institution, and a chart by year. Four queries."""
    rows = visits(user, category=category, year_from=year_from, year_to=year_to)
    counts = {(row["category"], row["year"]): row["n"]
              for row in rows.order_by().values("category", "year").annotate(n=Count("pk"))}
    by_country = list(rows.order_by().values("country").annotate(n=Count("pk")).order_by("-n", "country"))
    institutions = list(
        rows.exclude(institution="").order_by().annotate(key=Lower(Trim("institution"))).values("key")
        .annotate(n=Count("pk"), name=Min(Trim("institution"))).order_by("-n", "key")
    )
    people = rows.order_by().aggregate(people=Count("applicant", distinct=True),
                                       repeat=Count("pk", filter=Q(previous__isnull=False)))
    years = sorted({year for _category, year in counts if year is not None})
    if years:
        years = list(range(years[0], years[-1] + 1))  # a year without visitors is a zero, not a gap
    categories = [(value, str(label)) for value, label in Category.choices if not category or value == category]
    if any(c == "" for c, _year in counts):
        categories.append(("", pgettext("visitor insights", "Category not given")))

    def line(label, values, css="", key=""):
        by_year = [sum(counts.get((c, y), 0) for c in values) for y in years]
        return LogLine(label=label, by_year=by_year, total=sum(by_year), css=css, key=key)

    lines = [line(label, [value], key=value) for value, label in categories]
    clinicians = [v for v, _label in categories if v in CLINICIAN_CATEGORIES]
    others = [v for v, _label in categories if v not in CLINICIAN_CATEGORIES]
    total = sum(counts.values())
    if not category:
        lines.append(line(pgettext("visitor insights", "Clinicians"), clinicians, css="subtotal", key="clinicians"))
        lines.append(line(_("Students, graduates and others"), others, css="subtotal", key="others"))
    lines.append(line(_("Total"), [v for v, _label in categories], css="total", key="total"))
    year_rows = [{"year": year, "cells": [(label, counts.get((value, year), 0)) for value, label in categories],
                  "total": sum(counts.get((value, year), 0) for value, _label in categories)}
                 for year in reversed(years)]
    return VisitorLog(
        years=years, lines=lines, year_rows=year_rows, categories=categories,
        countries=[Share(label=countries.name(row["country"]) if row["country"] else pgettext("visitor insights",
                                                                                             "Country not given"),
                         code=row["country"], count=row["n"], percent=_share(row["n"], total))
                   for row in by_country],
        institutions=[Share(label=row["name"], count=row["n"], percent=_share(row["n"], total))
                      for row in institutions[:INSTITUTIONS_SHOWN]],
        institutions_more=max(len(institutions) - INSTITUTIONS_SHOWN, 0),
        people=people["people"], repeat_visits=people["repeat"], total=total,
        first_year=years[0] if years else None,
        chart=_year_chart(years, categories, counts) if years else None,
    )


# --- Feedback -----------------------------------------------------------------------------------------------

SCORES = ("mentorship", "clinical", "community", "host_family", "logistics")
FEEDBACK_GROUPS = ("clinic", "pasante", "family")


def _overall():
    return (F("mentorship") + F("clinical") + F("community") + F("host_family") + F("logistics")) / 5.0


def _surveys(user, *, date_from: date | None = None, date_to: date | None = None) -> QuerySet:
    if not can_see_visitor_insights(user):
        return ExitSurvey.objects.none()
    rows = ExitSurvey.objects.all()
    if date_from:
        rows = rows.filter(submitted_at__date__gte=date_from)
    if date_to:
        rows = rows.filter(submitted_at__date__lte=date_to)
    return rows


def _averages() -> dict:
    return {
        "surveys": Count("pk"),
        **{f"{score}_avg": Avg(score, output_field=FloatField()) for score in SCORES},
        "overall": Avg(_overall(), output_field=FloatField()),
    }


def exit_survey_scores(user, group: str, *, date_from: date | None = None, date_to: date | None = None) -> list[dict]:
    """Exit-survey averages (1 to 5) and counts per clinic, per paired pasante or per host family (``group``),
    best first. One query.

    Each dict: ``subject_id``, ``name`` (and ``community_name`` for a clinic or a family), ``surveys``, an
    average per score (``mentorship_avg``...), ``overall`` (the mean of the five)."""
    prefix = {"clinic": "placement__clinic", "pasante": "placement__pasante",
              "family": "placement__host_family"}[group]
    name = {"clinic": f"{prefix}__name", "pasante": f"{prefix}__full_name",
            "family": f"{prefix}__head_of_household"}[group]
    values = {"subject_id": F(prefix), "name": F(name)}
    if group in ("clinic", "family"):
        values["community_name"] = F(f"{prefix}__community__name")
    return list(
        _surveys(user, date_from=date_from, date_to=date_to).order_by().values(**values).annotate(**_averages())
        .order_by("-overall", "name", "subject_id")
    )


def feedback_summary(user, *, date_from: date | None = None, date_to: date | None = None) -> dict:
    """Every survey's averages together, and the pasantes' feedback on visitors: counts, mean rating, share who
    would work with them again. Two queries."""
    surveys = _surveys(user, date_from=date_from, date_to=date_to).aggregate(**_averages())
    feedback = _pasante_feedback(user, date_from=date_from, date_to=date_to).aggregate(
        count=Count("pk"), rating=Avg("rating", output_field=FloatField()),
        again=Count("pk", filter=Q(would_host_again=True)))
    feedback["again_percent"] = _share(feedback["again"], feedback["count"])
    return {"surveys": surveys, "feedback": feedback}


def exit_survey_comments(user, *, group: str = "", pk: int | None = None, date_from: date | None = None,
                         date_to: date | None = None) -> QuerySet:
    """The surveys with words in them (what worked best, what to improve, anything else), newest first, with
    the placement they judge; those about one clinic, pasante or family when ``group`` and ``pk`` say so."""
    rows = (_surveys(user, date_from=date_from, date_to=date_to)
            .exclude(best="", improve="", comments="")
            .select_related("application__applicant", "placement__clinic", "placement__pasante",
                            "placement__host_family__community")
            .annotate(overall=_overall())
            .order_by("-submitted_at", "-pk"))
    if group and pk is not None:
        column = {"clinic": "placement__clinic_id", "pasante": "placement__pasante_id",
                  "family": "placement__host_family_id"}[group]
        rows = rows.filter(**{column: pk})
    return rows


def _pasante_feedback(user, *, date_from: date | None = None, date_to: date | None = None) -> QuerySet:
    if not can_see_visitor_insights(user):
        return PasanteFeedback.objects.none()
    rows = PasanteFeedback.objects.all()
    if date_from:
        rows = rows.filter(submitted_at__date__gte=date_from)
    if date_to:
        rows = rows.filter(submitted_at__date__lte=date_to)
    return rows


def pasante_feedback_list(user, *, date_from: date | None = None, date_to: date | None = None) -> QuerySet:
    """The pasantes' word on their visitors, newest first, with the visitor and the placement."""
    return (_pasante_feedback(user, date_from=date_from, date_to=date_to)
            .select_related("placement__application__applicant", "placement__clinic", "placement__pasante")
            .order_by("-submitted_at", "-pk"))

