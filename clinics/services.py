"""Every write to clinics, staff, assignments, supervision and the patient registry.

Services validate fully (``full_clean``, which also checks the database constraints) and raise
``django.core.exceptions.ValidationError`` with a message for the person: the views show it next
to the form, the API answers 400 with it. A constraint that a concurrent request wins at the last
moment still ends as the same ValidationError, never as a server error.
"""

import contextlib
import hashlib
import secrets
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

import pghistory
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ces.accounts.roles import Role
from ces.core.services import ILLEGAL_TRANSITION, validate_and_save
from ces.core.uploads import EXTENSIONS as UPLOAD_EXTENSIONS
from ces.core.uploads import sniff_content_type

from .models import (
    Assignment,
    Cadre,
    Clinic,
    Cohort,
    Community,
    HostFamily,
    HostPayment,
    HostStay,
    Invitation,
    Patient,
    Staff,
    SupervisionSettings,
    SupervisionVisit,
)
from .selectors import can_give_admin_role, cohort_placement, name_key, patient_possible_duplicates

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
def cohort_update(*, cohort: Cohort, name: str, start_date: date, end_date: date, by=None) -> Cohort:
    """Rename a cohort or move its dates. Its pasantes' posts are never moved silently: dates that would leave
    one of them outside the cohort's year (a post starting before the new start or ending after the new end,
    or with no end) are refused, naming them, so the coordinator ends or moves those posts first. A longer
    year is allowed and leaves the posts as they are (each was given its own end)."""
    cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)
    cohort.name, cohort.start_date, cohort.end_date = " ".join(name.split()), start_date, end_date
    cohort.full_clean()
    outside = list(
        Assignment.objects.filter(staff__cohort=cohort, role=Assignment.Role.PASANTE)
        .filter(Q(start_date__lt=start_date) | Q(end_date__isnull=True) | Q(end_date__gt=end_date))
        .select_related("staff", "clinic").order_by("staff__full_name", "start_date")[:4]
    )
    if outside:
        names = ", ".join(f"{post.staff.full_name} ({post.clinic.name})" for post in outside[:3])
        if len(outside) > 3:
            names += ", …"
        raise ValidationError(_("These dates would leave posts of this cohort's pasantes outside its year: "
                                "%(posts)s. End or move those posts first.") % {"posts": names},
                              code="cohort_posts_outside")
    return validate_and_save(cohort)


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
    raise ValidationError({"staff": _pasante_placed_message(staff, placed)})


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


# --- Host families, their stays and payments (hosts10) ------------------------------------------------------

RECEIPT_MAX_BYTES = 10 * 1024 * 1024


def _money(value) -> Decimal:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({"amount": _("Write an amount in pesos, for example 1500.50.")}) from exc


@transaction.atomic
def host_family_create(
    *,
    community,
    head_of_household: str,
    rate_per_night,
    rate_per_meal,
    phone: str = "",
    address: str = "",
    rooms: int = 1,
    active: bool = True,
    notes: str = "",
) -> HostFamily:
    return validate_and_save(HostFamily(
        community=community, head_of_household=" ".join(head_of_household.split()), phone=phone.strip(),
        address=address.strip(), rooms=rooms, rate_per_night=rate_per_night, rate_per_meal=rate_per_meal,
        active=active, notes=notes.strip(),
    ))


HOST_FAMILY_FIELDS = ("community", "head_of_household", "phone", "address", "rooms", "rate_per_night",
                      "rate_per_meal", "active", "notes")


@transaction.atomic
def host_family_update(
    *,
    family: HostFamily,
    community,
    head_of_household: str,
    rate_per_night,
    rate_per_meal,
    phone: str = "",
    address: str = "",
    rooms: int = 1,
    active: bool = True,
    notes: str = "",
) -> HostFamily:
    """Change a family's details. New rates apply to the stays recorded from now on; those already recorded
    keep the rates they were agreed at."""
    family = HostFamily.objects.select_for_update().get(pk=family.pk)
    if rooms < family.rooms:
        # Fewer rooms than guests on a night still to come would break the rule the stays were recorded under.
        today = timezone.localdate()
        coming = list(family.stays.filter(last_night__gte=today, cancelled_at__isnull=True))
        last = max((stay.last_night for stay in coming), default=today)
        if _most_guests_at_once(coming, today, last) > rooms:
            raise ValidationError({"rooms": _("More guests than that are booked on some night still to come: "
                                              "move or shorten their stays first.")})
    family.community = community
    family.head_of_household = " ".join(head_of_household.split())
    family.phone = phone.strip()
    family.address = address.strip()
    family.rooms = rooms
    family.rate_per_night = rate_per_night
    family.rate_per_meal = rate_per_meal
    family.active = active
    family.notes = notes.strip()
    return validate_and_save(family, update_fields=list(HOST_FAMILY_FIELDS))


