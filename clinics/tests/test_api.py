from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from clinics.models import Assignment, Cadre, Patient
from tests.kit import log_in

from .factories import AssignmentFactory, ClinicFactory, CommunityFactory, PatientFactory, StaffFactory

pytestmark = pytest.mark.django_db

LIST_URLS = ["api:community-list", "api:clinic-list", "api:staff-list", "api:assignment-list", "api:patient-list"]


def _today():
    return timezone.localdate()


def _ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# --- Scoping per persona ----------------------------------------------------------------------------


def test_pasante_sees_only_own_clinic(api_client, pasante_a, pasante_b, clinic_a, clinic_b):
    log_in(api_client, pasante_a)

    assert _ids(api_client.get(reverse("api:clinic-list"))) == {clinic_a.pk}
    assert api_client.get(reverse("api:clinic-detail", args=[clinic_a.pk])).status_code == 200
    assert api_client.get(reverse("api:clinic-detail", args=[clinic_b.pk])).status_code == 404


def test_pasante_sees_only_own_clinic_patients(api_client, pasante_a, pasante_b, clinic_a, clinic_b):
    mine = PatientFactory(clinic=clinic_a)
    theirs = PatientFactory(clinic=clinic_b)
    log_in(api_client, pasante_a)

    assert _ids(api_client.get(reverse("api:patient-list"))) == {mine.pk}
    assert api_client.get(reverse("api:patient-detail", args=[mine.pk])).status_code == 200
    assert api_client.get(reverse("api:patient-detail", args=[theirs.pk])).status_code == 404


def test_pasante_sees_only_own_community_and_assignments(api_client, pasante_a, pasante_b, clinic_a, clinic_b):
    log_in(api_client, pasante_a)

    assert _ids(api_client.get(reverse("api:community-list"))) == {clinic_a.community_id}
    assert _ids(api_client.get(reverse("api:assignment-list"))) == set(
        Assignment.objects.filter(clinic=clinic_a).values_list("pk", flat=True)
    )


@pytest.mark.parametrize("url_name", ["api:clinic-detail", "api:clinic-coverage", "api:community-detail"])
def test_pasante_b_never_sees_clinic_a(api_client, pasante_a, pasante_b, clinic_a, url_name):
    pk = clinic_a.community_id if url_name == "api:community-detail" else clinic_a.pk
    log_in(api_client, pasante_b)

    assert api_client.get(reverse(url_name, args=[pk])).status_code == 404


def test_pasante_b_never_sees_clinic_a_patients_staff_or_assignments(api_client, pasante_a, pasante_b, clinic_a):
    patient = PatientFactory(clinic=clinic_a)
    assignment = Assignment.objects.get(staff__user=pasante_a)
    log_in(api_client, pasante_b)

    assert api_client.get(reverse("api:patient-detail", args=[patient.pk])).status_code == 404
    assert api_client.get(reverse("api:assignment-detail", args=[assignment.pk])).status_code == 404
    assert api_client.get(reverse("api:staff-detail", args=[pasante_a.staff.pk])).status_code == 404
    assert pasante_a.staff.pk not in _ids(api_client.get(reverse("api:staff-list")))


def test_coordinator_sees_every_clinic_and_patient(api_client, coordinator, clinic_a, clinic_b):
    patients = {PatientFactory(clinic=clinic_a).pk, PatientFactory(clinic=clinic_b).pk}
    log_in(api_client, coordinator)

    assert _ids(api_client.get(reverse("api:clinic-list"))) == {clinic_a.pk, clinic_b.pk}
    assert _ids(api_client.get(reverse("api:patient-list"))) == patients


@pytest.mark.parametrize("persona", ["pharmacy", "visitor_program"])
def test_network_role_sees_clinics_but_no_patients(api_client, request, persona, clinic_a, clinic_b):
    patient = PatientFactory(clinic=clinic_a)
    log_in(api_client, request.getfixturevalue(persona))

    assert _ids(api_client.get(reverse("api:clinic-list"))) == {clinic_a.pk, clinic_b.pk}
    assert api_client.get(reverse("api:patient-list")).status_code == 403
    assert api_client.get(reverse("api:patient-detail", args=[patient.pk])).status_code == 403


