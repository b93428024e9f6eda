"""Every write to clinics, staff, assignments, supervision and the patient registry.

Services validate fully (``full_clean``, which also checks the database constraints) and raise
``django.core.exceptions.ValidationError`` with a message for the person: the views show it next
to the form, the API answers 400 with it. A constraint that a concurrent request wins at the last
moment still ends as the same ValidationError, never as a server error.
"""

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ces.accounts.roles import Role
from ces.core.services import ILLEGAL_TRANSITION, validate_and_save

from .models import (
    Assignment,
    Cadre,
    Clinic,
    Cohort,
    Community,
    HostFamily,
    HostPayment,
    HostStay,
    Patient,
    Staff,
    SupervisionSettings,
    SupervisionVisit,
)
from .selectors import cohort_placement, patient_possible_duplicates

# Which cadre may hold which role at a clinic.
ROLE_CADRES = {
    Assignment.Role.PASANTE: {Cadre.PASANTE},
    Assignment.Role.SUPERVISOR: {Cadre.SUPERVISOR, Cadre.COORDINATOR},
    Assignment.Role.CHW: {Cadre.CHW},
    Assignment.Role.NURSE: {Cadre.NURSE},
}

# The login role a staff member gets from their cadre, when they have an account.
CADRE_ROLES = {
    Cadre.PASANTE: Role.PASANTE,
    Cadre.SUPERVISOR: Role.SUPERVISOR,
    Cadre.CHW: Role.CHW,
    Cadre.COORDINATOR: Role.COORDINATOR,
    Cadre.PHARMACY: Role.PHARMACY,
}


class PossibleDuplicate(ValidationError):
    """A patient with the same name and birth date already lives in that community."""

    def __init__(self, candidates):
        self.candidates = list(candidates)
        super().__init__(
            _("A patient with the same name and date of birth is already registered in this community. "
              "Check the list; if this is a different person, confirm it and save again."),
            code="possible_duplicate",
        )


@transaction.atomic
def cohort_create(*, name: str, start_date: date, end_date: date) -> Cohort:
    return validate_and_save(Cohort(name=name.strip(), start_date=start_date, end_date=end_date))


@transaction.atomic
def staff_create(
    *,
    full_name: str,
    cadre: str,
    email: str = "",
    phone: str = "",
    cohort: Cohort | None = None,
    notes: str = "",
    with_account: bool = False,
    password: str | None = None,
) -> Staff:
    """Add a person to the staff directory, with a login account (and the role of their cadre) if asked."""
    staff = Staff(full_name=" ".join(full_name.split()), cadre=cadre, email=email.strip().lower(),
                  phone=phone.strip(), cohort=cohort, notes=notes)
    staff.full_clean()
    if with_account:
        if not staff.email:
            raise ValidationError({"email": _("An e-mail address is needed to create an account.")})
        User = get_user_model()
        if User.objects.filter(email__iexact=staff.email).exists():
            raise ValidationError({"email": _("There is already an account with this e-mail address.")})
        try:
            with transaction.atomic():
                user = User.objects.create_user(email=staff.email, password=password, full_name=staff.full_name,
                                                phone=staff.phone)
        except IntegrityError as exc:  # the same address, created at the same moment
            raise ValidationError({"email": _("There is already an account with this e-mail address.")}) from exc
        if password is None:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        role = CADRE_ROLES.get(cadre)
        if role:
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        staff.user = user
    return validate_and_save(staff)


def _check_assignment_fits(*, staff: Staff, clinic: Clinic, role: str) -> None:
    if not clinic.active:
        raise ValidationError({"clinic": _("This clinic is not active.")})
    if not staff.active:
        raise ValidationError({"staff": _("This person is no longer active.")})
    allowed = ROLE_CADRES.get(role)
    if allowed is not None and staff.cadre not in allowed:
        raise ValidationError(
            {"role": _("A %(cadre)s cannot be assigned as %(role)s.") % {
                "cadre": staff.get_cadre_display(), "role": Assignment.Role(role).label}}
        )


