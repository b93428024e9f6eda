"""Coverage-gap warnings (clinics.coverage): worked examples, with "today" fixed at 1 May 2026."""

from datetime import date, timedelta

import pytest

from clinics.coverage import CoverageWarning, coverage_gap_warning_is_valid, coverage_gap_warnings
from clinics.models import Assignment, Cadre, Clinic
from clinics.tests.factories import AssignmentFactory, ClinicFactory, StaffFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 5, 1)


def day(n: int) -> date:
    return TODAY + timedelta(days=n)


def pasante_at(clinic, start, end):
    return AssignmentFactory(clinic=clinic, staff=StaffFactory(cadre=Cadre.PASANTE), role=Assignment.Role.PASANTE,
                             start_date=start, end_date=end)


@pytest.fixture
def clinic(db):
    return ClinicFactory(name="Clínica Monterrey", community__name="Monterrey")


@pytest.mark.parametrize("threshold", [90, 60, 30])
def test_clinic_whose_pasante_leaves_warns_at_each_threshold(clinic, threshold):
    # The pasante's last day is the day before the gap.
    pasante_at(clinic, day(-100), day(threshold - 1))

    assert coverage_gap_warnings(TODAY) == [CoverageWarning(clinic.pk, threshold, day(threshold))]


@pytest.mark.parametrize("gap_in", [29, 31, 45, 89, 91])
def test_gap_starting_off_a_threshold_warns_nothing_today(clinic, gap_in):
    pasante_at(clinic, day(-100), day(gap_in - 1))

    assert coverage_gap_warnings(TODAY) == []


def test_each_threshold_fires_once_per_gap(clinic):
    pasante_at(clinic, day(-100), day(149))  # gap from day 150

    fired = [w for n in range(0, 160) for w in coverage_gap_warnings(day(n))]

    assert fired == [
        CoverageWarning(clinic.pk, 90, day(150)),
        CoverageWarning(clinic.pk, 60, day(150)),
        CoverageWarning(clinic.pk, 30, day(150)),
    ]
    assert len({w.key for w in fired}) == 3


def test_later_gap_is_announced_even_while_an_earlier_one_is_open(clinic):
    pasante_at(clinic, day(-100), day(29))  # gap from day 30 to 39
    pasante_at(clinic, day(40), day(89))  # gap from day 90

    assert coverage_gap_warnings(TODAY) == [
        CoverageWarning(clinic.pk, 30, day(30)),
        CoverageWarning(clinic.pk, 90, day(90)),
    ]


def test_successor_starting_the_next_day_leaves_nothing_to_warn(clinic):
    pasante_at(clinic, day(-100), day(59))
    pasante_at(clinic, day(60), day(400))

    assert coverage_gap_warnings(TODAY) == []


def test_open_ended_pasante_leaves_nothing_to_warn(clinic):
    pasante_at(clinic, day(-100), None)

    assert coverage_gap_warnings(TODAY) == []


def test_clinic_already_uncovered_today_gets_no_advance_warning(clinic):
    # Empty now and for the next year: the coverage page shows it; "will have no pasante" does not apply.
    pasante_at(clinic, day(-200), day(-1))

    assert coverage_gap_warnings(TODAY) == []


def test_other_roles_do_not_fill_the_pasante_post(clinic):
    pasante_at(clinic, day(-100), day(59))
    AssignmentFactory(clinic=clinic, staff=StaffFactory(cadre=Cadre.SUPERVISOR), role=Assignment.Role.SUPERVISOR,
                      start_date=day(-100), end_date=None)

    assert coverage_gap_warnings(TODAY) == [CoverageWarning(clinic.pk, 60, day(60))]


@pytest.mark.parametrize(
    "clinic_kwargs",
    [{"active": False}, {"kind": Clinic.Kind.HOSPITAL}, {"kind": Clinic.Kind.MATERNAL_HOME},
     {"kind": Clinic.Kind.CENTRAL_OFFICE}],
)
def test_only_active_rural_clinics_are_warned_about(clinic_kwargs):
    other = ClinicFactory(**clinic_kwargs)
    pasante_at(other, day(-100), day(59))

    assert coverage_gap_warnings(TODAY) == []


def test_warnings_of_several_clinics(clinic):
    second = ClinicFactory(name="Clínica Plan de la Libertad")
    pasante_at(clinic, day(-100), day(89))
    pasante_at(second, day(-100), day(29))

    assert set(coverage_gap_warnings(TODAY)) == {
        CoverageWarning(clinic.pk, 90, day(90)),
        CoverageWarning(second.pk, 30, day(30)),
    }


@pytest.mark.parametrize("clinics", [1, 12])
def test_rule_runs_two_queries_whatever_the_number_of_clinics(django_assert_num_queries, clinics):
    for _ in range(clinics):
        c = ClinicFactory()
        pasante_at(c, day(-100), day(59))
        pasante_at(c, day(70), day(200))

    with django_assert_num_queries(2):
        found = coverage_gap_warnings(TODAY)

    assert len(found) == clinics


def test_warning_key_names_the_clinic_gap_and_threshold(clinic):
    warning = CoverageWarning(clinic.pk, 60, date(2026, 6, 30))

    assert warning.key == f"clinics.coverage_gap:{clinic.pk}:2026-06-30:60"


# --- is the warning still valid when the engine is about to send it? -------------------------------


@pytest.fixture
def warning(clinic):
    pasante_at(clinic, day(-100), day(59))
    (found,) = coverage_gap_warnings(TODAY)
    return found


def test_warning_is_valid_while_the_gap_exists(warning):
    assert coverage_gap_warning_is_valid(warning)


def test_warning_stays_valid_when_a_successor_arrives_only_later(warning, clinic):
    pasante_at(clinic, day(75), None)

    assert coverage_gap_warning_is_valid(warning)


def test_warning_is_cancelled_when_a_successor_covers_the_gap(warning, clinic):
    pasante_at(clinic, day(60), None)

    assert not coverage_gap_warning_is_valid(warning)


def test_warning_is_cancelled_when_the_pasante_stays_longer(warning, clinic):
    Assignment.objects.filter(clinic=clinic).update(end_date=day(200))

    assert not coverage_gap_warning_is_valid(warning)


def test_warning_is_cancelled_when_the_clinic_closes(warning, clinic):
    Clinic.objects.filter(pk=clinic.pk).update(active=False)

    assert not coverage_gap_warning_is_valid(warning)


def test_warning_is_cancelled_when_the_clinic_is_no_longer_rural(warning, clinic):
    Clinic.objects.filter(pk=clinic.pk).update(kind=Clinic.Kind.HOSPITAL)

    assert not coverage_gap_warning_is_valid(warning)