@pytest.mark.parametrize("persona", ["applicant", "outsider"])
@pytest.mark.parametrize("url_name", LIST_URLS)
def test_applicant_and_outsider_see_nothing(api_client, request, persona, url_name, clinic_a):
    PatientFactory(clinic=clinic_a)
    log_in(api_client, request.getfixturevalue(persona))

    assert api_client.get(reverse(url_name)).status_code == 403


@pytest.mark.parametrize("url_name", LIST_URLS)
def test_anonymous_is_refused(api_client, url_name, clinic_a):
    assert api_client.get(reverse(url_name)).status_code == 401


def test_anonymous_cannot_create(api_client, clinic_a):
    response = api_client.post(reverse("api:patient-list"), _patient_body(clinic_a), format="json")

    assert response.status_code == 401
    assert not Patient.objects.exists()


# --- Clinics, coverage, staff -----------------------------------------------------------------------


def test_clinic_shows_community_and_current_pasante(api_client, coordinator, pasante_a, clinic_a):
    log_in(api_client, coordinator)

    body = api_client.get(reverse("api:clinic-detail", args=[clinic_a.pk])).json()

    assert body["community_name"] == "Capitán"
    assert body["current_pasante"] == {"id": pasante_a.staff.pk, "full_name": pasante_a.staff.full_name}


def test_clinic_list_shows_each_clinic_current_pasante_as_the_detail_does(api_client, coordinator, pasante_a,
                                                                         clinic_a):
    left = ClinicFactory(name="Clínica Salió")
    AssignmentFactory(clinic=left, start_date=_today() - timedelta(days=90), end_date=_today() - timedelta(days=1))
    coming = ClinicFactory(name="Clínica Viene")
    AssignmentFactory(clinic=coming, start_date=_today() + timedelta(days=1))
    served = ClinicFactory(name="Clínica Sólo CHW")
    AssignmentFactory(clinic=served, staff=StaffFactory(cadre=Cadre.CHW), role=Assignment.Role.CHW,
                      start_date=_today() - timedelta(days=10))
    log_in(api_client, coordinator)

    rows = api_client.get(reverse("api:clinic-list")).json()["results"]
    details = [api_client.get(reverse("api:clinic-detail", args=[row["id"]])).json() for row in rows]

    listed = {row["name"]: row["current_pasante"] for row in rows}
    assert listed["Clínica Capitán"] == {"id": pasante_a.staff.pk, "full_name": pasante_a.staff.full_name}
    assert [listed[name] for name in ("Clínica Salió", "Clínica Viene", "Clínica Sólo CHW")] == [None] * 3
    assert rows == details


def test_clinic_coverage_shows_the_gap_after_the_pasante_leaves(api_client, coordinator, pasante_a, clinic_a):
    leaves = _today() + timedelta(days=40)
    Assignment.objects.filter(staff__user=pasante_a).update(end_date=leaves)
    log_in(api_client, coordinator)

    segments = api_client.get(reverse("api:clinic-coverage", args=[clinic_a.pk])).json()

    assert segments[0] == {"start": _today().isoformat(), "end": leaves.isoformat(), "days": 41, "is_gap": False,
                           "pasante": pasante_a.staff.full_name}
    assert segments[1]["start"] == (leaves + timedelta(days=1)).isoformat()
    assert segments[1]["is_gap"] is True
    assert segments[1]["pasante"] is None
    assert sum(s["days"] for s in segments) == 365


def test_staff_without_an_email_answer_null_not_a_blank(api_client, coordinator):
    nurse = StaffFactory(full_name="Rosa Kalimbé Pérez", cadre=Cadre.NURSE, email="")
    log_in(api_client, coordinator)

    body = api_client.get(reverse("api:staff-detail", args=[nurse.pk])).json()

    assert body["email"] is None
    assert api_client.get(reverse("api:staff-detail", args=[coordinator.staff.pk])).json()["email"] == coordinator.email


