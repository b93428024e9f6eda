"""Visitor applications for tests: a filled draft (``ApplicationFactory``), the world a placement needs
(``placement_world``: a clinic whose community accepts visitors, its pasante posted throughout, a host family
with a room), and ``application_in_state``, which drives an application to any state through the real
services, so every test starts from a state the product itself can reach.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ces.accounts.roles import Role
from ces.accounts.tests.factories import UserFactory
from clinics.models import Assignment, Cadre, Clinic, HostFamily, Staff
from clinics.tests.factories import AssignmentFactory, ClinicFactory, HostFamilyFactory, StaffFactory
from visitors import services
from visitors.models import REQUIRED_DOCUMENTS, Application, Category, DocumentKind, SpanishLevel

State = Application.State

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"


def pdf_upload(name: str = "cv.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def jpeg_upload(name: str = "foto.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, JPEG_BYTES, content_type="image/jpeg")


def png_upload(name: str = "foto.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


def default_start(today: date | None = None) -> date:
    """The first day of the applications these factories fill: two months ahead."""
    return (today or timezone.localdate()) + timedelta(days=60)


# A resident's stay of five weeks (the minimum is 28 days).
DEFAULT_DAYS = 35


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A draft with every step filled (a resident's five weeks, two months ahead), no documents yet."""

    class Meta:
        model = Application

    applicant = factory.SubFactory(UserFactory, roles=[Role.APPLICANT],
                                   email=factory.Sequence(lambda n: f"applicant{n}@example.org"))
    full_name = factory.LazyAttribute(lambda o: o.applicant.full_name)
    phone = "+1 617 555 0100"
    country = "US"
    category = Category.RESIDENT
    wanted_start = factory.LazyFunction(default_start)
    wanted_end = factory.LazyAttribute(lambda o: o.wanted_start + timedelta(days=DEFAULT_DAYS - 1))
    institution = "Brigham and Women's Hospital"
    program = "Internal Medicine"
    training_level = Application.TrainingLevel.PGY2
    licence_number = "MD-123456"
    licence_country = "US"
    spanish_self_assessment = SpanishLevel.B2
    motivation = "I want to learn primary care in rural Chiapas with the pasantes."
    prior_visits = ""
    emergency_contact_name = "Jane Doe"
    emergency_contact_phone = "+1 617 555 0199"
    emergency_contact_relation = "Mother"
    step = 5


@dataclass
class PlacementWorld:
    """What a placement needs, ready: the clinic (its community accepts visitors), the pasante posted there
    over the dates, an active host family with ``rooms`` rooms in the community, a program user and a driver."""

    clinic: Clinic
    pasante: Staff
    host_family: HostFamily
    staff_user: object
    driver: Staff


def placement_world(*, clinic: Clinic | None = None, pasante: Staff | None = None,
                    host_family: HostFamily | None = None, capacity: int | None = 1, rooms: int = 1,
                    staff_user=None, from_day: date | None = None) -> PlacementWorld:
    """Build (or complete) the world of a placement; a given clinic's community is made to accept visitors."""
    from_day = from_day or timezone.localdate() - timedelta(days=30)
    if clinic is None:
        clinic = ClinicFactory(community__accepts_visitors=True, community__visitor_capacity=capacity,
                               community__visitors_agreed_on=date(2020, 1, 15),
                               community__visitors_agreement_kind="assembly_minutes")
    elif not clinic.community.accepts_visitors:
        community = clinic.community
        community.accepts_visitors = True
        community.visitors_agreed_on = date(2020, 1, 15)
        community.visitors_agreement_kind = "assembly_minutes"
        community.visitor_capacity = capacity
        community.save()
    if pasante is None:
        user = UserFactory(roles=[Role.PASANTE])
        pasante = StaffFactory(user=user, full_name=user.full_name, cadre=Cadre.PASANTE)
        AssignmentFactory(staff=pasante, clinic=clinic, role=Assignment.Role.PASANTE, start_date=from_day,
                          end_date=None)
    if host_family is None:
        host_family = HostFamilyFactory(community=clinic.community, rooms=rooms)
    staff_user = staff_user or UserFactory(roles=[Role.VISITOR_PROGRAM])
    driver = StaffFactory(cadre=Cadre.DRIVER)
    return PlacementWorld(clinic=clinic, pasante=pasante, host_family=host_family, staff_user=staff_user,
                          driver=driver)