def _most_guests_at_once(stays, first_night: date, last_night: date) -> int:
    """The largest number of ``stays`` sleeping at the family on any one night between the two (inclusive)."""
    changes: dict[date, int] = {}
    for stay in stays:
        start = max(stay.first_night, first_night)
        end = min(stay.last_night, last_night)
        if start > end:
            continue
        changes[start] = changes.get(start, 0) + 1
        changes[end + timedelta(days=1)] = changes.get(end + timedelta(days=1), 0) - 1
    most = current = 0
    for day in sorted(changes):
        current += changes[day]
        most = max(most, current)
    return most


@transaction.atomic
def host_family_stay_create(
    *,
    family: HostFamily,
    guest_kind: str,
    first_night: date,
    last_night: date,
    guest_staff: Staff | None = None,
    guest_name: str = "",
    meals_per_day: int = 3,
    by=None,
) -> HostStay:
    """Record a guest's stay with a family, at the family's rates of today (kept on the stay).

    The guest is a pasante (``guest_staff``) or a visitor (``guest_name``; the visitors app calls this).
    Refused when the family is not active, or when on some night the family would have more guests than
    rooms. The family's row is locked while counting, so two people recording stays at the same moment
    cannot both take the last room.
    """
    family = HostFamily.objects.select_for_update().select_related("community").get(pk=family.pk)
    if not family.active:
        raise ValidationError({"family": _("This family no longer hosts guests.")})
    if guest_kind == HostStay.GuestKind.PASANTE:
        if guest_staff is None or guest_staff.cadre != Cadre.PASANTE:
            raise ValidationError({"guest_staff": _("Choose the pasante who stays with the family.")})
        guest_name = guest_staff.full_name
    elif guest_kind == HostStay.GuestKind.VISITOR:
        guest_staff = None
        if not guest_name.strip():
            raise ValidationError({"guest_name": _("Write the name of the visitor.")})
    stay = HostStay(family=family, guest_kind=guest_kind, guest_staff=guest_staff,
                    guest_name=" ".join(guest_name.split()), first_night=first_night, last_night=last_night,
                    meals_per_day=meals_per_day, rate_per_night=family.rate_per_night,
                    rate_per_meal=family.rate_per_meal, recorded_by=by)
    _check_stay_fits(family=family, guest_staff=guest_staff, first_night=first_night, last_night=last_night)
    return validate_and_save(stay)


def _check_stay_fits(*, family: HostFamily, guest_staff: Staff | None, first_night: date, last_night: date,
                     stay: HostStay | None = None) -> None:
    """The rules a stay's nights follow, for a new stay or ``stay`` changed: the last night not before the
    first, the pasante in one place at a time, never more guests than rooms. Cancelled stays take no room;
    ``stay`` itself is not counted against its new nights. The family's row is locked by the caller."""
    if last_night < first_night:
        raise ValidationError({"last_night": _("The last night cannot be before the first.")})
    others = HostStay.objects.filter(first_night__lte=last_night, last_night__gte=first_night,
                                     cancelled_at__isnull=True)
    if stay is not None:
        others = others.exclude(pk=stay.pk)
    if guest_staff is not None and others.filter(guest_staff=guest_staff).exists():
        raise ValidationError({"guest_staff": _("%(person)s already has a stay during those nights.") % {
            "person": guest_staff.full_name}})
    if _most_guests_at_once(list(others.filter(family=family)), first_night, last_night) + 1 > family.rooms:
        raise ValidationError({"first_night": ngettext(
            "The family has %(rooms)d room and it is taken on some of those nights.",
            "The family has %(rooms)d rooms and they are all taken on some of those nights.",
            family.rooms) % {"rooms": family.rooms}})