def test_staff_search_and_cadre_filter(api_client, coordinator):
    # A made-up surname: the personas' names come from Faker, and "Rosa" once matched a coordinator "Rosalía".
    nurse = StaffFactory(full_name="Rosa Kalimbé Pérez", cadre=Cadre.NURSE)
    chw = StaffFactory(full_name="Luz Kalimbé", cadre=Cadre.CHW)
    StaffFactory(full_name="Mario López", cadre=Cadre.NURSE)
    log_in(api_client, coordinator)

    assert _ids(api_client.get(reverse("api:staff-list"), {"q": "kalimbé"})) == {nurse.pk, chw.pk}
    assert _ids(api_client.get(reverse("api:staff-list"), {"q": "kalimbé", "cadre": Cadre.CHW})) == {chw.pk}


# --- Assignments ------------------------------------------------------------------------------------


def _assignment_body(staff, clinic, start, **extra):
    return {"staff": staff.pk, "clinic": clinic.pk, "role": "pasante", "start_date": start, **extra}


@pytest.fixture
def newcomer(db):
    return StaffFactory(full_name="Lucía Ramírez", cadre=Cadre.PASANTE)


@pytest.fixture
def clinic_c(db):
    return ClinicFactory(name="Clínica Letrero", community__name="Letrero")


def test_coordinator_creates_assignment(api_client, coordinator, newcomer, clinic_c):
    start = _today() + timedelta(days=10)
    log_in(api_client, coordinator)

    response = api_client.post(reverse("api:assignment-list"), _assignment_body(newcomer, clinic_c, start.isoformat()),
                               format="json")

    assert response.status_code == 201, response.content
    assignment = Assignment.objects.get(staff=newcomer)
    assert response.json()["id"] == assignment.pk
    assert (assignment.clinic, assignment.start_date, assignment.created_by) == (clinic_c, start, coordinator)


@pytest.mark.parametrize("persona", ["pasante_a", "supervisor", "pharmacy"])
def test_only_coordinators_create_assignments(api_client, request, persona, newcomer, clinic_a):
    log_in(api_client, request.getfixturevalue(persona))
    before = Assignment.objects.count()

    response = api_client.post(reverse("api:assignment-list"),
                               _assignment_body(newcomer, clinic_a, _today().isoformat()), format="json")

    assert response.status_code == 403
    assert Assignment.objects.count() == before


def test_overlapping_assignment_is_refused_in_spanish(api_client, coordinator, pasante_a, newcomer, clinic_a):
    log_in(api_client, coordinator, language="es")
    before = Assignment.objects.count()

    response = api_client.post(reverse("api:assignment-list"),
                               _assignment_body(newcomer, clinic_a, _today().isoformat()), format="json")

    assert response.status_code == 400
    with translation.override("es"):
        expected = gettext("The clinic already has a pasante during those dates.")
    assert response.json() == {"non_field_errors": [expected]}
    assert Assignment.objects.count() == before


def test_overlapping_assignment_is_refused_in_english(api_client, coordinator, pasante_a, newcomer, clinic_a):
    log_in(api_client, coordinator, language="en")
    before = Assignment.objects.count()

    response = api_client.post(reverse("api:assignment-list"),
                               _assignment_body(newcomer, clinic_a, _today().isoformat()), format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["The clinic already has a pasante during those dates."]}
    assert Assignment.objects.count() == before


@pytest.mark.parametrize("bad_date", ["31/02/2027", "2027-13-01", "mañana", ""])
def test_malformed_date_is_refused(api_client, coordinator, newcomer, clinic_c, bad_date):
    log_in(api_client, coordinator)

    response = api_client.post(reverse("api:assignment-list"), _assignment_body(newcomer, clinic_c, bad_date),
                               format="json")

    assert response.status_code == 400
    assert "start_date" in response.json()
    assert not Assignment.objects.filter(staff=newcomer).exists()


