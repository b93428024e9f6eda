from datetime import date
from decimal import Decimal

import factory

from ces.accounts.tests.factories import UserFactory
from clinics.models import (
    Assignment,
    Cadre,
    Clinic,
    Cohort,
    Community,
    HostFamily,
    Patient,
    Staff,
    SupervisionVisit,
)


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    name = factory.Sequence(lambda n: f"Comunidad {n}")
    municipality = "Ángel Albino Corzo"
    travel_minutes = 120


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    community = factory.SubFactory(CommunityFactory)
    name = factory.LazyAttribute(lambda o: f"Clínica {o.community.name}")
    kind = Clinic.Kind.RURAL_CLINIC


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cohort

    name = factory.Sequence(lambda n: f"Promoción {2020 + n}")
    start_date = date(2026, 2, 1)
    end_date = date(2027, 1, 31)


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Staff

    full_name = factory.Faker("name", locale="es_MX")
    cadre = Cadre.PASANTE
    email = factory.Sequence(lambda n: f"staff{n}@example.mx")


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    staff = factory.SubFactory(StaffFactory)
    clinic = factory.SubFactory(ClinicFactory)
    role = Assignment.Role.PASANTE
    start_date = date(2026, 2, 1)
    end_date = None


class HostFamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HostFamily

    community = factory.SubFactory(CommunityFactory)
    head_of_household = factory.Faker("name", locale="es_MX")
    rooms = 1
    rate_per_night = Decimal("150.00")
    rate_per_meal = Decimal("50.00")


class SupervisionVisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupervisionVisit

    supervisor = factory.SubFactory(StaffFactory, cadre=Cadre.SUPERVISOR)
    clinic = factory.SubFactory(ClinicFactory)
    visited_on = date(2026, 3, 1)
    notes = "Revisión de expedientes y farmacia."


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    clinic = factory.SubFactory(ClinicFactory)
    community = factory.LazyAttribute(lambda o: o.clinic.community)
    given_names = factory.Faker("first_name", locale="es_MX")
    family_names = factory.Faker("last_name", locale="es_MX")
    sex = Patient.Sex.FEMALE
    birth_date = date(1970, 5, 17)


__all__ = ["UserFactory"]
