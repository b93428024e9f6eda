"""Every write of clinics, exhaustively: each rule has its success twin and its refusal, and a refusal
is a ValidationError with a message that writes nothing."""

from datetime import date, timedelta
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from ces.accounts.roles import Role
from clinics import services
from clinics.models import (
    Assignment,
    Cadre,
    Cohort,
    HostPayment,
    HostStay,
    Patient,
    Staff,
    SupervisionVisit,
)
from clinics.selectors import clinics_visible_to
from clinics.tests.factories import (
    ClinicFactory,
    CohortFactory,
    CommunityFactory,
    PatientFactory,
    StaffFactory,
    UserFactory,
)
from tests.kit import run_concurrently

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    # Messages are asserted in their English source; the project's default language is Spanish.
    with translation.override("en"):
        yield

User = get_user_model()

FEB_1 = date(2026, 2, 1)
JUL_31 = date(2026, 7, 31)
AUG_1 = date(2026, 8, 1)
DEC_31 = date(2026, 12, 31)


def counts():
    """How many rows each table the services write to holds: a refusal must leave all of them alone."""
    models = [Assignment, Patient, Staff, User, Cohort, SupervisionVisit, HostStay, HostPayment]
    return {m.__name__: m.objects.count() for m in models}


def messages_of(excinfo) -> str:
    return " ".join(excinfo.value.messages)


@pytest.fixture
def clinic(db):
    return ClinicFactory(name="Clínica Laguna del Cofre", community__name="Laguna del Cofre")


@pytest.fixture
def other_clinic(db):
    return ClinicFactory(name="Clínica Salvador Urbina", community__name="Salvador Urbina")


@pytest.fixture
def pasante(db):
    return StaffFactory(cadre=Cadre.PASANTE)


@pytest.fixture
def other_pasante(db):
    return StaffFactory(cadre=Cadre.PASANTE)


# --- assignment_create -------------------------------------------------------------------------------


def test_assignment_create_gives_a_pasante_a_clinic(clinic, pasante, coordinator):
    before = counts()

    a = services.assignment_create(staff=pasante, clinic=clinic, role=Assignment.Role.PASANTE,
                                   start_date=FEB_1, end_date=JUL_31, by=coordinator)

    assert counts()["Assignment"] == before["Assignment"] + 1
    a.refresh_from_db()
    assert (a.staff, a.clinic, a.role, a.start_date, a.end_date, a.created_by) == (
        pasante, clinic, "pasante", FEB_1, JUL_31, coordinator)


def test_pasante_cannot_hold_two_clinics_at_once(clinic, other_clinic, pasante):
    services.assignment_create(staff=pasante, clinic=clinic, role="pasante", start_date=FEB_1, end_date=JUL_31)
    before = counts()

    with pytest.raises(ValidationError) as exc:
        services.assignment_create(staff=pasante, clinic=other_clinic, role="pasante",
                                   start_date=date(2026, 7, 1), end_date=DEC_31)

    assert f"{pasante.full_name} is already at {clinic.name} from 01/02/2026 to 31/07/2026." in messages_of(exc)
    assert counts() == before


def test_a_pasante_placed_with_no_end_is_refused_with_where_and_since_when(clinic, other_clinic, pasante):
    services.assignment_create(staff=pasante, clinic=clinic, role="pasante", start_date=FEB_1, end_date=None,
                               end_with_cohort=False)
    before = counts()

    with pytest.raises(ValidationError) as exc:
        services.assignment_create(staff=pasante, clinic=other_clinic, role="pasante", start_date=DEC_31,
                                   end_date=None, end_with_cohort=False)

    assert exc.value.message_dict["staff"] == [
        f"{pasante.full_name} is already at {clinic.name} from 01/02/2026, with no end date."]
    assert counts() == before


def test_the_exclusion_constraint_still_refuses_a_second_clinic_without_the_friendly_check(
        clinic, other_clinic, pasante, monkeypatch):
    services.assignment_create(staff=pasante, clinic=clinic, role="pasante", start_date=FEB_1, end_date=JUL_31)
    monkeypatch.setattr(services, "_refuse_if_pasante_placed", lambda **kwargs: None)
    before = counts()

    with pytest.raises(ValidationError) as exc:
        services.assignment_create(staff=pasante, clinic=other_clinic, role="pasante",
                                   start_date=date(2026, 7, 1), end_date=DEC_31)

    assert "already has a clinic" in messages_of(exc)
    assert counts() == before


