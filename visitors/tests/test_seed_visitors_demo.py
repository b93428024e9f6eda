"""seed_visitors_demo: a small history (``--past 30``, a tenth of ``make run``'s) and this season, played
once for the module, then read by each test (the proportions scaled to that size); the database is put back
as it was at the end (``tests.kit.committed_for_the_module``)."""

from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from ces.accounts.models import User
from ces.accounts.roles import Role
from clinics.models import Cohort, HostStay, Staff
from tests.kit import FAST_HASHERS, committed_for_the_module
from visitors import demo
from visitors.models import (
    CLINICIAN_CATEGORIES,
    Application,
    Arrival,
    Document,
    ExitSurvey,
    Interview,
    PasanteFeedback,
    Placement,
    StatusChange,
)

State = Application.State
PAST = 30  # past visitors: the full history's proportions at a tenth of its size
SCALE = PAST / demo.PAST_VISITORS
MODELS = [Application, StatusChange, Document, Interview, Placement, Arrival, ExitSurvey, PasanteFeedback,
          HostStay, Staff, User]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def seed(*args):
    out = StringIO()
    call_command("seed_visitors_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    with (override_settings(DEBUG=True, MEDIA_ROOT=media, PASSWORD_HASHERS=FAST_HASHERS),
          committed_for_the_module(django_db_blocker)):
        # Each run in a transaction, as in a test's (and one commit, not one per row).
        with transaction.atomic():
            call_command("seed_demo", stdout=StringIO())
        with transaction.atomic():
            first_out = seed("--past", str(PAST))
        first = counts()
        with transaction.atomic():
            second_out = seed("--past", str(PAST))
        yield {"first": first, "first_out": first_out, "second_out": second_out, "second": counts()}


@pytest.fixture
def data(seeded, db):
    return seeded


def test_a_second_run_adds_nothing(data):
    assert "this run added 0 applications" in data["second_out"]
    assert data["second"] == data["first"]
    assert data["first"]["Application"] > PAST


def test_the_history_has_the_size_asked_half_clinicians_since_the_first_cohort(data):
    today = timezone.localdate()
    year_start = Cohort.objects.get(start_date__lte=today, end_date__gte=today).start_date
    past = Application.objects.filter(wanted_start__lt=year_start)
    visited = past.filter(state__in=Application.VISITED_STATES)
    assert 0.9 * PAST - 3 <= visited.count() <= 1.03 * PAST + 2, visited.count()
    assert f"{visited.count()} past visitors" in data["first_out"]
    categories = Counter(visited.values_list("category", flat=True))
    clinicians = sum(n for category, n in categories.items() if category in CLINICIAN_CATEGORIES)
    assert 0.4 <= clinicians / visited.count() <= 0.6
    assert categories["resident"] > categories["attending"] > categories["nurse"] > 0
    years = Counter(p.start_date.year for p in Placement.objects.filter(
        application__in=visited, state=Placement.State.CONFIRMED))
    assert min(years) == demo.FIRST_YEAR and len(years) >= 10
    assert years[2020] < years[2019]  # the pandemic
    countries = Counter(visited.values_list("country", flat=True))
    assert countries["US"] > visited.count() / 2
    assert {"CA", "GB", "MX"} <= set(countries)
    assert past.filter(state=State.WITHDRAWN).exists()
    assert 1 <= past.filter(state=State.DISENGAGED).count() <= max(1, round(3 * SCALE))
    assert past.filter(state=State.DECLINED).exists()
    assert Application.objects.filter(previous__isnull=False).count() >= max(1, round(5 * SCALE))


def test_every_completed_stay_has_a_survey_tied_to_its_placement_and_pasantes_give_feedback(data):
    completed = Application.objects.filter(state=State.COMPLETED)
    surveys = ExitSurvey.objects.filter(application__in=completed).select_related("placement")
    assert surveys.count() == completed.count()
    assert all(s.placement.application_id == s.application_id for s in surveys)
    assert surveys.exclude(best="").count() == surveys.count()
    assert len({s.placement.host_family_id for s in surveys}) >= 5
    assert len({s.placement.pasante_id for s in surveys}) >= 40 * SCALE  # past cohorts' pasantes
    assert PasanteFeedback.objects.count() > completed.count() / 2
    # Each confirmed stay is recorded with its host family, owed from its rates.
    assert not Placement.objects.filter(state=Placement.State.CONFIRMED, host_stay__isnull=True).exists()


def test_this_season_has_an_application_in_every_state_each_with_an_applicant_who_can_log_in(data, client):
    season = Application.objects.filter(applicant__email__endswith=demo.SEASON_DOMAIN)
    assert set(season.values_list("state", flat=True)) | {State.PLACEMENT_CONFIRMED} == set(State.values)
    users = User.objects.filter(visitor_applications__in=season).distinct()
    assert len({user.password for user in users}) == 1  # one hash of the demo password, shared
    assert all(user.groups.filter(name=Role.APPLICANT).exists() for user in users)
    assert client.login(email=season.first().applicant.email, password=demo.VisitorsDemo.demo_password())
    submitted = season.exclude(state=State.DRAFT)
    assert not submitted.filter(documents__isnull=True).exists()
    assert season.filter(document_requests__fulfilled_at__isnull=True).exists()
    assert season.filter(state=State.INTERVIEW_SCHEDULED, slots__isnull=False).exists()
    waiting = season.filter(state=State.SUBMITTED, submitted_at__lt=timezone.now() - timedelta(days=5))
    assert waiting.exists()  # the program's review reminder has something to say


def test_the_demo_applicant_is_placed_at_capitan_with_the_demo_pasante_arriving_in_ten_days(data):
    today = timezone.localdate()
    application = Application.objects.get(applicant__email=demo.APPLICANT_EMAIL)
    assert application.state == State.PLACEMENT_CONFIRMED
    placement = application.placements.get(state=Placement.State.CONFIRMED)
    assert placement.clinic.name == "Clínica Capitán"
    assert placement.pasante.user.email == demo.PASANTE_EMAIL
    assert placement.host_family.community == placement.clinic.community
    assert placement.clinic.community.accepts_visitors
    assert placement.start_date == today + timedelta(days=10)
    assert placement.host_stay is not None and placement.host_stay.family == placement.host_family
    arrival = application.arrival
    assert arrival.pickup_organised and arrival.driver.cadre == "driver"
    assert timezone.localdate(arrival.arrives_at) == today + timedelta(days=10)
    assert [c.to_state for c in application.changes.all()] == [
        State.DRAFT, State.SUBMITTED, State.INTERVIEW_SCHEDULED, State.INTERVIEWED, State.ACCEPTED,
        State.PLACEMENT_PROPOSED, State.PLACEMENT_CONFIRMED]


def test_the_timeline_of_a_past_visit_carries_the_days_it_happened_on(data):
    visit = Application.objects.filter(state=State.COMPLETED, wanted_start__year__lte=2016).last()
    year = visit.wanted_start.year
    changes = list(visit.changes.all())
    assert all(change.at.year in (year - 1, year, year + 1) for change in changes)
    assert [c.at for c in changes] == sorted(c.at for c in changes)
    assert visit.exit_survey.submitted_at.date() > visit.placements.get().end_date - timedelta(days=1)
