"""Reads and per-user scoping for clinics, staff, assignments and patients.

Every view and API viewset fetches through these. A network-wide role (coordinator, pharmacy,
visitor program, admin) sees every clinic; a supervisor, pasante or CHW sees the clinics of the
assignments active today; everyone else sees nothing.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.postgres.aggregates import StringAgg
from django.db.models import (
    CharField,
    Count,
    DateField,
    DecimalField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, JSONObject, Least, Lower
from django.utils import timezone

from ces.accounts.roles import CLINIC_ROLES, Role

from .coverage import COVERAGE_DAYS, Segment, coverage_segments
from .models import (
    Assignment,
    Cadre,
    Clinic,
    Cohort,
    HostFamily,
    HostPayment,
    HostStay,
    Patient,
    Staff,
    SupervisionSettings,
    SupervisionVisit,
)

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
    manage_network: bool = False  # edit the clinic and its community, close or reopen it
    manage_people: bool = False  # add a person, edit or invite one of its team


@dataclass(frozen=True)
class StaffActions:
    """What a person's page offers the reader."""

    manage_staffing: bool = False  # assign them, end or move their posts, open their cohort
    manage_people: bool = False  # edit, deactivate, invite (people10)


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
    qs = staff_visible_to(user).select_related("cohort", "user").annotate(invitation_state=latest_invitation_state())
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