def test_clinic_cannot_have_two_pasantes_at_once(clinic, pasante, other_pasante):
    services.assignment_create(staff=pasante, clinic=clinic, role="pasante", start_date=FEB_1, end_date=JUL_31)
    before = counts()

    with pytest.raises(ValidationError) as exc:
        services.assignment_create(staff=other_pasante, clinic=clinic, role="pasante",
                                   start_date=date(2026, 3, 1), end_date=date(2026, 3, 31))

    assert "already has a pasante" in messages_of(exc)
    assert counts() == before


def test_next_pasante_may_start_the_day_after_the_last_one_ends(clinic, pasante, other_pasante):
    services.assignment_create(staff=pasante, clinic=clinic, role="pasante", start_date=FEB_1, end_date=JUL_31)

    services.assignment_create(staff=other_pasante, clinic=clinic, role="pasante", start_date=AUG_1, end_date=DEC_31)

    assert clinic.assignments.count() == 2


def test_next_pasante_cannot_start_the_day_the_last_one_ends(clinic, pasante, other_pasante):
    # The same setup as above, one day earlier: both days are inclusive, so they share 31 July.
    services.assignment_create(staff=pasante, clinic=clinic, role="pasante", start_date=FEB_1, end_date=JUL_31)
    before = counts()

    with pytest.raises(ValidationError) as exc:
        services.assignment_create(staff=other_pasante, clinic=clinic, role="pasante",
                                   start_date=JUL_31, end_date=DEC_31)

    assert "already has a pasante" in messages_of(exc)
    assert counts() == before


def test_pasante_may_move_on_to_another_clinic_the_day_after(clinic, other_clinic, pasante):
    services.assignment_create(staff=pasante, clinic=clinic, role="pasante", start_date=FEB_1, end_date=JUL_31)

    services.assignment_create(staff=pasante, clinic=other_clinic, role="pasante", start_date=AUG_1)

    assert pasante.assignments.count() == 2


def test_open_ended_pasante_blocks_every_later_pasante(clinic, pasante, other_pasante):
    services.assignment_create(staff=pasante, clinic=clinic, role="pasante", start_date=FEB_1)
    before = counts()

    with pytest.raises(ValidationError) as exc:
        services.assignment_create(staff=other_pasante, clinic=clinic, role="pasante",
                                   start_date=date(2030, 1, 1), end_date=date(2030, 12, 31))

    assert "already has a pasante" in messages_of(exc)
    assert counts() == before


def test_open_ended_pasante_cannot_take_a_later_second_clinic(clinic, other_clinic, pasante):
    services.assignment_create(staff=pasante, clinic=clinic, role="pasante", start_date=FEB_1)
    before = counts()

    with pytest.raises(ValidationError):
        services.assignment_create(staff=pasante, clinic=other_clinic, role="pasante", start_date=date(2030, 1, 1))

    assert counts() == before


def test_supervisor_may_cover_several_clinics_that_have_pasantes(clinic, other_clinic, pasante):
    supervisor = StaffFactory(cadre=Cadre.SUPERVISOR)
    services.assignment_create(staff=pasante, clinic=clinic, role="pasante", start_date=FEB_1)

    services.assignment_create(staff=supervisor, clinic=clinic, role="supervisor", start_date=FEB_1)
    services.assignment_create(staff=supervisor, clinic=other_clinic, role="supervisor", start_date=FEB_1)

    assert supervisor.assignments.count() == 2


def test_nobody_holds_the_same_post_twice_over_the_same_days(clinic):
    supervisor = StaffFactory(cadre=Cadre.SUPERVISOR)
    services.assignment_create(staff=supervisor, clinic=clinic, role="supervisor", start_date=FEB_1)
    before = counts()

    with pytest.raises(ValidationError) as exc:
        services.assignment_create(staff=supervisor, clinic=clinic, role="supervisor", start_date=AUG_1)

    assert "already holds this post" in messages_of(exc)
    assert counts() == before


