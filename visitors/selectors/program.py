"""visitors.selectors.program: the visitor program's reads. The board of applications by state, the calendar
of the clinics that receive visitors, the choices of the review page's forms, and the pasante's view of
the visitors paired with them. Each runs a fixed number of queries whatever the number of rows."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.db.models import Count, F, Prefetch, QuerySet
from django.db.models.expressions import Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone

from clinics.models import Cadre, Clinic, HostFamily, Staff
from clinics.selectors import current_clinic_names

from ..models import Application, Document, Placement
from .applications import placements_for_pasante

__all__ = [
    "BOARD_CARDS_PER_COLUMN",
    "CALENDAR_MONTHS",
    "BoardColumn",
    "CalendarClinic",
    "CalendarWeek",
    "board",
    "board_summary",
    "calendar",
    "driver_choices",
    "host_family_choices",
    "pasante_choices",
    "pasante_placement_for",
    "pasante_placements",
    "placement_clinic_choices",
    "review_documents",
]

State = Application.State

# A column shows the cards that wait longest first; beyond this many, its count says how many more there are.
BOARD_CARDS_PER_COLUMN = 40
CALENDAR_MONTHS = 6


# --- The board ------------------------------------------------------------------------------------------


@dataclass
class BoardColumn:
    state: str
    label: str
    count: int
    cards: list = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.count - len(self.cards)


def _board_filtered(*, category="", start_from=None, start_to=None, institution="", country="",
                    repeat=None) -> QuerySet:
    rows = Application.objects.filter(state__in=Application.OPEN_STATES)
    if category:
        rows = rows.filter(category=category)
    if start_from:
        rows = rows.filter(wanted_start__gte=start_from)
    if start_to:
        rows = rows.filter(wanted_start__lte=start_to)
    if institution:
        rows = rows.filter(institution__icontains=institution)
    if country:
        rows = rows.filter(country=country)
    if repeat is True:
        rows = rows.filter(previous__isnull=False)
    elif repeat is False:
        rows = rows.filter(previous__isnull=True)
    return rows


def board(*, category="", start_from=None, start_to=None, institution="", country="", repeat=None,
          per_column: int = BOARD_CARDS_PER_COLUMN) -> list[BoardColumn]:
    """The open applications in one column per state (``Application.OPEN_STATES``, in the journey's
    order), each with its count and the ``per_column`` cards waiting longest (oldest state change first).
    Two queries: the counts, and the cards (a window numbers each column's rows, so a column of thousands
    costs no more than one of ten)."""
    rows = _board_filtered(category=category, start_from=start_from, start_to=start_to,
                           institution=institution, country=country, repeat=repeat)
    counts = dict(rows.order_by().values_list("state").annotate(n=Count("pk")))
    ranked = rows.annotate(
        place=Window(RowNumber(), partition_by=[F("state")], order_by=[F("state_changed_at").asc(), F("pk").asc()]),
    ).filter(place__lte=per_column).order_by("state_changed_at", "pk")
    columns = {state: BoardColumn(state, State(state).label, counts.get(state, 0)) for state in Application.OPEN_STATES}
    for application in ranked.only(
        "pk", "state", "full_name", "category", "wanted_start", "wanted_end", "institution", "country",
        "previous_id", "state_changed_at", "applicant_id",
    ):
        columns[application.state].cards.append(application)
    return list(columns.values())


def board_summary() -> dict:
    """For the program's home panel: the number of open applications in each state and the one waiting
    longest for the program (submitted or interviewed: the program's move). Two queries."""
    counts = dict(
        Application.objects.filter(state__in=Application.OPEN_STATES).order_by().values_list("state")
        .annotate(n=Count("pk"))
    )
    oldest = (
        Application.objects.filter(state__in=(State.SUBMITTED, State.INTERVIEWED))
        .order_by("state_changed_at", "pk").only("pk", "state", "full_name", "category", "state_changed_at")
        .first()
    )
    return {
        "columns": [BoardColumn(s, State(s).label, counts.get(s, 0)) for s in Application.OPEN_STATES],
        "total": sum(counts.values()),
        "oldest": oldest,
    }


# --- The review page ------------------------------------------------------------------------------------


def review_documents(application) -> list[Document]:
    """The application's documents, the current one of each kind first, a replaced one marked by its
    ``replaced_at``. One query."""
    return list(application.documents.order_by("kind", F("replaced_at").desc(nulls_first=True), "-uploaded_at"))


def placement_clinic_choices() -> QuerySet:
    """The clinics a visitor may be placed at: active, in a community that accepts visitors."""
    return (Clinic.objects.filter(active=True, community__accepts_visitors=True)
            .select_related("community").order_by("name"))


def pasante_choices(*, today: date | None = None) -> QuerySet:
    """The active pasantes, each with ``clinic_names`` (where they are posted today): the paired pasante."""
    return (Staff.objects.filter(active=True, cadre=Cadre.PASANTE)
            .annotate(clinic_names=current_clinic_names(today)).order_by("full_name"))


def host_family_choices() -> QuerySet:
    """The active host families in communities that accept visitors."""
    return (HostFamily.objects.filter(active=True, community__accepts_visitors=True)
            .select_related("community").order_by("community__name", "head_of_household"))


def driver_choices() -> QuerySet:
    """The staff list's active drivers: who may pick a visitor up."""
    return Staff.objects.filter(active=True, cadre=Cadre.DRIVER).order_by("full_name")


# --- The calendar ---------------------------------------------------------------------------------------


@dataclass
class CalendarWeek:
    monday: date
    # The most visitors there on one day of the week, and the fewest: a week is free when a new visitor
    # fits every day of it, full when no day has room, partly free otherwise.
    most: int = 0
    fewest: int = 0
    capacity: int = 1

    @property
    def status(self) -> str:
        if self.most < self.capacity:
            return "free"
        if self.fewest >= self.capacity:
            return "full"
        return "partly"

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)


