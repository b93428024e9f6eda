"""Reads and per-user scoping for clinics, staff, assignments and patients.

Every view and API viewset fetches through these. A network-wide role (coordinator, pharmacy,
visitor program, admin) sees every clinic; a supervisor, pasante or CHW sees the clinics of the
assignments active today; everyone else sees nothing.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.postgres.aggregates import StringAgg
from django.db.models import CharField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from ces.accounts.roles import CLINIC_ROLES, Role

from .coverage import COVERAGE_DAYS, Segment, coverage_segments
from .models import Assignment, Clinic, Patient, Staff, SupervisionVisit

# Roles allowed to see the patient registry at all (default-deny for pharmacy and visitors).
PATIENT_WIDE_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})
# Roles that create, end and move assignments and manage cohorts.
STAFFING_ROLES = (Role.COORDINATOR, Role.ADMIN)


def active_on(day: date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}start_date__lte": day}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": day})
    )


def _clinic_ids_of(user, day: date | None = None, roles=CLINIC_ROLES) -> QuerySet:
    """The clinics where the user holds an assignment on ``day`` (today), in one of ``roles`` that they also
    hold as a user."""
    day = day or timezone.localdate()
    roles = user.roles & roles
    return (
        Assignment.objects.filter(active_on(day), staff__user=user, role__in=roles)
        .values("clinic_id")
    )


def clinics_visible_to(user) -> QuerySet:
    if not user.is_authenticated:
        return Clinic.objects.none()
    if user.is_network_wide:
        return Clinic.objects.all()
    if user.roles & CLINIC_ROLES:
        return Clinic.objects.filter(pk__in=_clinic_ids_of(user))
    return Clinic.objects.none()


def clinic_for(user, pk) -> Clinic:
    """The clinic, if the user may see it; ``Clinic.DoesNotExist`` otherwise (the views answer 404)."""
    return clinics_visible_to(user).select_related("community").get(pk=pk)


# --- Who may do what: one predicate per permission, used by the pages, the API's permission classes and
# the reports alike --------------------------------------------------------------------------------------

def can_see_clinics(user) -> bool:
    """Clinics, communities, staff and assignments: a network-wide role, or a role whose reach comes from an
    assignment to a clinic (which clinics, ``clinics_visible_to`` says)."""
    if not user.is_authenticated:
        return False
    if user.is_network_wide:
        return True
    return bool(user.roles & CLINIC_ROLES)


def can_see_patients(user) -> bool:
    """The patient registry: coordinators and admins (every patient), supervisors, pasantes and CHWs (those
    of their clinics). Pharmacy and the visitor program never."""
    if not user.is_authenticated:
        return False
    if user.roles & PATIENT_WIDE_ROLES:
        return True
    return bool(user.roles & CLINIC_ROLES)


def can_see_pasante_roster(user) -> bool:
    """The roster of pasante posts and the clinics' coverage: coordinators, admins, supervisors and the
    visitor program (who plans visits around the posts)."""
    if not user.is_authenticated:
        return False
    return user.has_role(Role.COORDINATOR, Role.ADMIN, Role.SUPERVISOR, Role.VISITOR_PROGRAM)


def can_manage_staffing(user) -> bool:
    """Create, end and move assignments; manage cohorts."""
    if not user.is_authenticated:
        return False
    return user.has_role(*STAFFING_ROLES)


def can_record_supervision(user, clinic: Clinic, *, in_reach: bool | None = None) -> bool:
    """Coordinators and admins at any clinic; a supervisor at a clinic they reach. ``in_reach``: already known
    whether the user sees the clinic (it came through ``clinic_for``), which saves the query."""
    if not user.is_authenticated:
        return False
    if user.has_role(*STAFFING_ROLES):
        return True
    if not user.has_role(Role.SUPERVISOR):
        return False
    if in_reach is not None:
        return in_reach
    return clinics_visible_to(user).filter(pk=clinic.pk).exists()


@dataclass(frozen=True)
class ClinicActions:
    """What the clinic page offers the person (the services and the pages they lead to still check)."""

    manage_staffing: bool = False  # assign, end and move
    record_supervision: bool = False


@dataclass(frozen=True)
class StaffActions:
    """What a person's page offers the reader."""

    manage_staffing: bool = False  # assign them, end or move their posts, open their cohort


def staff_visible_to(user) -> QuerySet:
    if not user.is_authenticated:
        return Staff.objects.none()
    if user.is_network_wide:
        return Staff.objects.all()
    if user.roles & CLINIC_ROLES:
        today = timezone.localdate()
        colleagues = Assignment.objects.filter(active_on(today), clinic_id__in=_clinic_ids_of(user))
        return Staff.objects.filter(Q(pk__in=colleagues.values("staff_id")) | Q(user=user))
    return Staff.objects.none()


