"""The clinics reports (see ces.reports.registry): the pasante roster with its coverage chart, and the
staff directory. Rows come from the selectors, so an export is scoped exactly like the pages."""

from datetime import date, timedelta
from functools import lru_cache

from django import forms
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ces.accounts.roles import Role
from ces.reports.registry import ChartData, Column, Month, Report, Series, Sql, register
from ces.reports.rows import choice_label

from . import selectors
from .forms.staffing import UNKNOWN_CHOICE, DateField, StaffFilterForm
from .models import Assignment, Cadre, Clinic, Community

CHART_MAX_MONTHS = 24


class RosterFilterForm(forms.Form):
    date_from = DateField(label=_("From"), required=False)
    date_to = DateField(label=_("To"), required=False)
    clinic = forms.ModelChoiceField(label=_("Clinic"), required=False, queryset=Clinic.objects.none(),
                                    empty_label=_("All clinics"), error_messages=UNKNOWN_CHOICE)
    by_clinic = forms.BooleanField(label=_("Chart one line per clinic"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinic"].queryset = selectors.clinics_visible_to(user).order_by("name")

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("The end of the period cannot be before its start."))
        return data


def _pasante_assignments(user, filters: dict):
    qs = selectors.assignments_visible_to(user).filter(role=Assignment.Role.PASANTE)
    if filters.get("clinic"):
        qs = qs.filter(clinic=filters["clinic"])
    if filters.get("date_to"):
        qs = qs.filter(start_date__lte=filters["date_to"])
    if filters.get("date_from"):
        qs = qs.exclude(end_date__lt=filters["date_from"])
    return qs


def roster_rows(user, filters: dict):
    return (
        _pasante_assignments(user, filters)
        .select_related("clinic__community", "staff__cohort")
        .order_by("clinic__name", "start_date", "pk")
    )


def _month_starts(first: date, last: date) -> list[date]:
    months, month = [], date(first.year, first.month, 1)
    while month <= last and len(months) < CHART_MAX_MONTHS:
        months.append(month)
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return months


def _next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def coverage_chart(user, filters: dict, *, today: date | None = None) -> ChartData:
    """Covered clinic-days by month: the days a pasante held each clinic, summed, per month of the period
    (by default this month and the next eleven). One query."""
    today = today or timezone.localdate()
    first = filters.get("date_from") or date(today.year, today.month, 1)
    last = filters.get("date_to") or (date(first.year + 1, first.month, 1) - timedelta(days=1))
    months = _month_starts(first, last)
    window_end = _next_month(months[-1]) - timedelta(days=1)
    assignments = _pasante_assignments(user, {**filters, "date_from": months[0], "date_to": window_end})
    by_clinic: dict[str, list[int]] = {}
    for name, start, end in assignments.values_list("clinic__name", "start_date", "end_date"):
        values = by_clinic.setdefault(name, [0] * len(months))
        for i, month in enumerate(months):
            month_end = _next_month(month) - timedelta(days=1)
            days = (min(end or month_end, month_end) - max(start, month)).days + 1
            if days > 0:
                values[i] += days
    if filters.get("by_clinic"):
        series = [Series(name, values) for name, values in sorted(by_clinic.items())]
        kind = "lines"
    else:
        totals = [sum(v[i] for v in by_clinic.values()) for i in range(len(months))]
        series = [Series(str(_("All clinics")) if not filters.get("clinic") else str(filters["clinic"]), totals)]
        kind = "bars"
    return ChartData(title=str(_("Covered clinic-days by month")), labels=months, series=series, kind=kind,
                     y_label=str(_("days")))


register(Report(
    key="pasante-roster",
    title=_("Pasante roster and clinic coverage"),
    description=_("Every pasante assignment per clinic, with the days each clinic had a pasante, month by month."),
    columns=[
        Column("clinic", _("Clinic"), lambda a: a.clinic.name, sql=F("clinic__name")),
        Column("community", _("Community"), lambda a: a.clinic.community.name, sql=F("clinic__community__name")),
        Column("pasante", _("Pasante"), lambda a: a.staff.full_name, sql=F("staff__full_name")),
        Column("cohort", _("Cohort"), lambda a: a.staff.cohort.name if a.staff.cohort_id else "",
               sql=Coalesce(F("staff__cohort__name"), Value(""))),
        Column("start", _("Start"), lambda a: a.start_date, sql=F("start_date")),
        Column("end", _("End"), lambda a: a.end_date, sql=F("end_date")),
    ],
    form=RosterFilterForm,
    rows=roster_rows,
    allowed=selectors.can_see_pasante_roster,
    chart=coverage_chart,
    home_roles=frozenset({Role.COORDINATOR}),
    order=10,
))


@lru_cache(maxsize=64)
def _cadre_label(cadre: str, language: str) -> str:
    # get_cadre_display() hashes the lazy choices on every call: a third of a big export's time.
    return str(Cadre(cadre).label) if cadre in Cadre.values else cadre


class StaffDirectoryFilterForm(StaffFilterForm):
    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, clinics=selectors.clinics_visible_to(user).order_by("name"), **kwargs)
        self.fields["clinic"].error_messages.update(UNKNOWN_CHOICE)
        self.fields["cadre"].error_messages.update(UNKNOWN_CHOICE)
        self.fields["active"].error_messages.update(UNKNOWN_CHOICE)


def staff_rows(user, filters: dict):
    active = {"1": True, "0": False}.get(filters.get("active") or "")
    clinic = filters.get("clinic")
    return selectors.staff_directory(user, search=filters.get("q") or "", cadre=filters.get("cadre") or "",
                                     clinic_id=clinic.pk if clinic else None, active=active)


