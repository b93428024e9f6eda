"""The visitor program's demo data, loaded by ``manage.py seed_visitors_demo`` after ``seed_demo``.

It plays the program's history through ``visitors.services``, so the visitor log, its chart and the
feedback page are real, and leaves this season's applications in every state, so the board, the review
pages and every home panel have work to show:

- about 300 past visitors since the first cohort of pasantes (2013, the case study's Table 1 and Box 1):
  half of them clinicians (residents for four weeks or more, attendings and nurses for two), the other half
  medical students and college graduates for six months or more; most from programs in the United
  States, some from Canada, the United Kingdom, Mexico and elsewhere. Each went the whole way: applied,
  interviewed in Spanish, accepted, placed with a pasante and a host family, picked up, and completed,
  with an exit survey (ratings and a few words) and, often, the pasante's feedback. A few withdrew before
  arriving, a few were declined, and two were disengaged (Box 1: "less than 1-2%"). Some residents came
  back (a repeat application from the previous one);
- the past cohorts' pasantes: ``seed_demo`` creates only this year's and next year's, so each past year
  gets a cohort and a pasante at every clinic that received visitors, through ``clinics.services``
  (a pasante already posted there that year is used instead);
- this season: an application in every state, each applicant able to log in with the demo password;
  ``applicant@demo.ces.mx`` has a confirmed placement at Clínica Capitán with ``pasante@demo.ces.mx`` and a
  host family, arriving in ten days, the pickup organised with a driver of the staff list.

The communities that receive visitors are those of ``seed_demo``; the history starts in the first ones
earlier than ``seed_demo``'s agreement dates (which describe the last renewal), so their agreement is
moved back with ``clinics.services.community_update`` (the community's history keeps both). Each of them
also gets a family that hosts only visitors (two rooms), through ``clinics.services.host_family_create``.

Every write goes through a service. The past is played with the services' ``now``/``today`` arguments,
so the timeline, the survey and the arrival carry the days they happened on; for a service that takes no
``now`` yet, ``backdate`` moves the stamps it wrote back to that day (the only rows written outside a
service, with the reason in its docstring). Applicants' accounts are
created with ``create_user`` and share one hash of the demo password (hashing it 25 times would cost
most of the run; the hash of one password with one salt is as valid for every account); past visitors'
accounts have no usable password.

Size: ``VisitorsDemo(past=N)`` (``seed_visitors_demo --past N``) scales the history to about N past visitors
(every year keeps at least one, every category and ending too); the default is the full ~300, and the
seed's tests play 30. Another N plans another history (a run with it adds that one).

Idempotent: everything is planned first from ``random.Random(2026)`` (the same plan on every machine
and every run, whatever is already in the database), then an application is played only if its applicant
has none for those wanted dates. A second run writes nothing.
"""

import inspect
import random
import struct
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Value
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.text import slugify

from ces.accounts.roles import Role
from clinics import selectors as clinic_selectors
from clinics import services as clinics_services
from clinics.models import Assignment, Cadre, Clinic, Cohort, HostFamily, HostStay, Staff

from . import services
from .models import (
    Application,
    Arrival,
    Category,
    DocumentKind,
    Interview,
    Placement,
    SpanishLevel,
    StatusChange,
    minimum_last_day,
)

DEMO_DOMAIN = "demo.ces.mx"
APPLICANT_EMAIL = f"applicant@{DEMO_DOMAIN}"
VISITOR_PROGRAM_EMAIL = f"visitor_program@{DEMO_DOMAIN}"
PASANTE_EMAIL = f"pasante@{DEMO_DOMAIN}"
PASANTE2_EMAIL = f"pasante2@{DEMO_DOMAIN}"
PAST_DOMAIN = f"visitantes.{DEMO_DOMAIN}"
SEASON_DOMAIN = f"solicitantes.{DEMO_DOMAIN}"
PASANTES_DOMAIN = f"pasantes.{DEMO_DOMAIN}"

# The first cohort of pasantes joined in 2013 (the case study): the history starts there.
FIRST_YEAR = 2013
# Visitors per year: the program grew, the pandemic nearly stopped it, it came back. 300 from 2013 to 2025.
PER_YEAR = {2013: 8, 2014: 14, 2015: 20, 2016: 24, 2017: 28, 2018: 30, 2019: 32, 2020: 10, 2021: 12,
            2022: 24, 2023: 30, 2024: 32, 2025: 36}
LATER_YEARS = 34  # a demo database kept into later years
# The history's size at full scale (the sum of PER_YEAR); ``VisitorsDemo(past=N)`` scales every year (at least
# one visitor each), the categories and the endings to about N (the tests play a small history).
PAST_VISITORS = sum(PER_YEAR.values())
# Of every 300 (the case study: ~150 clinicians rotated through the clinics, the rest were students and
# graduates on longer stays; United States nurses have had few such opportunities).
CATEGORY_SHARES = {Category.RESIDENT: 100, Category.ATTENDING: 38, Category.NURSE: 12, Category.STUDENT: 80,
                   Category.GRADUATE: 70}
# The year each community started receiving visitors in the history; seed_demo's later agreement dates are
# moved back to it (see the module docstring).
OPENED = {"Monterrey": 2013, "Letrero": 2013, "Capitán": 2014, "Honduras": 2016, "Reforma": 2018,
          "Soledad": 2022}
# How the past ones ended, out of the whole history (besides completing).
WITHDRAWN, DISENGAGED, DECLINED, REPEATS = 6, 2, 5, 14

PDF_TITLE = {DocumentKind.CV: "Curriculum vitae", DocumentKind.LICENCE: "Medical licence",
             DocumentKind.IMMUNIZATION: "Immunization record", DocumentKind.INSURANCE: "Travel insurance"}


# --- who they are ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Institution:
    name: str
    country: str
    programs: tuple[str, ...]  # by category, the first that fits
    weight: int


RESIDENCY = ("Internal Medicine", "Family Medicine", "Pediatrics", "Emergency Medicine", "Global Health Equity",
             "Obstetrics and Gynecology", "Med-Peds")
