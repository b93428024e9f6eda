from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
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


@pytest.fixture
def demo_settings(db, settings):
    settings.DEBUG = True
    return settings


def test_seed_demo_run_twice_leaves_the_same_data(demo_settings):
    out = seed()
    first = counts()
    seed()
    assert counts() == first
    assert first["Community"] == 12
    assert first["Clinic"] == 14
    assert first["Cohort"] == 2
    assert first["Patient"] >= 200
    assert first["HostFamily"] == 22
    assert demo_settings.DEMO_PASSWORD in out
    for email in DEMO_USERS:
        assert email in out


def test_seed_demo_refuses_to_run_with_debug_off_unless_forced(demo_settings):
    demo_settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        seed()
    assert Clinic.objects.count() == 0
    assert User.objects.count() == 0

    seed("--force")
    assert Clinic.objects.count() == 14


def test_every_demo_user_logs_in_and_lands_on_their_home_page(demo_settings, client):
    seed()
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
    seed()
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
    seed()
    next_year = timezone.localdate() + timedelta(days=365)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: next_year)

    seed()

    assert Cohort.objects.count() == 3
    coordinator = User.objects.get(email="coordinator@demo.ces.mx")
    rural = [c for c in clinic_list(coordinator) if c.kind == Clinic.Kind.RURAL_CLINIC]
    assert all(clinic.current_pasante is not None for clinic in rural)
