"""The visitor program's reports (see ces.reports.registry), for coordinators, the visitor program and admins
(``selectors.can_see_visitor_insights``, as the visitor log and feedback pages):

- ``visitor-log``: visits by year, category, country and home institution since the program began (the
  case study's Table 1, one row per combination, to pivot in a spreadsheet);
- ``visitor-placements``: confirmed placements by clinic and month, with the visitor-days in each month;
- ``visitor-host-nights``: the nights visitors spent with each host family by month and what they are owed
  for them (the stays recorded when a placement is confirmed, at the rates copied into each stay);
- ``visitor-exit-surveys``: exit-survey averages by clinic, by paired pasante and by host family.

Each is one plain SELECT of typed cells, so the CSV is PostgreSQL's COPY and the Excel file reads the same
rows (docs/decisions/0007 and 0013). Labels (categories, countries, the groups) are passed as parameters
in the requester's language; months are written ``mm/yyyy`` by the query itself.
"""

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy
from django_countries import countries

from ces.core.forms import UNKNOWN_CHOICE, DateField
from ces.reports.registry import Column, Report, Sql, register
from clinics.models import Clinic, Community, HostFamily, HostStay, Staff

from . import selectors
from .forms.insights import FeedbackFilterForm, VisitorLogFilterForm
from .models import Application, Category, ExitSurvey, Placement

FIRST_YEAR, LAST_YEAR = 2000, 2100


def _labels(choices) -> tuple[list[str], list[str]]:
    """Codes and their labels in the active language, as two arrays for an ``unnest`` lookup in SQL."""
    pairs = list(choices)
    return [str(code) for code, _label in pairs], [str(label) for _code, label in pairs]


def _label_of(column: str) -> str:
    """SQL: the label of ``column``'s code among the two arrays passed next (the code itself if unknown)."""
    return (f"coalesce((SELECT lookup.label FROM unnest(%s::text[], %s::text[]) AS lookup(code, label) "
            f"WHERE lookup.code = {column}), {column})")


def _time_zone() -> str:
    return timezone.get_current_timezone_name() if settings.USE_TZ else "UTC"


# --- The visitor log ----------------------------------------------------------------------------------------

VISITOR_LOG_SQL = f"""
WITH visits AS (
    SELECT a.category, a.country, btrim(a.institution) AS institution,
           extract(year FROM coalesce(
               (SELECT p.start_date FROM {Placement._meta.db_table} p
                 WHERE p.application_id = a.id AND p.state = 'confirmed' ORDER BY p.start_date LIMIT 1),
               a.wanted_start, (a.created_at AT TIME ZONE %s)::date))::integer AS year
    FROM {Application._meta.db_table} a
    WHERE %s AND a.state = ANY(%s::text[]) AND (%s = '' OR a.category = %s)
)
SELECT year, category, country, institution, visitors FROM (
    SELECT year, {_label_of("category")} AS category, {_label_of("country")} AS country,
           min(institution) AS institution, count(*) AS visitors, lower(institution) AS institution_key
    FROM visits
    WHERE (%s::integer IS NULL OR year >= %s::integer) AND (%s::integer IS NULL OR year <= %s::integer)
    GROUP BY year, visits.category, visits.country, lower(institution)
) AS grouped
ORDER BY year, category, country, institution_key
"""


def visitor_log_rows(user, filters: dict) -> Sql:
    category = filters.get("category") or ""
    year_from, year_to = filters.get("year_from"), filters.get("year_to")
    return Sql(VISITOR_LOG_SQL, [
        _time_zone(), selectors.can_see_visitor_insights(user), list(Application.VISITED_STATES), category, category,
        *_labels(Category.choices), *_labels(countries), year_from, year_from, year_to, year_to,
    ])


register(Report(
    key="visitor-log",
    title=pgettext_lazy("visitor insights", "Visitor log"),
    description=_("Every visitor who came since the program began, by year, category, country of residence and "
                  "home institution (one row per combination, with the number of visitors)."),
    columns=[
        Column("year", pgettext_lazy("visitor insights", "Year")),
        Column("category", _("Category")),
        Column("country", pgettext_lazy("visitor insights", "Country of residence")),
        Column("institution", pgettext_lazy("visitor insights", "Home institution")),
        Column("visitors", pgettext_lazy("visitor insights", "Visitors")),
    ],
    form=VisitorLogFilterForm,
    rows=visitor_log_rows,
    allowed=selectors.can_see_visitor_insights,
    order=70,
))


# --- Placements and host-family nights by month -------------------------------------------------------------


class MonthsFilterForm(forms.Form):
    date_from = DateField(label=_("From"), required=False, help_text=_("The month of this day is included."))
    date_to = DateField(label=_("To"), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        for name in ("date_from", "date_to"):
            if data.get(name) and not FIRST_YEAR <= data[name].year <= LAST_YEAR:
                self.add_error(name, _("Choose a date from the year %(first)d to %(last)d.")
                               % {"first": FIRST_YEAR, "last": LAST_YEAR})
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("The end of the period cannot be before its start."))
        return data