INSTITUTIONS = [
    Institution("Brigham and Women's Hospital", "US", RESIDENCY, 16),
    Institution("Massachusetts General Hospital", "US", RESIDENCY, 9),
    Institution("Boston Children's Hospital", "US", ("Pediatrics",), 5),
    Institution("Harvard Medical School", "US", ("MD program",), 12),
    Institution("University of California, San Francisco", "US", RESIDENCY, 8),
    Institution("Stanford University School of Medicine", "US", RESIDENCY, 4),
    Institution("Johns Hopkins University", "US", RESIDENCY, 4),
    Institution("University of Washington", "US", RESIDENCY, 5),
    Institution("University of New Mexico", "US", ("Family Medicine", "Pediatrics"), 4),
    Institution("Columbia University Irving Medical Center", "US", RESIDENCY, 3),
    Institution("Yale School of Medicine", "US", RESIDENCY, 3),
    Institution("Duke University", "US", RESIDENCY, 3),
    Institution("Northwestern University", "US", RESIDENCY, 2),
    Institution("Emory University", "US", RESIDENCY, 2),
    Institution("University of Minnesota", "US", RESIDENCY, 2),
    Institution("Brown University", "US", ("Alpert Medical School", "Public Health"), 3),
    Institution("University of Notre Dame", "US", ("Anthropology", "Biology", "Global Affairs"), 6),
    Institution("Dartmouth College", "US", ("Biology", "Latin American Studies"), 3),
    Institution("Mount Sinai Hospital", "US", ("Internal Medicine",), 2),
    Institution("University of Toronto", "CA", RESIDENCY, 4),
    Institution("McGill University", "CA", RESIDENCY, 3),
    Institution("University of British Columbia", "CA", RESIDENCY, 2),
    Institution("University College London", "GB", ("Global Health", "Medicine"), 3),
    Institution("King's College London", "GB", ("Medicine",), 2),
    Institution("University of Edinburgh", "GB", ("Medicine",), 2),
    Institution("Tecnológico de Monterrey", "MX", ("Medicina",), 3),
    Institution("Universidad Nacional Autónoma de México", "MX", ("Medicina", "Enfermería y Obstetricia"), 3),
    Institution("Universitat de Barcelona", "ES", ("Medicina",), 1),
    Institution("Charité – Universitätsmedizin Berlin", "DE", ("Medizin",), 1),
    Institution("Université d'État d'Haïti", "HT", ("Médecine",), 1),
    Institution("Universidad Nacional de Colombia", "CO", ("Medicina",), 1),
]
NURSING = {"US": "Nursing", "CA": "Nursing", "GB": "Nursing", "MX": "Enfermería y Obstetricia"}
SPANISH_NAMES = {"MX", "ES", "CO"}
FIRST = ["Emily", "Sarah", "Hannah", "Olivia", "Grace", "Claire", "Rachel", "Megan", "Laura", "Anna", "Julia",
         "Katherine", "Maya", "Priya", "Aisha", "Naomi", "Leah", "Zoe", "Michael", "David", "Daniel", "James",
         "Matthew", "Andrew", "Benjamin", "Samuel", "Nathan", "Ethan", "Jonathan", "Kevin", "Omar", "Lucas",
         "Peter", "Thomas", "William", "Ravi", "Wei", "Kofi"]
LAST = ["Carter", "Miller", "Johnson", "Anderson", "Thompson", "Walsh", "Murphy", "O'Brien", "Nguyen", "Patel",
        "Kim", "Chen", "Cohen", "Goldberg", "Schmidt", "Brooks", "Hughes", "Foster", "Bennett", "Reed", "Hayes",
        "Sullivan", "Price", "Russell", "Palmer", "Fischer", "Okafor", "Mensah", "Shah", "Rossi", "Dubois"]
NOMBRES = ["Ana", "Lucía", "Valeria", "Camila", "Mariana", "Andrea", "Sofía", "Diego", "Pablo", "Andrés",
           "Javier", "Tomás", "Nicolás", "Santiago"]
APELLIDOS = ["García", "Martínez", "Rodríguez", "López", "Fernández", "Torres", "Ramírez", "Flores", "Vargas",
             "Castro", "Herrera", "Navarro"]
# The pasantes of past cohorts: two given names, which seed_demo's pasantes (one given name) never have.
PASANTE_GIVEN = ["María José", "Ana Karen", "Luis Fernando", "José Carlos", "Diana Laura", "Juan Pablo",
                 "Karla Sofía", "Miguel Ángel", "Paola Andrea", "Jorge Iván", "Ximena Itzel", "Carlos Eduardo",
                 "Andrea Guadalupe", "Óscar Daniel", "Brenda Alejandra", "Héctor Manuel"]
PASANTE_SURNAMES = ["Pérez", "López", "Gómez", "Hernández", "Velázquez", "Morales", "Jiménez", "Cruz", "Díaz",
                    "Aguilar", "Ruiz", "Sánchez", "Ramírez", "Vázquez", "Castillo", "Ortiz", "Moreno", "Toledo",
                    "Garza", "Treviño", "Villarreal", "Cantú", "Salinas", "Ibarra"]

MOTIVATIONS = [
    "I want to learn how primary care works where resources are few, and to teach alongside a Mexican colleague "
    "in the spirit of accompaniment.",
    "Our global health track sends residents to places where the local team leads; CES is the one our former "
    "residents talk about.",
    "I worked in community health in Latin America before medical school and want to support the pasantes' "
    "year in the clinic.",
    "I would like to work as a research assistant on the chronic-disease program and live in a community.",
    "I teach bedside ultrasound and physical examination, and would love to share that with the pasantes.",
]
PRIOR_VISITS = ["", "", "", "A month in Oaxaca for a Spanish course.", "Two weeks in Chiapas as a tourist.",
                "A rotation in Guatemala during medical school."]
DIETS = ["", "", "", "Vegetarian.", "No pork.", "Lactose intolerant."]
RELATIONS = ["Mother", "Father", "Partner", "Sister", "Brother", "Husband", "Wife"]

BEST = [
    "Teaching is what made the rotation so impactful, and the pasantes were open and excited to be taught.",
    "Working one-on-one with the pasante, and the días de curso: I gave a session on asthma.",
    "Being immersed in the community with the pasante and teaching in a responsible way.",
    "The house calls in the community: you never knew what you were walking into.",
    "Meals with my host family, and the house visits: I felt part of the community.",
    "The pasante included me in every decision and quickly became a close friend.",
    "Learning to practise medicine with very few resources, from colleagues who do it every day.",
    "Getting to know the whole CES team, from drivers to supervisors.",
    "The sense of community and shared mission: it is contagious.",
]
IMPROVE = [
    "", "", "",
    "A debrief on the acompañantes and the emergency system before going out to the community.",
    "The pickup time changed twice; one message with the final time would help.",
    "More time in Jaltenango at the start to settle in.",
    "A short list of the medicines the clinic usually has.",
    "Internet at the clinic was rarely available; say so more clearly before arrival.",
]
COMMENTS = ["", "", "", "Thank you for everything.", "I hope to come back next year.",
            "The best part of my residency.", "Muchas gracias a todo el equipo."]