@dataclass
class CalendarClinic:
    clinic: Clinic
    capacity: int
    placements: list
    weeks: list

    @property
    def free_weeks(self) -> int:
        return sum(1 for week in self.weeks if week.status == "free")


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def calendar(*, today: date | None = None, months: int = CALENDAR_MONTHS, clinic_id=None) -> dict:
    """The coming ``months`` from this week's Monday, week by week, for every active clinic whose community
    accepts visitors: the visitors placed there (proposed or confirmed, with their dates) and, per week,
    how many are there against the community's visitor capacity (1 when unset). Two queries."""
    today = today or timezone.localdate()
    first = _monday(today)
    last = today + relativedelta(months=months)
    mondays = []
    monday = first
    while monday <= last:
        mondays.append(monday)
        monday += timedelta(days=7)
    end = mondays[-1] + timedelta(days=6)
    live = Placement.objects.exclude(state=Placement.State.CANCELLED).filter(start_date__lte=end, end_date__gte=first)
    clinics = placement_clinic_choices()
    if clinic_id:
        clinics = clinics.filter(pk=clinic_id)
    clinics = clinics.prefetch_related(
        Prefetch("visitor_placements",
                 queryset=live.select_related("application").only(
                     "pk", "clinic_id", "state", "start_date", "end_date", "application__full_name",
                     "application__category", "application__id", "application__state",
                 ).order_by("start_date", "pk"),
                 to_attr="coming"),
    )
    rows = []
    for clinic in clinics:
        capacity = clinic.community.visitor_capacity or 1
        weeks = []
        for monday in mondays:
            per_day = [
                sum(1 for p in clinic.coming if p.start_date <= monday + timedelta(days=d) <= p.end_date)
                for d in range(7)
            ]
            weeks.append(CalendarWeek(monday, most=max(per_day), fewest=min(per_day), capacity=capacity))
        rows.append(CalendarClinic(clinic, capacity, clinic.coming, weeks))
    month_heads = []
    for monday in mondays:
        if not month_heads or month_heads[-1][0].month != monday.month:
            month_heads.append([monday.replace(day=1), 0])
        month_heads[-1][1] += 1
    return {"first": first, "last": end, "mondays": mondays, "clinics": rows,
            "months": [{"month": m, "weeks": n} for m, n in month_heads]}


# --- The pasante ----------------------------------------------------------------------------------------


def pasante_placements(user) -> QuerySet:
    """``placements_for_pasante``: the visitors paired with ``user`` as pasante (proposed or confirmed), with
    what their pages show (the arrival, the host family's community, the feedback given)."""
    return placements_for_pasante(user).select_related(
        "clinic__community", "host_family__community", "pasante", "application__arrival", "pasante_feedback")


def pasante_placement_for(user, pk) -> Placement:
    """One placement of a visitor paired with ``user``; Http404 for any other (another clinic's pasante)."""
    try:
        return pasante_placements(user).get(pk=pk)
    except (Placement.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
