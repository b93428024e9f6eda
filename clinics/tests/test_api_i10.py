"""The coordination's writes in the API (issue 10): people, communities, clinics, cohorts, host families, their
stays and payments, patients corrected and merged. The same services as the pages: bad input is a 400 with
the service's message, a role without the right a 403, what is out of reach a 404; lists at two sizes."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from clinics import services
from clinics.models import Cadre, Clinic, Cohort, Community, HostPaymentStay, HostStay, Patient, Staff
from tests.kit import log_in

from .factories import (
    AssignmentFactory,
    ClinicFactory,
    CohortFactory,
    HostFamilyFactory,
    PatientFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
MAR_1 = date(2026, 3, 1)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def api(api_client, coordinator):
    log_in(api_client, coordinator)
    return api_client


def _errors(response) -> str:
    assert response.status_code == 400, (response.status_code, response.content)
    return str(response.json())


# --- Communities and clinics --------------------------------------------------------------------------------


def test_community_is_created_and_edited(api):
    created = api.post(reverse("api:community-list"), {"name": "Laguna del Cofre", "municipality": "Motozintla",
                                                       "travel_minutes": 90}, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]

    edited = api.patch(reverse("api:community-detail", args=[pk]), {"accepts_visitors": True,
                                                                   "visitors_agreed_on": "2026-01-10",
                                                                   "visitors_agreement_kind": "letter"},
                       format="json")

    assert edited.status_code == 200, edited.content
    community = Community.objects.get(pk=pk)
    assert (community.travel_minutes, community.accepts_visitors, community.visitors_agreement_kind) == (
        90, True, "letter")
    assert community.events.count() == 2


def test_community_receiving_visitors_without_saying_how_is_refused(api):
    response = api.post(reverse("api:community-list"), {"name": "Reforma Nueva", "municipality": "Ángel Albino Corzo",
                                                        "accepts_visitors": True, "visitors_agreed_on": "2026-01-10"},
                        format="json")

    assert "Say how the community agreed" in _errors(response)
    assert not Community.objects.filter(name="Reforma Nueva").exists()


def test_clinic_is_opened_edited_and_a_used_clues_refused(api, clinic_a):
    clinic_a.moh_code = "CSSSA019201"
    clinic_a.save()
    body = {"community": clinic_a.community.pk, "name": "Clínica Nueva", "kind": "rural_clinic",
            "moh_code": "cssSA019202"}

    created = api.post(reverse("api:clinic-list"), body, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["moh_code"] == "CSSSA019202"
    taken = api.patch(reverse("api:clinic-detail", args=[pk]), {"moh_code": "CSSSA019201"}, format="json")
    renamed = api.put(reverse("api:clinic-detail", args=[pk]), {**body, "name": "Clínica Nueva II"}, format="json")

    assert "already used by another clinic" in _errors(taken)
    assert renamed.status_code == 200 and Clinic.objects.get(pk=pk).name == "Clínica Nueva II"


def test_clinic_is_closed_and_opened_again_but_not_while_someone_is_posted(api, clinic_a, pasante_a):
    empty = ClinicFactory(name="Clínica Vacía")

    refused = api.post(reverse("api:clinic-deactivate", args=[clinic_a.pk]))
    closed = api.post(reverse("api:clinic-deactivate", args=[empty.pk]))
    again = api.post(reverse("api:clinic-deactivate", args=[empty.pk]))
    opened = api.post(reverse("api:clinic-reactivate", args=[empty.pk]))

    assert "end or move" in _errors(refused)
    assert closed.status_code == 200 and closed.json()["active"] is False
    assert "already inactive" in _errors(again)
    assert opened.json()["active"] is True


def test_network_writes_are_for_coordinators_and_admins(api_client, supervisor, clinic_a):
    log_in(api_client, supervisor)

    responses = [
        api_client.post(reverse("api:community-list"), {"name": "X", "municipality": "Y"}, format="json"),
        api_client.patch(reverse("api:clinic-detail", args=[clinic_a.pk]), {"name": "Otra"}, format="json"),
        api_client.post(reverse("api:clinic-deactivate", args=[clinic_a.pk])),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403]
    assert Clinic.objects.get(pk=clinic_a.pk).name == clinic_a.name


# --- People ------------------------------------------------------------------------------------------------


def test_person_is_added_corrected_and_a_known_email_refused(api, coordinator):
    StaffFactory(full_name="Rosa Pérez", email="rosa@example.mx")
    cohort = CohortFactory()

    created = api.post(reverse("api:staff-list"), {"full_name": "  Ana   Gómez ", "cadre": "pasante",
                                                   "email": "ANA@example.mx", "cohort": cohort.pk}, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    duplicate = api.patch(reverse("api:staff-detail", args=[pk]), {"email": "Rosa@example.mx"}, format="json")
    phoned = api.patch(reverse("api:staff-detail", args=[pk]), {"phone": "961 123 4567"}, format="json")

    assert (created.json()["full_name"], created.json()["email"]) == ("Ana Gómez", "ana@example.mx")
    assert "Rosa Pérez already has this e-mail address." in _errors(duplicate)
    assert phoned.status_code == 200 and Staff.objects.get(pk=pk).phone == "961 123 4567"


def test_person_with_a_bad_curp_or_a_cohort_but_not_a_pasante_is_refused(api):
    bad_curp = api.post(reverse("api:staff-list"), {"full_name": "Ana", "cadre": "nurse", "curp": "XX"},
                        format="json")
    cohort = api.post(reverse("api:staff-list"), {"full_name": "Ana", "cadre": "nurse",
                                                  "cohort": CohortFactory().pk}, format="json")

    assert "A CURP has 18 characters" in _errors(bad_curp)
    assert "Only pasantes belong to a cohort." in _errors(cohort)
    assert not Staff.objects.filter(full_name="Ana").exists()


def test_person_is_deactivated_from_a_last_day_ending_their_posts(api, pasante_a, clinic_a):
    staff = pasante_a.staff

    response = api.post(reverse("api:staff-deactivate", args=[staff.pk]), {"last_day": TODAY.isoformat()},
                        format="json")

    assert response.status_code == 200, response.content
    staff.refresh_from_db()
    assert (staff.active, staff.last_day) == (False, TODAY)
    assert staff.assignments.get().end_date == TODAY


def test_person_is_invited_and_invited_again(api, coordinator, django_capture_on_commit_callbacks):
    staff = StaffFactory(full_name="Ana Gómez", email="ana@example.mx", cadre=Cadre.PASANTE)

    with django_capture_on_commit_callbacks(execute=True):
        first = api.post(reverse("api:staff-invite", args=[staff.pk]), {"roles": ["pasante"]}, format="json")
        second = api.post(reverse("api:staff-invite", args=[staff.pk]), {"roles": ["pasante"]}, format="json")
    bad = api.post(reverse("api:staff-invite", args=[staff.pk]), {"roles": ["applicant"]}, format="json")

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json()["state"] == "sent" and second.json()["email"] == "ana@example.mx"
    assert [i.state for i in staff.invitations.order_by("sent_at", "pk")] == ["revoked", "sent"]
    assert len(mail.outbox) == 2
    assert "is not a valid choice" in _errors(bad)


def test_an_invitation_cannot_give_the_admin_role_from_a_coordinator(api):
    staff = StaffFactory(email="ana@example.mx")

    response = api.post(reverse("api:staff-invite", args=[staff.pk]), {"roles": ["admin"]}, format="json")

    assert "You cannot give these roles: admin." in _errors(response)


# --- Cohorts ------------------------------------------------------------------------------------------------


def test_cohort_is_created_and_a_shortening_past_its_posts_refused(api, clinic_a):
    created = api.post(reverse("api:cohort-list"), {"name": "Promoción 2027", "start_date": "2027-02-01",
                                                    "end_date": "2028-01-31"}, format="json")
    assert created.status_code == 201, created.content
    cohort = Cohort.objects.get(pk=created.json()["id"])
    pasante = StaffFactory(cadre=Cadre.PASANTE, cohort=cohort, full_name="Ana Gómez")
    AssignmentFactory(staff=pasante, clinic=ClinicFactory(name="Clínica Sur"), start_date=cohort.start_date,
                      end_date=cohort.end_date)

    backwards = api.post(reverse("api:cohort-list"), {"name": "Otra", "start_date": "2027-02-01",
                                                      "end_date": "2027-01-01"}, format="json")
    shorter = api.patch(reverse("api:cohort-detail", args=[cohort.pk]), {"end_date": "2027-12-31"}, format="json")
    renamed = api.patch(reverse("api:cohort-detail", args=[cohort.pk]), {"name": "Promoción 2027-28"}, format="json")

    assert "must end after it starts" in _errors(backwards)
    assert "Ana Gómez (Clínica Sur)" in _errors(shorter)
    assert renamed.status_code == 200 and renamed.json()["member_count"] == 1


def test_cohorts_are_not_for_a_supervisor(api_client, supervisor):
    log_in(api_client, supervisor)

    assert api_client.get(reverse("api:cohort-list")).status_code == 403


# --- Host families, stays, payments --------------------------------------------------------------------------


@pytest.fixture
def family(clinic_a):
    return HostFamilyFactory(community=clinic_a.community, head_of_household="Doña Lupita", rooms=1,
                             rate_per_night=Decimal("150.00"), rate_per_meal=Decimal("50.00"))


def test_family_is_added_and_edited(api_client, visitor_program, clinic_a):
    log_in(api_client, visitor_program)
    body = {"community": clinic_a.community.pk, "head_of_household": "Rosa Pérez", "rooms": 2,
            "rate_per_night": "120.00", "rate_per_meal": "40.00"}

    created = api_client.post(reverse("api:host-family-list"), body, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    edited = api_client.patch(reverse("api:host-family-detail", args=[pk]), {"rate_per_night": "130"},
                              format="json")
    negative = api_client.patch(reverse("api:host-family-detail", args=[pk]), {"rate_per_meal": "-1"}, format="json")

    assert created.json()["balance"] == "0.00"
    assert edited.status_code == 200 and edited.json()["rate_per_night"] == "130.00"
    assert negative.status_code == 400


def test_stay_is_recorded_changed_and_cancelled(api, family):
    created = api.post(reverse("api:host-stay-list"), {"family": family.pk, "guest_kind": "visitor",
                                                       "guest_name": "Jane Doe", "first_night": "2026-03-01",
                                                       "last_night": "2026-03-10", "meals_per_day": 2},
                       format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["amount_owed"] == "2500.00"

    full = api.post(reverse("api:host-stay-list"), {"family": family.pk, "guest_kind": "visitor",
                                                    "guest_name": "John Roe", "first_night": "2026-03-05",
                                                    "last_night": "2026-03-05"}, format="json")
    backwards = api.patch(reverse("api:host-stay-detail", args=[pk]), {"last_night": "2026-02-01"}, format="json")
    shorter = api.patch(reverse("api:host-stay-detail", args=[pk]), {"last_night": "2026-03-04"}, format="json")
    no_reason = api.post(reverse("api:host-stay-cancel", args=[pk]), {"reason": ""}, format="json")
    cancelled = api.post(reverse("api:host-stay-cancel", args=[pk]), {"reason": "No llegó"}, format="json")

    assert "it is taken on some of those nights" in _errors(full)
    assert "cannot be before the first" in _errors(backwards)
    assert shorter.json()["amount_owed"] == "1000.00"
    assert no_reason.status_code == 400
    assert cancelled.status_code == 200 and cancelled.json()["amount_owed"] == "0.00"
    assert HostStay.objects.get(pk=pk).cancel_reason == "No llegó"


def test_payment_is_recorded_flagged_above_what_is_owed_and_corrected(api, coordinator, family):
    stay = services.host_family_stay_create(family=family, guest_kind="visitor", guest_name="Jane Doe",
                                            first_night=MAR_1, last_night=MAR_1 + timedelta(days=9), meals_per_day=2)

    created = api.post(reverse("api:host-payment-list"), {"family": family.pk, "amount": "3000", "paid_on":
                                                          "2026-03-11", "concept": "Marzo", "stays": [stay.pk]},
                       format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    corrected = api.patch(reverse("api:host-payment-detail", args=[pk]), {"amount": "2500", "stays": []},
                          format="json")
    nothing = api.patch(reverse("api:host-payment-detail", args=[pk]), {"amount": "0"}, format="json")

    assert (created.json()["excess"], created.json()["stays"]) == ("500.00", [stay.pk])
    assert (corrected.json()["excess"], corrected.json()["stays"]) == ("0.00", [])
    assert "must be more than zero" in _errors(nothing)
    labels = list(HostPaymentStay.pgh_event_model.objects.filter(payment_id=pk).order_by("pgh_id")
                  .values_list("pgh_label", "pgh_context__metadata__user"))
    assert labels == [("insert", coordinator.pk), ("delete", coordinator.pk)]


def test_payment_for_a_stay_of_another_family_is_refused(api, family, clinic_a):
    other = HostFamilyFactory(community=clinic_a.community)
    stay = services.host_family_stay_create(family=other, guest_kind="visitor", guest_name="Jane Doe",
                                            first_night=MAR_1, last_night=MAR_1)

    response = api.post(reverse("api:host-payment-list"), {"family": family.pk, "amount": "100",
                                                           "paid_on": "2026-03-11", "concept": "x",
                                                           "stays": [stay.pk]}, format="json")

    assert "belongs to another family" in _errors(response)


def test_host_families_are_not_for_a_pasante(api_client, pasante_a, family):
    log_in(api_client, pasante_a)

    assert api_client.get(reverse("api:host-family-list")).status_code == 403
    assert api_client.post(reverse("api:host-stay-list"), {}, format="json").status_code == 403


# --- Patients ------------------------------------------------------------------------------------------------


def test_patient_is_corrected_by_the_pasante_of_its_clinic(api_client, pasante_a, clinic_a):
    patient = PatientFactory(clinic=clinic_a, phone="")
    log_in(api_client, pasante_a)

    response = api_client.patch(reverse("api:patient-detail", args=[patient.pk]), {"phone": "961 222 3333"},
                                format="json")

    assert response.status_code == 200, response.content
    assert Patient.objects.get(pk=patient.pk).phone == "961 222 3333"


def test_patient_corrected_into_a_look_alike_answers_409_with_the_candidates(api, clinic_a):
    one = PatientFactory(clinic=clinic_a, given_names="María", family_names="Ruiz", birth_date=date(1990, 1, 1))
    other = PatientFactory(clinic=clinic_a, given_names="Mara", family_names="Ruiz", birth_date=date(1990, 1, 1))

    response = api.patch(reverse("api:patient-detail", args=[other.pk]), {"given_names": "Maria"}, format="json")

    assert response.status_code == 409
    assert [c["id"] for c in response.json()["candidates"]] == [one.pk]


def test_patients_are_merged_by_a_coordinator_not_by_a_pasante(api_client, coordinator, pasante_a, clinic_a):
    survivor, merged = PatientFactory(clinic=clinic_a), PatientFactory(clinic=clinic_a)
    log_in(api_client, pasante_a)
    assert api_client.post(reverse("api:patient-merge", args=[survivor.pk]), {"merged": merged.pk},
                           format="json").status_code == 403
    log_in(api_client, coordinator)

    itself = api_client.post(reverse("api:patient-merge", args=[survivor.pk]), {"merged": survivor.pk},
                             format="json")
    response = api_client.post(reverse("api:patient-merge", args=[survivor.pk]), {"merged": merged.pk},
                               format="json")

    assert "cannot be merged into itself" in _errors(itself)
    assert response.status_code == 200, response.content
    assert Patient.objects.get(pk=merged.pk).merged_into_id == survivor.pk


# --- Lists at two sizes ---------------------------------------------------------------------------------------


def _grow(clinic, n):
    for i in range(n):
        cohort = CohortFactory()
        StaffFactory(cadre=Cadre.PASANTE, cohort=cohort)
        family = HostFamilyFactory(community=clinic.community, rooms=5)
        stays = [services.host_family_stay_create(family=family, guest_kind="visitor", guest_name=f"G{i}{k}",
                                                  first_night=MAR_1, last_night=MAR_1 + timedelta(days=3))
                 for k in range(2)]
        services.host_family_payment_create(family=family, amount=Decimal("10"), paid_on=MAR_1, concept="x",
                                            stays=stays)


# The user with their roles (the session is read from Redis), the count, the page; payments their stays (one prefetch).
LIST_QUERIES = {"api:cohort-list": 3, "api:host-family-list": 3, "api:host-stay-list": 3,
                "api:host-payment-list": 4}


@pytest.mark.parametrize("url_name", list(LIST_QUERIES))
def test_list_runs_a_fixed_number_of_queries_at_two_sizes(api, clinic_a, url_name, django_assert_num_queries):
    url = reverse(url_name)
    counts = []
    for n in (2, 6):
        _grow(clinic_a, n)
        with django_assert_num_queries(LIST_QUERIES[url_name]):
            response = api.get(url)
        assert response.status_code == 200, response.content
        counts.append(response.json()["count"])
    assert counts[1] > counts[0] > 0
