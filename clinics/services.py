"""Every write to clinics, staff, assignments, supervision and the patient registry.

Services validate fully (``full_clean``, which also checks the database constraints) and raise
``django.core.exceptions.ValidationError`` with a message for the person: the views show it next
to the form, the API answers 400 with it. A constraint that a concurrent request wins at the last
moment still ends as the same ValidationError, never as a server error.
"""

import contextlib
from datetime import date, timedelta

import pghistory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ces.accounts.roles import Role
from ces.core.services import validate_and_save

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
    SupervisionVisit,
)
from .selectors import name_key, patient_possible_duplicates

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
                       [f"patient:{community.pk}:{name_key(given_names)}:{name_key(family_names)}:{birth_date}"])
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


# --- Patients: edit and merge (patients10) -----------------------------------------------------------------


@transaction.atomic
def patient_update(
    *,
    patient: Patient,
    given_names: str,
    family_names: str,
    sex: str,
    birth_date: date,
    curp: str = "",
    phone: str = "",
    confirm_not_duplicate: bool = False,
    by=None,
) -> Patient:
    """Correct a patient's details (the clinic and community stay). The audit history records the change
    and who made it (the request's context). A change of name or birth date that makes the record look like
    another patient of the community (same name and birth date) is refused with ``PossibleDuplicate`` unless the person
    confirms a different patient: two records of one person are merged (``patient_merge``), not left
    side by side. A merged record is not edited: its person lives on in the record it was merged into."""
    with _audited_as(by):
        return _patient_update(patient=patient, given_names=given_names, family_names=family_names, sex=sex,
                               birth_date=birth_date, curp=curp, phone=phone,
                               confirm_not_duplicate=confirm_not_duplicate)


def _audited_as(by):
    """The audit context names ``by`` as who made the change, also outside a request (a command, a task)."""
    return pghistory.context(user=by.pk) if by is not None else contextlib.nullcontext()


def _patient_update(*, patient, given_names, family_names, sex, birth_date, curp, phone, confirm_not_duplicate):
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if patient.merged_into_id is not None:
        raise ValidationError(_("This record was merged into another one; edit that one instead."),
                              code="merged")
    identity = (name_key(patient.given_names), name_key(patient.family_names), patient.birth_date)
    patient.given_names = " ".join(given_names.split())
    patient.family_names = " ".join(family_names.split())
    patient.sex = sex
    patient.birth_date = birth_date
    patient.curp = curp.strip().upper()
    patient.phone = phone.strip()
    patient.full_clean()
    if (name_key(patient.given_names), name_key(patient.family_names), patient.birth_date) == identity:
        # Name and birth date unchanged (a phone corrected, an accent added): no new look-alike to check.
        return validate_and_save(patient, update_fields=["given_names", "family_names", "sex", "birth_date",
                                                         "curp", "phone"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [
            f"patient:{patient.community_id}:{name_key(patient.given_names)}:{name_key(patient.family_names)}:"
            f"{patient.birth_date}"])
    candidates = patient_possible_duplicates(
        community=patient.community, given_names=patient.given_names, family_names=patient.family_names,
        birth_date=patient.birth_date,
    ).exclude(pk=patient.pk)
    if candidates.exists():
        if not confirm_not_duplicate:
            raise PossibleDuplicate(candidates.select_related("clinic")[:10])
        patient.duplicate_reviewed = True
    return validate_and_save(patient, update_fields=["given_names", "family_names", "sex", "birth_date", "curp",
                                                     "phone", "duplicate_reviewed"])


def _rows_pointing_at_patients():
    """Every foreign key of any app that points at Patient, as (model, field name): found from Patient's
    reverse relations, hidden ones (``related_name="+"``, many-to-many tables) included, so a later app's
    rows follow a merge without this module knowing the app. The audit events are left where they are:
    each record keeps its own history."""
    import pghistory.models

    found = []
    for relation in Patient._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete and (relation.one_to_many or relation.one_to_one)):
            continue
        model = relation.related_model
        if issubclass(model, pghistory.models.Event) or model._meta.proxy:
            continue
        found.append((model, relation.field.name))
    return found


@transaction.atomic
def patient_merge(*, survivor: Patient, merged: Patient, by=None) -> Patient:
    """``merged`` was the same person as ``survivor``: every row of any app that points at ``merged``
    now points at ``survivor``, and ``merged`` stays, marked ``merged_into`` the survivor (hidden from lists
    and pickers, its page leads to the survivor). The survivor keeps its details, and takes the merged
    record's CURP and phone where it has none. Both records keep their history, and the rows moved are
    recorded in theirs. All of it or nothing.

    Refused: a record into itself; a record already merged, or into one (merge into the record it went to);
    two records with different CURPs (a CURP is one person's; two of them are two people, or a typing
    mistake to correct first); a man and a woman (two people, or the sex to correct first).
    """
    if survivor.pk == merged.pk:
        raise ValidationError(_("A record cannot be merged into itself."), code="merge_self")
    with _audited_as(by):
        return _patient_merge(survivor=survivor, merged=merged)


def _patient_merge(*, survivor: Patient, merged: Patient) -> Patient:
    # Both rows locked in a fixed order: two coordinators merging the same pair either way round wait
    # for each other, and the second one finds the first's result.
    locked = Patient.objects.select_for_update().in_bulk([survivor.pk, merged.pk])
    survivor, merged = locked[survivor.pk], locked[merged.pk]
    if merged.merged_into_id is not None:
        raise ValidationError(_("%(name)s was already merged into another record.") % {"name": merged.full_name},
                              code="merge_merged")
    if survivor.merged_into_id is not None:
        raise ValidationError(_("%(name)s was merged into another record: merge into that one.") % {
            "name": survivor.full_name}, code="merge_into_merged")
    if survivor.curp and merged.curp and survivor.curp != merged.curp:
        raise ValidationError(_("The two records have different CURPs (%(a)s and %(b)s): they are two people, "
                                "or one CURP is wrong and must be corrected first.") % {
            "a": survivor.curp, "b": merged.curp}, code="merge_curp")
    if survivor.sex != merged.sex:
        raise ValidationError(_("One record is of a woman and the other of a man: they are two people, or the "
                                "sex must be corrected first."), code="merge_sex")
    for model, field in _rows_pointing_at_patients():
        try:
            with transaction.atomic():
                model._base_manager.filter(**{field: merged}).update(**{field: survivor})
        except IntegrityError as exc:
            # A row that may exist once per patient (a one-to-one, a unique pair) is there for both.
            raise ValidationError(_("Both records have their own %(what)s, which a patient can have only once: "
                                    "resolve it before merging.") % {"what": model._meta.verbose_name},
                                  code="merge_conflict") from exc
    taken = []
    if not survivor.curp and merged.curp:
        survivor.curp, merged.curp = merged.curp, ""
        taken.append("curp")
    if not survivor.phone and merged.phone:
        survivor.phone = merged.phone
        taken.append("phone")
    merged.merged_into = survivor
    # The CURP leaves the merged record before it reaches the survivor (it is unique).
    validate_and_save(merged, update_fields=["merged_into", "curp"])
    if taken:
        validate_and_save(survivor, update_fields=taken)
    return survivor