def _stay_locked(stay: HostStay) -> tuple[HostFamily, HostStay]:
    """The stay's family locked first (as ``host_family_stay_create`` locks it: rooms are counted under that
    lock), then the stay itself, read afresh."""
    family = HostFamily.objects.select_for_update().select_related("community").get(pk=stay.family_id)
    stay = HostStay.objects.select_for_update(of=("self",)).select_related("guest_staff").get(pk=stay.pk)
    stay.family = family
    return family, stay


@transaction.atomic
def host_family_stay_update(*, stay: HostStay, first_night: date, last_night: date, meals_per_day: int,
                            by=None) -> HostStay:
    """Change a stay's nights or meals, under the same rules as recording it (rooms, the pasante in one
    place at a time, the last night not before the first). The rates stay those the stay was agreed at.
    A cancelled stay is not changed, and an inactive family takes no night it did not already have.
    The history records the change and who made it."""
    with _audited_as(by):
        family, stay = _stay_locked(stay)
        if stay.cancelled_at is not None:
            raise ValidationError(_("This stay was cancelled; record a new one instead."), code=ILLEGAL_TRANSITION)
        if not family.active and (first_night < stay.first_night or last_night > stay.last_night):
            raise ValidationError({"family": _("This family no longer hosts guests: the stay can be shortened, "
                                               "not lengthened.")})
        _check_stay_fits(family=family, guest_staff=stay.guest_staff, first_night=first_night,
                         last_night=last_night, stay=stay)
        stay.first_night, stay.last_night, stay.meals_per_day = first_night, last_night, meals_per_day
        return validate_and_save(stay, update_fields=["first_night", "last_night", "meals_per_day"])