@pytest.mark.parametrize(
    ("cadre", "role"),
    [
        (Cadre.CHW, Assignment.Role.PASANTE),
        (Cadre.NURSE, Assignment.Role.PASANTE),
        (Cadre.PASANTE, Assignment.Role.SUPERVISOR),
        (Cadre.DRIVER, Assignment.Role.CHW),
        (Cadre.PASANTE, Assignment.Role.NURSE),
    ],
)
def test_cadre_must_fit_the_role(clinic, cadre, role):
    person = StaffFactory(cadre=cadre)
    before = counts()

    with pytest.raises(ValidationError) as exc:
        services.assignment_create(staff=person, clinic=clinic, role=role, start_date=FEB_1)

    assert "cannot be assigned as" in messages_of(exc)
    assert counts() == before


@pytest.mark.parametrize(
    ("cadre", "role"),
    [
        (Cadre.PASANTE, Assignment.Role.PASANTE),
        (Cadre.SUPERVISOR, Assignment.Role.SUPERVISOR),
        (Cadre.COORDINATOR, Assignment.Role.SUPERVISOR),
        (Cadre.CHW, Assignment.Role.CHW),
        (Cadre.NURSE, Assignment.Role.NURSE),
        (Cadre.DRIVER, Assignment.Role.OTHER),
    ],
)
def test_cadre_that_fits_the_role_is_assigned(clinic, cadre, role):
    person = StaffFactory(cadre=cadre)

    services.assignment_create(staff=person, clinic=clinic, role=role, start_date=FEB_1)

    assert person.assignments.get().role == role


@pytest.mark.parametrize("role", ["boss", ""])
def test_unknown_role_is_refused(clinic, pasante, role):
    before = counts()

    with pytest.raises(ValidationError) as exc:
        services.assignment_create(staff=pasante, clinic=clinic, role=role, start_date=FEB_1)

    assert "role" in exc.value.message_dict
    assert counts() == before


def test_inactive_clinic_cannot_be_assigned(clinic, pasante):
    clinic.active = False
    clinic.save()
    before = counts()

    with pytest.raises(ValidationError) as exc:
        services.assignment_create(staff=pasante, clinic=clinic, role="pasante", start_date=FEB_1)

    assert "not active" in messages_of(exc)
    assert counts() == before


def test_inactive_person_cannot_be_assigned(clinic, pasante):
    pasante.active = False
    pasante.save()
    before = counts()

    with pytest.raises(ValidationError) as exc:
        services.assignment_create(staff=pasante, clinic=clinic, role="pasante", start_date=FEB_1)

    assert "no longer active" in messages_of(exc)
    assert counts() == before


def test_assignment_cannot_end_before_it_starts(clinic, pasante):
    before = counts()

    with pytest.raises(ValidationError) as exc:
        services.assignment_create(staff=pasante, clinic=clinic, role="pasante", start_date=AUG_1, end_date=JUL_31)

    assert "cannot end before it starts" in messages_of(exc)
    assert counts() == before


def test_pasante_year_ends_with_the_cohort_by_default(clinic):
    cohort = CohortFactory(start_date=FEB_1, end_date=date(2027, 1, 31))
    pasante = StaffFactory(cadre=Cadre.PASANTE, cohort=cohort)

    a = services.assignment_create(staff=pasante, clinic=clinic, role="pasante", start_date=FEB_1)

    assert a.end_date == date(2027, 1, 31)


def test_explicit_end_date_wins_over_the_cohort_end(clinic):
    pasante = StaffFactory(cadre=Cadre.PASANTE, cohort=CohortFactory(start_date=FEB_1, end_date=date(2027, 1, 31)))

    a = services.assignment_create(staff=pasante, clinic=clinic, role="pasante", start_date=FEB_1, end_date=JUL_31)

    assert a.end_date == JUL_31


def test_pasante_without_cohort_stays_until_further_notice(clinic, pasante):
    a = services.assignment_create(staff=pasante, clinic=clinic, role="pasante", start_date=FEB_1)

    assert a.end_date is None


# --- assignment_end ----------------------------------------------------------------------------------


@pytest.fixture
def posted(clinic, pasante):
    return services.assignment_create(staff=pasante, clinic=clinic, role="pasante", start_date=FEB_1, end_date=DEC_31)