def test_date_in_the_mexican_format_is_accepted(api_client, coordinator, newcomer, clinic_c):
    log_in(api_client, coordinator)

    response = api_client.post(reverse("api:assignment-list"), _assignment_body(newcomer, clinic_c, "01/03/2027"),
                               format="json")

    assert response.status_code == 201, response.content
    assert Assignment.objects.get(staff=newcomer).start_date.isoformat() == "2027-03-01"


@pytest.mark.parametrize("clinic_id", [999999, "abc"])
def test_unknown_clinic_is_refused(api_client, coordinator, newcomer, clinic_c, clinic_id):
    log_in(api_client, coordinator, language="es")
    body = {**_assignment_body(newcomer, clinic_c, _today().isoformat()), "clinic": clinic_id}

    response = api_client.post(reverse("api:assignment-list"), body, format="json")

    assert response.status_code == 400
    with translation.override("es"):
        assert response.json() == {"clinic": [gettext("Unknown clinic.")]}
    assert not Assignment.objects.filter(staff=newcomer).exists()


def test_ending_an_assignment_ends_the_access(api_client, coordinator, pasante_a, clinic_a):
    assignment = Assignment.objects.get(staff__user=pasante_a)
    yesterday = _today() - timedelta(days=1)
    log_in(api_client, coordinator)

    response = api_client.post(reverse("api:assignment-end", args=[assignment.pk]),
                               {"end_date": yesterday.isoformat(), "reason": "Fin del servicio"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["end_date"] == yesterday.isoformat()
    assignment.refresh_from_db()
    assert (assignment.end_date, assignment.end_reason) == (yesterday, "Fin del servicio")
    api_client.force_login(pasante_a)
    assert _ids(api_client.get(reverse("api:clinic-list"))) == set()


def test_ending_before_the_start_is_refused(api_client, coordinator, pasante_a, clinic_a):
    assignment = Assignment.objects.get(staff__user=pasante_a)
    log_in(api_client, coordinator)

    response = api_client.post(reverse("api:assignment-end", args=[assignment.pk]),
                               {"end_date": (assignment.start_date - timedelta(days=1)).isoformat()}, format="json")

    assert response.status_code == 400
    assert "end_date" in response.json()
    assignment.refresh_from_db()
    assert assignment.end_date is None


def test_pasante_cannot_end_own_assignment(api_client, pasante_a, clinic_a):
    assignment = Assignment.objects.get(staff__user=pasante_a)
    log_in(api_client, pasante_a)

    response = api_client.post(reverse("api:assignment-end", args=[assignment.pk]),
                               {"end_date": _today().isoformat()}, format="json")

    assert response.status_code == 403
    assignment.refresh_from_db()
    assert assignment.end_date is None


def test_moving_a_pasante_ends_the_old_post_and_opens_the_new(api_client, coordinator, pasante_a, clinic_a, clinic_c):
    assignment = Assignment.objects.get(staff__user=pasante_a)
    move_date = _today() + timedelta(days=5)
    log_in(api_client, coordinator)

    response = api_client.post(reverse("api:assignment-move", args=[assignment.pk]),
                               {"clinic": clinic_c.pk, "move_date": move_date.isoformat()}, format="json")

    assert response.status_code == 201, response.content
    new = Assignment.objects.get(pk=response.json()["id"])
    assert (new.clinic, new.start_date, new.staff_id) == (clinic_c, move_date, assignment.staff_id)
    assignment.refresh_from_db()
    assert assignment.end_date == move_date - timedelta(days=1)


def test_moving_to_a_clinic_with_a_pasante_changes_nothing(api_client, coordinator, pasante_a, pasante_b, clinic_b):
    assignment = Assignment.objects.get(staff__user=pasante_a)
    move_date = _today() + timedelta(days=5)
    log_in(api_client, coordinator)
    before = Assignment.objects.count()

    response = api_client.post(reverse("api:assignment-move", args=[assignment.pk]),
                               {"clinic": clinic_b.pk, "move_date": move_date.isoformat()}, format="json")

    assert response.status_code == 400
    assert Assignment.objects.count() == before
    assignment.refresh_from_db()
    assert assignment.end_date is None


def test_unknown_assignment_is_404(api_client, coordinator):
    log_in(api_client, coordinator)

    response = api_client.post(reverse("api:assignment-end", args=[999999]), {"end_date": _today().isoformat()},
                               format="json")

    assert response.status_code == 404


# --- Patients ---------------------------------------------------------------------------------------


def _patient_body(clinic, **extra):
    return {"clinic": clinic.pk, "given_names": "María José", "family_names": "Gómez Aguilar", "sex": "F",
            "birth_date": "1985-03-12", **extra}


@pytest.mark.parametrize("persona", ["pasante_a", "supervisor", "chw", "coordinator"])
def test_patient_created_in_a_visible_clinic(api_client, request, persona, clinic_a):
    user = request.getfixturevalue(persona)
    log_in(api_client, user)

    response = api_client.post(reverse("api:patient-list"), _patient_body(clinic_a), format="json")

    assert response.status_code == 201, response.content
    patient = Patient.objects.get()
    assert (patient.clinic, patient.community, patient.created_by) == (clinic_a, clinic_a.community, user)
    assert response.json()["community_name"] == "Capitán"


def test_pasante_cannot_create_patient_in_other_clinic(api_client, pasante_a, clinic_b):
    log_in(api_client, pasante_a, language="es")

    response = api_client.post(reverse("api:patient-list"), _patient_body(clinic_b), format="json")

    assert response.status_code == 400
    with translation.override("es"):
        assert response.json() == {"clinic": [gettext("Unknown clinic.")]}
    assert not Patient.objects.exists()


def test_pasante_cannot_place_patient_in_unseen_community(api_client, pasante_a, clinic_a, clinic_b):
    log_in(api_client, pasante_a)

    response = api_client.post(reverse("api:patient-list"), _patient_body(clinic_a, community=clinic_b.community_id),
                               format="json")

    assert response.status_code == 400
    assert "community" in response.json()
    assert not Patient.objects.exists()


@pytest.mark.parametrize("persona", ["pharmacy", "visitor_program", "applicant"])
def test_roles_without_patients_cannot_create_them(api_client, request, persona, clinic_a):
    log_in(api_client, request.getfixturevalue(persona))

    response = api_client.post(reverse("api:patient-list"), _patient_body(clinic_a), format="json")

    assert response.status_code == 403
    assert not Patient.objects.exists()


def test_possible_duplicate_is_409_until_confirmed(api_client, pasante_a, clinic_a):
    first = PatientFactory(clinic=clinic_a, given_names="María José", family_names="Gómez Aguilar",
                           birth_date="1985-03-12")
    log_in(api_client, pasante_a)
    body = _patient_body(clinic_a, given_names="  maría josé ", family_names="GÓMEZ aguilar")

    response = api_client.post(reverse("api:patient-list"), body, format="json")

    assert response.status_code == 409
    answer = response.json()
    assert answer["code"] == "possible_duplicate"
    assert answer["detail"]
    assert [c["id"] for c in answer["candidates"]] == [first.pk]
    assert answer["candidates"][0]["clinic_name"] == clinic_a.name
    assert Patient.objects.count() == 1

    response = api_client.post(reverse("api:patient-list"), {**body, "confirm_not_duplicate": True}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["duplicate_reviewed"] is True
    assert Patient.objects.count() == 2


def test_patient_with_bad_curp_is_refused(api_client, pasante_a, clinic_a):
    log_in(api_client, pasante_a)

    response = api_client.post(reverse("api:patient-list"), _patient_body(clinic_a, curp="XYZ"), format="json")

    assert response.status_code == 400
    assert "curp" in response.json()
    assert not Patient.objects.exists()


# --- Query counts -----------------------------------------------------------------------------------


def _grow(clinics: int):
    for _ in range(clinics):
        clinic = ClinicFactory()
        pasante = AssignmentFactory(clinic=clinic, start_date=_today() - timedelta(days=10),
                                    end_date=_today() + timedelta(days=100))
        AssignmentFactory(clinic=clinic, staff=StaffFactory(cadre=Cadre.CHW), role=Assignment.Role.CHW,
                          start_date=_today() - timedelta(days=10))
        AssignmentFactory(clinic=clinic, staff=pasante.staff, start_date=_today() + timedelta(days=101),
                          end_date=_today() + timedelta(days=200), role=Assignment.Role.OTHER)
        PatientFactory.create_batch(2, clinic=clinic, community=CommunityFactory())


def _get_counted(client, url, django_assert_num_queries, queries):
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json()["count"]


# Every filter each list declares, set to a value some of the grown data matches.
FILTERS = {
    "api:clinic-list": "?q=cl%C3%ADnica&kind=rural_clinic",
    "api:staff-list": "?q=%40&cadre=pasante",  # every e-mail has an @
}
# The user with their roles (the session is read from Redis), the count, the page, then what each list reads
# with its page: clinics their pasante posts, staff their current posts, the others nothing more.
# As (unfiltered, filtered).
LIST_QUERIES = {
    ("api:community-list", "coordinator"): (3, 3), ("api:community-list", "pasante_a"): (3, 3),
    ("api:clinic-list", "coordinator"): (3, 3), ("api:clinic-list", "pasante_a"): (3, 3),
    ("api:staff-list", "coordinator"): (4, 4), ("api:staff-list", "pasante_a"): (4, 4),
    ("api:assignment-list", "coordinator"): (3, 3), ("api:assignment-list", "pasante_a"): (3, 3),
    ("api:patient-list", "coordinator"): (3, 3), ("api:patient-list", "pasante_a"): (3, 3),
}


@pytest.mark.parametrize(("url_name", "persona", "filtered"), [
    *((url_name, persona, False) for url_name, persona in LIST_QUERIES),
    *((url_name, persona, True) for url_name, persona in LIST_QUERIES if url_name in FILTERS),
])
def test_list_runs_a_fixed_number_of_queries_at_two_sizes(api_client, request, url_name, persona, filtered,
                                                          clinic_a, django_assert_num_queries):
    user = request.getfixturevalue(persona)
    log_in(api_client, user)
    queries = LIST_QUERIES[url_name, persona][filtered]
    url = reverse(url_name) + (FILTERS[url_name] if filtered else "")
    _grow(2)
    PatientFactory(clinic=clinic_a)
    small = _get_counted(api_client, url, django_assert_num_queries, queries)

    _grow(6)
    PatientFactory.create_batch(5, clinic=clinic_a)
    large = _get_counted(api_client, url, django_assert_num_queries, queries)

    assert small > 0
    if not filtered and (persona == "coordinator" or url_name == "api:patient-list"):
        assert large > small  # the data really grew


# --- Browsable API and schema -----------------------------------------------------------------------


@pytest.mark.parametrize("url_name", ["api:patient-list", "api:assignment-list"])
def test_browsable_api_offers_only_visible_clinics(api_client, pasante_a, pasante_b, coordinator, url_name):
    user = pasante_a if url_name == "api:patient-list" else coordinator
    log_in(api_client, user)

    response = api_client.get(reverse(url_name), HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Clínica Capitán" in page
    assert ("Clínica Reforma" in page) is (user == coordinator)


def test_schema_documents_the_clinics_api(api_client, coordinator):
    log_in(api_client, coordinator)

    response = api_client.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ["/api/v1/clinics/{id}/coverage/", "/api/v1/assignments/{id}/move/", "/api/v1/patients/"]:
        assert path in paths


@pytest.mark.django_db
def test_a_patient_created_with_a_token_records_who_did_it_in_the_audit_history(api_client, pasante_a, clinic_a):
    from rest_framework.authtoken.models import Token

    from clinics.models import Patient

    token = Token.objects.create(user=pasante_a)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api_client.post(
        "/api/v1/patients/",
        {"clinic": clinic_a.pk, "given_names": "Rosa", "family_names": "Pérez López", "sex": "F",
         "birth_date": "1961-04-02"},
        format="json",
    )
    assert response.status_code == 201, response.content
    event = Patient.pgh_event_model.objects.get(pgh_obj_id=response.json()["id"], pgh_label="insert")
    assert event.pgh_context.metadata["user"] == pasante_a.pk