def staff_directory(user, *, search: str = "", cadre: str = "", clinic_id=None, active=None) -> QuerySet:
    """The staff directory, filtered, with each person's current clinic in one extra query."""
    today = timezone.localdate()
    # The page shows the account's phone and e-mail; the export reads only its cells (``values_list``
    # drops the join), so no user row is fetched there.
    qs = staff_visible_to(user).select_related("cohort", "user")
    if search:
        qs = qs.filter(Q(full_name__icontains=search) | Q(email__icontains=search) | Q(phone__icontains=search))
    if cadre:
        qs = qs.filter(cadre=cadre)
    if clinic_id:
        # A subquery rather than a join and DISTINCT: the export's COPY selects only the shown cells, and
        # two people whose cells read the same must stay two rows.
        qs = qs.filter(pk__in=Assignment.objects.filter(active_on(today), clinic_id=clinic_id).values("staff_id"))
    if active is not None:
        qs = qs.filter(active=active)
    current = Assignment.objects.filter(active_on(today)).select_related("clinic").order_by("start_date", "pk")
    # pk last: people of the same name come in one order on the page, in the CSV and in the XLSX alike.
    return qs.prefetch_related(Prefetch("assignments", queryset=current, to_attr="current_assignments")).order_by(
        Lower("full_name"), "pk"
    )


def current_clinic_names(day: date | None = None) -> Coalesce:
    """A staff row's clinics held on ``day`` (today), by start, as the directory shows them ("A, B"): one
    subquery per row, computed by the database (the directory's export)."""
    day = day or timezone.localdate()
    names = (
        Assignment.objects.filter(active_on(day), staff_id=OuterRef("pk")).order_by().values("staff_id")
        .annotate(names=StringAgg("clinic__name", ", ", order_by=("start_date", "pk"))).values("names")
    )
    return Coalesce(Subquery(names), Value(""), output_field=CharField())


def assignments_visible_to(user) -> QuerySet:
    clinics = clinics_visible_to(user)
    return Assignment.objects.filter(clinic__in=clinics).select_related("staff", "clinic")


def assignment_list(user) -> QuerySet:
    """The assignments the user may see, with person and clinic, by clinic and start. One query."""
    return assignments_visible_to(user).order_by("clinic__name", "start_date", "pk")


def assignment_for(user, pk) -> Assignment:
    return assignments_visible_to(user).get(pk=pk)


def clinic_list(user, *, search: str = "", kind: str = "", today: date | None = None) -> list[Clinic]:
    """Clinics the user may see, each with ``current_pasante``, ``coverage`` and ``next_gap`` set.

    A fixed number of queries whatever the number of clinics: clinics, then pasante assignments.
    """
    today = today or timezone.localdate()
    end = today + timedelta(days=COVERAGE_DAYS - 1)
    qs = clinics_visible_to(user).select_related("community")
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(community__name__icontains=search))
    if kind:
        qs = qs.filter(kind=kind)
    pasantes = (
        Assignment.objects.filter(role=Assignment.Role.PASANTE, start_date__lte=end)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .select_related("staff")
    )
    clinics = list(qs.prefetch_related(Prefetch("assignments", queryset=pasantes, to_attr="pasante_assignments")))
    for clinic in clinics:
        _annotate_coverage(clinic, today, end)
    return clinics


def _annotate_coverage(clinic: Clinic, today: date, end: date) -> None:
    clinic.coverage = coverage_segments(clinic.pasante_assignments, today, end)
    clinic.current_pasante = next(
        (a.staff for a in clinic.pasante_assignments if a.is_active_on(today)), None
    )
    clinic.gaps = [s for s in clinic.coverage if s.is_gap] if clinic.needs_pasante else []
    clinic.next_gap = clinic.gaps[0] if clinic.gaps else None


def clinic_detail(user, pk, *, today: date | None = None) -> Clinic:
    """One clinic with who is there now, its host families, coverage, recent supervision and ``actions``
    (``ClinicActions``: what the person may do with it).

    Raises ``Clinic.DoesNotExist`` when the user may not see it.
    """
    today = today or timezone.localdate()
    end = today + timedelta(days=COVERAGE_DAYS - 1)
    clinic = clinic_for(user, pk)
    assignments = list(
        clinic.assignments.filter(Q(end_date__isnull=True) | Q(end_date__gte=today), start_date__lte=end)
        .select_related("staff")
        .order_by("start_date")
    )
    clinic.pasante_assignments = [a for a in assignments if a.role == Assignment.Role.PASANTE]
    clinic.current_team = [a for a in assignments if a.is_active_on(today)]
    clinic.upcoming = [a for a in assignments if a.start_date > today]
    _annotate_coverage(clinic, today, end)
    clinic.host_family_list = list(clinic.community.host_families.filter(active=True))
    clinic.recent_visits = list(
        SupervisionVisit.objects.filter(clinic=clinic).select_related("supervisor")[:5]
    )
    clinic.actions = ClinicActions(
        manage_staffing=can_manage_staffing(user),
        record_supervision=can_record_supervision(user, clinic, in_reach=True),
    )
    return clinic