def test_assignment_end_sets_the_last_day_and_the_reason(posted):
    services.assignment_end(assignment=posted, end_date=JUL_31, reason="  Renuncia  ")

    posted.refresh_from_db()
    assert (posted.end_date, posted.end_reason) == (JUL_31, "Renuncia")


def test_assignment_may_end_the_day_it_starts(posted):
    services.assignment_end(assignment=posted, end_date=FEB_1)

    posted.refresh_from_db()
    assert posted.end_date == FEB_1


def test_assignment_end_before_it_starts_is_refused(posted):
    with pytest.raises(ValidationError) as exc:
        services.assignment_end(assignment=posted, end_date=FEB_1 - timedelta(days=1), reason="Renuncia")

    assert "cannot end before it starts (01/02/2026)" in messages_of(exc)
    posted.refresh_from_db()
    assert (posted.end_date, posted.end_reason) == (DEC_31, "")


def test_assignment_end_cannot_extend_the_assignment(posted):
    with pytest.raises(ValidationError) as exc:
        services.assignment_end(assignment=posted, end_date=date(2027, 3, 1))

    assert "already ends on 31/12/2026" in messages_of(exc)
    posted.refresh_from_db()
    assert posted.end_date == DEC_31


def test_ending_an_assignment_ends_the_access_it_gave(pasante_a, clinic_a):
    today = timezone.localdate()
    assignment = Assignment.objects.get(staff__user=pasante_a)
    assert clinic_a in clinics_visible_to(pasante_a)

    services.assignment_end(assignment=assignment, end_date=today)

    # The last day still counts...
    assert clinic_a in clinics_visible_to(pasante_a)
    # ...and the day after, the clinic is gone.
    with mock.patch("django.utils.timezone.localdate", return_value=today + timedelta(days=1)):
        assert clinic_a not in clinics_visible_to(pasante_a)
        assert not clinics_visible_to(pasante_a).exists()


def test_ending_yesterday_ends_the_access_at_once(supervisor, clinic_a):
    assignment = Assignment.objects.get(staff__user=supervisor)

    services.assignment_end(assignment=assignment, end_date=timezone.localdate() - timedelta(days=1))

    assert not clinics_visible_to(supervisor).exists()


def test_access_moves_with_the_post_to_the_next_pasante(pasante_a, clinic_a):
    today = timezone.localdate()
    services.assignment_end(assignment=Assignment.objects.get(staff__user=pasante_a), end_date=today)
    successor = UserFactory(roles=[Role.PASANTE])
    staff = StaffFactory(cadre=Cadre.PASANTE, user=successor)
    services.assignment_create(staff=staff, clinic=clinic_a, role="pasante", start_date=today + timedelta(days=1))

    with mock.patch("django.utils.timezone.localdate", return_value=today + timedelta(days=1)):
        assert list(clinics_visible_to(successor)) == [clinic_a]
        assert not clinics_visible_to(pasante_a).exists()


# --- assignment_move ---------------------------------------------------------------------------------


def test_assignment_move_ends_the_old_post_and_starts_the_new_one(posted, other_clinic, coordinator):
    move_day = date(2026, 6, 15)

    new = services.assignment_move(assignment=posted, clinic=other_clinic, move_date=move_day, by=coordinator)

    posted.refresh_from_db()
    assert posted.end_date == date(2026, 6, 14)
    assert "Salvador Urbina" in posted.end_reason
    assert (new.clinic, new.staff, new.role) == (other_clinic, posted.staff, posted.role)
    assert (new.start_date, new.end_date, new.created_by) == (move_day, DEC_31, coordinator)


def test_assignment_move_to_the_same_clinic_is_refused(posted, clinic):
    before = counts()

    with pytest.raises(ValidationError) as exc:
        services.assignment_move(assignment=posted, clinic=clinic, move_date=date(2026, 6, 15))

    assert "other than the current one" in messages_of(exc)
    assert counts() == before