def _refuse_if_pasante_placed(*, staff: Staff, start_date: date, end_date: date | None) -> None:
    """Say where the pasante already is over those dates. The exclusion constraint stays the last word
    (a concurrent writer); this only names the clinic and the dates, which the constraint cannot."""
    overlapping = (Assignment.objects.filter(staff=staff, role=Assignment.Role.PASANTE)
                   .exclude(end_date__lt=start_date).select_related("clinic").order_by("start_date"))
    if end_date is not None:
        overlapping = overlapping.filter(start_date__lte=end_date)
    placed = overlapping.first()
    if placed is None:
        return
    names = {"person": staff.full_name, "clinic": placed.clinic.name, "start": placed.start_date.strftime("%d/%m/%Y")}
    if placed.end_date is None:
        message = _("%(person)s is already at %(clinic)s from %(start)s, with no end date.") % names
    else:
        message = _("%(person)s is already at %(clinic)s from %(start)s to %(end)s.") % {
            **names, "end": placed.end_date.strftime("%d/%m/%Y")}
    raise ValidationError({"staff": message})


@transaction.atomic
def assignment_create(
    *,
    staff: Staff,
    clinic: Clinic,
    role: str,
    start_date: date,
    end_date: date | None = None,
    end_with_cohort: bool = True,
    by=None,
) -> Assignment:
    """Assign a person to a post at a clinic. Refuses overlaps: one clinic per pasante, one pasante per clinic."""
    _check_assignment_fits(staff=staff, clinic=clinic, role=role)
    if end_date is None and end_with_cohort and role == Assignment.Role.PASANTE and staff.cohort_id:
        # A pasante's year ends with their cohort unless said otherwise.
        end_date = staff.cohort.end_date
    if role == Assignment.Role.PASANTE:
        _refuse_if_pasante_placed(staff=staff, start_date=start_date, end_date=end_date)
    return validate_and_save(Assignment(staff=staff, clinic=clinic, role=role, start_date=start_date,
                                        end_date=end_date, created_by=by))


@transaction.atomic
def assignment_end(*, assignment: Assignment, end_date: date, reason: str = "", by=None) -> Assignment:
    """End an assignment on ``end_date`` (inclusive). The access it gave ends the day after."""
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if end_date < assignment.start_date:
        raise ValidationError({"end_date": _("The assignment cannot end before it starts (%(start)s).") % {
            "start": assignment.start_date.strftime("%d/%m/%Y")}})
    if assignment.end_date is not None and end_date > assignment.end_date:
        raise ValidationError({"end_date": _("The assignment already ends on %(end)s; to extend it, edit it.") % {
            "end": assignment.end_date.strftime("%d/%m/%Y")}})
    assignment.end_date = end_date
    assignment.end_reason = reason.strip()
    return validate_and_save(assignment, update_fields=["end_date", "end_reason"])


@transaction.atomic
def assignment_move(*, assignment: Assignment, clinic: Clinic, move_date: date, by=None) -> Assignment:
    """Move a person to another clinic from ``move_date``: the current post ends the day before and a new
    one starts that day, until the old end date. Both happen or neither does."""
    assignment = Assignment.objects.select_for_update().select_related("staff").get(pk=assignment.pk)
    if clinic.pk == assignment.clinic_id:
        raise ValidationError({"clinic": _("Choose a clinic other than the current one.")})
    if move_date <= assignment.start_date:
        raise ValidationError({"move_date": _("The move must come after the assignment starts (%(start)s).") % {
            "start": assignment.start_date.strftime("%d/%m/%Y")}})
    if assignment.end_date is not None and move_date > assignment.end_date:
        raise ValidationError({"move_date": _("The assignment has already ended on %(end)s.") % {
            "end": assignment.end_date.strftime("%d/%m/%Y")}})
    old_end = assignment.end_date
    assignment_end(assignment=assignment, end_date=move_date - timedelta(days=1), reason=_("Moved to %(clinic)s") % {
        "clinic": clinic.name}, by=by)
    return assignment_create(staff=assignment.staff, clinic=clinic, role=assignment.role, start_date=move_date,
                             end_date=old_end, end_with_cohort=False, by=by)


@transaction.atomic
def supervision_visit_record(
    *, supervisor: Staff, clinic: Clinic, visited_on: date, notes: str, follow_up_actions: str = "", by=None
) -> SupervisionVisit:
    if supervisor.cadre not in ROLE_CADRES[Assignment.Role.SUPERVISOR]:
        raise ValidationError({"supervisor": _("Choose a clinical supervisor.")})
    if visited_on > timezone.localdate():
        raise ValidationError({"visited_on": _("The visit cannot be in the future.")})
    return validate_and_save(SupervisionVisit(supervisor=supervisor, clinic=clinic, visited_on=visited_on,
                                              notes=notes.strip(), follow_up_actions=follow_up_actions.strip(),
                                              recorded_by=by))