class PlacementMonthsFilterForm(MonthsFilterForm):
    clinic = forms.ModelChoiceField(label=_("Clinic"), required=False, queryset=Clinic.objects.none(),
                                    empty_label=_("All clinics"), error_messages=UNKNOWN_CHOICE)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinic"].queryset = Clinic.objects.filter(visitor_placements__isnull=False).distinct() \
            .order_by("name")


class HostNightsFilterForm(MonthsFilterForm):
    community = forms.ModelChoiceField(label=_("Community"), required=False, queryset=Community.objects.none(),
                                       empty_label=_("All communities"), error_messages=UNKNOWN_CHOICE)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = Community.objects.filter(
            host_families__visitor_placements__isnull=False).distinct().order_by("name")


def _month_bounds(filters: dict) -> list:
    date_from, date_to = filters.get("date_from"), filters.get("date_to")
    return [date_from, date_from, date_to, date_to]


# The months of each confirmed placement (a cancelled one never happened), each with its days in that month.
PLACEMENT_MONTHS_SQL = f"""
SELECT clinic, community, month, visitors, visitor_days FROM (
    SELECT c.name AS clinic, co.name AS community, to_char(m.month, 'MM/YYYY') AS month,
           count(DISTINCT p.id) AS visitors, sum(m.days)::integer AS visitor_days, c.id AS clinic_id,
           m.month AS month_start
    FROM {Placement._meta.db_table} p
    JOIN {Clinic._meta.db_table} c ON c.id = p.clinic_id
    JOIN {Community._meta.db_table} co ON co.id = c.community_id
    CROSS JOIN LATERAL (
        SELECT date_trunc('month', day)::date AS month, count(*) AS days
        FROM generate_series(p.start_date, p.end_date, interval '1 day') AS day GROUP BY 1
    ) AS m
    WHERE %s AND p.state = 'confirmed'
      AND (%s::date IS NULL OR m.month >= date_trunc('month', %s::date))
      AND (%s::date IS NULL OR m.month <= %s::date)
      AND (%s::bigint IS NULL OR p.clinic_id = %s::bigint)
    GROUP BY c.name, c.id, co.name, m.month
) AS grouped
ORDER BY clinic, clinic_id, month_start
"""


def placement_month_rows(user, filters: dict) -> Sql:
    clinic = filters.get("clinic")
    clinic_id = clinic.pk if clinic else None
    return Sql(PLACEMENT_MONTHS_SQL, [selectors.can_see_visitor_insights(user), *_month_bounds(filters),
                                      clinic_id, clinic_id])


register(Report(
    key="visitor-placements",
    title=_("Visitor placements by clinic and month"),
    description=_("The confirmed placements of visitors in each clinic, month by month: how many visitors and "
                  "how many visitor-days."),
    columns=[
        Column("clinic", _("Clinic")),
        Column("community", _("Community")),
        Column("month", _("Month")),
        Column("visitors", pgettext_lazy("visitor insights", "Visitors")),
        Column("visitor_days", pgettext_lazy("visitor insights", "Visitor-days")),
    ],
    form=PlacementMonthsFilterForm,
    rows=placement_month_rows,
    allowed=selectors.can_see_visitor_insights,
    order=71,
))


# The stays recorded with host families when visitors' placements were confirmed: every night in its month,
# with its meals, at the rates copied into the stay (as the host-family balances of the clinics app count them).
HOST_NIGHTS_SQL = f"""
SELECT community, family, month, visitors, nights, owed FROM (
    SELECT co.name AS community, f.head_of_household AS family, to_char(m.month, 'MM/YYYY') AS month,
           count(DISTINCT s.id) AS visitors, sum(m.nights)::integer AS nights,
           sum(m.nights * (s.rate_per_night + s.meals_per_day * s.rate_per_meal)) AS owed,
           f.id AS family_id, m.month AS month_start
    FROM {Placement._meta.db_table} p
    JOIN {HostStay._meta.db_table} s ON s.id = p.host_stay_id
    JOIN {HostFamily._meta.db_table} f ON f.id = s.family_id
    JOIN {Community._meta.db_table} co ON co.id = f.community_id
    CROSS JOIN LATERAL (
        SELECT date_trunc('month', night)::date AS month, count(*) AS nights
        FROM generate_series(s.first_night, s.last_night, interval '1 day') AS night GROUP BY 1
    ) AS m
    WHERE %s AND p.state = 'confirmed'
      AND (%s::date IS NULL OR m.month >= date_trunc('month', %s::date))
      AND (%s::date IS NULL OR m.month <= %s::date)
      AND (%s::bigint IS NULL OR f.community_id = %s::bigint)
    GROUP BY co.name, f.head_of_household, f.id, m.month
) AS grouped
ORDER BY community, family, family_id, month_start
"""