def test_assignment_move_into_a_clinic_with_a_pasante_changes_nothing(posted, other_clinic, other_pasante):
    services.assignment_create(staff=other_pasante, clinic=other_clinic, role="pasante", start_date=FEB_1,
                               end_date=DEC_31)
    before = counts()

    with pytest.raises(ValidationError) as exc:
        services.assignment_move(assignment=posted, clinic=other_clinic, move_date=date(2026, 6, 15))

    assert "already has a pasante" in messages_of(exc)
    assert counts() == before
    # Both or neither: the first half (ending the current post) was rolled back too.
    posted.refresh_from_db()
    assert (posted.clinic_id, posted.end_date, posted.end_reason) == (posted.clinic_id, DEC_31, "")


def test_assignment_move_into_an_inactive_clinic_changes_nothing(posted, other_clinic):
    other_clinic.active = False
    other_clinic.save()
    before = counts()

    with pytest.raises(ValidationError):
        services.assignment_move(assignment=posted, clinic=other_clinic, move_date=date(2026, 6, 15))

    assert counts() == before
    posted.refresh_from_db()
    assert posted.end_date == DEC_31


@pytest.mark.parametrize("move_day", [FEB_1, date(2027, 1, 1)])
def test_assignment_move_outside_the_assignment_is_refused(posted, other_clinic, move_day):
    before = counts()

    with pytest.raises(ValidationError) as exc:
        services.assignment_move(assignment=posted, clinic=other_clinic, move_date=move_day)

    assert messages_of(exc)
    assert counts() == before
    posted.refresh_from_db()
    assert posted.end_date == DEC_31


# --- supervision_visit_record ------------------------------------------------------------------------


@pytest.fixture
def supervisor_staff(db):
    return StaffFactory(cadre=Cadre.SUPERVISOR)


def test_supervision_visit_is_recorded(supervisor_staff, clinic, coordinator):
    visit = services.supervision_visit_record(supervisor=supervisor_staff, clinic=clinic,
                                              visited_on=date(2026, 3, 1), notes="  Revisión de farmacia ",
                                              follow_up_actions=" Pedir glucómetro ", by=coordinator)

    visit.refresh_from_db()
    assert (visit.supervisor, visit.clinic, visit.visited_on) == (supervisor_staff, clinic, date(2026, 3, 1))
    assert (visit.notes, visit.follow_up_actions, visit.recorded_by) == (
        "Revisión de farmacia", "Pedir glucómetro", coordinator)


def test_coordinator_may_record_a_supervision_visit(clinic):
    services.supervision_visit_record(supervisor=StaffFactory(cadre=Cadre.COORDINATOR), clinic=clinic,
                                      visited_on=date(2026, 3, 1), notes="Visita")

    assert SupervisionVisit.objects.count() == 1


def test_supervision_visit_by_someone_not_a_supervisor_is_refused(pasante, clinic):
    before = counts()

    with pytest.raises(ValidationError) as exc:
        services.supervision_visit_record(supervisor=pasante, clinic=clinic, visited_on=date(2026, 3, 1),
                                          notes="Visita")

    assert "supervisor" in messages_of(exc)
    assert counts() == before


def test_supervision_visit_in_the_future_is_refused(supervisor_staff, clinic):
    before = counts()

    with pytest.raises(ValidationError) as exc:
        services.supervision_visit_record(supervisor=supervisor_staff, clinic=clinic,
                                          visited_on=timezone.localdate() + timedelta(days=1), notes="Visita")

    assert "future" in messages_of(exc)
    assert counts() == before


def test_supervision_visit_without_notes_is_refused(supervisor_staff, clinic):
    before = counts()

    with pytest.raises(ValidationError) as exc:
        services.supervision_visit_record(supervisor=supervisor_staff, clinic=clinic, visited_on=date(2026, 3, 1),
                                          notes="   ")

    assert "notes" in exc.value.message_dict
    assert counts() == before


# --- patient_create ----------------------------------------------------------------------------------

BIRTH = date(1984, 3, 12)


@pytest.fixture
def registered(clinic):
    return services.patient_create(clinic=clinic, community=clinic.community, given_names="María José",
                                   family_names="Gómez Pérez", sex="F", birth_date=BIRTH, curp="GOPM840312MCSMRR09")