def clinic_directory(user, *, search: str = "", kind: str = "", today: date | None = None) -> QuerySet:
    """``clinic_list``'s clinics, in its order, each with ``current_pasante`` (``{"id", "full_name"}`` or
    None) but no coverage: one query for any slice of them, so the API pages it in SQL instead of computing
    the coverage of every clinic to serve fifty."""
    today = today or timezone.localdate()
    qs = clinics_visible_to(user).select_related("community")
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(community__name__icontains=search))
    if kind:
        qs = qs.filter(kind=kind)
    # The first pasante assignment active today, as clinic_list's current_pasante takes it.
    current = (
        Assignment.objects.filter(active_on(today), clinic=OuterRef("pk"), role=Assignment.Role.PASANTE)
        .order_by("start_date", "pk")
        .values(person=JSONObject(id="staff_id", full_name="staff__full_name"))[:1]
    )
    return qs.annotate(current_pasante=Subquery(current)).order_by("name", "pk")


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
    clinic.supervision = clinic_supervision(clinic, clinic.recent_visits, today=today)
    clinic.actions = ClinicActions(
        manage_staffing=can_manage_staffing(user),
        record_supervision=can_record_supervision(user, clinic, in_reach=True),
        manage_network=can_manage_network(user),
        manage_people=can_manage_people(user),
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
    """The live records the user may see: a record merged into another one (``Patient.merged_into``) is left
    out of every list and picker; ``patient_records_in_reach`` still finds it."""
    return patient_records_in_reach(user).filter(merged_into__isnull=True)


def patient_records_in_reach(user) -> QuerySet:
    """The patient records of the user's reach, merged ones included (a merged record's page says where the
    person went)."""
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


class Unaccent(Func):
    """PostgreSQL's ``unaccent(text)`` (the extension clinics' migration 0002 creates): "José" is "Jose"."""

    function = "unaccent"
    output_field = CharField()


def _name_key(expression):
    return Lower(Unaccent(expression))


def patient_possible_duplicates(*, community, given_names: str, family_names: str, birth_date) -> QuerySet:
    """Live patients of the same community with the same name and birth date: case and accents ignored
    ("MARÍA" is "maria"), as are spaces around and between the words. Merged records are not candidates:
    the person they were is already registered as the record they were merged into."""
    return Patient.objects.annotate(g=_name_key("given_names"), f=_name_key("family_names")).filter(
        community=community,
        merged_into__isnull=True,
        g=_name_key(Value(" ".join(given_names.split()))),
        f=_name_key(Value(" ".join(family_names.split()))),
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
    person.actions = StaffActions(manage_staffing=can_manage_staffing(user), manage_people=can_manage_people(user))
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
    cohort.unplaced_count = sum(1 for person in cohort.roster if person.active and not person.pasante_assignments)
    return cohort


def assignments_ending(user, *, days: int = 60, today: date | None = None) -> QuerySet:
    """Assignments the user may see that end between today and ``days`` days from now, soonest first."""
    today = today or timezone.localdate()
    return assignments_visible_to(user).filter(
        end_date__gte=today, end_date__lte=today + timedelta(days=days)
    ).order_by("end_date", "clinic__name")


def clinics_with_team(user, *, today: date | None = None) -> list[Clinic]:
    """The clinics the user sees, each with ``current_team``: the assignments active today, person included."""
    today = today or timezone.localdate()
    team = Assignment.objects.filter(active_on(today)).select_related("staff").order_by("role", "staff__full_name")
    return list(
        clinics_visible_to(user).select_related("community")
        .prefetch_related(Prefetch("assignments", queryset=team, to_attr="current_team"))
        .order_by("name")
    )


def next_post(user, *, today: date | None = None) -> Assignment | None:
    """The user's first assignment that starts after today, with its clinic and community (one query): what a
    pasante of the coming cohort, invited before her year starts, has instead of a clinic today."""
    today = today or timezone.localdate()
    return (Assignment.objects.filter(staff__user=user, staff__active=True, start_date__gt=today)
            .select_related("clinic__community").order_by("start_date", "pk").first())


def patients_search(patients: QuerySet, search: str) -> QuerySet:
    """Patients whose CURP starts with ``search`` or whose names contain every word of it."""
    words = search.split()
    by_name = Q()
    for word in words:
        # Accents ignored as in the duplicate check: "Jose" finds "José".
        word = name_key(word)
        by_name &= Q(given_key__contains=word) | Q(family_key__contains=word)
    patients = patients.annotate(given_key=_name_key("given_names"), family_key=_name_key("family_names"))
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


def pasante_post_on(clinic, day: date) -> Assignment | None:
    """The clinic's pasante post held on ``day`` (the database keeps it to one), with its holder, or None when
    the post is vacant: until when it is held is its ``end_date`` (None: open-ended). One query."""
    return (
        Assignment.objects.filter(active_on(day), clinic=clinic, role=Assignment.Role.PASANTE)
        .select_related("staff").first()
    )


def pasante_posted_at(clinic, day: date) -> Staff | None:
    """The person holding the clinic's pasante post on ``day``, or None when the post is vacant. One query."""
    post = pasante_post_on(clinic, day)
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


# --- Host families, their stays and payments (hosts10) ------------------------------------------------------

# Roles that add and edit host families, record their stays and payments, and see what each is owed.
HOST_FAMILY_ROLES = (Role.COORDINATOR, Role.VISITOR_PROGRAM, Role.ADMIN)


def can_manage_host_families(user) -> bool:
    """Host families, their stays, payments, receipts and balances: coordinators, the visitor program, admins."""
    if not user.is_authenticated:
        return False
    return user.has_role(*HOST_FAMILY_ROLES)


def host_families_visible_to(user) -> QuerySet:
    if not can_manage_host_families(user):
        return HostFamily.objects.none()
    return HostFamily.objects.all()


def host_family_for(user, pk) -> HostFamily:
    """The family, if the user may manage host families; ``HostFamily.DoesNotExist`` otherwise."""
    return host_families_visible_to(user).select_related("community").get(pk=pk)


def _stay_owed_until(day: date):
    """SQL: what a stay has cost up to ``day`` (inclusive), its nights until then times its rates."""
    nights = Func(Least(F("last_night"), Value(day, output_field=DateField())), F("first_night"),
                  template="(%(expressions)s + 1)", arg_joiner=" - ", output_field=IntegerField())
    return ExpressionWrapper(nights * (F("rate_per_night") + F("meals_per_day") * F("rate_per_meal")),
                             output_field=DecimalField(max_digits=12, decimal_places=2))


def host_family_list(user, *, search: str = "", community_id=None, active=None,
                     today: date | None = None) -> QuerySet:
    """The families with ``owed`` (their stays' nights until today, at the stays' rates), ``paid`` (every
    payment) and ``balance`` (owed minus paid: above zero the coordination still owes them). One query."""
    today = today or timezone.localdate()
    zero = Value(Decimal("0.00"), output_field=DecimalField(max_digits=12, decimal_places=2))
    owed = (HostStay.objects.filter(family=OuterRef("pk"), first_night__lte=today, cancelled_at__isnull=True)
            .order_by()
            .values("family").annotate(total=Sum(_stay_owed_until(today))).values("total"))
    paid = (HostPayment.objects.filter(family=OuterRef("pk")).order_by()
            .values("family").annotate(total=Sum("amount")).values("total"))
    families = (host_families_visible_to(user).select_related("community")
                .annotate(owed=Coalesce(Subquery(owed), zero), paid=Coalesce(Subquery(paid), zero))
                .annotate(balance=F("owed") - F("paid")))
    if search:
        families = families.filter(Q(head_of_household__icontains=search) | Q(community__name__icontains=search)
                                   | Q(phone__icontains=search))
    if community_id:
        families = families.filter(community_id=community_id)
    if active is not None:
        families = families.filter(active=active)
    return families.order_by("community__name", "head_of_household", "pk")


def _month_of(day: date) -> date:
    return date(day.year, day.month, 1)


def _next_month_of(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


@dataclass
class HostMonth:
    """What a family was owed for the nights of a month and what it was paid in it (by payment date)."""

    family: HostFamily
    month: date
    owed: Decimal = Decimal("0.00")
    paid: Decimal = Decimal("0.00")
    balance: Decimal = Decimal("0.00")  # owed minus paid, all months until this one included

    @property
    def difference(self) -> Decimal:
        return self.owed - self.paid


def host_months(families, stays, payments) -> list[HostMonth]:
    """Owed and paid per family and month, from the stays (each night owed in its month, at the stay's
    rates) and the payments (in the month they were paid), with the running balance. Pure: no query."""
    by_key: dict[tuple[int, date], HostMonth] = {}
    families = {family.pk: family for family in families}

    def row(family_id, month):
        key = (family_id, month)
        if key not in by_key:
            by_key[key] = HostMonth(family=families[family_id], month=month)
        return by_key[key]

    for stay in stays:
        if stay.cancelled_at is not None:  # owed nothing; it stays in the family's list of stays
            continue
        month = _month_of(stay.first_night)
        while month <= stay.last_night:
            first = max(stay.first_night, month)
            last = min(stay.last_night, _next_month_of(month) - timedelta(days=1))
            row(stay.family_id, month).owed += stay.owed_for((last - first).days + 1)
            month = _next_month_of(month)
    for payment in payments:
        row(payment.family_id, _month_of(payment.paid_on)).paid += payment.amount
    months = sorted(by_key.values(), key=lambda m: (m.family.community.name, m.family.head_of_household,
                                                    m.family.pk, m.month))
    running: dict[int, Decimal] = {}
    for month in months:
        running[month.family.pk] = running.get(month.family.pk, Decimal("0.00")) + month.owed - month.paid
        month.balance = running[month.family.pk]
    return months


def host_family_detail(user, pk) -> HostFamily:
    """The family with its stays (``stay_list``), payments (``payment_list``, with the stays each covers) and
    its months (``months``, newest first). Four queries whatever their number."""
    family = host_family_for(user, pk)
    family.stay_list = list(family.stays.select_related("guest_staff").order_by("-first_night", "-pk"))
    family.payment_list = list(family.payments.prefetch_related("stays").select_related("recorded_by")
                               .order_by("-paid_on", "-pk"))
    for stay in family.stay_list:
        stay.family = family
    family.months = list(reversed(host_months([family], family.stay_list, family.payment_list)))
    return family


def host_stay_for(user, pk) -> HostStay:
    """The stay, with its family, if the user may manage host families; ``HostStay.DoesNotExist`` otherwise."""
    return (HostStay.objects.filter(family__in=host_families_visible_to(user))
            .select_related("family__community", "guest_staff").get(pk=pk))


def host_payment_for(user, pk) -> HostPayment:
    return HostPayment.objects.filter(family__in=host_families_visible_to(user)).select_related("family").get(pk=pk)


HOST_PAYMENT_TRAIL_FIELDS = ("amount", "paid_on", "method", "concept", "receipt", "excess")


def host_payment_detail(user, pk) -> HostPayment:
    """The payment with its family, who recorded it, ``stay_list`` (the stays it covers) and ``trail``
    (``host_payment_trail``). Five queries whatever the length of its history."""
    payment = (HostPayment.objects.filter(family__in=host_families_visible_to(user))
               .select_related("family__community", "recorded_by").get(pk=pk))
    payment.stay_list = list(payment.stays.order_by("-first_night", "-pk"))
    payment.trail = host_payment_trail(payment)
    return payment


def host_payment_trail(payment: HostPayment) -> list[dict]:
    """The payment's history, newest first, in the shape of ``patient_trail`` (``at``, ``by``, ``label``,
    ``changes``): its own events and those of the stays it covers, added or taken off
    (``HostPaymentStay``'s events), the events of one request or transaction together, so a change of the
    covered stays reads "stays it covers: “A” → “A; B”". Three queries: the two histories and their users."""
    from django.contrib.auth import get_user_model
    from django.utils.translation import gettext as _

    from .models import HostPaymentStay

    own = list(payment.events.order_by("pgh_id").values(
        "pgh_id", "pgh_label", "pgh_created_at", "pgh_context_id", "pgh_context__metadata",
        *HOST_PAYMENT_TRAIL_FIELDS))
    covered = list(HostPaymentStay.pgh_event_model.objects.filter(payment_id=payment.pk).order_by("pgh_id")
                   .values("pgh_id", "pgh_label", "pgh_created_at", "pgh_context_id", "pgh_context__metadata",
                           "stay_id", "stay__guest_name", "stay__first_night"))
    users = get_user_model().objects.in_bulk(
        {(e["pgh_context__metadata"] or {}).get("user") for e in (*own, *covered)} - {None})
    stays_label = HostPayment._meta.get_field("stays").verbose_name

    def stay_names(stays: dict) -> str:
        return "; ".join(f"{name} ({first:%d/%m/%Y})"
                         for name, first in sorted(stays.values(), key=lambda v: (v[1], v[0]))) or "—"

    def shown(name, value):
        if name == "method":
            return str(HostPayment.Method(value).label) if value in HostPayment.Method.values else value
        if name == "receipt":
            return _("yes") if value else _("no")
        if isinstance(value, date):
            return value.strftime("%d/%m/%Y")
        return str(value) if value not in (None, "") else "—"

    # One entry per request or transaction (its audit context): each table numbers its events on its own, so
    # entries are ordered by their moment, then by the payment's events, the stays-only changes after.
    groups: dict = {}
    for kind, rows in (("payment", own), ("stay", covered)):
        for event in rows:
            key = event["pgh_context_id"] or (kind, event["pgh_id"])
            group = groups.setdefault(key, {"at": event["pgh_created_at"], "payment": [], "stay": [],
                                            "by": users.get((event["pgh_context__metadata"] or {}).get("user"))})
            group[kind].append(event)
            group["at"] = min(group["at"], event["pgh_created_at"])

    def order(group):
        if group["payment"]:
            return (group["at"], 0, group["payment"][0]["pgh_id"])
        return (group["at"], 1, group["stay"][0]["pgh_id"])

    trail, values, stays = [], None, {}
    for group in sorted(groups.values(), key=order):
        entry = {"at": group["at"], "by": group["by"], "label": "update", "changes": []}
        for event in group["payment"]:
            new = {name: shown(name, event[name]) for name in HOST_PAYMENT_TRAIL_FIELDS}
            if values is None or event["pgh_label"] == "insert":
                entry["label"] = "insert"
            else:
                entry["changes"] += [(HostPayment._meta.get_field(name).verbose_name, values[name], new[name])
                                     for name in HOST_PAYMENT_TRAIL_FIELDS if values[name] != new[name]]
            values = new
        before = dict(stays)
        for event in sorted(group["stay"], key=lambda e: e["pgh_id"]):
            if event["pgh_label"] == "insert":
                stays[event["stay_id"]] = (event["stay__guest_name"] or "?", event["stay__first_night"] or date.min)
            else:
                stays.pop(event["stay_id"], None)
        if set(before) != set(stays):
            entry["changes"].append((stays_label, stay_names(before), stay_names(stays)))
        if entry["label"] == "insert" or entry["changes"]:
            trail.append(entry)
    trail.reverse()
    return trail


def host_family_month_rows(user, *, community=None, date_from: date | None = None,
                           date_to: date | None = None) -> list[HostMonth]:
    """Owed and paid by family and month for the families the user sees (the report). Three queries."""
    families = host_families_visible_to(user).select_related("community")
    if community is not None:
        families = families.filter(community=community)
    families = list(families)
    stays = HostStay.objects.filter(family__in=[f.pk for f in families], cancelled_at__isnull=True)
    payments = HostPayment.objects.filter(family__in=[f.pk for f in families])
    months = host_months(families, stays.only("family_id", "first_night", "last_night", "meals_per_day",
                                              "rate_per_night", "rate_per_meal", "cancelled_at"),
                         payments.only("family_id", "paid_on", "amount"))
    if date_from:
        months = [m for m in months if m.month >= _month_of(date_from)]
    if date_to:
        months = [m for m in months if m.month <= date_to]
    return months
# --- People and accounts (people10) ------------------------------------------------------------------------


def can_manage_people(user) -> bool:
    """Add, edit and deactivate people, invite them to log in, import a cohort's pasantes."""
    if not user.is_authenticated:
        return False
    return user.has_role(*STAFFING_ROLES)


def can_give_admin_role(user) -> bool:
    """The administrator role is given by an administrator only (a coordinator cannot raise anyone above
    herself); ``None`` is a command or the demo, run by whoever has the server."""
    if user is None:
        return True
    return user.is_authenticated and user.has_role(Role.ADMIN)


def latest_invitation_state(now=None):
    """An expression for ``Staff``: the state of the person's latest invitation (``Invitation.State``), or
    NULL when they were never invited. Computed in the same query as the people it annotates."""
    from django.db.models import Case, CharField, OuterRef, Subquery, Value, When

    from .models import Invitation

    now = now or timezone.now()
    state = Case(
        When(accepted_at__isnull=False, then=Value(Invitation.State.ACCEPTED)),
        When(revoked_at__isnull=False, then=Value(Invitation.State.REVOKED)),
        When(expires_at__lte=now, then=Value(Invitation.State.EXPIRED)),
        default=Value(Invitation.State.SENT),
        output_field=CharField(),
    )
    latest = Invitation.objects.filter(staff=OuterRef("pk")).order_by("-sent_at", "-pk").annotate(state=state)
    return Subquery(latest.values("state")[:1], output_field=CharField())


def person_invitations(staff: Staff) -> list:
    """The person's invitations, latest first, each with ``current_state``. One query."""
    now = timezone.now()
    invitations = list(staff.invitations.select_related("sent_by").order_by("-sent_at", "-pk"))
    for invitation in invitations:
        invitation.current_state = invitation.state_at(now)
    return invitations


def staff_for_edit(user, pk) -> Staff:
    """One person whom the user may edit; ``Staff.DoesNotExist`` otherwise."""
    if not can_manage_people(user):
        raise Staff.DoesNotExist
    return Staff.objects.select_related("cohort", "user").get(pk=pk)


def invitations_pending(user, *, limit: int = 10) -> list[Staff]:
    """Active people whose latest invitation is not accepted yet (sent or expired), expired first: whom the
    coordination may have to remind or invite again. ``invitation_state`` set on each. One query."""
    from django.db.models import Case, IntegerField, Value, When

    from .models import Invitation

    if not can_manage_people(user):
        return []
    waiting = [Invitation.State.EXPIRED, Invitation.State.SENT]
    # From the invitations still open, not from every person: a latest invitation sent or expired is one
    # neither accepted nor revoked, so this only narrows the people to read, and the latest-state
    # subquery then runs for them alone (it ran once per active person: 1.1 s at a million people).
    open_invitations = Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True)
    return list(
        Staff.objects.filter(active=True, pk__in=open_invitations.values("staff_id"))
        .annotate(invitation_state=latest_invitation_state())
        .filter(invitation_state__in=waiting)
        .annotate(expired_first=Case(When(invitation_state=Invitation.State.EXPIRED, then=Value(0)), default=Value(1),
                                     output_field=IntegerField()))
        .order_by("expired_first", Lower("full_name"))[:limit]
    )


# --- Clinics and communities, cohorts, supervisors (network10) ---------------------------------------------

# The kinds of clinic a supervisor visits: every kind with patients (the central office has none).
SUPERVISED_KINDS = (Clinic.Kind.RURAL_CLINIC, Clinic.Kind.HOSPITAL, Clinic.Kind.MATERNAL_HOME)


def can_manage_network(user) -> bool:
    """Create and edit communities and clinics, open and close clinics, set the supervision frequency:
    coordinators and admins."""
    if not user.is_authenticated:
        return False
    return user.has_role(*STAFFING_ROLES)


def community_for(user, pk):
    """One community, if the user may see it; ``Community.DoesNotExist`` otherwise."""
    return communities_visible_to(user).get(pk=pk)


def community_directory(user, *, search: str = "") -> QuerySet:
    """The communities the user may see, by name, each with ``clinic_count``. One query."""
    communities = communities_visible_to(user)
    if search:
        communities = communities.filter(Q(name__icontains=search) | Q(municipality__icontains=search))
    return communities.annotate(clinic_count=Count("clinics")).order_by("name", "pk")


def supervision_settings():
    """The supervision settings row with who changed it last, or the defaults (unsaved) when the row is
    missing. One query, and never a write: a GET must not create the row (migration 0002 does)."""
    return SupervisionSettings.objects.select_related("updated_by").filter(pk=1).first() or SupervisionSettings(pk=1)


@dataclass(frozen=True)
class SupervisionStatus:
    last_visit: date | None
    due_on: date | None  # the last day the next visit is on time; None: never visited, due now
    overdue: bool


def supervision_status(last_visit: date | None, *, every_days: int, today: date) -> SupervisionStatus:
    """Whether a clinic last visited on ``last_visit`` is overdue, when a visit is due every ``every_days``
    days. A clinic never visited is overdue."""
    if last_visit is None:
        return SupervisionStatus(None, None, True)
    due_on = last_visit + timedelta(days=every_days)
    return SupervisionStatus(last_visit, due_on, today > due_on)


def clinics_supervision(user, *, overdue_only: bool = False, today: date | None = None) -> list[Clinic]:
    """The active supervised clinics the user sees, each with ``supervision`` (``SupervisionStatus``), the
    most overdue first. Two queries (the settings, the clinics with their last visit)."""
    today = today or timezone.localdate()
    every_days = supervision_settings().visit_every_days
    clinics = list(
        clinics_visible_to(user).filter(active=True, kind__in=SUPERVISED_KINDS).select_related("community")
        .annotate(last_visit=Max("supervision_visits__visited_on")).order_by("name")
    )
    for clinic in clinics:
        clinic.supervision = supervision_status(clinic.last_visit, every_days=every_days, today=today)
    if overdue_only:
        clinics = [c for c in clinics if c.supervision.overdue]
    # Never visited first, then the oldest visit.
    clinics.sort(key=lambda c: (c.last_visit is not None, c.last_visit or today, c.name))
    return clinics


def clinic_supervision(clinic: Clinic, recent_visits, *, today: date) -> SupervisionStatus | None:
    """The supervision status of one clinic from its visits, latest first (None for a clinic nobody
    supervises). One query, the settings."""
    if not (clinic.active and clinic.kind in SUPERVISED_KINDS):
        return None
    last = recent_visits[0].visited_on if recent_visits else None
    return supervision_status(last, every_days=supervision_settings().visit_every_days, today=today)


@dataclass
class CohortPlacement:
    cohort: object
    clinics: list  # active rural clinics, each with ``placement_gap`` (a Segment or None) and ``coverage``
    unplaced: list  # the cohort's active pasantes without a pasante post in the cohort's year


def cohort_placement(cohort) -> CohortPlacement:
    """What placing ``cohort`` needs: every active rural clinic with its coverage over the cohort's year and
    ``placement_gap``, the first day-run of that year with no pasante (None when covered throughout); and the
    cohort's active pasantes who hold no pasante post during the year. Three queries, whatever the sizes."""
    start, end = cohort.start_date, cohort.end_date
    posts = (Assignment.objects.filter(role=Assignment.Role.PASANTE, start_date__lte=end)
             .filter(Q(end_date__isnull=True) | Q(end_date__gte=start)).select_related("staff"))
    clinics = list(
        Clinic.objects.filter(active=True, kind=Clinic.Kind.RURAL_CLINIC).select_related("community")
        .prefetch_related(Prefetch("assignments", queryset=posts, to_attr="pasante_assignments")).order_by("name")
    )
    for clinic in clinics:
        clinic.coverage = coverage_segments(clinic.pasante_assignments, start, end)
        clinic.placement_gap = next((s for s in clinic.coverage if s.is_gap), None)
    placed = posts.values("staff_id")
    unplaced = list(
        cohort.members.filter(cadre=Cadre.PASANTE, active=True).exclude(pk__in=placed).order_by(Lower("full_name"))
    )
    return CohortPlacement(cohort=cohort, clinics=clinics, unplaced=unplaced)


def cohort_for(pk):
    """One cohort (cohorts are for those who manage staffing: the view checks); ``Cohort.DoesNotExist``."""
    return Cohort.objects.get(pk=pk)


# --- Patients: edit with its audit trail, merge (patients10) ----------------------------------------------

# Roles that correct a patient's details, in the clinics they see (``patients_visible_to``). A CHW reads the
# registry of their clinic but leaves its corrections to the pasante.
PATIENT_EDIT_ROLES = (Role.COORDINATOR, Role.ADMIN, Role.SUPERVISOR, Role.PASANTE)
# Merging two records is a coordinator's decision: it moves rows of every app between patients.
PATIENT_MERGE_ROLES = (Role.COORDINATOR, Role.ADMIN)
# The fields the audit trail shows, in this order (the others are bookkeeping).
PATIENT_TRAIL_FIELDS = ("given_names", "family_names", "sex", "birth_date", "curp", "phone", "clinic",
                        "community", "duplicate_reviewed", "merged_into")


def name_key(text: str) -> str:
    """``text`` as the duplicate check compares it, in Python: lower case, no accents, single spaces."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", " ".join(text.split()))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def can_edit_patients(user) -> bool:
    """Correct a patient's details: coordinators and admins (any patient), supervisors and pasantes (those
    of their clinics, as ``patients_visible_to`` says)."""
    if not user.is_authenticated:
        return False
    return user.has_role(*PATIENT_EDIT_ROLES)


def can_merge_patients(user) -> bool:
    """Merge two records of the same person: coordinators and admins."""
    if not user.is_authenticated:
        return False
    return user.has_role(*PATIENT_MERGE_ROLES)


@dataclass(frozen=True)
class PatientActions:
    """What a patient's page offers the reader (the pages and services behind them still check)."""

    edit: bool = False
    merge: bool = False


def patient_record_for(user, pk) -> Patient:
    """One record of the user's reach, merged or not, with clinic, community and the record it was merged
    into; ``Patient.DoesNotExist`` otherwise. One query."""
    return (patient_records_in_reach(user).select_related("clinic", "community", "merged_into")
            .get(pk=pk))


def patient_detail(user, pk) -> Patient:
    """``patient_record_for`` with ``actions`` (``PatientActions``) and ``trail`` (``patient_trail``): a fixed
    number of queries whatever the length of the history."""
    patient = patient_record_for(user, pk)
    live = patient.merged_into_id is None
    patient.actions = PatientActions(edit=live and can_edit_patients(user),
                                     merge=live and can_merge_patients(user))
    patient.trail = patient_trail(patient)
    return patient


def patient_trail(patient: Patient) -> list[dict]:
    """The record's audit trail, newest first: ``{"at", "by", "label", "changes": [(field label, old, new)]}``
    for its registration and every change since, read from its pghistory events. Who: the user the request
    recorded in the event's context (None for a command or the shell). Values as the pages show them (a
    clinic by name, a date as dd/mm/yyyy). A record merged into this one is an entry of its own, labelled
    ``merge``, with ``merged_name`` and ``merged_pk`` (the changes this record took from it, its CURP or phone,
    are that entry's). Five queries: events (this record's, and those of the records merged into it), then
    users, clinics, communities and patients named in them, each in one go."""
    from django.contrib.auth import get_user_model

    from .models import Community

    rows = list(
        patient.events.model.objects
        .filter(Q(pgh_obj_id=patient.pk) | Q(merged_into_id=patient.pk, pgh_label="update"))
        .order_by("pgh_id")
        .values("pgh_obj_id", "pgh_label", "pgh_created_at", "pgh_context__metadata",
                *[f"{name}_id" if name in _PATIENT_TRAIL_FKS else name for name in PATIENT_TRAIL_FIELDS])
    )
    events = [row for row in rows if row["pgh_obj_id"] == patient.pk]
    # The first event of each other record that names this one as its survivor: the merge.
    merges, seen = set(), set()
    for index, row in enumerate(rows):
        if row["pgh_obj_id"] != patient.pk and row["pgh_obj_id"] not in seen:
            seen.add(row["pgh_obj_id"])
            merges.add(index)
    ids = {name: set() for name in ("user", *_PATIENT_TRAIL_FKS)}
    for event in events:
        for name in _PATIENT_TRAIL_FKS:
            ids[name].add(event[f"{name}_id"])
    for event in (*events, *(rows[index] for index in merges)):
        ids["user"].add((event["pgh_context__metadata"] or {}).get("user"))
    named = {
        "user": get_user_model().objects.in_bulk(ids["user"] - {None}),
        "clinic": Clinic.objects.in_bulk(ids["clinic"] - {None}),
        "community": Community.objects.in_bulk(ids["community"] - {None}),
        "merged_into": Patient.objects.in_bulk(ids["merged_into"] - {None}),
    }
    trail, previous, merge = [], None, None
    for index, event in enumerate(rows):
        by = named["user"].get((event["pgh_context__metadata"] or {}).get("user"))
        if index in merges:
            merge = {"at": event["pgh_created_at"], "label": "merge", "changes": [], "by": by,
                     "merged_pk": event["pgh_obj_id"], "merged_name": f"{event['given_names']} {event['family_names']}"}
            trail.append(merge)
            continue
        if event["pgh_obj_id"] != patient.pk:
            continue
        values = {name: _trail_value(name, event, named) for name in PATIENT_TRAIL_FIELDS}
        if previous is None:
            changes = []
        else:
            changes = [(Patient._meta.get_field(name).verbose_name, previous[name], values[name])
                       for name in PATIENT_TRAIL_FIELDS if values[name] != previous[name]]
        previous = values
        if merge is not None and event["pgh_label"] == "update" and event["pgh_created_at"] == merge["at"]:
            # Saved right after the merged record, in the merge's transaction: what this record took from it.
            merge["changes"], merge = changes, None
            continue
        merge = None
        if event["pgh_label"] == "update" and not changes:
            continue
        trail.append({"at": event["pgh_created_at"], "label": event["pgh_label"], "changes": changes, "by": by})
    trail.reverse()
    return trail


_PATIENT_TRAIL_FKS = ("clinic", "community", "merged_into")


def _trail_value(name: str, event: dict, named: dict) -> str:
    from django.utils.translation import gettext as _

    if name in _PATIENT_TRAIL_FKS:
        obj = named[name].get(event[f"{name}_id"])
        return str(obj) if obj is not None else "—"
    value = event[name]
    if name == "sex":
        return str(Patient.Sex(value).label) if value in Patient.Sex.values else value
    if name == "duplicate_reviewed":
        return _("yes") if value else _("no")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return value or "—"


def patient_merge_candidates(user, patient: Patient, *, search: str = "") -> list[Patient]:
    """The live records ``patient`` could be merged with, first those of the same name and birth date in its
    community (accents and case ignored), then those matching ``search``: at most 20 in all, clinic
    included. Two queries."""
    others = patients_visible_to(user).exclude(pk=patient.pk).select_related("clinic")
    likely = list(others.filter(pk__in=patient_possible_duplicates(
        community=patient.community, given_names=patient.given_names, family_names=patient.family_names,
        birth_date=patient.birth_date).values("pk")).order_by("pk")[:20])
    for candidate in likely:
        candidate.likely = True
    found = []
    if search:
        found = list(patients_search(others.exclude(pk__in=[c.pk for c in likely]), search)
                     .order_by("family_names", "given_names", "pk")[:20])
    return (likely + found)[:20]
