"""The first rule wired end to end: a clinic about to lose its pasante warns every active coordinator."""

from datetime import datetime, time, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from ces.accounts.roles import Role
from ces.accounts.tests.factories import UserFactory
from ces.notifications.models import Notification
from ces.notifications.services import notifications_dispatch, notifications_materialise
from clinics.models import Assignment, Clinic
from clinics.tests.factories import AssignmentFactory, ClinicFactory

KIND = "clinics.coverage_gap"
State = Notification.State
pytestmark = pytest.mark.django_db


def morning(day):
    return timezone.make_aware(datetime.combine(day, time(9, 0)))


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def coordinators(coordinator):
    other = UserFactory(email="otra.coordinadora@example.mx", roles=[Role.COORDINATOR], preferred_language="en")
    UserFactory(email="retirada@example.mx", roles=[Role.COORDINATOR], is_active=False)
    return [coordinator, other]


@pytest.fixture
def clinic_losing_its_pasante(today):
    """A rural clinic whose pasante leaves in 89 days: the first uncovered day is 90 days away."""
    clinic = ClinicFactory(name="Clínica Salvador Urbina")
    AssignmentFactory(clinic=clinic, start_date=today - timedelta(days=200), end_date=today + timedelta(days=89))
    return clinic


def test_a_clinic_without_pasante_in_90_days_warns_every_active_coordinator(
    clinic_losing_its_pasante, coordinators, today
):
    assert notifications_materialise(now=morning(today), kinds={KIND}) == 2
    rows = Notification.objects.filter(kind=KIND)
    assert {r.recipient for r in rows} == set(coordinators)
    gap_start = today + timedelta(days=90)
    assert {r.occurrence for r in rows} == {f"{gap_start.isoformat()}/90d"}
    assert {r.subject_id for r in rows} == {clinic_losing_its_pasante.pk}

    assert notifications_dispatch(now=morning(today)) == {State.SENT: 2}
    by_address = {m.to[0]: m for m in mail.outbox}
    spanish = by_address["coordinadora@example.mx"]
    # dd/mm/yyyy in both languages (the words come from locale/es once translated)
    assert "Clínica Salvador Urbina" in spanish.subject and f"{gap_start:%d/%m/%Y}" in spanish.subject
    english = by_address["otra.coordinadora@example.mx"]
    assert english.subject == f"Clínica Salvador Urbina will have no pasante from {gap_start:%d/%m/%Y}"
    assert clinic_losing_its_pasante.get_absolute_url() in spanish.body
    row = Notification.objects.get(recipient=coordinators[0])
    assert row.link == clinic_losing_its_pasante.get_absolute_url()
    assert row.delivered_at and row.state == State.SENT


def test_the_warning_waits_for_the_morning(clinic_losing_its_pasante, coordinators, today):
    early = timezone.make_aware(datetime.combine(today, time(6, 0)))
    notifications_materialise(now=early, kinds={KIND})
    assert notifications_dispatch(now=early) == {}
    assert notifications_dispatch(now=morning(today)) == {State.SENT: 2}


def test_evaluating_the_rule_again_the_same_day_adds_nothing(clinic_losing_its_pasante, coordinators, today):
    notifications_materialise(now=morning(today), kinds={KIND})
    assert notifications_materialise(now=morning(today) + timedelta(minutes=1), kinds={KIND}) == 0
    assert Notification.objects.filter(kind=KIND).count() == 2


def test_the_60_and_30_day_warnings_are_separate_reminders(clinic_losing_its_pasante, coordinators, today):
    for days_later in (0, 30, 60):
        day = today + timedelta(days=days_later)
        notifications_materialise(now=morning(day), kinds={KIND})
    gap_start = today + timedelta(days=90)
    assert set(Notification.objects.values_list("occurrence", flat=True)) == {
        f"{gap_start.isoformat()}/90d", f"{gap_start.isoformat()}/60d", f"{gap_start.isoformat()}/30d",
    }


def test_a_gap_filled_before_sending_is_cancelled_not_sent(clinic_losing_its_pasante, coordinators, today):
    notifications_materialise(now=morning(today), kinds={KIND})
    AssignmentFactory(clinic=clinic_losing_its_pasante, role=Assignment.Role.PASANTE,
                      start_date=today + timedelta(days=90), end_date=None)
    notifications_dispatch(now=morning(today))
    assert set(Notification.objects.values_list("state", flat=True)) == {State.CANCELLED}
    assert mail.outbox == []


def test_a_clinic_closed_before_sending_is_cancelled(clinic_losing_its_pasante, coordinators, today):
    notifications_materialise(now=morning(today), kinds={KIND})
    Clinic.objects.filter(pk=clinic_losing_its_pasante.pk).update(active=False)
    notifications_dispatch(now=morning(today))
    assert set(Notification.objects.values_list("state", flat=True)) == {State.CANCELLED}


def test_a_covered_clinic_warns_nobody(coordinators, today):
    clinic = ClinicFactory()
    AssignmentFactory(clinic=clinic, start_date=today - timedelta(days=10), end_date=None)
    assert notifications_materialise(now=morning(today), kinds={KIND}) == 0