register(Report(
    key="staff-directory",
    title=_("Staff directory"),
    description=_("Everyone who works in the clinics you see: cadre, contact, current clinic and cohort."),
    columns=[
        Column("name", _("Name"), lambda s: s.full_name, sql=F("full_name")),
        Column("cadre", _("Cadre"), lambda s: _cadre_label(s.cadre, get_language()),
               sql=lambda: choice_label("cadre", Cadre)),
        Column("email", _("E-mail"), lambda s: s.email, sql=F("email")),
        Column("phone", _("Phone"), lambda s: s.phone, sql=F("phone")),
        Column("clinic", _("Current clinic"), lambda s: ", ".join(a.clinic.name for a in s.current_assignments),
               sql=lambda: selectors.current_clinic_names()),
        Column("cohort", _("Cohort"), lambda s: s.cohort.name if s.cohort_id else "",
               sql=Coalesce(F("cohort__name"), Value(""))),
        Column("active", _("Active"), lambda s: s.active, sql=F("active")),
    ],
    form=StaffDirectoryFilterForm,
    rows=staff_rows,
    allowed=selectors.can_see_clinics,
    order=20,
))


# --- Host families: owed and paid by family and month (hosts10) ---------------------------------------------


class HostFamilyReportForm(forms.Form):
    date_from = DateField(label=_("From"), required=False)
    date_to = DateField(label=_("To"), required=False)
    community = forms.ModelChoiceField(label=_("Community"), required=False, queryset=Community.objects.none(),
                                       empty_label=_("All communities"), error_messages=UNKNOWN_CHOICE)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = Community.objects.filter(host_families__isnull=False).distinct()

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("The end of the period cannot be before its start."))
        return data


# Owed: every night of every stay in its month, with its meals, at the stay's rates (a cancelled stay is
# owed nothing). Paid: every payment
# in the month of its date. The balance runs over all the family's months (those before the period too);
# after each family's months comes its total over the period (its balance: the one at the period's end),
# and last the total of all the families.
HOST_FAMILY_MONTHS_SQL = """
WITH owed AS (
    SELECT s.family_id, date_trunc('month', night)::date AS month,
           sum(s.rate_per_night + s.meals_per_day * s.rate_per_meal) AS owed
    FROM clinics_hoststay s
    CROSS JOIN LATERAL generate_series(s.first_night, s.last_night, interval '1 day') AS night
    WHERE s.cancelled_at IS NULL
    GROUP BY 1, 2
), paid AS (
    SELECT family_id, date_trunc('month', paid_on)::date AS month, sum(amount) AS paid
    FROM clinics_hostpayment GROUP BY 1, 2
), months AS (
    SELECT family_id, month, coalesce(owed, 0.00) AS owed, coalesce(paid, 0.00) AS paid,
           sum(coalesce(owed, 0.00) - coalesce(paid, 0.00)) OVER (PARTITION BY family_id ORDER BY month) AS balance
    FROM owed FULL OUTER JOIN paid USING (family_id, month)
), shown AS (
    SELECT c.name AS community, f.head_of_household AS family, f.id AS family_id, m.month, m.owed, m.paid,
           m.balance
    FROM months m
    JOIN clinics_hostfamily f ON f.id = m.family_id
    JOIN clinics_community c ON c.id = f.community_id
    WHERE %s AND (%s::date IS NULL OR m.month >= date_trunc('month', %s::date))
      AND (%s::date IS NULL OR m.month <= %s::date)
      AND (%s::bigint IS NULL OR f.community_id = %s::bigint)
), family_totals AS (
    SELECT community, family, family_id, NULL::date AS month, sum(owed) AS owed, sum(paid) AS paid,
           (array_agg(balance ORDER BY month DESC))[1] AS balance
    FROM shown GROUP BY community, family, family_id
)
SELECT community, family, month, owed, paid, balance FROM (
    SELECT *, 0 AS grand FROM shown
    UNION ALL SELECT *, 0 FROM family_totals
    UNION ALL SELECT NULL, NULL, NULL, NULL, sum(owed), sum(paid), sum(balance), 1 FROM family_totals
    HAVING count(*) > 0
) AS report_rows
ORDER BY grand, community, family, family_id, month NULLS LAST
"""


def host_family_month_rows(user, filters: dict) -> Sql:
    community = filters.get("community")
    community_id = community.pk if community else None
    date_from, date_to = filters.get("date_from"), filters.get("date_to")
    # The roles who may run the report see every family (selectors.host_families_visible_to); anyone else
    # gets no row, should the report ever be opened to them.
    allowed = selectors.can_manage_host_families(user)
    return Sql(HOST_FAMILY_MONTHS_SQL, [allowed, date_from, date_from, date_to, date_to, community_id, community_id])


def _host_month_cell(row):
    if row[2] is not None:
        return Month.of(row[2])
    return str(_("Total")) if row[1] is not None else str(_("Total of all families"))


register(Report(
    key="host-family-balances",
    title=_("Host families: owed and paid by month"),
    description=_("What each host family was owed for its guests' nights and meals, and what it was paid, month "
                  "by month, with each family's balance and the totals."),
    columns=[
        Column("community", _("Community"), lambda r: r[0] or ""),
        Column("family", _("Family"), lambda r: r[1] or ""),
        Column("month", _("Month"), _host_month_cell),
        Column("owed", _("Owed (MXN)"), lambda r: r[3]),
        Column("paid", _("Paid (MXN)"), lambda r: r[4]),
        Column("balance", _("Balance (MXN)"), lambda r: r[5]),
    ],
    form=HostFamilyReportForm,
    rows=host_family_month_rows,
    allowed=selectors.can_manage_host_families,
    order=30,
))