PASANTE_COMMENTS = ["Muy buena compañera en la clínica; explicaba con paciencia.",
                    "Nos ayudó mucho con los pacientes crónicos y con las visitas domiciliarias.",
                    "Respetó siempre que la decisión fuera mía; aprendimos los dos.",
                    "Le costó el español al principio, pero mejoró mucho.",
                    "Excelente; dio una plática en el día de curso.",
                    ""]
WITHDRAW_REASONS = ["My program cancelled away rotations this year.", "A family emergency at home.",
                    "My passport did not arrive in time.", "I could not get the weeks off after all."]
DISENGAGE_REASON = ("Según el equipo de la clínica, su presencia no beneficiaba al trabajo (atendía por su cuenta "
                    "sin el pasante); se le llevó de regreso a Tuxtla, como dice el acuerdo.")
DECLINE_MESSAGE = ("Thank you for applying. In the interview your Spanish was not yet at the functional level "
                   "we need (B1): the clinics have no translators. We would be glad to hear from you again "
                   "once it is.")
ACCEPT_MESSAGE = "Welcome! We will propose a clinic, a pasante and a host family soon."
MEETING_POINT = "Terminal OCC de Tuxtla Gutiérrez, salida principal"
VEHICLES = ["Camioneta Nissan NP300 blanca", "Toyota Hilux gris"]


# --- small real files ---------------------------------------------------------------------------------------

def tiny_pdf(title: str) -> bytes:
    """A valid one-page PDF that says ``title`` (what the upload check sniffs: ``%PDF-``)."""
    text = title.encode("latin-1", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 18 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@cache
def tiny_png() -> bytes:
    """A valid 16x16 grey PNG (the applicant's "photo")."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"\x99" * 16 for _row in range(16))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


# --- the plan -----------------------------------------------------------------------------------------------

@dataclass
class Person:
    email: str
    full_name: str
    country: str
    institution: str
    program: str
    language: str = "en"
    phone: str = ""


@dataclass
class Visit:
    """One application to play: who, what for, until which state, and (if placed) where and when."""

    person: Person
    category: str
    start: date
    end: date
    outcome: str  # the state it is left in
    spanish: str = SpanishLevel.B2
    community: str = ""  # chosen by the planner when it is placed
    family_index: int = -1
    previous: "Visit | None" = None
    short_stay_reason: str = ""
    options: dict = field(default_factory=dict)

    @property
    def placed(self) -> bool:
        return bool(self.community)


@dataclass
class DemoSummary:
    applications_created: int = 0
    past_visitors: int = 0
    states: dict = field(default_factory=dict)


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@cache
def _parameters(function) -> frozenset:
    return frozenset(inspect.signature(function).parameters)


def play(function, *, when: datetime | None = None, **kwargs):
    """Call a service, telling it when this happened if it takes ``now``/``today`` (the past is replayed)."""
    parameters = _parameters(function)
    if when is None:
        return function(**kwargs)
    when = min(when, timezone.now())  # this season's steps happened at the latest just now
    if "now" in parameters:
        kwargs["now"] = when
    if "today" in parameters:
        kwargs["today"] = timezone.localdate(when)
    result = function(**kwargs)
    if "now" not in parameters:
        application = kwargs.get("application") or (result if isinstance(result, Application) else None)
        if application is not None:
            name = function.__name__
            related = STAMPED.get(name, ALL_STAMPS if name.startswith(
                ("placement_", "arrival_", "flight_", "application_withdraw", "application_disengage")) else ())
            backdate(application, when, related=related)
    return result


# The stamps of the placement, arrival and interview rows each service without ``now`` writes (``backdate``
# moves only those: one query each); a service not listed here that starts with one of the prefixes in
# ``play`` gets them all.
ALL_STAMPS = ((Placement, ("proposed_at", "confirmed_at", "cancelled_at")), (Arrival, ("updated_at",)),
              (Interview, ("cancelled_at",)))
STAMPED = {
    "placement_propose": ((Placement, ("proposed_at", "cancelled_at")),),
    "placement_confirm": ((Placement, ("confirmed_at",)),),
    "flight_details_set": ((Arrival, ("updated_at",)),),
    "arrival_arrange": ((Arrival, ("updated_at",)),),
    "application_withdraw": ((Placement, ("cancelled_at",)), (Interview, ("cancelled_at",))),
    "application_disengage": (),
}


def backdate(application: Application, when: datetime, *, related=()):
    """Move to ``when`` what a service without a ``now`` argument stamped with the run's time.

    Written behind the service's back, for this reason only: the visitor log, the timeline and the board's
    "waiting since" read these stamps, and a history played in one run would otherwise have happened
    today. Everything the service stamped is later than ``when`` (the plan plays each application in
    order), so only those rows move. ``related``: the (model, stamps) of the placement, arrival and interview
    rows the service wrote (``STAMPED``). Remove once every service takes ``now``."""
    Application.objects.filter(pk=application.pk).update(
        created_at=Least("created_at", Value(when)), state_changed_at=Least("state_changed_at", Value(when)),
        updated_at=Least("updated_at", Value(when)))
    StatusChange.objects.filter(application_id=application.pk, at__gt=when).update(at=when)
    for model, names in related:
        for name in names:
            model.objects.filter(application_id=application.pk, **{f"{name}__gt": when}).update(**{name: when})


class Occupancy:
    """Who is where, as the planner books it: the visitors of a clinic (up to its capacity) and the guests of
    each host family (up to its rooms) on each stay's days. Counting every overlapping stay (not the most on
    one day) is stricter than the services' rules, so whatever the planner books, they accept."""

    def __init__(self):
        self.booked: dict[object, list[tuple[date, date]]] = defaultdict(list)

    def free(self, key, first: date, last: date, limit: int) -> bool:
        return sum(1 for start, end in self.booked[key] if start <= last and end >= first) < limit

    def book(self, key, first: date, last: date):
        self.booked[key].append((first, last))


