from datetime import timedelta

import pytest
from django.utils import timezone

from ces.celery import app
from clinics.models import Assignment, Cadre
from clinics.tests.factories import AssignmentFactory, CohortFactory, StaffFactory

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def eager():
    """Celery runs tasks inline (the on_commit callbacks still have to fire)."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def roster(clinic_a, clinic_b, supervisor, pasante_a, pasante_b):
    """Clinic A and B with their pasantes (from the personas), a past pasante of A in a cohort, and a nurse."""
    cohort = CohortFactory(name="Promoción 2025")
    past = AssignmentFactory(
        clinic=clinic_a, staff=StaffFactory(full_name="Ana Pérez Ñúñez", cadre=Cadre.PASANTE, cohort=cohort),
        start_date=TODAY - timedelta(days=400), end_date=TODAY - timedelta(days=31),
    )
    AssignmentFactory(clinic=clinic_b, role=Assignment.Role.NURSE, staff__cadre=Cadre.NURSE,
                      staff__full_name="Enfermera de Reforma", start_date=TODAY - timedelta(days=10))
    return {"past": past, "cohort": cohort}