def test_patient_create_tidies_names_and_curp(clinic, coordinator):
    p = services.patient_create(clinic=clinic, community=clinic.community, given_names="  Juan   Carlos ",
                                family_names=" López  Ruiz", sex="M", birth_date=BIRTH, curp=" lorj840312hcsppn01 ",
                                phone=" 961 123 4567 ", by=coordinator)

    p.refresh_from_db()
    assert (p.given_names, p.family_names, p.curp, p.phone) == (
        "Juan Carlos", "López Ruiz", "LORJ840312HCSPPN01", "961 123 4567")
    assert p.created_by == coordinator
    assert p.duplicate_reviewed is False


@pytest.mark.parametrize(
    ("given", "family"),
    [
        ("María José", "Gómez Pérez"),
        ("maría josé", "GÓMEZ PÉREZ"),
        ("  María   José ", "Gómez    Pérez  "),
    ],
)
def test_same_name_and_birth_date_in_the_community_is_a_possible_duplicate(registered, clinic, given, family):
    before = counts()

    with pytest.raises(services.PossibleDuplicate) as exc:
        services.patient_create(clinic=clinic, community=clinic.community, given_names=given, family_names=family,
                                sex="F", birth_date=BIRTH)

    assert isinstance(exc.value, ValidationError)
    assert exc.value.code == "possible_duplicate"
    assert "already registered in this community" in messages_of(exc)
    assert exc.value.candidates == [registered]
    assert counts() == before


def test_confirmed_different_person_is_created_and_marked_reviewed(registered, clinic):
    p = services.patient_create(clinic=clinic, community=clinic.community, given_names="maría josé",
                                family_names="gómez pérez", sex="F", birth_date=BIRTH, confirm_not_duplicate=True)

    p.refresh_from_db()
    assert p.duplicate_reviewed is True
    assert Patient.objects.count() == 2


def test_same_name_and_birth_date_in_another_community_is_not_a_duplicate(registered, clinic):
    elsewhere = CommunityFactory(name="Nueva Palestina")

    p = services.patient_create(clinic=clinic, community=elsewhere, given_names="María José",
                                family_names="Gómez Pérez", sex="F", birth_date=BIRTH)

    assert p.duplicate_reviewed is False
    assert Patient.objects.count() == 2


def test_same_name_with_another_birth_date_is_not_a_duplicate(registered, clinic):
    services.patient_create(clinic=clinic, community=clinic.community, given_names="María José",
                            family_names="Gómez Pérez", sex="F", birth_date=BIRTH + timedelta(days=1))

    assert Patient.objects.count() == 2


def test_possible_duplicate_lists_at_most_ten_candidates(clinic):
    for _ in range(12):
        PatientFactory(clinic=clinic, given_names="Ana", family_names="Díaz", birth_date=BIRTH)

    with pytest.raises(services.PossibleDuplicate) as exc:
        services.patient_create(clinic=clinic, community=clinic.community, given_names="Ana", family_names="Díaz",
                                sex="F", birth_date=BIRTH)

    assert len(exc.value.candidates) == 10


def test_patient_born_in_the_future_is_refused(clinic):
    before = counts()

    with pytest.raises(ValidationError) as exc:
        services.patient_create(clinic=clinic, community=clinic.community, given_names="Ana", family_names="Díaz",
                                sex="F", birth_date=timezone.localdate() + timedelta(days=1))

    assert "cannot be in the future" in " ".join(exc.value.message_dict["birth_date"])
    assert counts() == before


@pytest.mark.parametrize("curp", ["GOPM840312", "GOPM840312ZCSMRR09", "1234567890ABCDEFGH", "GOPM840312MCSMRR0"])
def test_malformed_curp_is_refused(clinic, curp):
    before = counts()

    with pytest.raises(ValidationError) as exc:
        services.patient_create(clinic=clinic, community=clinic.community, given_names="Ana", family_names="Díaz",
                                sex="F", birth_date=BIRTH, curp=curp)

    assert "18 characters" in " ".join(exc.value.message_dict["curp"])
    assert counts() == before


def test_curp_already_registered_is_refused_whatever_the_case(registered, clinic):
    before = counts()

    with pytest.raises(ValidationError) as exc:
        services.patient_create(clinic=clinic, community=clinic.community, given_names="Otra", family_names="Persona",
                                sex="F", birth_date=date(1990, 1, 1), curp="gopm840312mcsmrr09")

    assert "CURP is already registered" in messages_of(exc)
    assert counts() == before


