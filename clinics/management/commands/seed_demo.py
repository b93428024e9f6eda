"""``manage.py seed_demo``: the demo network, and one login per role.

Idempotent: every row is found by its natural key before it is created, so running it twice leaves
the same data. Writes go through ``clinics.services`` where a service exists (communities, clinics,
cohorts, staff and their accounts, assignments, patients, host stays and payments, supervision visits);
host families have no service yet and are created with ``get_or_create``. The incoming cohort is left
unplaced at a few clinics, so its placement page (Promociones → the cohort → Colocar) has work to do.

Names and numbers come from ``random.Random(2026)``: the same data on every machine. Dates follow
the social-service year that contains today (February to January), so the demo never goes stale. A demo
database kept across a February keeps last year's placements (the run does not fail, but the demo
pasantes may have no clinic): ``manage.py flush`` first for a fresh demo.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pghistory
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ces.accounts.roles import Role
from clinics import services
from clinics.models import (
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
    SupervisionVisit,
)
from clinics.selectors import active_on

DEMO_DOMAIN = "demo.ces.mx"
CENTRAL_TOWN = "Jaltenango"


@dataclass(frozen=True)
class Place:
    name: str
    municipality: str
    travel_minutes: int
    road_notes: str
    visitors_since: date | None = None


# The communities of the network (DESIGN.md §1). Travel times are to the central office in Jaltenango.
COMMUNITIES = [
    Place("Capitán", "Capitán Luis Ángel Vidal", 240,
          "Pavimentado hasta Siltepec, luego 40 km de terracería; derrumbes en el último tramo en lluvias.",
          date(2019, 3, 10)),
    Place("Honduras", "Siltepec", 300,
          "Terracería por la cumbre; de junio a octubre solo con doble tracción.", date(2020, 8, 22)),
    Place("Laguna del Cofre", "Montecristo de Guerrero", 150,
          "Terracería por la zona de amortiguamiento de El Triunfo; el vado se crece con las lluvias fuertes."),
    Place("Letrero", "Ángel Albino Corzo", 90, "Camino de grava, transitable todo el año.", date(2018, 5, 6)),
    Place("Matazano", "Ángel Albino Corzo", 60, "Pavimentado casi todo; los últimos 8 km de grava."),
    Place("Monterrey", "Ángel Albino Corzo", 120,
          "Terracería; la camioneta pública sale de Jaltenango a las 6:00 y regresa al día siguiente.",
          date(2017, 11, 15)),
    Place("Plan Alta", "La Concordia", 180, "Terracería empinada; cuando llueve, la última hora es a pie."),
    Place("Plan Baja", "La Concordia", 165, "Terracería compartida con Plan Alta hasta la escuela."),
    Place("Reforma", "Ángel Albino Corzo", 100, "Camino de grava junto al río; puente colgante para peatones.",
          date(2021, 2, 14)),
    Place("Salvador", "Siltepec", 270,
          "Terracería; en la cosecha de café (diciembre a marzo) los camiones la hacen lenta."),
    Place("Soledad", "La Concordia", 210, "Terracería; sin señal de celular después del puerto.", date(2022, 6, 30)),
    Place(CENTRAL_TOWN, "Ángel Albino Corzo", 0, "Oficina central, hospital comunitario y Casa Materna."),
]
RURAL = [place.name for place in COMMUNITIES if place.name != CENTRAL_TOWN]

# The clinics in Jaltenango besides the rural ones (one rural clinic per community).
TOWN_CLINICS = [
    ("Hospital Comunitario Jaltenango", Clinic.Kind.HOSPITAL, "CSSSA019310"),
    ("Casa Materna Jaltenango", Clinic.Kind.MATERNAL_HOME, ""),
    ("Oficina Central CES", Clinic.Kind.CENTRAL_OFFICE, ""),
]
HOSPITAL, MATERNAL_HOME, CENTRAL_OFFICE = (name for name, _kind, _code in TOWN_CLINICS)

# Clinics without an incoming pasante yet, and one whose incoming pasante arrives two weeks late:
# the coverage timeline must show gaps.
NO_INCOMING = {"Honduras", "Salvador", "Soledad"}
LATE_INCOMING = {"Monterrey": 14}

# Each supervisor visits several clinics; the first is the demo supervisor.
SUPERVISED = [
    ["Capitán", "Honduras", "Laguna del Cofre", "Letrero"],
    ["Matazano", "Monterrey", "Plan Alta", "Plan Baja"],
    ["Reforma", "Salvador", "Soledad"],
]

FEMALE = ["María", "Guadalupe", "Rosa", "Juana", "Margarita", "Verónica", "Alejandra", "Elena", "Patricia",
          "Leticia", "Adriana", "Claudia", "Martha", "Sofía", "Fernanda", "Daniela", "Isabel", "Lucía",
          "Yesenia", "Rocío", "Araceli", "Beatriz", "Esperanza", "Reyna", "Ximena", "Andrea", "Itzel"]
MALE = ["José", "Juan", "Miguel", "Francisco", "Pedro", "Luis", "Antonio", "Jesús", "Manuel", "Carlos",
        "Alejandro", "Roberto", "Fernando", "Ricardo", "Javier", "Eduardo", "Raúl", "Arturo", "Sergio",
        "Rubén", "Mario", "Diego", "Emiliano", "Santiago", "Gerardo", "Hugo", "Abel"]
SURNAMES = ["Pérez", "López", "Gómez", "Hernández", "Velázquez", "Roblero", "Morales", "Jiménez", "Gutiérrez",
            "Cruz", "Díaz", "Domínguez", "Aguilar", "Méndez", "Ruiz", "Sánchez", "Ramírez", "Vázquez",
            "Escobar", "Solís", "Castillo", "Ortiz", "Cancino", "Coutiño", "Moreno", "Maldonado", "Santiago",
            "Robledo", "Villatoro", "Ochoa", "Alvarado", "Toledo", "Espinosa", "Gordillo", "Zunún", "Trujillo"]

PATIENTS_PER_CLINIC = 26
SUPERVISION_NOTES = [
    ("Revisión de expedientes de enfermedades crónicas y de la farmacia; red de frío en orden.",
     "Pedir un glucómetro nuevo; revisar en la próxima visita a dos pacientes con hipertensión no controlada."),
    ("Consultas conjuntas por la mañana; reunión con el comité de salud por la tarde.",
     "La pasante inicia este mes el grupo de diabetes."),
    ("Revisión de referencias pendientes de contrarreferencia y de la bitácora de visitas de las acompañantes.",
     "Dar seguimiento a las dos referencias pendientes con Derecho a la Salud."),
]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    where: str


class Command(BaseCommand):
    help = "Load the demo network (communities, clinics, staff, cohorts, patients) and one login per role."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off (never in production).")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo loads demo accounts with a known password; it refuses to run with "
                               "DEBUG off. Use --force if this really is a demo server.")
        self.rng = random.Random(2026)
        self.today = timezone.localdate()
        self.password = settings.DEMO_PASSWORD
        self.used_names: set[str] = set()
        self.logins: list[DemoLogin] = []
        with transaction.atomic(), pghistory.context(command="seed_demo"):
            self.seed()
        self.print_logins()

    # --- the network ----------------------------------------------------------------------------------

    def seed(self):
        self.communities = self.seed_communities()
        self.clinics = self.seed_clinics()
        self.current, self.incoming = self.seed_cohorts()
        self.coordinator = self.seed_office()
        self.seed_pasantes()
        self.seed_supervisors()
        self.seed_clinic_teams()
        self.seed_host_families()
        self.seed_patients()
        self.seed_supervision_visits()
        self.seed_visitor_accounts()
        self.seed_people()
        self.seed_patient_records()

    def seed_communities(self) -> dict[str, Community]:
        existing = {community.name: community for community in Community.objects.all()}
        communities = {}
        for n, place in enumerate(COMMUNITIES):
            communities[place.name] = existing.get(place.name) or services.community_create(
                name=place.name, municipality=place.municipality, travel_minutes=place.travel_minutes,
                road_notes=place.road_notes, accepts_visitors=place.visitors_since is not None,
                visitors_agreed_on=place.visitors_since,
                visitors_agreement_kind=(Community.Agreement.ASSEMBLY_MINUTES if n % 3 else Community.Agreement.LETTER)
                if place.visitors_since else "",
                visitors_agreement="Votación en asamblea comunitaria, asentada en el acta ejidal."
                if place.visitors_since else "",
                visitor_capacity=2 + n % 3 if place.visitors_since else None,
            )
        return communities

    def seed_clinics(self) -> dict[str, Clinic]:
        existing = {clinic.name: clinic for clinic in Clinic.objects.all()}
        clinics = {}
        for n, name in enumerate(RURAL, start=1):
            clinics[name] = existing.get(f"Clínica {name}") or services.clinic_create(
                community=self.communities[name], name=f"Clínica {name}", kind=Clinic.Kind.RURAL_CLINIC,
                moh_code=f"CSSSA0192{n:02d}")
        for name, kind, code in TOWN_CLINICS:
            clinics[name] = existing.get(name) or services.clinic_create(
                community=self.communities[CENTRAL_TOWN], name=name, kind=kind, moh_code=code)
        return clinics

    def seed_cohorts(self) -> tuple[Cohort, Cohort]:
        """The cohort serving now (February to January) and the one that takes over next February."""
        year = self.today.year if self.today.month >= 2 else self.today.year - 1
        return self.cohort(year), self.cohort(year + 1)

    def cohort(self, year: int) -> Cohort:
        name = f"Promoción {year}–{year + 1}"
        return Cohort.objects.filter(name=name).first() or services.cohort_create(
            name=name, start_date=date(year, 2, 1), end_date=date(year + 1, 1, 31)
        )

    def seed_office(self) -> Staff:
        coordinator = self.staff("Mariana Coutiño Gordillo", Cadre.COORDINATOR, email=self.demo("coordinator"),
                                 where="Oficina Central")
        self.staff("Rigoberto Escobar Toledo", Cadre.PHARMACY, email=self.demo("pharmacy"),
                   where="Almacén central")
        self.staff("Lucía Alvarado Méndez", Cadre.OFFICE, email=self.demo("visitor_program"),
                   role=Role.VISITOR_PROGRAM, where="Oficina Central")
        self.staff("Karla Trujillo Espinosa", Cadre.ACCOUNTANT)
        office = self.clinics[CENTRAL_OFFICE]
        start = self.current.start_date - timedelta(days=3 * 365)
        for name in ("Abel Roblero Cruz", "Hugo Villatoro López"):
            self.assign(self.staff(name, Cadre.DRIVER), office, Assignment.Role.OTHER, start)
        self.assign(self.staff("Esperanza Zunún Pérez", Cadre.COOK), self.clinics[MATERNAL_HOME],
                    Assignment.Role.OTHER, start)
        for name, clinic in [("Rocío Santiago Aguilar", HOSPITAL), ("Adriana Ochoa Ruiz", HOSPITAL),
                             ("Beatriz Gómez Solís", MATERNAL_HOME), ("Araceli Domínguez Cruz", "Letrero")]:
            self.assign(self.staff(name, Cadre.NURSE), self.clinics[clinic], Assignment.Role.NURSE, start)
        return coordinator

    def seed_people(self):
        """People and accounts (people10): an incoming pasante invited to log in (the invitation pending on
        their page and the staff list), and a nurse who left (deactivated: posts ended, history kept)."""
        invited = (Staff.objects.filter(cohort=self.incoming, cadre=Cadre.PASANTE, active=True)
                   .order_by("pk").first())
        if invited is not None and not invited.invitations.exists():
            if not invited.email:
                invited = services.person_update(staff=invited, email="pasante.entrante@" + DEMO_DOMAIN)
            services.invitation_send(staff=invited, roles=[Role.PASANTE], by=self.coordinator.user,
                                     base_url=settings.SITE_URL)
        leaver = self.staff("Guadalupe Hernández Ruiz", Cadre.NURSE)
        if leaver.active:
            self.assign(leaver, self.clinics[HOSPITAL], Assignment.Role.NURSE, self.current.start_date)
            services.person_deactivate(staff=leaver, last_day=max(self.today - timedelta(days=10),
                                                                  self.current.start_date),
                                       by=self.coordinator.user)

    def seed_pasantes(self):
        """A pasante per rural clinic now; the incoming cohort placed in most clinics but not all."""
        demo_pasantes = {"Capitán": self.demo("pasante"), "Reforma": "pasante2@" + DEMO_DOMAIN}
        for name in RURAL:
            email = demo_pasantes.get(name, "")
            pasante = self.staff(self.person_name(), Cadre.PASANTE, cohort=self.current, email=email,
                                 role=Role.PASANTE, where=f"Clínica {name}")
            self.assign(pasante, self.clinics[name], Assignment.Role.PASANTE, self.current.start_date,
                        self.current.end_date)
        for name in RURAL:
            incoming = self.staff(self.person_name(), Cadre.PASANTE, cohort=self.incoming)
            if name in NO_INCOMING:
                continue
            start = self.incoming.start_date + timedelta(days=LATE_INCOMING.get(name, 0))
            self.assign(incoming, self.clinics[name], Assignment.Role.PASANTE, start, self.incoming.end_date)

    def seed_supervisors(self):
        start = self.current.start_date
        for n, clinic_names in enumerate(SUPERVISED):
            email = self.demo("supervisor") if n == 0 else ""
            supervisor = self.staff(self.person_name(), Cadre.SUPERVISOR, email=email, role=Role.SUPERVISOR,
                                    where=", ".join(clinic_names))
            for name in clinic_names:
                self.assign(supervisor, self.clinics[name], Assignment.Role.SUPERVISOR, start)

    def seed_clinic_teams(self):
        """Two or three community health workers per rural clinic, most of them women of the community."""
        start = self.current.start_date - timedelta(days=2 * 365)
        for name in RURAL:
            for n in range(2 + self.rng.randrange(2)):
                email = self.demo("chw") if (name, n) == ("Capitán", 0) else ""
                chw = self.staff(self.person_name(female=self.rng.random() < 0.85), Cadre.CHW, email=email,
                                 role=Role.CHW, where=f"Clínica {name}")
                self.assign(chw, self.clinics[name], Assignment.Role.CHW, start)

    def seed_host_families(self):
        """Two host families per community; the current pasante lives with the first, who is paid monthly."""
        for name in RURAL:
            community = self.communities[name]
            families = []
            for _n in range(2):
                head = self.person_name(female=self.rng.random() < 0.5)
                night = Decimal(self.rng.choice([100, 120, 150, 150, 180, 200]))
                meal = Decimal(self.rng.choice([40, 45, 50, 60]))
                rooms = 1 + self.rng.randrange(2)
                phone = self.phone()
                family = HostFamily.objects.filter(community=community, head_of_household=head).first()
                families.append(family or services.host_family_create(
                    community=community, head_of_household=head, rooms=rooms, rate_per_night=night,
                    rate_per_meal=meal, phone=phone, address="Cerca de la clínica"))
            pasante = self.holder(self.clinics[name], Assignment.Role.PASANTE, self.current.start_date)
            if pasante is None:
                continue
            stay = HostStay.objects.filter(guest_staff=pasante).first()
            if stay is None:
                stay = services.host_family_stay_create(
                    family=families[0], guest_kind=HostStay.GuestKind.PASANTE, guest_staff=pasante,
                    first_night=self.current.start_date, last_night=self.current.end_date, meals_per_day=2,
                    by=self.coordinator.user)
            self.seed_host_payments(stay)

    def seed_host_payments(self, stay: HostStay):
        """One payment a month for the nights of the month before, on the 1st, until today."""
        month = date(stay.first_night.year, stay.first_night.month, 1)
        while True:
            next_month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
            paid_on = next_month
            if paid_on > self.today or month > stay.last_night:
                return
            first = max(stay.first_night, month)
            last = min(stay.last_night, next_month - timedelta(days=1))
            concept = f"Hospedaje y alimentación {month:%m/%Y}"
            if not HostPayment.objects.filter(family=stay.family, concept=concept).exists():
                services.host_family_payment_create(
                    family=stay.family, stays=[stay], amount=stay.owed_for((last - first).days + 1),
                    paid_on=paid_on, concept=concept, method=HostPayment.Method.TRANSFER, by=self.coordinator.user)
            month = next_month

    def seed_patients(self):
        """A few hundred patients, registered through the duplicate-checking service."""
        existing = set(Patient.objects.values_list("community_id", "given_names", "family_names", "birth_date"))
        planned = set()
        for name in RURAL:
            clinic = self.clinics[name]
            for _n in range(PATIENTS_PER_CLINIC):
                female = self.rng.random() < 0.58
                given = self.rng.choice(FEMALE if female else MALE)
                if self.rng.random() < 0.3:
                    given = f"{given} {self.rng.choice(FEMALE if female else MALE)}"
                family = " ".join(self.rng.sample(SURNAMES, 2))
                birth = date(self.rng.randint(1938, 2022), self.rng.randint(1, 12), self.rng.randint(1, 28))
                phone = self.phone() if self.rng.random() < 0.4 else ""
                key = (clinic.community_id, given, family, birth)
                if key in existing or key in planned:
                    continue
                planned.add(key)
                services.patient_create(clinic=clinic, community=clinic.community, given_names=given,
                                        family_names=family, sex=Patient.Sex.FEMALE if female else Patient.Sex.MALE,
                                        birth_date=birth, phone=phone)

    def seed_patient_records(self):
        """The coordinator's patient work (patients10): a record corrected, so its page shows the audit trail; a
        pair of records of one person written with and without accents, left for the coordinator to merge;
        and a pair already merged. Through the services; a second run finds it done."""
        by = self.coordinator.user
        clinic = self.clinics[RURAL[0]]

        def record(given, family, birth, **fields):
            found = Patient.objects.filter(community=clinic.community, given_names=given, family_names=family,
                                           birth_date=birth).first()
            return found or services.patient_create(
                clinic=clinic, community=clinic.community, given_names=given, family_names=family,
                birth_date=birth, confirm_not_duplicate=True, by=by, **fields)

        corrected = Patient.objects.filter(community=clinic.community, given_names="Guadalupe",
                                           family_names="Velasco Ruiz", birth_date=date(1979, 8, 14)).first()
        if corrected is None:
            corrected = record("Guadalupe", "Velasco Ruíz", date(1979, 8, 14), sex=Patient.Sex.FEMALE,
                               phone="961 100 2030")
            services.patient_update(patient=corrected, given_names="Guadalupe", family_names="Velasco Ruiz",
                                    sex=corrected.sex, birth_date=corrected.birth_date, curp="",
                                    phone="961 100 2031", confirm_not_duplicate=True, by=by)
        record("José Ángel", "Gómez Hernández", date(1964, 2, 9), sex=Patient.Sex.MALE)
        record("JOSE ANGEL", "GOMEZ HERNANDEZ", date(1964, 2, 9), sex=Patient.Sex.MALE, phone="961 200 3040")
        survivor = record("María Inés", "Núñez López", date(1991, 11, 23), sex=Patient.Sex.FEMALE)
        merged = record("Maria Ines", "Nunez Lopez", date(1991, 11, 23), sex=Patient.Sex.FEMALE, phone="961 300 4050")
        if merged.merged_into_id is None:
            services.patient_merge(survivor=survivor, merged=merged, by=by)

    def seed_supervision_visits(self):
        """A visit to each supervised clinic every six weeks or so since the year began, up to today."""
        for clinic_names in SUPERVISED:
            for name in clinic_names:
                clinic = self.clinics[name]
                supervisor = self.holder(clinic, Assignment.Role.SUPERVISOR, self.current.start_date)
                if supervisor is None:
                    continue
                for n in range(3):
                    visited_on = self.current.start_date + timedelta(days=20 + 42 * n + self.rng.randrange(10))
                    notes, follow_up = SUPERVISION_NOTES[n]
                    if visited_on > self.today:
                        continue
                    if SupervisionVisit.objects.filter(supervisor=supervisor, clinic=clinic,
                                                       visited_on=visited_on).exists():
                        continue
                    services.supervision_visit_record(supervisor=supervisor, clinic=clinic, visited_on=visited_on,
                                                      notes=notes, follow_up_actions=follow_up,
                                                      by=supervisor.user)

    def seed_visitor_accounts(self):
        """Logins that are not staff of a clinic: an applicant and the data manager (admin)."""
        self.login_user(self.demo("applicant"), "Emily Carter", Role.APPLICANT, where="—",
                        preferred_language="en")
        self.login_user(self.demo("admin"), "Daniel Robledo Castillo", Role.ADMIN, where="/admin/",
                        is_staff=True, is_superuser=True)

    # --- building blocks --------------------------------------------------------------------------------

    @staticmethod
    def demo(role: str) -> str:
        return f"{role}@{DEMO_DOMAIN}"

    def person_name(self, *, female: bool | None = None) -> str:
        """A Mexican name, never the same twice in one run (names are the staff's natural key)."""
        if female is None:
            female = self.rng.random() < 0.5
        while True:
            name = " ".join([self.rng.choice(FEMALE if female else MALE), *self.rng.sample(SURNAMES, 2)])
            if name not in self.used_names:
                self.used_names.add(name)
                return name

    def phone(self) -> str:
        return f"992 {self.rng.randint(100, 999)} {self.rng.randint(1000, 9999)}"

    def staff(self, full_name: str, cadre: str, *, email: str = "", cohort: Cohort | None = None,
              role: str = "", where: str = "") -> Staff:
        """The staff member of that name and cadre, created (with a demo login when ``email``) if missing."""
        self.used_names.add(full_name)
        staff = Staff.objects.select_related("user").filter(full_name=full_name, cadre=cadre).first()
        fresh = False
        if staff is None:
            user = get_user_model().objects.filter(email=email).first() if email else None
            fresh = bool(email) and user is None
            staff = services.staff_create(full_name=full_name, cadre=cadre, email=email, cohort=cohort,
                                          with_account=fresh, password=self.password)
            if user is not None:
                staff.user = user
                staff.save(update_fields=["user"])
        if email:
            self.login_ready(staff.user, services.CADRE_ROLES.get(cadre) or role, where, fresh=fresh)
        return staff

    def login_user(self, email: str, full_name: str, role: str, *, where: str, **fields):
        user, _created = get_user_model().objects.get_or_create(email=email, defaults={"full_name": full_name,
                                                                                        **fields})
        self.login_ready(user, role, where)

    def login_ready(self, user, role: str, where: str, *, fresh: bool = False):
        """The demo password and the role, whatever state a previous run or a demo visitor left them in.

        ``fresh``: the account was just created with the demo password (hashing it again costs a second)."""
        if not fresh and not user.check_password(self.password):
            user.set_password(self.password)
            user.save(update_fields=["password"])
        self.add_role(user, role)
        # The demo addresses are confirmed: an applicant must confirm theirs before logging in (allauth).
        EmailAddress.objects.get_or_create(user=user, email=user.email,
                                           defaults={"verified": True, "primary": True})
        self.logins.append(DemoLogin(user.email, role, where))

    @staticmethod
    def add_role(user, role: str):
        user.groups.add(Group.objects.get_or_create(name=role)[0])

    def assign(self, staff: Staff, clinic: Clinic, role: str, start: date, end: date | None = None):
        """Assign unless the post (or, for a pasante, the clinic or the person) is already taken then: on a
        second run, and on a demo database kept across a February, when last year's incoming pasantes
        already serve."""
        overlapping = Assignment.objects.filter(start_date__lte=end or date.max).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=start))
        if role == Assignment.Role.PASANTE:
            taken = overlapping.filter(role=role).filter(Q(staff=staff) | Q(clinic=clinic))
        else:
            taken = overlapping.filter(staff=staff, clinic=clinic, role=role)
        if not taken.exists():
            services.assignment_create(staff=staff, clinic=clinic, role=role, start_date=start, end_date=end)

    def holder(self, clinic: Clinic, role: str, day: date) -> Staff | None:
        assignment = Assignment.objects.filter(active_on(day), clinic=clinic, role=role).select_related("staff").first()
        return assignment.staff if assignment else None

    def print_logins(self):
        width = max(len(login.email) for login in self.logins)
        self.stdout.write(self.style.SUCCESS(
            f"Demo data ready: {Clinic.objects.count()} clinics, {Staff.objects.count()} staff, "
            f"{Patient.objects.count()} patients."))
        self.stdout.write(f"Demo logins (password: {self.password}):")
        for login in self.logins:
            self.stdout.write(f"  {login.email:<{width}}  {str(Role(login.role).label):<26}  {login.where}")