def timeline_months(start: date, days: int = COVERAGE_DAYS) -> list[tuple[date, float]]:
    """Month boundaries inside the window, with their offset in percent, for the timeline axis."""
    marks = []
    month = date(start.year, start.month, 1)
    while True:
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        offset = (month - start).days
        if offset >= days:
            return marks
        marks.append((month, offset * 100 / days))


def segment_geometry(segment: Segment, start: date, days: int = COVERAGE_DAYS) -> tuple[float, float]:
    """x and width in percent of a segment on a timeline that begins at ``start``."""
    return (segment.start - start).days * 100 / days, segment.days * 100 / days


def patients_visible_to(user) -> QuerySet:
    if not user.is_authenticated:
        return Patient.objects.none()
    if user.roles & PATIENT_WIDE_ROLES:
        return Patient.objects.all()
    if user.roles & CLINIC_ROLES:
        return Patient.objects.filter(clinic_id__in=_clinic_ids_of(user))
    return Patient.objects.none()


def patient_list(user, *, search: str = "", clinic=None) -> QuerySet:
    """The patients the user may see, with clinic and community, by family and given names: those matching
    ``search`` (``patients_search``), of ``clinic`` (a clinic or its id). One query (plus the paginator's)."""
    patients = patients_visible_to(user).select_related("clinic", "community")
    if search:
        patients = patients_search(patients, search)
    if clinic is not None:
        patients = patients.filter(clinic=clinic)
    return patients.order_by("family_names", "given_names", "pk")


def patient_for(user, pk) -> Patient:
    return patients_visible_to(user).select_related("clinic", "community").get(pk=pk)


def patient_possible_duplicates(*, community, given_names: str, family_names: str, birth_date) -> QuerySet:
    """Patients of the same community with the same name (any case, outer spaces ignored) and birth date."""
    return Patient.objects.annotate(g=Lower("given_names"), f=Lower("family_names")).filter(
        community=community,
        g=" ".join(given_names.split()).lower(),
        f=" ".join(family_names.split()).lower(),
        birth_date=birth_date,
    )


def community_list(user) -> QuerySet:
    """The communities the user may see, by name. One query."""
    return communities_visible_to(user).order_by("name")


def communities_visible_to(user) -> QuerySet:
    """Every community for a network-wide role; otherwise the communities of the clinics the user sees."""
    from .models import Community

    if not user.is_authenticated:
        return Community.objects.none()
    if user.is_network_wide:
        return Community.objects.all()
    return Community.objects.filter(pk__in=clinics_visible_to(user).values("community_id"))


# --- Pages and home panels ------------------------------------------------------------------------------


def staff_for(user, pk) -> Staff:
    """One person, if the user may see them; ``Staff.DoesNotExist`` otherwise."""
    return staff_visible_to(user).select_related("cohort", "user").get(pk=pk)


def staff_detail(user, pk) -> Staff:
    """``staff_for`` with ``actions`` (``StaffActions``: what the reader may do with the person). No more
    queries."""
    person = staff_for(user, pk)
    person.actions = StaffActions(manage_staffing=can_manage_staffing(user))
    return person


def staff_assignment_history(staff: Staff) -> QuerySet:
    return staff.assignments.select_related("clinic").order_by("-start_date")


def cohort_list() -> QuerySet:
    from django.db.models import Count

    from .models import Cohort

    return Cohort.objects.annotate(member_count=Count("members")).order_by("-start_date")


def cohort_roster(pk):
    """A cohort and its pasantes, each with ``pasante_assignments`` (clinic included). Fixed query count."""
    from .models import Cadre, Cohort

    cohort = Cohort.objects.get(pk=pk)
    posts = Assignment.objects.filter(role=Assignment.Role.PASANTE).select_related("clinic").order_by("start_date")
    cohort.roster = list(
        cohort.members.filter(cadre=Cadre.PASANTE)
        .prefetch_related(Prefetch("assignments", queryset=posts, to_attr="pasante_assignments"))
        .order_by(Lower("full_name"))
    )
    return cohort


def assignments_ending(user, *, days: int = 60, today: date | None = None) -> QuerySet:
    """Assignments the user may see that end between today and ``days`` days from now, soonest first."""
    today = today or timezone.localdate()
    return assignments_visible_to(user).filter(
        end_date__gte=today, end_date__lte=today + timedelta(days=days)
    ).order_by("end_date", "clinic__name")


