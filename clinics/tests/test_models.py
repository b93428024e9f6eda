"""Model rules, the audit history kept by database triggers, and the admin for reference data."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from ces.accounts.roles import Role
from clinics import services
from clinics.models import (
    Assignment,
    AssignmentEvent,
    Cadre,
    Clinic,
    Cohort,
    Community,
    HostFamily,
    HostPayment,
    HostStay,
    Patient,
    PatientEvent,
    Staff,
    SupervisionVisit,
)
from clinics.tests.factories import (
    AssignmentFactory,
    ClinicFactory,
    CommunityFactory,
    PatientFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    # Messages are asserted in their English source; the project's default language is Spanish.
    with translation.override("en"):
        yield


# --- model rules -------------------------------------------------------------------------------------


def test_patient_age_counts_whole_years():
    p = Patient(birth_date=date(2000, 6, 15))

    assert p.age_on(date(2026, 6, 14)) == 25
    assert p.age_on(date(2026, 6, 15)) == 26


def test_assignment_is_active_on_its_first_and_last_day():
    a = Assignment(start_date=date(2026, 2, 1), end_date=date(2026, 7, 31))

    assert not a.is_active_on(date(2026, 1, 31))
    assert a.is_active_on(date(2026, 2, 1))
    assert a.is_active_on(date(2026, 7, 31))
    assert not a.is_active_on(date(2026, 8, 1))
    assert Assignment(start_date=date(2026, 2, 1)).is_active_on(date(2099, 1, 1))


def test_assignment_ending_before_it_starts_is_a_validation_error_not_a_database_error():
    a = AssignmentFactory.build(staff=StaffFactory(), clinic=ClinicFactory(), start_date=date(2026, 8, 1),
                                end_date=date(2026, 7, 31))

    with pytest.raises(ValidationError) as exc:
        a.full_clean()

    assert exc.value.message_dict["end_date"] == ["The assignment cannot end before it starts."]


def test_only_rural_clinics_need_a_pasante():
    assert ClinicFactory(kind=Clinic.Kind.RURAL_CLINIC).needs_pasante
    assert not ClinicFactory(kind=Clinic.Kind.RURAL_CLINIC, active=False).needs_pasante
    assert not ClinicFactory(kind=Clinic.Kind.HOSPITAL).needs_pasante


def test_community_accepting_visitors_says_since_when():
    community = CommunityFactory.build(accepts_visitors=True, visitors_agreed_on=None)

    with pytest.raises(ValidationError) as exc:
        community.full_clean()

    assert "visitors_agreed_on" in exc.value.message_dict


# --- audit history (pghistory triggers) -------------------------------------------------------------


def test_creating_and_updating_a_patient_is_recorded():
    clinic = ClinicFactory()
    patient = services.patient_create(clinic=clinic, community=clinic.community, given_names="Ana",
                                      family_names="Díaz", sex="F", birth_date=date(1990, 1, 1))

    patient.phone = "961 111 2222"
    patient.save()

    events = list(PatientEvent.objects.filter(pgh_obj=patient).order_by("pgh_id"))
    assert [e.pgh_label for e in events] == ["insert", "update"]
    assert (events[0].phone, events[1].phone) == ("", "961 111 2222")


def test_bulk_update_of_patients_is_recorded_row_by_row():
    clinic = ClinicFactory()
    patients = PatientFactory.create_batch(3, clinic=clinic)
    other = PatientFactory()

    Patient.objects.filter(clinic=clinic).update(phone="000")

    updates = PatientEvent.objects.filter(pgh_label="update")
    assert sorted(updates.values_list("pgh_obj_id", flat=True)) == sorted(p.pk for p in patients)
    assert set(updates.values_list("phone", flat=True)) == {"000"}
    assert not updates.filter(pgh_obj=other).exists()


def test_saving_a_patient_unchanged_records_nothing():
    patient = PatientFactory()

    patient.save()

    assert PatientEvent.objects.filter(pgh_obj=patient, pgh_label="update").count() == 0


def test_creating_ending_and_moving_an_assignment_is_recorded():
    staff = StaffFactory(cadre=Cadre.PASANTE)
    a = services.assignment_create(staff=staff, clinic=ClinicFactory(), role="pasante", start_date=date(2026, 2, 1))
    services.assignment_end(assignment=a, end_date=date(2026, 7, 31), reason="Fin")
    Assignment.objects.filter(pk=a.pk).update(end_reason="Fin del servicio")

    events = list(AssignmentEvent.objects.filter(pgh_obj=a).order_by("pgh_id"))
    assert [(e.pgh_label, e.end_date, e.end_reason) for e in events] == [
        ("insert", None, ""),
        ("update", date(2026, 7, 31), "Fin"),
        ("update", date(2026, 7, 31), "Fin del servicio"),
    ]


def test_deleting_a_patient_keeps_its_history():
    patient = PatientFactory(given_names="Ana")
    pk = patient.pk

    patient.delete()

    assert PatientEvent.objects.filter(pgh_obj_id=pk, pgh_label="delete", given_names="Ana").exists()


def test_change_through_a_request_records_who_made_it(client, admin_user):
    patient = PatientFactory(given_names="Ana", family_names="Díaz", phone="")
    client.force_login(admin_user)
    url = reverse("admin:clinics_patient_change", args=[patient.pk])

    response = client.post(url, {
        "given_names": "Ana", "family_names": "Díaz", "sex": "F", "birth_date": "1970-05-17", "curp": "",
        "phone": "961 555 0000", "clinic": patient.clinic_id, "community": patient.community_id,
    })

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    event = PatientEvent.objects.get(pgh_obj=patient, pgh_label="update")
    assert event.phone == "961 555 0000"
    assert event.pgh_context.metadata["user"] == admin_user.pk
    assert event.pgh_context.metadata["url"] == url


def test_change_outside_a_request_has_no_user():
    patient = PatientFactory()

    event = PatientEvent.objects.get(pgh_obj=patient, pgh_label="insert")

    assert event.pgh_context is None


# --- admin for reference data -----------------------------------------------------------------------

ADMIN_MODELS = [Community, Clinic, Cohort, Staff, Assignment, HostFamily, HostStay, HostPayment,
                SupervisionVisit, Patient]


def _changelist(model):
    return reverse(f"admin:clinics_{model._meta.model_name}_changelist")


@pytest.fixture
def data_manager(db):
    """An admin-role user who is not a superuser: the role alone opens the clinics admin."""
    return UserFactory(email="datos@example.mx", roles=[Role.ADMIN], is_staff=True, preferred_language="en")


@pytest.fixture
def some_data(coordinator, pasante_a, supervisor):
    clinic = pasante_a.staff.assignments.get().clinic
    family = HostFamily.objects.create(community=clinic.community, head_of_household="Doña Lupita",
                                       rate_per_night=150, rate_per_meal=50)
    stay = services.host_family_stay_create(family=family, guest_kind="pasante", guest_staff=pasante_a.staff,
                                            first_night=date(2026, 2, 1), last_night=date(2026, 2, 28))
    services.host_family_payment_create(family=family, stays=[stay], amount=100, paid_on=date(2026, 3, 1),
                                        concept="Marzo")
    services.supervision_visit_record(supervisor=supervisor.staff, clinic=clinic, visited_on=date(2026, 3, 1),
                                      notes="Visita")
    services.cohort_create(name="Promoción 2026", start_date=date(2026, 2, 1), end_date=date(2027, 1, 31))
    PatientFactory(clinic=clinic)


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m.__name__)
def test_data_manager_can_list_search_and_filter_every_clinics_model(client, data_manager, some_data, model):
    client.force_login(data_manager)

    assert client.get(_changelist(model)).status_code == 200
    assert client.get(_changelist(model), {"q": "a"}).status_code == 200
    assert client.get(reverse(f"admin:clinics_{model._meta.model_name}_add")).status_code == 200
    obj = model.objects.first()
    assert client.get(reverse(f"admin:clinics_{model._meta.model_name}_change", args=[obj.pk])).status_code == 200


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m.__name__)
def test_staff_user_without_the_admin_role_cannot_open_the_clinics_admin(client, model):
    coordinator_on_staff = UserFactory(email="coord.staff@example.mx", roles=[Role.COORDINATOR], is_staff=True)
    client.force_login(coordinator_on_staff)

    assert client.get(_changelist(model)).status_code == 403


def test_clinics_admin_index_lists_the_models_for_the_data_manager(client, data_manager):
    client.force_login(data_manager)

    response = client.get(reverse("admin:app_list", args=["clinics"]))

    assert response.status_code == 200
    for model in ADMIN_MODELS:
        assert _changelist(model) in response.content.decode()


def test_filtering_the_assignment_list_by_role(client, data_manager, some_data):
    client.force_login(data_manager)

    response = client.get(_changelist(Assignment), {"role__exact": "supervisor"})

    assert [a.role for a in response.context["cl"].result_list] == ["supervisor"]


# Adding an assignment in the admin: the same rules as the services.

def _assignment_form(staff, clinic, role="pasante", start="2026-02-01", end=""):
    return {"staff": staff.pk, "clinic": clinic.pk, "role": role, "start_date": start, "end_date": end,
            "end_reason": ""}


@pytest.fixture
def admin_post(client, data_manager):
    client.force_login(data_manager)

    def post(data):
        return client.post(reverse("admin:clinics_assignment_add"), data)

    return post


def test_admin_adds_an_assignment_and_stamps_who(admin_post, data_manager):
    staff, clinic = StaffFactory(cadre=Cadre.PASANTE), ClinicFactory()

    response = admin_post(_assignment_form(staff, clinic))

    assert response.status_code == 302
    assert Assignment.objects.get(staff=staff).created_by == data_manager


def test_admin_refuses_a_second_pasante_for_a_clinic(admin_post):
    clinic = ClinicFactory()
    AssignmentFactory(clinic=clinic, start_date=date(2026, 2, 1), end_date=None)
    before = Assignment.objects.count()

    response = admin_post(_assignment_form(StaffFactory(cadre=Cadre.PASANTE), clinic, start="2026-06-01"))

    assert response.status_code == 200
    assert "The clinic already has a pasante during those dates." in response.content.decode()
    assert Assignment.objects.count() == before


def test_admin_refuses_an_assignment_ending_before_it_starts(admin_post):
    before = Assignment.objects.count()

    response = admin_post(_assignment_form(StaffFactory(cadre=Cadre.PASANTE), ClinicFactory(), start="2026-08-01",
                                           end="2026-07-31"))

    assert response.status_code == 200
    assert "cannot end before it starts" in response.content.decode()
    assert Assignment.objects.count() == before


def test_admin_refuses_a_cadre_that_does_not_fit_the_role(admin_post):
    before = Assignment.objects.count()

    response = admin_post(_assignment_form(StaffFactory(cadre=Cadre.DRIVER), ClinicFactory()))

    assert response.status_code == 200
    assert "cannot be assigned as" in response.content.decode()
    assert Assignment.objects.count() == before


def test_admin_may_end_the_post_of_someone_who_has_left(client, data_manager):
    a = AssignmentFactory(start_date=date(2026, 2, 1), end_date=None)
    Staff.objects.filter(pk=a.staff_id).update(active=False)
    client.force_login(data_manager)
    data = _assignment_form(a.staff, a.clinic, end=(date(2026, 2, 1) + timedelta(days=30)).isoformat())

    response = client.post(reverse("admin:clinics_assignment_change", args=[a.pk]), data)

    assert response.status_code == 302
    a.refresh_from_db()
    assert a.end_date == date(2026, 3, 3)