def test_unknown_sex_is_refused(clinic):
    before = counts()

    with pytest.raises(ValidationError) as exc:
        services.patient_create(clinic=clinic, community=clinic.community, given_names="Ana", family_names="Díaz",
                                sex="X", birth_date=BIRTH)

    assert "sex" in exc.value.message_dict
    assert counts() == before


# --- staff_create ------------------------------------------------------------------------------------


def test_staff_create_without_account_adds_a_directory_entry(db):
    before = counts()

    staff = services.staff_create(full_name="  Rosa   Hernández ", cadre=Cadre.NURSE, email=" Rosa@Example.MX ",
                                  phone=" 961 000 0000 ")

    staff.refresh_from_db()
    assert (staff.full_name, staff.email, staff.phone, staff.user) == (
        "Rosa Hernández", "rosa@example.mx", "961 000 0000", None)
    assert counts()["User"] == before["User"]


@pytest.mark.parametrize(
    ("cadre", "role"),
    [(Cadre.PASANTE, Role.PASANTE), (Cadre.SUPERVISOR, Role.SUPERVISOR), (Cadre.CHW, Role.CHW),
     (Cadre.COORDINATOR, Role.COORDINATOR), (Cadre.PHARMACY, Role.PHARMACY)],
)
def test_staff_with_account_gets_a_user_with_the_role_of_the_cadre(db, cadre, role):
    staff = services.staff_create(full_name="Rosa Hernández", cadre=cadre, email="Rosa@Example.mx",
                                  with_account=True, password="una-clave-larga-2026")

    user = staff.user
    assert user.email == "rosa@example.mx"
    assert user.full_name == "Rosa Hernández"
    assert user.roles == {role}
    assert user.check_password("una-clave-larga-2026")


def test_staff_account_without_password_cannot_log_in_until_reset(db):
    staff = services.staff_create(full_name="Rosa Hernández", cadre=Cadre.CHW, email="rosa@example.mx",
                                  with_account=True)

    assert not staff.user.has_usable_password()


def test_staff_account_of_a_cadre_without_a_role_has_no_role(db):
    staff = services.staff_create(full_name="Pedro Chofer", cadre=Cadre.DRIVER, email="pedro@example.mx",
                                  with_account=True)

    assert staff.user.roles == frozenset()


def test_staff_account_with_an_e_mail_already_used_is_refused(db):
    User.objects.create_user(email="rosa@example.mx", password="otra-clave-2026", full_name="Rosa")
    before = counts()

    with pytest.raises(ValidationError) as exc:
        services.staff_create(full_name="Rosa Hernández", cadre=Cadre.CHW, email="ROSA@example.mx", with_account=True)

    assert "already an account with this e-mail" in messages_of(exc)
    assert counts() == before


def test_staff_account_without_e_mail_is_refused(db):
    before = counts()

    with pytest.raises(ValidationError) as exc:
        services.staff_create(full_name="Rosa Hernández", cadre=Cadre.CHW, with_account=True)

    assert "e-mail address is needed" in messages_of(exc)
    assert counts() == before


def test_only_pasantes_belong_to_a_cohort(db):
    cohort = CohortFactory()
    before = counts()

    with pytest.raises(ValidationError) as exc:
        services.staff_create(full_name="Rosa Hernández", cadre=Cadre.NURSE, cohort=cohort, email="rosa@example.mx",
                              with_account=True)

    assert "Only pasantes" in messages_of(exc)
    assert counts() == before


def test_staff_with_a_malformed_e_mail_is_refused(db):
    before = counts()

    with pytest.raises(ValidationError) as exc:
        services.staff_create(full_name="Rosa Hernández", cadre=Cadre.NURSE, email="rosa@", with_account=True)

    assert "email" in exc.value.message_dict
    assert counts() == before


# --- cohort_create -----------------------------------------------------------------------------------


def test_cohort_create(db):
    cohort = services.cohort_create(name="  Promoción 2026 ", start_date=FEB_1, end_date=date(2027, 1, 31))

    cohort.refresh_from_db()
    assert (cohort.name, cohort.start_date, cohort.end_date) == ("Promoción 2026", FEB_1, date(2027, 1, 31))