def host_night_rows(user, filters: dict) -> Sql:
    community = filters.get("community")
    community_id = community.pk if community else None
    return Sql(HOST_NIGHTS_SQL, [selectors.can_see_visitor_insights(user), *_month_bounds(filters),
                                 community_id, community_id])


register(Report(
    key="visitor-host-nights",
    title=_("Visitors' nights with host families and amounts owed, by month"),
    description=_("The nights visitors spent with each host family, month by month, and what the family is owed "
                  "for them (nights and meals at the rates of each stay). Payments are in the host families' "
                  "balances report."),
    columns=[
        Column("community", _("Community")),
        Column("family", _("Family")),
        Column("month", _("Month")),
        Column("visitors", pgettext_lazy("visitor insights", "Visitors")),
        Column("nights", _("Nights")),
        Column("owed", _("Owed (MXN)")),
    ],
    form=HostNightsFilterForm,
    rows=host_night_rows,
    allowed=selectors.can_see_visitor_insights,
    order=72,
))


# --- Exit-survey scores --------------------------------------------------------------------------------------

_SCORES = ", ".join(f"round(avg(e.{score})::numeric, 2)" for score in selectors.SCORES)
_OVERALL = ("round(avg((e.mentorship + e.clinical + e.community + e.host_family + e.logistics)::numeric / 5), 2)")
_FROM = f"FROM {ExitSurvey._meta.db_table} e JOIN {Placement._meta.db_table} p ON p.id = e.placement_id"
_WHERE = """
    WHERE %s AND (%s::date IS NULL OR (e.submitted_at AT TIME ZONE %s)::date >= %s::date)
      AND (%s::date IS NULL OR (e.submitted_at AT TIME ZONE %s)::date <= %s::date)
"""
EXIT_SURVEY_SQL = f"""
SELECT kind_label, name, community, surveys, mentorship, clinical, community_life, host_family, logistics, overall
FROM (
    SELECT 1 AS part, %s AS kind_label, c.name AS name, co.name AS community, count(*) AS surveys, {_SCORES},
           {_OVERALL}, c.id AS pk
    {_FROM}
    JOIN {Clinic._meta.db_table} c ON c.id = p.clinic_id JOIN {Community._meta.db_table} co ON co.id = c.community_id
    {_WHERE}
    GROUP BY c.id, c.name, co.name
    UNION ALL
    SELECT 2, %s, st.full_name, NULL, count(*), {_SCORES}, {_OVERALL}, st.id
    {_FROM}
    JOIN {Staff._meta.db_table} st ON st.id = p.pasante_id
    {_WHERE}
    GROUP BY st.id, st.full_name
    UNION ALL
    SELECT 3, %s, f.head_of_household, co.name, count(*), {_SCORES}, {_OVERALL}, f.id
    {_FROM}
    JOIN {HostFamily._meta.db_table} f ON f.id = p.host_family_id
    JOIN {Community._meta.db_table} co ON co.id = f.community_id
    {_WHERE}
    GROUP BY f.id, f.head_of_household, co.name
) AS scores(part, kind_label, name, community, surveys, mentorship, clinical, community_life, host_family, logistics,
            overall, pk)
ORDER BY part, name, community, pk
"""


def exit_survey_rows(user, filters: dict) -> Sql:
    allowed = selectors.can_see_visitor_insights(user)
    date_from, date_to, zone = filters.get("date_from"), filters.get("date_to"), _time_zone()
    period = [allowed, date_from, zone, date_from, date_to, zone, date_to]
    return Sql(EXIT_SURVEY_SQL, [pgettext("visitor insights", "Clinic"), *period,
                                 pgettext("visitor insights", "Pasante"), *period,
                                 pgettext("visitor insights", "Host family"), *period])


register(Report(
    key="visitor-exit-surveys",
    title=_("Exit-survey scores by clinic, pasante and host family"),
    description=_("The averages (1 to 5) of visitors' exit surveys for each clinic, paired pasante and host "
                  "family, with the number of surveys."),
    columns=[
        Column("kind_label", pgettext_lazy("visitor insights", "For")),
        Column("name", _("Name")),
        Column("community", _("Community")),
        Column("surveys", pgettext_lazy("visitor insights", "Surveys")),
        Column("mentorship", pgettext_lazy("visitor insights", "Mentorship")),
        Column("clinical", pgettext_lazy("visitor insights", "Clinical experience")),
        Column("community_life", pgettext_lazy("visitor insights", "Life in the community")),
        Column("host_family", pgettext_lazy("visitor insights", "Host family")),
        Column("logistics", pgettext_lazy("visitor insights", "Logistics")),
        Column("overall", pgettext_lazy("visitor insights", "Overall")),
    ],
    form=FeedbackFilterForm,
    rows=exit_survey_rows,
    allowed=selectors.can_see_visitor_insights,
    order=73,
))