class VisitorsDemo:
    def __init__(self, *, seed: int = 2026, today: date | None = None, past: int = PAST_VISITORS):
        if past < 1:
            raise ValueError("past: at least one past visitor")
        self.scale = past / PAST_VISITORS
        self.rng = random.Random(seed)
        self.today = today or timezone.localdate()
        self.summary = DemoSummary()
        self.User = get_user_model()

    def run(self) -> DemoSummary:
        self.load_people()
        self.open_communities()
        self.past_cohorts()
        self.plan_history()
        self.plan_season()
        self.book()
        self.accounts()
        # A past application is known by its applicant and dates; this season's dates follow today, so one of
        # its applicants who has any application outside the history is done.
        done = set(Application.objects.values_list("applicant__email", "wanted_start"))
        season = {id(visit) for visit in self.season}
        history = {(visit.person.email, visit.start) for visit in self.visits if id(visit) not in season}
        season_done = {email for email, start in done if (email, start) not in history}
        for visit in self.visits:
            key = (visit.person.email, visit.start)
            if key not in done and not (id(visit) in season and visit.person.email in season_done):
                self.play_visit(visit)
                self.summary.applications_created += 1
        visited = Application.objects.filter(state__in=Application.VISITED_STATES,
                                             wanted_start__lt=self.year_start)
        self.summary.past_visitors = visited.count()
        self.summary.states = dict(Counter(Application.objects.values_list("state", flat=True)))
        return self.summary

    # --- what there is --------------------------------------------------------------------------------------

    def load_people(self):
        users = {u.email: u for u in self.User.objects.filter(
            email__in=[APPLICANT_EMAIL, VISITOR_PROGRAM_EMAIL, PASANTE_EMAIL, PASANTE2_EMAIL])}
        self.staff_user = users.get(VISITOR_PROGRAM_EMAIL)
        self.demo_applicant = users.get(APPLICANT_EMAIL)
        pasante_user = users.get(PASANTE_EMAIL)
        if self.staff_user is None or self.demo_applicant is None or pasante_user is None:
            raise LookupError("Load the demo network first: manage.py seed_demo")
        self.demo_pasante = Staff.objects.get(user=pasante_user)
        self.second_pasante = Staff.objects.filter(user=users.get(PASANTE2_EMAIL)).first()
        self.clinics = {clinic.community.name: clinic for clinic in Clinic.objects.filter(
            kind=Clinic.Kind.RURAL_CLINIC, active=True, community__name__in=list(OPENED)).select_related("community")}
        self.drivers = list(Staff.objects.filter(cadre=Cadre.DRIVER, active=True).order_by("full_name"))
        current = Cohort.objects.filter(start_date__lte=self.today, end_date__gte=self.today).order_by(
            "-start_date").first()
        if current is None or not self.drivers or "Capitán" not in self.clinics:
            raise LookupError("Load the demo network first: manage.py seed_demo")
        self.year_start, self.year_end = current.start_date, current.end_date

    def open_communities(self):
        """Each community receives visitors from its year in ``OPENED`` (Capitán in any case), with its
        capacity, and has a family that hosts only visitors."""
        self.families: dict[str, list[HostFamily]] = {}
        for name, clinic in self.clinics.items():
            community = clinic.community
            since = date(OPENED[name], 1, 15)
            if not community.accepts_visitors or (community.visitors_agreed_on or date.max) > since:
                community = clinics_services.community_update(
                    community=community, accepts_visitors=True, visitors_agreed_on=since,
                    visitor_capacity=community.visitor_capacity or 2,
                    visitors_agreement_kind=community.visitors_agreement_kind or community.Agreement.ASSEMBLY_MINUTES,
                    visitors_agreement=community.visitors_agreement
                    or "Votación en asamblea comunitaria, asentada en el acta ejidal.",
                    by=self.staff_user)
                clinic.community = community
            head = f"Casa de huéspedes {name}"
            if not HostFamily.objects.filter(community=community, head_of_household=head).exists():
                clinics_services.host_family_create(
                    community=community, head_of_household=head, rooms=2, rate_per_night=150, rate_per_meal=50,
                    phone=f"992 {600 + len(name)} {4100 + len(name) * 7}", address="Junto a la cancha",
                    notes="Recibe solo a visitantes del programa.")
            self.families[name] = list(HostFamily.objects.filter(community=community, active=True).order_by("pk"))

    def past_cohorts(self):
        """A cohort per past year, and a pasante at each clinic that received visitors that year."""
        self.pasantes: dict[tuple[str, int], Staff] = {}
        for year in range(FIRST_YEAR, self.year_start.year):
            start, end = date(year, 2, 1), date(year + 1, 1, 31)
            name = f"Promoción {year}–{year + 1}"
            cohort = Cohort.objects.filter(name=name).first() or clinics_services.cohort_create(
                name=name, start_date=start, end_date=end)
            for community, clinic in self.clinics.items():
                if OPENED[community] > year:
                    continue
                posted = clinic_selectors.pasante_posted_at(clinic, start)
                if posted is None:
                    person = random.Random(f"{community}{year}")
                    full_name = (f"{person.choice(PASANTE_GIVEN)} "
                                 f"{' '.join(person.sample(PASANTE_SURNAMES, 2))}")
                    staff = clinics_services.staff_create(
                        full_name=full_name, cadre=Cadre.PASANTE, cohort=cohort, with_account=True,
                        email=f"{slugify(full_name)}.{year}@{PASANTES_DOMAIN}")
                    clinics_services.assignment_create(staff=staff, clinic=clinic, role=Assignment.Role.PASANTE,
                                                       start_date=start, end_date=end)
                    self.pasantes[(community, year)] = staff
                else:
                    self.pasantes[(community, year)] = posted

    def pasante_at(self, community: str, day: date) -> Staff | None:
        year = day.year if day.month >= 2 else day.year - 1
        if (community, year) in self.pasantes:
            return self.pasantes[(community, year)]
        return clinic_selectors.pasante_posted_at(self.clinics[community], day)

    # --- who comes when -------------------------------------------------------------------------------------

    def person(self, n: int, *, domain: str, spanish_name: bool = False, institution: Institution | None = None,
               category: str = "") -> Person:
        rng = self.rng
        institution = institution or rng.choices(INSTITUTIONS, weights=[i.weight for i in INSTITUTIONS])[0]
        if institution.country in SPANISH_NAMES or spanish_name:
            full_name = f"{rng.choice(NOMBRES)} {' '.join(rng.sample(APELLIDOS, 2))}"
        else:
            full_name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        program = rng.choice(institution.programs)
        if category == Category.NURSE:
            program = NURSING.get(institution.country, "Nursing")
        slug = slugify(full_name).replace("-", ".")
        return Person(email=f"{slug}.{n:03d}@{domain}", full_name=full_name, country=institution.country,
                      institution=institution.name, program=program,
                      language="es" if institution.country in SPANISH_NAMES else "en",
                      phone=f"+1 617 555 {rng.randint(1000, 9999)}" if institution.country == "US"
                      else f"+{rng.randint(30, 59)} {rng.randint(100, 999)} {rng.randint(100000, 999999)}")

    def stay(self, category: str, year: int) -> tuple[date, date]:
        """Dates inside the pasantes' year (February to January): students and graduates for six months or
        more from February or August, clinicians for their weeks any time from February to December."""
        rng = self.rng
        if category in (Category.STUDENT, Category.GRADUATE):
            # From August, six months end on the pasante's last day (31 January): no later start.
            start = date(year, 2, rng.randint(1, 10)) if rng.random() < 0.6 else date(year, 8, 1)
            end = minimum_last_day(category, start) + timedelta(days=rng.choice([0, 0, 14, 30, 45]))
            return start, min(end, date(year + 1, 1, 31))
        start = date(year, 2, 1) + timedelta(days=rng.randint(3, 300))
        days = {Category.RESIDENT: 28, Category.ATTENDING: 14, Category.NURSE: 14}[category]
        end = start + timedelta(days=days - 1 + rng.choice([0, 0, 0, 3, 7]))
        return start, min(end, date(year + 1, 1, 31))

    def scaled(self, n: int, *, least: int = 1) -> int:
        """``n`` of the full-size history, at this run's size (never fewer than ``least``)."""
        return max(least, round(n * self.scale))

    def plan_history(self):
        years = list(range(FIRST_YEAR, self.year_start.year))
        per_year = {year: self.scaled(PER_YEAR.get(year, LATER_YEARS)) for year in years}
        total = sum(per_year.values())
        categories = [category for category, share in CATEGORY_SHARES.items()
                      for _n in range(max(1, round(share * total / PAST_VISITORS)))]
        while len(categories) < total:
            categories.append(Category.RESIDENT)
        while len(categories) > total and categories.count(Category.RESIDENT) > 1:
            categories.remove(Category.RESIDENT)  # rounding up a small history: every category keeps one
        self.rng.shuffle(categories)
        self.visits: list[Visit] = []
        n = 0
        for year in years:
            for _k in range(per_year[year]):
                category = categories[n]
                n += 1
                start, end = self.stay(category, year)
                self.visits.append(Visit(self.person(n, domain=PAST_DOMAIN, category=category), category, start,
                                         end, Application.State.COMPLETED, spanish=self.rng.choice(
                                             [SpanishLevel.B1, SpanishLevel.B2, SpanishLevel.B2, SpanishLevel.C1,
                                              SpanishLevel.C2])))
        history = list(self.visits)
        for visit in self.rng.sample(history, self.scaled(WITHDRAWN)):
            visit.outcome = Application.State.WITHDRAWN
        completed = [visit for visit in history if visit.outcome == Application.State.COMPLETED]
        residents = [v for v in completed if v.category == Category.RESIDENT]
        for visit in self.rng.sample(residents, min(self.scaled(DISENGAGED), len(residents))):
            visit.outcome = Application.State.DISENGAGED
        later = [v for v in completed if v.start.year > FIRST_YEAR]
        for visit in self.rng.sample(later, min(self.scaled(DECLINED), len(later))):
            visit.outcome, visit.spanish = Application.State.DECLINED, SpanishLevel.A2
        # Residents who came back the next year, from their previous application.
        returning = [v for v in completed if v.category == Category.RESIDENT
                     and v.outcome == Application.State.COMPLETED and v.start.year + 1 < self.year_start.year]
        for first in self.rng.sample(returning, min(self.scaled(REPEATS), len(returning))):
            again = next((v for v in history if v.category in (Category.RESIDENT, Category.ATTENDING)
                          and v.start.year == first.start.year + 1 and v.previous is None and v is not first
                          and v.outcome == Application.State.COMPLETED and v.person.country == "US"
                          and not any(w.previous is v for w in history)), None)
            if again is not None and again.start > first.end:
                again.person = first.person
                again.previous = first
        self.visits.sort(key=lambda v: (v.start, v.person.email))

    def plan_season(self):
        """This season's applications, one or more in every state, around today."""
        today, S = self.today, Application.State
        rng = self.rng
        season = []

        def add(category, outcome, start, days=None, *, person=None, **options):
            n = 500 + len(season)
            person = person or self.person(n, domain=SEASON_DOMAIN, category=category)
            first = start
            if days is None:
                last = minimum_last_day(category, first)
            else:
                last = first + timedelta(days=days - 1)
            visit = Visit(person, category, first, last, outcome,
                          spanish=options.pop("spanish", rng.choice([SpanishLevel.B1, SpanishLevel.B2,
                                                                    SpanishLevel.C1])), options=options)
            season.append(visit)
            return visit

        emily = Person(APPLICANT_EMAIL, self.demo_applicant.full_name or "Emily Carter", "US",
                       "Brigham and Women's Hospital", "Internal Medicine", phone="+1 617 555 0142")
        add(Category.RESIDENT, S.PLACEMENT_CONFIRMED, today + timedelta(days=10), 28, person=emily,
            community="Capitán", pasante=self.demo_pasante, flight=True, pickup=True, spanish=SpanishLevel.B2)
        add(Category.ATTENDING, S.PLACEMENT_CONFIRMED, today + timedelta(days=7), 14, flight=True, pickup=True,
            community="Reforma", pasante=self.second_pasante)
        add(Category.RESIDENT, S.PLACEMENT_PROPOSED, today + timedelta(days=30), 28)
        add(Category.NURSE, S.ARRIVED, today, 14, flight=True, pickup=True)
        add(Category.GRADUATE, S.IN_COMMUNITY, today - timedelta(days=122))
        add(Category.RESIDENT, S.IN_COMMUNITY, today - timedelta(days=27), 28, flight=True, pickup=True)
        add(Category.ATTENDING, S.COMPLETED, today - timedelta(days=60), 14, flight=True, pickup=True)
        add(Category.RESIDENT, S.COMPLETED, today - timedelta(days=95), 28, flight=True, pickup=True)
        returning = next((v for v in reversed(self.visits) if v.category == Category.RESIDENT
                          and v.outcome == S.COMPLETED and v.person.country == "US"
                          and not any(w.person is v.person and w is not v for w in self.visits)), None)
        again = add(Category.RESIDENT, S.COMPLETED, today - timedelta(days=150), 28,
                    person=returning.person if returning else None, flight=True, pickup=True)
        again.previous = returning
        add(Category.RESIDENT, S.DISENGAGED, today - timedelta(days=20), 28)
        add(Category.ATTENDING, S.WITHDRAWN, today + timedelta(days=45), 14, after=S.PLACEMENT_PROPOSED)
        add(Category.RESIDENT, S.ACCEPTED, today + timedelta(days=75), 28)
        add(Category.STUDENT, S.WAITLISTED, self.year_end + timedelta(days=2))
        add(Category.GRADUATE, S.DECLINED, today + timedelta(days=90), spanish=SpanishLevel.A2)
        add(Category.RESIDENT, S.INTERVIEWED, today + timedelta(days=80), 28)
        add(Category.ATTENDING, S.INTERVIEW_SCHEDULED, today + timedelta(days=70), 14, interview="tomorrow")
        add(Category.STUDENT, S.INTERVIEW_SCHEDULED, self.year_end + timedelta(days=10), interview="slots")
        add(Category.RESIDENT, S.SUBMITTED, today + timedelta(days=100), 28, submitted_days_ago=8)
        add(Category.NURSE, S.SUBMITTED, today + timedelta(days=110), 14, submitted_days_ago=2,
            request=DocumentKind.IMMUNIZATION)
        add(Category.RESIDENT, S.DRAFT, today + timedelta(days=120), 28, step=3)
        add(Category.GRADUATE, S.DRAFT, today + timedelta(days=150), step=6)
        for visit in season:
            visit.options.setdefault("submitted_days_ago", None)
        self.season = season
        self.visits.extend(season)

    PLACED_STATES = {Application.State.PLACEMENT_PROPOSED, Application.State.PLACEMENT_CONFIRMED,
                     Application.State.ARRIVED, Application.State.IN_COMMUNITY, Application.State.COMPLETED,
                     Application.State.DISENGAGED}

    def book(self):
        """Choose each placed visit's community and host family, where the clinic and a room are free; a stay
        that would outlast the pasante's year is shortened to it (with the coordinator's exception)."""
        occupancy = Occupancy()
        for name, families in self.families.items():
            for index, family in enumerate(families):
                for stay in HostStay.objects.filter(family=family, guest_kind=HostStay.GuestKind.PASANTE):
                    occupancy.book(("family", name, index), stay.first_night, stay.last_night)
        placed = [v for v in self.visits if v.outcome in self.PLACED_STATES
                  or (v.outcome == Application.State.WITHDRAWN and v.options.get("after"))]
        # The demo applicant first: her clinic and pasante are fixed.
        placed.sort(key=lambda v: (v.person.email != APPLICANT_EMAIL, "community" not in v.options, v.start))
        for visit in placed:
            fixed = visit.options.get("community")
            if not (self.place(visit, occupancy, fixed) or fixed is None and any(
                    self.place(visit, occupancy, None, later) for later in self.later_starts(visit))):
                if fixed:
                    raise LookupError(f"No room at {fixed} for {visit.person.email} from {visit.start}.")
                # Nowhere free on those days: it stays an application that was not placed.
                visit.outcome = Application.State.WITHDRAWN if visit.start < self.today else Application.State.ACCEPTED

    def later_starts(self, visit: Visit) -> list[date]:
        """Other first days a past visitor could have come on the same year, when the clinics were full."""
        if visit.start >= self.year_start:
            return []
        year = visit.start.year
        if visit.category in (Category.STUDENT, Category.GRADUATE):
            return [date(year, 8, 1) if visit.start.month == 2 else date(year, 2, 3)]
        return [day for weeks in (3, 6, 9, -3, -6, 12, 15) if date(year, 2, 1) <= (
            day := visit.start + timedelta(weeks=weeks)) <= date(year, 12, 1)]

    def place(self, visit: Visit, occupancy: "Occupancy", fixed: str | None, start: date | None = None) -> bool:
        """Book the visit at a community with the clinic and a room free (from ``start`` if given)."""
        if start is not None:
            length = visit.end - visit.start
            visit.start = start
            visit.end = max(start + length, minimum_last_day(visit.category, start))
        names = [fixed] if fixed else [name for name in self.clinics if OPENED[name] <= visit.start.year]
        self.rng.shuffle(names)
        for name in names:
            pasante_end = self.pasante_end(name, visit.start)
            if pasante_end is None:
                continue
            last = min(visit.end, pasante_end)
            capacity = self.clinics[name].community.visitor_capacity or 1
            if not occupancy.free(("clinic", name), visit.start, last, capacity):
                continue
            rooms = [index for index, family in enumerate(self.families[name])
                     if occupancy.free(("family", name, index), visit.start, last, family.rooms)]
            if not rooms:
                continue
            visit.community, visit.family_index = name, self.rng.choice(rooms)
            if last < visit.end:
                visit.end = last
                if last < minimum_last_day(visit.category, visit.start):
                    visit.short_stay_reason = "La estancia termina con el año de servicio social del pasante."
            occupancy.book(("clinic", name), visit.start, visit.end)
            occupancy.book(("family", name, visit.family_index), visit.start, visit.end)
            return True
        return False

    def pasante_end(self, community: str, day: date) -> date | None:
        """The last day of the pasante's post at the clinic that holds it on ``day`` (None if nobody does)."""
        year = day.year if day.month >= 2 else day.year - 1
        if year < self.year_start.year:
            return date(year + 1, 1, 31) if OPENED[community] <= year else None
        posted = clinic_selectors.pasante_post_on(self.clinics[community], day)
        if posted is None:
            return None
        return posted.end_date or date.max

    # --- accounts -------------------------------------------------------------------------------------------

    def accounts(self):
        """An applicant account per person (the demo password for this season's, none for the past's)."""
        demo_hash = make_password(self.demo_password())
        group = Group.objects.get_or_create(name=Role.APPLICANT)[0]
        season = {visit.person.email for visit in self.season}
        people = {visit.person.email: visit.person for visit in self.visits}
        existing = {user.email: user for user in self.User.objects.filter(email__in=list(people))}
        self.users = {}
        for email, person in people.items():
            user = existing.get(email)
            if user is None:
                user = self.User.objects.create_user(email=email, password=None, full_name=person.full_name,
                                                     phone=person.phone, preferred_language=person.language)
                user.password = demo_hash if email in season else make_password(None)
                user.save(update_fields=["password"])
                user.groups.add(group)
                EmailAddress.objects.get_or_create(user=user, email=email,
                                                   defaults={"verified": True, "primary": True})
            self.users[email] = user
        EmailAddress.objects.get_or_create(user=self.demo_applicant, email=APPLICANT_EMAIL,
                                           defaults={"verified": True, "primary": True})

    @staticmethod
    def demo_password() -> str:
        from django.conf import settings
        return settings.DEMO_PASSWORD

    # --- one application, through the services ------------------------------------------------------------

    def play_visit(self, visit: Visit):
        S = Application.State
        user = self.users[visit.person.email]
        staff = self.staff_user
        past = visit.start < self.year_start
        days_ago = visit.options.get("submitted_days_ago")
        if past or visit.start < self.today:
            applied = visit.start - timedelta(days=self.rng.randint(80, 120))
        elif days_ago is not None:
            applied = self.today - timedelta(days=days_ago)
        elif visit.placed:
            applied = self.today - timedelta(days=40)
        else:
            applied = self.today - timedelta(days=20)
        previous = None
        if visit.previous is not None:
            previous = Application.objects.filter(applicant=user, wanted_start=visit.previous.start).first()
        application = play(services.application_start, applicant=user, previous=previous, by=user,
                           when=at(applied - timedelta(days=4), 20))
        step_reached = visit.options.get("step", 7)
        steps = [(step, fields) for step, fields in self.steps(visit)
                 if not (step >= step_reached and visit.outcome == S.DRAFT)]
        for step, fields in steps:
            # Saved one step after another, on one evening: only the last save's stamp needs moving back.
            application = play(services.application_update, application=application, by=user, step=step,
                               fields=fields, when=at(applied - timedelta(days=4), 20, step)
                               if step == steps[-1][0] else None)
        if visit.outcome == S.DRAFT and step_reached < 6:
            return
        self.upload_documents(application, visit, user)
        if visit.outcome == S.DRAFT:
            return
        if visit.short_stay_reason:
            application = play(services.short_stay_allow, application=application, reason=visit.short_stay_reason,
                               by=staff, when=at(applied - timedelta(days=1)))
        application = play(services.application_submit, application=application, by=user, when=at(applied, 21))
        if visit.options.get("request"):
            play(services.document_request, application=application, kind=visit.options["request"],
                 note="Please upload your immunization record (hepatitis B and tetanus, at least).", by=staff,
                 when=at(applied + timedelta(days=1), 9))
        if visit.outcome == S.SUBMITTED:
            return

        # The interview, in Spanish.
        interview_day = applied + timedelta(days=7)
        if visit.options.get("interview") == "slots":
            slots = play(services.interview_slots_offer, application=application, by=staff,
                         starts=[at(self.today + timedelta(days=3), 10), at(self.today + timedelta(days=4), 17)],
                         when=at(self.today - timedelta(days=1), 9))
            play(services.interview_slot_choose, application=application, slot=slots[0], by=user,
                 when=at(self.today, 8))
            return
        if visit.options.get("interview") == "tomorrow":
            interview_day = self.today + timedelta(days=1)
        play(services.interview_schedule, application=application, scheduled_at=at(interview_day, 16),
             where="Videollamada (enlace por correo)", interviewer=staff, by=staff,
             when=at(applied + timedelta(days=2), 9))
        if visit.outcome == S.INTERVIEW_SCHEDULED:
            return
        level = visit.spanish
        recommendation = (Interview.Recommendation.DECLINE if level not in (SpanishLevel.B1, SpanishLevel.B2,
                                                                              SpanishLevel.C1, SpanishLevel.C2)
                          else Interview.Recommendation.ACCEPT)
        play(services.interview_record, application=application, spanish_level=level,
             values_fit=self.rng.choice([Interview.ValuesFit.STRONG, Interview.ValuesFit.STRONG,
                                         Interview.ValuesFit.ADEQUATE]),
             notes="Conversación fluida sobre su motivación y sobre el papel del pasante."
             if recommendation == Interview.Recommendation.ACCEPT
             else "Entiende poco; no podría consultar sin traductor.",
             recommendation=recommendation, by=staff, when=at(interview_day, 17))
        decided = at(interview_day + timedelta(days=2), 11)
        if visit.outcome == S.INTERVIEWED:
            return
        if visit.outcome == S.DECLINED:
            play(services.application_decline, application=application, message=DECLINE_MESSAGE, by=staff,
                 when=decided)
            return
        if visit.outcome == S.WAITLISTED:
            play(services.application_waitlist, application=application, by=staff, when=decided,
                 message="The clinics are full for your dates; we will write as soon as a place opens.")
            return
        play(services.application_accept, application=application, message=ACCEPT_MESSAGE, by=staff, when=decided)
        if visit.outcome == S.ACCEPTED or (visit.outcome == S.WITHDRAWN and not visit.placed):
            if visit.outcome == S.WITHDRAWN:
                play(services.application_withdraw, application=application, reason=self.rng.choice(
                    WITHDRAW_REASONS), by=user, when=decided + timedelta(days=9))
            return

        # The placement.
        clinic = self.clinics[visit.community]
        pasante = visit.options.get("pasante") or self.pasante_at(visit.community, visit.start)
        family = self.families[visit.community][visit.family_index]
        proposed = decided + timedelta(days=5)
        play(services.placement_propose, application=application, clinic=clinic, pasante=pasante, host_family=family,
             start_date=visit.start, end_date=visit.end, meals_per_day=3, by=staff, when=proposed,
             notes="Tu pasante te espera en la clínica; la familia te dará desayuno, comida y cena.")
        if visit.outcome == S.PLACEMENT_PROPOSED:
            return
        if visit.outcome == S.WITHDRAWN:
            play(services.application_withdraw, application=application, reason=self.rng.choice(WITHDRAW_REASONS),
                 by=user, when=proposed + timedelta(days=3))
            return
        confirmed = proposed + timedelta(days=2)
        placement = play(services.placement_confirm, application=application, by=user, when=confirmed)
        # The history skips the pasante's "the family is ready" and the flight (the visitor log and the
        # feedback do not read them; each service call costs ~20 queries, see the module docstring).
        if pasante.user_id and not past and (self.rng.random() < 0.7 or visit.person.email == APPLICANT_EMAIL):
            play(services.host_family_confirm, placement=placement, by=pasante.user,
                 when=confirmed + timedelta(days=3))
        arrives = at(visit.start, 11, 5)  # the first day: the flight, the pickup, the orientation
        if visit.options.get("flight"):
            play(services.flight_details_set, application=application, by=user, when=confirmed + timedelta(days=7),
                 flight_number=f"{self.rng.choice(['AM', 'VB', 'Y4'])} {self.rng.randint(100, 999)}",
                 arrives_at=arrives, arrives_where="Aeropuerto Ángel Albino Corzo, Tuxtla Gutiérrez")
        if past or visit.options.get("pickup"):
            play(services.arrival_arrange, application=application, pickup_at=arrives + timedelta(hours=1),
                 meeting_point=MEETING_POINT, driver=self.rng.choice(self.drivers),
                 vehicle=self.rng.choice(VEHICLES), by=staff, when=confirmed + timedelta(days=8),
                 notes="Te llevamos a la oficina de Jaltenango para la orientación; al día siguiente, a tu comunidad.")
        if visit.outcome == S.PLACEMENT_CONFIRMED:
            return

        # The stay.
        play(services.application_mark_arrived, application=application, orientation_done=True, by=staff,
             when=at(visit.start, 18))
        if visit.outcome == S.ARRIVED:
            return
        play(services.application_mark_in_community, application=application, by=staff,
             when=at(visit.start + timedelta(days=1), 15))
        if visit.outcome == S.DISENGAGED:
            ended = min(visit.start + timedelta(days=8), self.today - timedelta(days=1))
            play(services.application_disengage, application=application, reason=DISENGAGE_REASON, ended_on=ended,
                 return_arranged=True, by=staff, when=at(ended, 17))
            return
        if visit.outcome == S.IN_COMMUNITY:
            return
        play(services.application_complete, application=application, by=staff, when=at(visit.end, 18))
        self.survey(application, visit, user)
        if pasante.user_id and self.rng.random() < 0.7:
            play(services.pasante_feedback_submit, placement=placement, by=pasante.user,
                 rating=self.rng.choice([5, 5, 4, 4, 3]), would_host_again=self.rng.random() < 0.92,
                 comments=self.rng.choice(PASANTE_COMMENTS), when=at(visit.end + timedelta(days=2), 19))

    def steps(self, visit: Visit) -> list[tuple[int, dict]]:
        person, rng = visit.person, self.rng
        clinician = visit.category in (Category.RESIDENT, Category.ATTENDING, Category.NURSE)
        level = {Category.RESIDENT: rng.choice([Application.TrainingLevel.PGY1, Application.TrainingLevel.PGY2,
                                                Application.TrainingLevel.PGY3]),
                 Category.ATTENDING: Application.TrainingLevel.ATTENDING,
                 Category.NURSE: rng.choice([Application.TrainingLevel.NURSE, Application.TrainingLevel.APP]),
                 Category.STUDENT: rng.choice([Application.TrainingLevel.PRECLINICAL,
                                               Application.TrainingLevel.CLINICAL]),
                 Category.GRADUATE: Application.TrainingLevel.GRADUATE}[visit.category]
        contact = f"{rng.choice(FIRST + NOMBRES)} {person.full_name.split()[-1]}"
        return [
            (1, {"full_name": person.full_name, "phone": person.phone, "country": person.country}),
            (2, {"category": visit.category, "wanted_start": visit.start, "wanted_end": visit.end}),
            (3, {"institution": person.institution, "program": person.program, "training_level": level,
                 "licence_number": f"{person.country}-{rng.randint(100000, 999999)}" if clinician else "",
                 "licence_country": person.country if clinician else ""}),
            (4, {"spanish_self_assessment": rng.choice([SpanishLevel.B1, SpanishLevel.B2, SpanishLevel.C1]),
                 "motivation": rng.choice(MOTIVATIONS), "prior_visits": rng.choice(PRIOR_VISITS)}),
            (5, {"emergency_contact_name": contact, "emergency_contact_phone": person.phone[:-4] + "0199",
                 "emergency_contact_relation": rng.choice(RELATIONS), "dietary_notes": rng.choice(DIETS),
                 "health_notes": ""}),
        ]

    def upload_documents(self, application, visit: Visit, user):
        kinds = [DocumentKind.CV]
        if visit.category in (Category.RESIDENT, Category.ATTENDING, Category.NURSE):
            kinds.append(DocumentKind.LICENCE)
        if visit.start >= self.year_start:  # this season's files are opened on the review page
            kinds += [DocumentKind.INSURANCE, DocumentKind.PHOTO]
        surname = slugify(visit.person.full_name.split()[-1])
        for kind in kinds:
            if kind == DocumentKind.PHOTO:
                upload = SimpleUploadedFile(f"photo-{surname}.png", tiny_png(), content_type="image/png")
            else:
                upload = SimpleUploadedFile(f"{kind}-{surname}.pdf", tiny_pdf(f"{PDF_TITLE[kind]}: "
                                                                             f"{visit.person.full_name}"),
                                            content_type="application/pdf")
            services.document_upload(application=application, kind=kind, upload=upload, by=user)

    def survey(self, application, visit: Visit, user):
        rng = self.rng

        def rating(low=3):
            return rng.choices([5, 4, 3, 2], weights=[60, 30, 8 if low <= 3 else 0, 2 if low <= 2 else 0])[0]

        play(services.exit_survey_submit, application=application, by=user, when=at(visit.end + timedelta(days=1), 20),
             mentorship=rating(), clinical=rating(), community=rating(), host_family=rating(2), logistics=rating(2),
             best=rng.choice(BEST), improve=rng.choice(IMPROVE), comments=rng.choice(COMMENTS))