def test_cohort_ending_before_it_starts_is_refused(db):
    before = counts()

    with pytest.raises(ValidationError) as exc:
        services.cohort_create(name="Promoción 2026", start_date=FEB_1, end_date=FEB_1)

    assert "must end after it starts" in messages_of(exc)
    assert counts() == before


def test_cohort_name_already_used_is_refused(db):
    services.cohort_create(name="Promoción 2026", start_date=FEB_1, end_date=date(2027, 1, 31))
    before = counts()

    with pytest.raises(ValidationError) as exc:
        services.cohort_create(name="Promoción 2026 ", start_date=AUG_1, end_date=date(2027, 7, 31))

    assert "name" in exc.value.message_dict
    assert counts() == before


# --- concurrency -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_pasantes_for_one_clinic_exactly_one_wins():
    clinic = ClinicFactory()
    people = [StaffFactory(cadre=Cadre.PASANTE) for _ in range(6)]

    results = run_concurrently(lambda i: services.assignment_create(
        staff=people[i], clinic=clinic, role="pasante", start_date=FEB_1 + timedelta(days=i), end_date=DEC_31),
        len(people))

    wins = [r for r in results if isinstance(r, Assignment)]
    losses = [r for r in results if not isinstance(r, Assignment)]
    assert len(wins) == 1
    assert losses and all(type(r) is ValidationError for r in losses), losses
    assert all(r.messages for r in losses)
    assert Assignment.objects.filter(clinic=clinic).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_clinics_for_one_pasante_exactly_one_wins():
    pasante = StaffFactory(cadre=Cadre.PASANTE)
    clinics = [ClinicFactory() for _ in range(6)]

    results = run_concurrently(lambda i: services.assignment_create(
        staff=pasante, clinic=clinics[i], role="pasante", start_date=FEB_1, end_date=DEC_31), len(clinics))

    wins = [r for r in results if isinstance(r, Assignment)]
    assert len(wins) == 1
    assert all(type(r) is ValidationError for r in results if r not in wins), results
    assert Assignment.objects.filter(staff=pasante).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_accounts_with_one_e_mail_exactly_one_wins():
    results = run_concurrently(lambda i: services.staff_create(full_name=f"Rosa {i}", cadre=Cadre.CHW,
                                                               email="rosa@example.mx", with_account=True), 5)

    wins = [r for r in results if isinstance(r, Staff)]
    assert len(wins) == 1
    assert all(type(r) is ValidationError for r in results if r not in wins), results
    assert User.objects.filter(email="rosa@example.mx").count() == 1
    assert Staff.objects.filter(email="rosa@example.mx").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_entries_of_one_patient_create_one_and_flag_the_others():
    clinic = ClinicFactory()

    results = run_concurrently(lambda i: services.patient_create(
        clinic=clinic, community=clinic.community, given_names="María José", family_names="Gómez Pérez",
        sex="F", birth_date=BIRTH), 5)

    created = [r for r in results if isinstance(r, Patient)]
    assert len(created) == 1
    assert all(type(r) is services.PossibleDuplicate for r in results if r not in created), results
    assert Patient.objects.count() == 1


@pytest.mark.django_db
def test_moving_an_open_ended_pasante_keeps_the_new_post_open_ended(coordinator):
    from datetime import timedelta

    from django.utils import timezone

    from clinics.models import Assignment, Cadre
    from clinics.services import assignment_move
    from clinics.tests.factories import AssignmentFactory, ClinicFactory, CohortFactory, StaffFactory

    today = timezone.localdate()
    cohort = CohortFactory(start_date=today - timedelta(days=300), end_date=today + timedelta(days=10))
    pasante = StaffFactory(cadre=Cadre.PASANTE, cohort=cohort)
    current = AssignmentFactory(staff=pasante, start_date=today - timedelta(days=300), end_date=None)
    other = ClinicFactory()

    moved = assignment_move(assignment=current, clinic=other, move_date=today + timedelta(days=30), by=coordinator)

    assert moved.end_date is None
    assert Assignment.objects.get(pk=current.pk).end_date == today + timedelta(days=29)
