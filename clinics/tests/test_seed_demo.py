"""seed_demo, played once for the module (a run is several seconds), then read by each test; the tests that run
it again (twice, a year later) do so inside their own transaction, which is rolled back. The database is put
back as it was at the end (``tests.kit.committed_for_the_module``). The refusals, which want an empty
database, are in ``test_seed_demo_refusals.py``."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from ces.accounts.models import User
from ces.accounts.roles import Role
from clinics.models import (
    Assignment,
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
from clinics.selectors import clinic_list, clinics_visible_to
from tests.kit import FAST_HASHERS, committed_for_the_module

MODELS = [Community, Clinic, Cohort, Staff, Assignment, HostFamily, HostStay, HostPayment, SupervisionVisit,
          Patient, User, Group]
DEMO_USERS = {
    "coordinator@demo.ces.mx": Role.COORDINATOR,
    "supervisor@demo.ces.mx": Role.SUPERVISOR,
    "pasante@demo.ces.mx": Role.PASANTE,
    "pasante2@demo.ces.mx": Role.PASANTE,
    "chw@demo.ces.mx": Role.CHW,
    "pharmacy@demo.ces.mx": Role.PHARMACY,
    "visitor_program@demo.ces.mx": Role.VISITOR_PROGRAM,
    "applicant@demo.ces.mx": Role.APPLICANT,
    "admin@demo.ces.mx": Role.ADMIN,
}


def seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHERS), committed_for_the_module(django_db_blocker):
        with transaction.atomic():  # as in a test's transaction (and one commit, not one per row)
            out = seed()
        yield {"out": out, "first": counts()}


@pytest.fixture
def demo_settings(seeded, db, settings):
    settings.DEBUG = True
    return settings


def test_seed_demo_run_twice_leaves_the_same_data(demo_settings, seeded):
    first = seeded["first"]
    seed()
    assert counts() == first
    assert first["Community"] == 12
    assert first["Clinic"] == 14
    assert first["Cohort"] == 2
    assert first["Patient"] >= 200
    assert first["HostFamily"] == 22
    assert demo_settings.DEMO_PASSWORD in seeded["out"]
    for email in DEMO_USERS:
        assert email in seeded["out"]


def test_every_demo_user_logs_in_and_lands_on_their_home_page(demo_settings, client):
    admin = User.objects.get(email="admin@demo.ces.mx")
    assert admin.is_staff and admin.is_superuser
    for email, role in DEMO_USERS.items():
        client.logout()
        response = client.post(reverse("account_login"), {"login": email, "password": demo_settings.DEMO_PASSWORD})
        assert response.status_code == 302, email
        assert response["Location"] == reverse("accounts:home")
        home = client.get(reverse("accounts:home"))
        assert home.status_code == 200, email
        assert home.context["role"] == role, email


def test_demo_clinic_users_see_their_clinics_and_the_coordinator_sees_coverage_gaps(demo_settings):
    pasante = User.objects.get(email="pasante@demo.ces.mx")
    pasante2 = User.objects.get(email="pasante2@demo.ces.mx")
    supervisor = User.objects.get(email="supervisor@demo.ces.mx")
    chw = User.objects.get(email="chw@demo.ces.mx")
    assert list(clinics_visible_to(pasante).values_list("name", flat=True)) == ["Clínica Capitán"]
    assert list(clinics_visible_to(pasante2).values_list("name", flat=True)) == ["Clínica Reforma"]
    assert list(clinics_visible_to(chw).values_list("name", flat=True)) == ["Clínica Capitán"]
    assert clinics_visible_to(supervisor).count() > 1
    assert not clinics_visible_to(supervisor).filter(name="Clínica Reforma").exists()

    coordinator = User.objects.get(email="coordinator@demo.ces.mx")
    rural = [c for c in clinic_list(coordinator) if c.kind == Clinic.Kind.RURAL_CLINIC]
    assert len(rural) == 11
    assert all(clinic.current_pasante is not None for clinic in rural)
    with_gap = [clinic for clinic in rural if clinic.next_gap]
    assert 0 < len(with_gap) < len(rural)


def test_seed_demo_runs_again_a_year_later_on_the_same_database(demo_settings, monkeypatch):
    next_year = timezone.localdate() + timedelta(days=365)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: next_year)

    seed()

    assert Cohort.objects.count() == 3
    coordinator = User.objects.get(email="coordinator@demo.ces.mx")
    rural = [c for c in clinic_list(coordinator) if c.kind == Clinic.Kind.RURAL_CLINIC]
    assert all(clinic.current_pasante is not None for clinic in rural)