@transaction.atomic
def host_family_stay_cancel(*, stay: HostStay, reason: str, by=None) -> HostStay:
    """Cancel a stay (the guest did not come, or it was recorded by mistake): from now on it is owed
    nothing and takes no room, and it stays in the family's history with when and why. A payment that
    covered it stays too: the family's balance shows what was paid ahead."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Say why the stay is cancelled.")})
    with _audited_as(by):
        _family, stay = _stay_locked(stay)
        if stay.cancelled_at is not None:
            raise ValidationError(_("This stay is already cancelled."), code=ILLEGAL_TRANSITION)
        stay.cancelled_at = timezone.now()
        stay.cancel_reason = reason[:200]
        return validate_and_save(stay, update_fields=["cancelled_at", "cancel_reason"])


def host_receipt_check(receipt) -> str:
    """The extension a receipt is stored under, from what its content is (JPEG, PNG or PDF, up to 10 MB).
    A ValidationError on ``receipt`` otherwise."""
    if receipt.size > RECEIPT_MAX_BYTES:
        raise ValidationError({"receipt": _("The receipt is larger than 10 MB. Send a smaller photo or PDF.")})
    content_type = sniff_content_type(receipt)
    if content_type is not None:
        return UPLOAD_EXTENSIONS[content_type]
    raise ValidationError({"receipt": _("The receipt must be a photo (JPEG or PNG) or a PDF.")})


def host_family_owed_and_paid(family: HostFamily, *, stays=None, excluding: HostPayment | None = None
                              ) -> tuple[Decimal, Decimal]:
    """What ``stays`` (all the family's stays by default) cost in total, and what has been paid for them:
    the payments that cover one of them, or, for all the stays, every payment to the family (but
    ``excluding``, the payment being changed). Cancelled stays cost nothing."""
    payments = HostPayment.objects.all() if excluding is None else HostPayment.objects.exclude(pk=excluding.pk)
    if stays is None:
        owed = sum((stay.amount_owed for stay in family.stays.filter(cancelled_at__isnull=True)), Decimal("0"))
        paid = payments.filter(family=family).aggregate(total=Sum("amount"))["total"] or Decimal("0")
    else:
        owed = sum((stay.amount_owed for stay in stays), Decimal("0"))
        paid = (payments.filter(stays__in=stays).distinct()
                .aggregate(total=Sum("amount"))["total"] or Decimal("0"))
    return owed, paid


def _payment_checked(*, family: HostFamily, amount, paid_on: date, stays, covered=frozenset()):
    """The amount in pesos and the stays read again under the family's lock (a stay is cancelled under it
    too: what the form saw may be stale), or a ValidationError. ``covered``: the ids of the stays the
    payment already covers, which it may keep when they have been cancelled since."""
    amount = _money(amount)
    if amount <= 0:
        raise ValidationError({"amount": _("The amount must be more than zero.")})
    if paid_on and paid_on > timezone.localdate():
        raise ValidationError({"paid_on": _("The payment date cannot be in the future.")})
    asked = {stay.pk for stay in stays}
    stays = list(HostStay.objects.filter(pk__in=asked)) if asked else []
    if len(stays) != len(asked) or any(stay.family_id != family.pk for stay in stays):
        raise ValidationError({"stays": _("This stay belongs to another family.")})
    if any(stay.cancelled_at is not None and stay.pk not in covered for stay in stays):
        raise ValidationError({"stays": _("This stay was cancelled: nothing is owed for it.")})
    return amount, stays


def _receipt_attach(payment: HostPayment, receipt, save) -> None:
    extension = host_receipt_check(receipt) if receipt else None
    if extension:
        payment.receipt.save(f"receipt.{extension}", receipt, save=False)
    try:
        save()
    except ValidationError:
        if extension:  # refused: the file written a moment ago belongs to nothing
            payment.receipt.storage.delete(payment.receipt.name)
        raise


@transaction.atomic
def host_family_payment_create(
    *,
    family: HostFamily,
    amount,
    paid_on: date,
    concept: str,
    method: str = HostPayment.Method.CASH,
    stays=(),
    receipt=None,
    by=None,
) -> HostPayment:
    """Record a payment to a family, with the stays it covers and its receipt (checked by its content).

    A payment above what is owed is allowed (an advance, a tip agreed with the family) and its ``excess`` is
    kept, which the family's page shows: owed and paid are those of the stays it covers, or of all the
    family's stays when it names none. The stays it covers are in its history (``HostPaymentStay``).
    """
    with _audited_as(by):
        family = HostFamily.objects.select_for_update().get(pk=family.pk)
        amount, stays = _payment_checked(family=family, amount=amount, paid_on=paid_on, stays=stays)
        payment = HostPayment(family=family, amount=amount, paid_on=paid_on, concept=concept.strip(),
                              method=method, recorded_by=by)
        owed, paid = host_family_owed_and_paid(family, stays=stays or None)
        payment.excess = max(Decimal("0"), paid + amount - owed)
        _receipt_attach(payment, receipt, lambda: validate_and_save(payment))
        if stays:
            payment.stays.set(stays)
        return payment


@transaction.atomic
def host_family_payment_update(
    *,
    payment: HostPayment,
    amount,
    paid_on: date,
    concept: str,
    method: str,
    stays=(),
    receipt=None,
    by=None,
) -> HostPayment:
    """Correct a payment: its amount, date, method, concept, the stays it covers, and its receipt when a new
    one is given (the old file stays, as the history's). ``excess`` is weighed again, against the other
    payments. Each stay added or taken off is recorded in its history with who and when."""
    with _audited_as(by):
        family = HostFamily.objects.select_for_update().get(pk=payment.family_id)
        payment = HostPayment.objects.select_for_update().get(pk=payment.pk)
        covered = set(payment.stays.values_list("pk", flat=True))
        amount, stays = _payment_checked(family=family, amount=amount, paid_on=paid_on, stays=stays,
                                         covered=covered)
        payment.amount, payment.paid_on, payment.method = amount, paid_on, method
        payment.concept = concept.strip()
        owed, paid = host_family_owed_and_paid(family, stays=stays or None, excluding=payment)
        payment.excess = max(Decimal("0"), paid + amount - owed)
        _receipt_attach(payment, receipt, lambda: validate_and_save(
            payment, update_fields=["amount", "paid_on", "method", "concept", "excess", "receipt"]))
        if {stay.pk for stay in stays} != covered:
            payment.stays.set(stays)
        return payment


# --- People and accounts (people10) ------------------------------------------------------------------------
# A person is added, edited and deactivated here, never deleted; their login comes from an invitation.

# The roles an invitation may give: every role but applicant (applicants sign themselves up).
INVITABLE_ROLES = tuple(role for role in Role.values if role != Role.APPLICANT)
STAFF_FIELDS = ("full_name", "cadre", "email", "phone", "curp", "cohort", "notes")


def invitable_roles_for(user) -> tuple[str, ...]:
    return tuple(role for role in INVITABLE_ROLES if role != Role.ADMIN or can_give_admin_role(user))


def _tidy_staff(staff: Staff) -> None:
    staff.full_name = " ".join(staff.full_name.split())
    staff.email = staff.email.strip().lower()
    staff.phone = staff.phone.strip()
    staff.curp = staff.curp.strip().upper()


def _refuse_known_email(staff: Staff) -> None:
    """Say so when another person of the directory already has the e-mail (the constraint stays the last word)."""
    if not staff.email:
        return
    other = Staff.objects.filter(email__iexact=staff.email).exclude(pk=staff.pk).first()
    if other is not None:
        raise ValidationError({"email": _("%(person)s already has this e-mail address.") % {
            "person": other.full_name}})


@transaction.atomic
def person_add(*, full_name: str, cadre: str, email: str = "", phone: str = "", curp: str = "",
               cohort: Cohort | None = None, notes: str = "", by=None) -> Staff:
    """Add a person to the staff directory, without a login (``invitation_send`` gives them one)."""
    staff = Staff(full_name=full_name, cadre=cadre, email=email, phone=phone, curp=curp, cohort=cohort, notes=notes)
    _tidy_staff(staff)
    _refuse_known_email(staff)
    return validate_and_save(staff)


@transaction.atomic
def person_update(*, staff: Staff, by=None, **changes) -> Staff:
    """Correct a person's details (any of ``STAFF_FIELDS``). Their account's name, e-mail and phone follow."""
    unknown = set(changes) - set(STAFF_FIELDS)
    if unknown:
        raise TypeError(f"person_update() got unexpected fields {sorted(unknown)}")
    staff = Staff.objects.select_for_update(of=("self",)).select_related("user").get(pk=staff.pk)
    for name, value in changes.items():
        setattr(staff, name, value)
    _tidy_staff(staff)
    _refuse_known_email(staff)
    if staff.user_id and not staff.email:
        raise ValidationError({"email": _("This person logs in with their e-mail address: it cannot be left empty.")})
    validate_and_save(staff, update_fields=list(changes))
    user = staff.user
    if user is not None:
        User = get_user_model()
        if User.objects.filter(email__iexact=staff.email).exclude(pk=user.pk).exists():
            raise ValidationError({"email": _("There is already an account with this e-mail address.")})
        user.full_name, user.email, user.phone = staff.full_name, staff.email, staff.phone
        validate_and_save(user, update_fields=["full_name", "email", "phone"])
    return staff


@transaction.atomic
def person_deactivate(*, staff: Staff, last_day: date | None = None, by=None) -> Staff:
    """Deactivate a person from ``last_day`` (today by default): their open assignments end that day and
    their account closes the day after (now, if that day has come; else ``accounts_close_due`` closes it).
    Their pending invitations are withdrawn. Nothing is deleted: the history stays."""
    today = timezone.localdate()
    last_day = last_day or today
    staff = Staff.objects.select_for_update().get(pk=staff.pk)
    if not staff.active:
        raise ValidationError(_("%(person)s is already inactive.") % {"person": staff.full_name},
                              code=ILLEGAL_TRANSITION)
    later = staff.assignments.filter(start_date__gt=last_day).select_related("clinic").order_by("start_date").first()
    if later is not None:
        raise ValidationError({"last_day": _(
            "%(person)s has a post at %(clinic)s starting on %(start)s, after this day. Choose a later last day."
        ) % {"person": staff.full_name, "clinic": later.clinic.name, "start": later.start_date.strftime("%d/%m/%Y")}})
    # One UPDATE, however many posts: each starts on or before the last day, so ending it then breaks no rule
    # (shortening a post never makes an overlap); the history triggers record each row all the same.
    staff.assignments.filter(start_date__lte=last_day).exclude(end_date__lte=last_day).update(
        end_date=last_day, end_reason=_("Deactivated"))
    staff.active = False
    staff.last_day = last_day
    validate_and_save(staff, update_fields=["active", "last_day"])
    Invitation.objects.filter(staff=staff, accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=timezone.now())
    accounts_close_due(today=today, staff_ids=[staff.pk])
    return staff


def accounts_close_due(*, today: date | None = None, staff_ids=None) -> int:
    """Close the accounts of the people whose last day is before ``today``; returns how many. Safe to run twice."""
    today = today or timezone.localdate()
    due = Staff.objects.filter(active=False, last_day__lt=today, user__is_active=True)
    if staff_ids is not None:
        due = due.filter(pk__in=staff_ids)
    return get_user_model().objects.filter(pk__in=due.values("user_id")).update(is_active=False)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invitation_send(*, staff: Staff, roles, by=None, base_url: str = "") -> tuple[Invitation, str]:
    """Invite a person to log in with ``roles``: their account (made now if they have none, with no password)
    gets exactly those roles, and an e-mail in their language carries a one-time link to set a password.
    Any earlier open invitation stops working. Returns the invitation and the link's token (only in the
    e-mail otherwise: the database keeps its hash)."""
    staff = Staff.objects.select_for_update(of=("self",)).select_related("user").get(pk=staff.pk)
    roles = sorted(set(roles))
    if not staff.active:
        raise ValidationError(_("%(person)s is no longer active.") % {"person": staff.full_name})
    if not staff.email:
        raise ValidationError({"email": _("Add the person's e-mail address first: the invitation goes there.")})
    if not roles:
        raise ValidationError({"roles": _("Choose at least one role.")})
    refused = [role for role in roles if role not in INVITABLE_ROLES]
    if refused:
        raise ValidationError({"roles": _("These roles cannot be given by invitation: %(roles)s.") % {
            "roles": ", ".join(refused)}})
    if Role.ADMIN in roles and not can_give_admin_role(by):
        raise ValidationError({"roles": _("Only an administrator can give the administrator role.")})
    User = get_user_model()
    user = staff.user
    if user is None:
        user = User.objects.filter(email__iexact=staff.email).first()
        if user is not None and Staff.objects.filter(user=user).exists():
            raise ValidationError({"email": _("This e-mail address is the login of someone else.")})
        if user is None:
            try:
                with transaction.atomic():
                    user = User.objects.create_user(email=staff.email, password=None, full_name=staff.full_name,
                                                    phone=staff.phone)
            except IntegrityError as exc:  # the same address, created at the same moment
                raise ValidationError({"email": _("There is already an account with this e-mail address.")}) from exc
        staff.user = user
        staff.save(update_fields=["user"])
    groups = [Group.objects.get_or_create(name=role)[0] for role in roles]
    user.groups.remove(*user.groups.filter(name__in=Role.values).exclude(name__in=roles))
    user.groups.add(*groups)
    now = timezone.now()
    Invitation.objects.filter(staff=staff, accepted_at__isnull=True, revoked_at__isnull=True).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = validate_and_save(Invitation(
        staff=staff, user=user, email=staff.email, roles=roles, token_hash=_token_hash(token), sent_at=now,
        expires_at=now + timedelta(days=settings.INVITATION_DAYS), sent_by=by))
    link = base_url + reverse("clinics:invitation-accept", args=[token])
    transaction.on_commit(lambda: _invitation_mail(invitation, link))
    return invitation, token


def _invitation_mail(invitation: Invitation, link: str) -> None:
    language = invitation.user.preferred_language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {"invitation": invitation, "link": link, "days": settings.INVITATION_DAYS,
                   "expires": timezone.localtime(invitation.expires_at)}
        subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + _("Your access to CES Operaciones")
        body = render_to_string("clinics/people/invitation_email.txt", context)
    send_mail(subject, body, None, [invitation.email])


class InvitationInvalid(ValidationError):
    """A token that is wrong, used or withdrawn: one message for all, so a guess learns nothing."""

    def __init__(self):
        super().__init__(_("This link is not valid or has already been used. Ask the coordination for a new "
                           "invitation."), code="invalid")


class InvitationExpired(ValidationError):
    def __init__(self):
        super().__init__(_("This invitation has expired. Ask the coordination to send you a new one."),
                         code="expired")


def invitation_by_token(token: str, *, for_update: bool = False) -> Invitation:
    """The open invitation of ``token``; ``InvitationInvalid`` or ``InvitationExpired`` otherwise."""
    invitations = Invitation.objects.select_related("user", "staff")
    if for_update:
        invitations = invitations.select_for_update(of=("self",))
    invitation = invitations.filter(token_hash=_token_hash(token or "")).first()
    if invitation is None or invitation.accepted_at or invitation.revoked_at or not invitation.user.is_active:
        raise InvitationInvalid()
    if invitation.expires_at <= timezone.now():
        raise InvitationExpired()
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, password: str) -> Invitation:
    """Set the invited person's password and mark the invitation used (once: a second try is refused)."""
    invitation = invitation_by_token(token, for_update=True)
    user = invitation.user
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return invitation


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
    fields.setdefault("visitors_agreement_kind", "")  # its db_default is no value for clean() to check
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