# The path of each state from a draft: the state before it (withdrawn and disengaged: see their kwargs).
_PATH = (
    State.DRAFT, State.SUBMITTED, State.INTERVIEW_SCHEDULED, State.INTERVIEWED, State.ACCEPTED,
    State.PLACEMENT_PROPOSED, State.PLACEMENT_CONFIRMED, State.ARRIVED, State.IN_COMMUNITY, State.COMPLETED,
)


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def application_in_state(state: str, *, applicant=None, clinic: Clinic | None = None, pasante: Staff | None = None,
                         host_family: HostFamily | None = None, staff_user=None, world: PlacementWorld | None = None,
                         start_date: date | None = None, end_date: date | None = None,
                         spanish_level: str = SpanishLevel.B2, withdrawn_from: str = State.PLACEMENT_CONFIRMED,
                         disengaged_from: str = State.IN_COMMUNITY, ended_on: date | None = None,
                         **fields) -> Application:
    """An application driven to ``state`` through the services: started, filled, documents uploaded,
    submitted, interviewed (``spanish_level``), accepted, placed with ``world`` (built by ``placement_world``
    from clinic/pasante/host_family when not given) from ``start_date`` to ``end_date`` (the wanted dates),
    confirmed, arrived... Waitlisted and declined come after the interview; withdrawn from ``withdrawn_from``,
    disengaged from ``disengaged_from`` (on ``ended_on``, the placement's first day by default). ``fields``
    are the application's own fields (category, wanted_start...)."""
    target = state
    if state == State.WITHDRAWN:
        target = withdrawn_from
    elif state == State.DISENGAGED:
        target = disengaged_from
    elif state in (State.WAITLISTED, State.DECLINED):
        target = State.INTERVIEWED
    if world is None and _PATH.index(target) >= _PATH.index(State.PLACEMENT_PROPOSED):
        world = placement_world(clinic=clinic, pasante=pasante, host_family=host_family, staff_user=staff_user)
    staff = (world.staff_user if world else None) or staff_user or UserFactory(roles=[Role.VISITOR_PROGRAM])

    applicant = applicant or UserFactory(roles=[Role.APPLICANT])
    application = services.application_start(applicant=applicant)
    filled = ApplicationFactory.build(applicant=applicant, **fields)
    if start_date is not None and "wanted_start" not in fields:
        filled.wanted_start = start_date
        filled.wanted_end = end_date or start_date + timedelta(days=DEFAULT_DAYS - 1)
    for step in services.APPLICATION_STEPS:
        if step.fields:
            application = services.application_update(
                application=application, by=applicant, step=step.number,
                fields={name: getattr(filled, name) for name in step.fields})
    reached = [State.DRAFT]

    def done(current):
        return current == target

    if not done(State.DRAFT):
        for kind in REQUIRED_DOCUMENTS[application.category]:
            services.document_upload(application=application, kind=kind, upload=pdf_upload(f"{kind}.pdf"),
                                     by=applicant)
        services.application_submit(application=application, by=applicant)
        reached.append(State.SUBMITTED)
    if target not in reached:
        services.interview_schedule(application=application, scheduled_at=timezone.now() + timedelta(days=1),
                                    where="https://meet.example.org/ces", interviewer=staff, by=staff)
        reached.append(State.INTERVIEW_SCHEDULED)
    if target not in reached:
        services.interview_record(application=application, spanish_level=spanish_level, values_fit="strong",
                                  notes="Habla con soltura.", recommendation="accept", by=staff)
        reached.append(State.INTERVIEWED)
    if state == State.WAITLISTED:
        return services.application_waitlist(application=application, message="Te avisaremos.", by=staff)
    if state == State.DECLINED:
        return services.application_decline(application=application, message="Este año no hay lugar.", by=staff)
    if target not in reached:
        services.application_accept(application=application, message="¡Bienvenida!", by=staff)
        reached.append(State.ACCEPTED)
    application.refresh_from_db()
    start = start_date or application.wanted_start
    end = end_date or application.wanted_end
    if target not in reached:
        services.placement_propose(application=application, clinic=world.clinic, pasante=world.pasante,
                                   host_family=world.host_family, start_date=start, end_date=end, by=staff)
        reached.append(State.PLACEMENT_PROPOSED)
    if target not in reached:
        services.placement_confirm(application=application, by=applicant)
        services.flight_details_set(application=application, flight_number="AM 123",
                                    arrives_at=_at(start - timedelta(days=1), 14), arrives_where="TGZ", by=applicant)
        services.arrival_arrange(application=application, pickup_at=_at(start - timedelta(days=1), 15),
                                 meeting_point="Aeropuerto de Tuxtla, salida nacional", driver=world.driver,
                                 by=staff)
        reached.append(State.PLACEMENT_CONFIRMED)
    if target not in reached:
        services.application_mark_arrived(application=application, orientation_done=True, by=staff)
        reached.append(State.ARRIVED)
    if target not in reached:
        services.application_mark_in_community(application=application, by=staff)
        reached.append(State.IN_COMMUNITY)
    if target not in reached:
        services.application_complete(application=application, by=staff)
        reached.append(State.COMPLETED)
    if state == State.WITHDRAWN:
        services.application_withdraw(application=application, reason="Cambié de planes.", by=applicant)
    elif state == State.DISENGAGED:
        services.application_disengage(application=application, reason="Regresó por un asunto familiar.",
                                       ended_on=ended_on or start, return_arranged=True, by=staff)
    application.refresh_from_db()
    assert application.state == state, (application.state, state)
    return application


__all__ = [
    "ApplicationFactory", "PlacementWorld", "application_in_state", "placement_world", "pdf_upload",
    "jpeg_upload", "png_upload", "DocumentKind", "PDF_BYTES", "JPEG_BYTES", "PNG_BYTES",
]