def clinics_with_last_visit(user) -> QuerySet:
    """The clinics the user sees, each with ``last_visit``: the date of the latest supervision visit."""
    from django.db.models import Max

    return clinics_visible_to(user).annotate(last_visit=Max("supervision_visits__visited_on")).order_by("name")


def clinics_with_team(user, *, today: date | None = None) -> list[Clinic]:
    """The clinics the user sees, each with ``current_team``: the assignments active today, person included."""
    today = today or timezone.localdate()
    team = Assignment.objects.filter(active_on(today)).select_related("staff").order_by("role", "staff__full_name")
    return list(
        clinics_visible_to(user).select_related("community")
        .prefetch_related(Prefetch("assignments", queryset=team, to_attr="current_team"))
        .order_by("name")
    )


def patients_search(patients: QuerySet, search: str) -> QuerySet:
    """Patients whose CURP starts with ``search`` or whose names contain every word of it."""
    words = search.split()
    by_name = Q()
    for word in words:
        by_name &= Q(given_names__icontains=word) | Q(family_names__icontains=word)
    return patients.filter(by_name | Q(curp__istartswith=search.strip()))


# --- Staffing: the questions other apps ask (pharmacy; visitors, chw and curriculum next) -----------------
# They ask here rather than query Assignment themselves, so the rules of a post (inclusive dates, an open
# end, one pasante per clinic at a time) are read in one place.


def clinics_posted_to(user, *, role: str | None = None, day: date | None = None) -> QuerySet:
    """The clinics ``user`` reaches through their own posts: those where they hold an assignment active on
    ``day`` (today), in ``role`` (any clinic role if None) that they also hold as a user. Unlike
    ``clinics_visible_to``, a network-wide role adds nothing: a pasante who also works the warehouse raises
    requests and confirms deliveries only for the clinic they are posted at."""
    if not user.is_authenticated:
        return Clinic.objects.none()
    roles = CLINIC_ROLES if role is None else CLINIC_ROLES & {role}
    return Clinic.objects.filter(pk__in=_clinic_ids_of(user, day, roles))


def pasante_posted_at(clinic, day: date) -> Staff | None:
    """The person holding the clinic's pasante post on ``day`` (the database keeps it to one), or None when
    the post is vacant. One query."""
    post = (
        Assignment.objects.filter(active_on(day), clinic=clinic, role=Assignment.Role.PASANTE)
        .select_related("staff").first()
    )
    return post.staff if post else None


def pasante_posts_on(day: date) -> QuerySet:
    """The pasante assignments active on ``day`` held by someone who logs in as an active pasante: the
    people a clinic's reminders and notices go to. A post held by someone with no account, or whose account
    is closed or no longer a pasante, is left out. Narrow it with ``.filter(clinic_id=...)``."""
    return Assignment.objects.filter(
        active_on(day), role=Assignment.Role.PASANTE, staff__user__is_active=True,
        staff__user__groups__name=Role.PASANTE,
    )


def pasante_user_ids_by_clinic(clinic_ids, *, day: date) -> dict[int, set[int]]:
    """``{clinic_id: {user_id, ...}}``: the pasantes of ``pasante_posts_on(day)`` at each of the clinics
    (a clinic with none is absent). One query."""
    found: dict[int, set[int]] = {}
    rows = pasante_posts_on(day).filter(clinic_id__in=list(clinic_ids)).values_list("clinic_id", "staff__user_id")
    for clinic_id, user_id in rows:
        found.setdefault(clinic_id, set()).add(user_id)
    return found


def is_pasante_posted(*, user_id: int, clinic_id: int, day: date) -> bool:
    """Whether the user is the pasante of ``pasante_posts_on(day)`` at the clinic. One query."""
    return pasante_posts_on(day).filter(clinic_id=clinic_id, staff__user_id=user_id).exists()


def assigned_throughout(*, staff, clinic, first_day: date, last_day: date, role: str | None = None) -> bool:
    """Whether ``staff`` holds a post at ``clinic`` (in ``role``; any role if None) on every day from
    ``first_day`` to ``last_day``, both included: a visitor's stay must fall inside the pasante's year, for
    instance. Assignments that follow one another without a gap cover the days together; one day without
    a post anywhere in the range means no. One query."""
    if last_day < first_day:
        raise ValueError("last_day is before first_day")
    posts = Assignment.objects.filter(staff=staff, clinic=clinic, start_date__lte=last_day).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=first_day)
    )
    if role is not None:
        posts = posts.filter(role=role)
    # Walk the posts by start date, extending the run of covered days from first_day.
    covered_until = first_day - timedelta(days=1)
    for start, end in posts.order_by("start_date").values_list("start_date", "end_date"):
        if start > covered_until + timedelta(days=1):
            return False
        if end is None or end >= last_day:
            return True
        covered_until = max(covered_until, end)
    return False