def _pasante_placed_message(staff: Staff, placed) -> str:
    """Where a pasante already is (``placed``: an Assignment or anything with clinic, start and end dates)."""
    names = {"person": staff.full_name, "clinic": placed.clinic.name, "start": placed.start_date.strftime("%d/%m/%Y")}
    if placed.end_date is None:
        return _("%(person)s is already at %(clinic)s from %(start)s, with no end date.") % names
    return _("%(person)s is already at %(clinic)s from %(start)s to %(end)s.") % {
        **names, "end": placed.end_date.strftime("%d/%m/%Y")}


@transaction.atomic
def cohort_place(*, cohort: Cohort, choices: dict[int, int], by=None) -> list[Assignment]:
    """Place a cohort's pasantes in one go: ``choices`` maps a clinic id to the id of the pasante chosen for
    it. Each pasante fills the clinic's first gap in the cohort's year (``cohort_placement``), under
    ``assignment_create``'s rules and messages. Every row is checked, so each refusal is known; if any row is
    refused, ``PlacementRefused`` says why per clinic and nothing is saved.

    A fixed number of queries whatever the number of rows: the clinics with their posts, the people, their
    pasante posts of the year, then every assignment in one insert. Should a concurrent writer take a post
    between the checks and the insert (the exclusion constraints say so), the rows are tried again one by one
    through ``assignment_create``, which names the row that can no longer be placed."""
    clinics = {clinic.pk: clinic for clinic in cohort_placement(cohort).clinics}
    people = Staff.objects.select_related("cohort").in_bulk(list(choices.values()))
    # The chosen pasantes' posts over the cohort's year (a gap lies within it), first ones first.
    posts: dict[int, list] = {}
    for post in (Assignment.objects.filter(staff__in=list(people), role=Assignment.Role.PASANTE,
                                           start_date__lte=cohort.end_date)
                 .filter(Q(end_date__isnull=True) | Q(end_date__gte=cohort.start_date))
                 .select_related("clinic").order_by("start_date", "pk")):
        posts.setdefault(post.staff_id, []).append(post)
    planned, refused = [], {}
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
            try:
                _check_assignment_fits(staff=staff, clinic=clinic, role=Assignment.Role.PASANTE)
            except ValidationError as exc:
                refused[clinic_id] = exc.messages
                continue
            gap = clinic.placement_gap
            placed = next((p for p in posts.get(staff.pk, ())
                           if p.start_date <= gap.end and (p.end_date is None or p.end_date >= gap.start)), None)
            if placed is not None:
                refused[clinic_id] = [_pasante_placed_message(staff, placed)]
                continue
            assignment = Assignment(staff=staff, clinic=clinic, role=Assignment.Role.PASANTE, start_date=gap.start,
                                    end_date=gap.end, created_by=by)
            try:
                # The people and the clinic are those just read: only the values and the rule of the dates.
                assignment.clean_fields(exclude=["staff", "clinic", "created_by"])
                assignment.clean()
            except ValidationError as exc:
                refused[clinic_id] = exc.messages
                continue
            # The rows after this one see this pasante as placed, as they would in the database.
            posts.setdefault(staff.pk, []).append(assignment)
            posts[staff.pk].sort(key=lambda p: p.start_date)
            planned.append(assignment)
    if refused:
        raise PlacementRefused(refused)
    try:
        with transaction.atomic():
            return Assignment.objects.bulk_create(planned)
    except IntegrityError:
        return _cohort_place_one_by_one(cohort=cohort, choices=choices, clinics=clinics, people=people, by=by)


def _cohort_place_one_by_one(*, cohort, choices, clinics, people, by) -> list[Assignment]:
    created, refused = [], {}
    for clinic_id, staff_id in choices.items():
        clinic, gap = clinics[clinic_id], clinics[clinic_id].placement_gap
        try:
            created.append(assignment_create(staff=people[staff_id], clinic=clinic, role=Assignment.Role.PASANTE,
                                             start_date=gap.start, end_date=gap.end, end_with_cohort=False, by=by))
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