@transaction.atomic
def patient_create(
    *,
    clinic: Clinic,
    community,
    given_names: str,
    family_names: str,
    sex: str,
    birth_date: date,
    curp: str = "",
    phone: str = "",
    confirm_not_duplicate: bool = False,
    by=None,
) -> Patient:
    """Register a patient. A possible duplicate (same name and birth date in the community) is refused
    with ``PossibleDuplicate`` (carrying the candidates) unless the person confirms a different patient."""
    given_names = " ".join(given_names.split())
    family_names = " ".join(family_names.split())
    patient = Patient(clinic=clinic, community=community, given_names=given_names, family_names=family_names,
                      sex=sex, birth_date=birth_date, curp=curp.strip().upper(), phone=phone.strip(),
                      created_by=by)
    patient.full_clean()
    # Two people entering the same patient at once would each find no duplicate: serialise the check
    # per name and birth date until this transaction ends.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                       [f"patient:{community.pk}:{given_names.lower()}:{family_names.lower()}:{birth_date}"])
    candidates = patient_possible_duplicates(community=community, given_names=given_names,
                                             family_names=family_names, birth_date=birth_date)
    if candidates.exists():
        if not confirm_not_duplicate:
            raise PossibleDuplicate(candidates.select_related("clinic")[:10])
        patient.duplicate_reviewed = True
    return validate_and_save(patient)


@transaction.atomic
def host_stay_record(*, family: HostFamily, guest_kind: str, guest_name: str, start_date: date,
                     end_date: date | None = None, staff: Staff | None = None, meals_per_day: int = 3) -> HostStay:
    if guest_kind == HostStay.GuestKind.PASANTE and (staff is None or staff.cadre != Cadre.PASANTE):
        raise ValidationError({"staff": _("Choose the pasante who stays with the family.")})
    return validate_and_save(HostStay(family=family, guest_kind=guest_kind, guest_name=guest_name.strip(),
                                      start_date=start_date, end_date=end_date, staff=staff,
                                      meals_per_day=meals_per_day))


@transaction.atomic
def host_payment_record(*, family: HostFamily, amount, paid_on: date, concept: str, stay: HostStay | None = None,
                        by=None) -> HostPayment:
    if stay is not None and stay.family_id != family.pk:
        raise ValidationError({"stay": _("This stay belongs to another family.")})
    return validate_and_save(HostPayment(family=family, amount=amount, paid_on=paid_on, concept=concept.strip(),
                                         stay=stay, recorded_by=by))


# --- Clinics and communities, cohorts, supervisors (network10) ---------------------------------------------

COMMUNITY_FIELDS = ("name", "municipality", "travel_minutes", "road_notes", "latitude", "longitude",
                    "accepts_visitors", "visitors_agreed_on", "visitors_agreement_kind", "visitors_agreement",
                    "visitor_capacity")


def _community_fill(community, fields: dict) -> None:
    unknown = set(fields) - set(COMMUNITY_FIELDS)
    if unknown:
        raise TypeError(f"unknown community fields: {sorted(unknown)}")
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        setattr(community, name, value)
    if not community.accepts_visitors:
        # A community that no longer receives visitors keeps no capacity that a planner could count on.
        community.visitor_capacity = None
    community.name = " ".join(community.name.split())


@transaction.atomic
def community_create(*, by=None, **fields) -> Community:
    """Add a community. ``fields`` are those of ``COMMUNITY_FIELDS``; a community that accepts visitors says
    since when and how it agreed (``Community.clean``)."""
    community = Community()
    _community_fill(community, fields)
    return validate_and_save(community)


@transaction.atomic
def community_update(*, community, by=None, **fields) -> Community:
    """Change a community's details (any of ``COMMUNITY_FIELDS``). Its history keeps the earlier values."""
    community = Community.objects.select_for_update().get(pk=community.pk)
    _community_fill(community, fields)
    return validate_and_save(community)


def _clinic_fill(clinic: Clinic, *, community, name: str, kind: str, moh_code: str) -> None:
    clinic.community = community
    clinic.name = " ".join(name.split())
    clinic.kind = kind
    clinic.moh_code = moh_code.strip().upper().replace(" ", "")


@transaction.atomic
def clinic_create(*, community, name: str, kind: str, moh_code: str = "", by=None) -> Clinic:
    """Open a clinic. Its CLUES code, when given, is checked and must be the clinic's own."""
    clinic = Clinic(active=True)
    _clinic_fill(clinic, community=community, name=name, kind=kind, moh_code=moh_code)
    return validate_and_save(clinic)


