import re
import uuid
from datetime import date
from decimal import Decimal

import pghistory
from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, DateRangeField, RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ces.accounts.roles import Role


class DateRange(Func):
    """``daterange(start, end, '[]')``: an inclusive date range; a NULL end is open-ended."""

    function = "daterange"
    output_field = DateRangeField()


def _inclusive_range(start="start_date", end="end_date"):
    return DateRange(start, end, Value("[]"))


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Community(models.Model):
    class Agreement(models.TextChoices):
        ASSEMBLY_MINUTES = "assembly_minutes", _("Community assembly minutes")
        LETTER = "letter", _("Letter from the authorities")
        VERBAL = "verbal", _("Verbal agreement with the authorities")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=120, unique=True)
    municipality = models.CharField(_("municipality"), max_length=120)
    travel_minutes = models.PositiveIntegerField(
        _("travel time to the central office (minutes)"), null=True, blank=True
    )
    road_notes = models.TextField(_("road notes"), blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    accepts_visitors = models.BooleanField(_("accepts visitors"), default=False)
    visitors_agreed_on = models.DateField(_("visitors agreed on"), null=True, blank=True)
    visitors_agreement = models.TextField(_("how the community agreed"), blank=True)
    # db_default: rows written by raw SQL (scripts/bench.py) need no value.
    visitors_agreement_kind = models.CharField(
        _("agreement recorded in"), max_length=20, choices=Agreement.choices, blank=True, db_default=""
    )
    visitor_capacity = models.PositiveSmallIntegerField(
        _("visitors it can receive at once"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.accepts_visitors and not self.visitors_agreed_on:
            errors["visitors_agreed_on"] = _("Say when the community agreed to receive visitors.")
        if self.accepts_visitors and not self.visitors_agreement_kind:
            errors["visitors_agreement_kind"] = _("Say how the community agreed: assembly minutes, a letter...")
        if self.visitors_agreed_on and self.visitors_agreed_on > timezone.localdate():
            errors["visitors_agreed_on"] = _("The date of the agreement cannot be in the future.")
        if errors:
            raise ValidationError(errors)


# The Secretaría de Salud's establishment code: state and institution (5 letters), then 6 digits.
CLUES_RE = r"^[A-Z]{5}[0-9]{6}$"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Clinic(models.Model):
    class Kind(models.TextChoices):
        RURAL_CLINIC = "rural_clinic", _("Rural clinic")
        HOSPITAL = "hospital", _("Community hospital")
        MATERNAL_HOME = "maternal_home", _("Maternal waiting home")
        CENTRAL_OFFICE = "central_office", _("Central office")

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="clinics", verbose_name=_("community")
    )
    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.RURAL_CLINIC)
    moh_code = models.CharField(
        _("MoH code (CLUES)"),
        max_length=20,
        blank=True,
        validators=[RegexValidator(CLUES_RE, _("A CLUES code has 5 capital letters and 6 digits, e.g. CSSSA019201."))],
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("clinic")
        verbose_name_plural = _("clinics")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["moh_code"], condition=~Q(moh_code=""), name="clinic_moh_code_unique",
                violation_error_message=_("This CLUES code is already used by another clinic."),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("clinics:clinic-detail", args=[self.pk])

    @property
    def needs_pasante(self) -> bool:
        """Only rural clinics are posts that a pasante must always fill (coverage)."""
        return self.active and self.kind == self.Kind.RURAL_CLINIC


class Cohort(models.Model):
    """A promoción: the pasantes who do their social-service year together."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"))

    class Meta:
        verbose_name = _("cohort")
        verbose_name_plural = _("cohorts")
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")),
                name="cohort_ends_after_start",
                violation_error_message=_("The cohort must end after it starts."),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("clinics:cohort-detail", args=[self.pk])


class Cadre(models.TextChoices):
    PASANTE = "pasante", _("Pasante (social-service doctor)")
    SUPERVISOR = "supervisor", _("Clinical supervisor")
    NURSE = "nurse", _("Nurse")
    CHW = "chw", _("Community health worker")
    COORDINATOR = "coordinator", _("Coordinator")
    PHARMACY = "pharmacy", _("Pharmacy")
    DRIVER = "driver", _("Driver")
    COOK = "cook", _("Cook")
    ACCOUNTANT = "accountant", _("Accountant")
    OFFICE = "office", _("Office")
    OTHER = "other", _("Other")


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Staff(models.Model):
    """Everyone who works for the network, with a User when they log in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("user account"),
    )
    full_name = models.CharField(_("full name"), max_length=200)
    cadre = models.CharField(_("cadre"), max_length=20, choices=Cadre.choices)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    cohort = models.ForeignKey(
        Cohort,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("cohort"),
    )
    active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    # people10: CURP (optional) and the last day of a deactivated person; their account closes the day after.
    curp = models.CharField(
        _("CURP"),
        max_length=18,
        blank=True,
        validators=[RegexValidator(r"^[A-Z]{4}\d{6}[HMX][A-Z]{5}[A-Z0-9]\d$",
                                   _("A CURP has 18 characters, e.g. GOMA850312MCSNRR09."))],
    )
    last_day = models.DateField(_("last day"), null=True, blank=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["full_name"]
        indexes = [models.Index(Lower("full_name"), name="staff_full_name_lower")]
        constraints = [
            models.UniqueConstraint(
                Lower("email"), condition=~Q(email=""), name="staff_email_unique",
                violation_error_message=_("Someone in the staff directory already has this e-mail address."),
            ),
        ]

    def __str__(self):
        return self.full_name

    def get_absolute_url(self):
        return reverse("clinics:staff-detail", args=[self.pk])

    def clean(self):
        if self.cohort_id and self.cadre != Cadre.PASANTE:
            raise ValidationError({"cohort": _("Only pasantes belong to a cohort.")})


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Assignment(models.Model):
    """A person's post at a clinic between two dates (inclusive). An open end means 'until further notice'.

    Access to a clinic's data comes from an assignment that is active today, so ending the
    assignment ends the access: it moves with the post, not with the person.
    """

    class Role(models.TextChoices):
        PASANTE = "pasante", _("Pasante")
        SUPERVISOR = "supervisor", _("Supervisor")
        CHW = "chw", _("Community health worker")
        NURSE = "nurse", _("Nurse")
        OTHER = "other", _("Other")

    staff = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("person")
    )
    clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("clinic")
    )
    role = models.CharField(_("role at the clinic"), max_length=20, choices=Role.choices)
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"), null=True, blank=True)
    end_reason = models.CharField(_("reason for ending"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["clinic__name", "start_date"]
        indexes = [models.Index(fields=["clinic", "role", "start_date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="assignment_ends_after_start",
                violation_error_message=_("The assignment cannot end before it starts."),
            ),
            # A pasante has at most one clinic at a time.
            ExclusionConstraint(
                name="assignment_one_clinic_per_pasante",
                expressions=[(F("staff"), RangeOperators.EQUAL), (_inclusive_range(), RangeOperators.OVERLAPS)],
                condition=Q(role="pasante"),
                violation_error_message=_("This pasante already has a clinic during those dates."),
            ),
            # The pasante post of a clinic is held by one person at a time.
            ExclusionConstraint(
                name="assignment_one_pasante_per_clinic",
                expressions=[(F("clinic"), RangeOperators.EQUAL), (_inclusive_range(), RangeOperators.OVERLAPS)],
                condition=Q(role="pasante"),
                violation_error_message=_("The clinic already has a pasante during those dates."),
            ),
            # Nobody holds the same post at the same clinic twice over the same days.
            ExclusionConstraint(
                name="assignment_no_overlap_same_post",
                expressions=[
                    (F("staff"), RangeOperators.EQUAL),
                    (F("clinic"), RangeOperators.EQUAL),
                    (F("role"), RangeOperators.EQUAL),
                    (_inclusive_range(), RangeOperators.OVERLAPS),
                ],
                violation_error_message=_("This person already holds this post during those dates."),
            ),
        ]

    def __str__(self):
        return f"{self.staff} · {self.clinic} ({self.get_role_display()})"

    def clean(self):
        # Checked here, not only by the constraint: validating the exclusion constraints builds
        # daterange(start, end), which PostgreSQL refuses with a DataError when end < start.
        # An error on end_date makes full_clean skip the constraints that use it.
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The assignment cannot end before it starts.")})

    def validate_constraints(self, exclude=None):
        # Django 5.2's ExclusionConstraint.validate skips a constraint when an excluded field is in its
        # expressions but not when it is only in its condition: with ``role`` invalid (hence excluded),
        # the pasante constraints' ``Q(role="pasante")`` raises FieldError. Excluding start_date, which
        # every date constraint uses, skips them; the role error is what the person needs to fix first.
        if exclude and "role" in exclude:
            exclude = set(exclude) | {"start_date"}
        super().validate_constraints(exclude=exclude)

    def is_active_on(self, day: date) -> bool:
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class HostFamily(models.Model):
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="host_families", verbose_name=_("community")
    )
    head_of_household = models.CharField(_("head of household"), max_length=200)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    address = models.CharField(_("address or directions"), max_length=255, blank=True)
    rooms = models.PositiveSmallIntegerField(_("rooms for guests"), default=1, validators=[MinValueValidator(1)])
    rate_per_night = models.DecimalField(
        _("rate per night (MXN)"), max_digits=8, decimal_places=2, validators=[MinValueValidator(0)]
    )
    rate_per_meal = models.DecimalField(
        _("rate per meal (MXN)"), max_digits=8, decimal_places=2, validators=[MinValueValidator(0)]
    )
    active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("host family")
        verbose_name_plural = _("host families")
        ordering = ["community__name", "head_of_household"]

    def __str__(self):
        return _("%(name)s family (%(community)s)") % {
            "name": self.head_of_household,
            "community": self.community.name,
        }

    def get_absolute_url(self):
        return reverse("clinics:host-family-detail", args=[self.pk])


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class HostStay(models.Model):
    """A guest (a pasante or a visitor) sleeping at a host family's from the first night to the last (inclusive).

    The rates are copied from the family when the stay is recorded: what is owed for it never changes when
    the family's rates do later.
    """

    class GuestKind(models.TextChoices):
        PASANTE = "pasante", _("Pasante")
        VISITOR = "visitor", _("Visitor")

    family = models.ForeignKey(
        HostFamily, on_delete=models.PROTECT, related_name="stays", verbose_name=_("host family")
    )
    guest_kind = models.CharField(_("guest"), max_length=10, choices=GuestKind.choices)
    guest_staff = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="host_stays", verbose_name=_("pasante")
    )
    guest_name = models.CharField(_("guest name"), max_length=200)
    first_night = models.DateField(_("first night"))
    last_night = models.DateField(_("last night"))
    meals_per_day = models.PositiveSmallIntegerField(
        _("meals per day"), default=3, validators=[MaxValueValidator(5)]
    )
    rate_per_night = models.DecimalField(
        _("rate per night (MXN)"), max_digits=8, decimal_places=2, validators=[MinValueValidator(0)]
    )
    rate_per_meal = models.DecimalField(
        _("rate per meal (MXN)"), max_digits=8, decimal_places=2, validators=[MinValueValidator(0)]
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Set by ``services.host_family_stay_cancel``: the guest did not come (or the stay was recorded by
    # mistake). A cancelled stay is owed nothing and takes no room; it stays in the family's history.
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("host stay")
        verbose_name_plural = _("host stays")
        ordering = ["-first_night", "-pk"]
        indexes = [models.Index(fields=["family", "first_night", "last_night"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_night__gte=F("first_night")),
                name="host_stay_ends_after_start",
                violation_error_message=_("The last night cannot be before the first."),
            ),
            models.CheckConstraint(
                condition=~Q(guest_kind="pasante") | Q(guest_staff__isnull=False),
                name="host_stay_pasante_named",
                violation_error_message=_("Choose the pasante who stays with the family."),
            ),
        ]

    def __str__(self):
        return f"{self.guest_name} · {self.first_night:%d/%m/%Y}–{self.last_night:%d/%m/%Y}"

    @property
    def nights(self) -> int:
        return (self.last_night - self.first_night).days + 1

    @property
    def meals(self) -> int:
        return self.nights * self.meals_per_day

    def owed_for(self, nights: int) -> Decimal:
        """What ``nights`` nights of this stay cost, with their meals, at the stay's rates."""
        return nights * (self.rate_per_night + self.meals_per_day * self.rate_per_meal)

    @property
    def amount_owed(self) -> Decimal:
        """What the stay costs; nothing once it is cancelled."""
        if self.cancelled_at is not None:
            return Decimal("0.00")
        return self.owed_for(self.nights)

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


def host_receipt_path(payment, filename: str) -> str:
    # The name the person's file had is never used: only the type its content showed (see
    # services.host_receipt_check), under a random name, so no name can climb out of the folder.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    if extension not in {"jpg", "png", "pdf"}:
        extension = "bin"
    return f"private/host-receipts/{payment.family_id}/{uuid.uuid4().hex}.{extension}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class HostPayment(models.Model):
    """Money paid to a host family, with the stays it covers and its receipt (served only by a view)."""

    class Method(models.TextChoices):
        CASH = "cash", _("Cash")
        TRANSFER = "transfer", _("Bank transfer")
        DEPOSIT = "deposit", _("Bank deposit")
        OTHER = "other", _("Other")

    family = models.ForeignKey(
        HostFamily, on_delete=models.PROTECT, related_name="payments", verbose_name=_("host family")
    )
    stays = models.ManyToManyField(HostStay, blank=True, related_name="payments", verbose_name=_("stays it covers"),
                                   through="HostPaymentStay")
    amount = models.DecimalField(
        _("amount (MXN)"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    paid_on = models.DateField(_("paid on"))
    method = models.CharField(_("method"), max_length=10, choices=Method.choices, default=Method.CASH)
    concept = models.CharField(_("concept"), max_length=200)
    receipt = models.FileField(_("receipt"), upload_to=host_receipt_path, blank=True, max_length=200)
    # How much more than what was owed the payment was when it was recorded (0 when it was not): allowed,
    # and shown on the family's page so that someone looks at it.
    excess = models.DecimalField(_("above what was owed (MXN)"), max_digits=10, decimal_places=2,
                                 default=Decimal("0"), editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("payment to a host family")
        verbose_name_plural = _("payments to host families")
        ordering = ["-paid_on", "-pk"]
        indexes = [models.Index(fields=["family", "paid_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="host_payment_positive",
                                   violation_error_message=_("The amount must be more than zero.")),
        ]

    def __str__(self):
        return f"{self.family.head_of_household} · {self.amount} MXN · {self.paid_on}"


@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())
class HostPaymentStay(models.Model):
    """A stay a payment covers: the many-to-many's own table (``clinics_hostpayment_stays``, the one Django made
    for it before), made a model so that pghistory records each stay added to or taken off a payment, with who
    and when, in the payment's history (``selectors.host_payment_trail``)."""

    payment = models.ForeignKey(HostPayment, on_delete=models.CASCADE, db_column="hostpayment_id",
                                related_name="covered", verbose_name=_("payment"))
    stay = models.ForeignKey(HostStay, on_delete=models.CASCADE, db_column="hoststay_id", related_name="+",
                             verbose_name=_("stay"))

    class Meta:
        db_table = "clinics_hostpayment_stays"
        verbose_name = _("stay a payment covers")
        verbose_name_plural = _("stays payments cover")
        unique_together = [("payment", "stay")]

    def __str__(self):
        return f"{self.payment_id} · {self.stay_id}"


class SupervisionVisit(models.Model):
    supervisor = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="supervision_visits", verbose_name=_("supervisor")
    )
    clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, related_name="supervision_visits", verbose_name=_("clinic")
    )
    visited_on = models.DateField(_("date of the visit"))
    notes = models.TextField(_("notes"))
    follow_up_actions = models.TextField(_("follow-up actions"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("supervision visit")
        verbose_name_plural = _("supervision visits")
        ordering = ["-visited_on", "-created_at"]

    def __str__(self):
        return f"{self.clinic} · {self.visited_on}"


CURP_RE = re.compile(r"^[A-Z]{4}\d{6}[HMX][A-Z]{5}[A-Z0-9]\d$")


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Patient(models.Model):
    """The shared patient registry (chronic care and referrals both use it)."""

    class Sex(models.TextChoices):
        FEMALE = "F", _("Female")
        MALE = "M", _("Male")

    clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, related_name="patients", verbose_name=_("clinic")
    )
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="patients", verbose_name=_("community")
    )
    given_names = models.CharField(_("given names"), max_length=120)
    family_names = models.CharField(_("family names"), max_length=120)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("date of birth"))
    curp = models.CharField(
        _("CURP"),
        max_length=18,
        blank=True,
        validators=[RegexValidator(CURP_RE, _("A CURP has 18 characters, e.g. GOMA850312MCSNRR09."))],
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    # Set when the person entering it saw the possible duplicates and confirmed a different person.
    duplicate_reviewed = models.BooleanField(_("confirmed not a duplicate"), default=False)
    # Set by ``clinics.services.patient_merge``: this record was the same person as ``merged_into``, which
    # now holds everything that pointed here. The row stays, with its history; lists and pickers hide it.
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_records",
        verbose_name=_("merged into"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        ordering = ["family_names", "given_names"]
        indexes = [
            models.Index(
                "community", Lower("family_names"), Lower("given_names"), "birth_date",
                name="patient_duplicate_lookup",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["curp"], condition=~Q(curp=""), name="patient_curp_unique",
                                    violation_error_message=_("A patient with this CURP is already registered.")),
        ]

    def __str__(self):
        return self.full_name

    def get_absolute_url(self):
        return reverse("clinics:patient-detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_names}"

    def age_on(self, day: date) -> int:
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))

    def clean(self):
        if self.birth_date and self.birth_date > timezone.localdate():
            raise ValidationError({"birth_date": _("The date of birth cannot be in the future.")})
        if self.curp:
            self.curp = self.curp.upper().strip()


# --- People and accounts (people10) ------------------------------------------------------------------------


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Invitation(models.Model):
    """A one-time link that lets a person set their password and log in with the roles chosen for them.

    Only the SHA-256 of the token is stored: the link in the e-mail is the one copy of the token. A resend
    makes a new invitation and revokes the open ones, so an older link stops working.
    """

    class State(models.TextChoices):
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Replaced or withdrawn")

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="invitations", verbose_name=_("person"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="invitations",
                             verbose_name=_("user account"))
    email = models.EmailField(_("e-mail"))
    roles = ArrayField(models.CharField(max_length=20), verbose_name=_("roles"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+")

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=F("sent_at")), name="invitation_expires_after_sent"),
        ]

    def __str__(self):
        return f"{self.email} · {self.sent_at:%Y-%m-%d}"

    def state_at(self, moment) -> str:
        if self.accepted_at:
            return self.State.ACCEPTED
        if self.revoked_at:
            return self.State.REVOKED
        if self.expires_at <= moment:
            return self.State.EXPIRED
        return self.State.SENT

    @property
    def state(self) -> str:
        return self.state_at(timezone.now())

    @property
    def role_labels(self) -> list[str]:
        return [str(Role(role).label) if role in Role.values else role for role in self.roles]


# --- Clinics and communities, cohorts, supervisors (network10) -------------------------------------------


class SupervisionSettings(models.Model):
    """How often the coordination wants each clinic visited by a supervisor: one row, made by a migration and
    read with ``selectors.supervision_settings()``, which never writes (the defaults when the row is missing)."""

    visit_every_days = models.PositiveSmallIntegerField(
        _("a supervision visit every (days)"), default=30,
        validators=[MinValueValidator(7), MaxValueValidator(365)],
        help_text=_("A clinic whose last visit is older than this is flagged as overdue."),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("supervision settings")
        verbose_name_plural = _("supervision settings")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="supervisionsettings_single_row"),
            models.CheckConstraint(condition=Q(visit_every_days__gte=7) & Q(visit_every_days__lte=365),
                                   name="supervisionsettings_days_range"),
        ]

    def __str__(self):
        return str(self._meta.verbose_name)