@transaction.atomic
def clinic_update(*, clinic: Clinic, community, name: str, kind: str, moh_code: str = "", by=None) -> Clinic:
    clinic = Clinic.objects.select_for_update().get(pk=clinic.pk)
    _clinic_fill(clinic, community=community, name=name, kind=kind, moh_code=moh_code)
    return validate_and_save(clinic, update_fields=["community", "name", "kind", "moh_code"])


@transaction.atomic
def clinic_deactivate(*, clinic: Clinic, by=None) -> Clinic:
    """Close a clinic: it leaves coverage and the pickers, its pages and history stay. Refused while someone
    still holds or is to hold a post there (end or move those first), so nobody is left posted to a closed
    clinic."""
    clinic = Clinic.objects.select_for_update().get(pk=clinic.pk)
    if not clinic.active:
        raise ValidationError(_("This clinic is already inactive."), code=ILLEGAL_TRANSITION)
    today = timezone.localdate()
    open_posts = clinic.assignments.filter(Q(end_date__isnull=True) | Q(end_date__gte=today)).count()
    if open_posts:
        raise ValidationError(ngettext(
            "%(count)d assignment at this clinic is current or coming: end or move it first.",
            "%(count)d assignments at this clinic are current or coming: end or move them first.",
            open_posts) % {"count": open_posts})
    clinic.active = False
    return validate_and_save(clinic, update_fields=["active"])


@transaction.atomic
def clinic_reactivate(*, clinic: Clinic, by=None) -> Clinic:
    clinic = Clinic.objects.select_for_update().get(pk=clinic.pk)
    if clinic.active:
        raise ValidationError(_("This clinic is already active."), code=ILLEGAL_TRANSITION)
    clinic.active = True
    return validate_and_save(clinic, update_fields=["active"])


class PlacementRefused(ValidationError):
    """Some rows of a cohort placement were refused; nothing was saved. ``rows``: clinic id -> messages."""

    def __init__(self, rows: dict[int, list[str]]):
        self.rows = rows
        super().__init__(ngettext(
            "%(count)d row could not be placed, so nothing was saved. Correct it and save again.",
            "%(count)d rows could not be placed, so nothing was saved. Correct them and save again.",
            len(rows)) % {"count": len(rows)})


@transaction.atomic
def cohort_place(*, cohort: Cohort, choices: dict[int, int], by=None) -> list[Assignment]:
    """Place a cohort's pasantes in one go: ``choices`` maps a clinic id to the id of the pasante chosen for
    it. Each pasante fills the clinic's first gap in the cohort's year (``cohort_placement``), through
    ``assignment_create`` and its rules and messages. Every row is tried, so each refusal is known; if any
    row is refused, ``PlacementRefused`` says why per clinic and nothing is saved."""
    clinics = {clinic.pk: clinic for clinic in cohort_placement(cohort).clinics}
    people = Staff.objects.select_related("cohort").in_bulk(list(choices.values()))
    created, refused = [], {}
    for clinic_id, staff_id in choices.items():
        clinic, staff = clinics.get(clinic_id), people.get(staff_id)
        if clinic is None:
            refused[clinic_id] = [_("This clinic is not an active rural clinic.")]
        elif clinic.placement_gap is None:
            refused[clinic_id] = [_("This clinic already has a pasante for the whole cohort year.")]
        elif staff is None:
            refused[clinic_id] = [_("Choose one of the options in the list.")]
        elif staff.cohort_id != cohort.pk or staff.cadre != Cadre.PASANTE:
            refused[clinic_id] = [_("%(person)s is not a pasante of this cohort.") % {"person": staff.full_name}]
        else:
            gap = clinic.placement_gap
            try:
                created.append(assignment_create(staff=staff, clinic=clinic, role=Assignment.Role.PASANTE,
                                                 start_date=gap.start, end_date=gap.end, end_with_cohort=False,
                                                 by=by))
            except ValidationError as exc:
                refused[clinic_id] = exc.messages
    if refused:
        raise PlacementRefused(refused)
    return created


@transaction.atomic
def supervision_settings_update(*, visit_every_days: int, by=None) -> SupervisionSettings:
    """Set how often each clinic should have a supervision visit."""
    row = SupervisionSettings.objects.select_for_update().filter(pk=1).first() or SupervisionSettings(pk=1)
    row.visit_every_days = visit_every_days
    row.updated_by = by if by is not None and by.is_authenticated else None
    row.updated_at = timezone.now()
    return validate_and_save(row)
