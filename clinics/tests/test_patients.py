"""A patient's details corrected with the audit trail shown, two records of one person merged, and the
duplicate check that ignores accents and case: services and pages."""

from datetime import date, timedelta

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.urls import reverse
from django.utils import timezone, translation

from clinics import selectors, services
from clinics.models import Patient, PatientEvent
from clinics.tests.factories import ClinicFactory, PatientFactory
from tests.kit import LAYOUT_QUERIES, client_for

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
# Every page of the layout reads the user with their roles (tests.kit.LAYOUT_QUERIES).


def text(response) -> str:
    return response.content.decode()


def _details(patient, **changes) -> dict:
    data = {"given_names": patient.given_names, "family_names": patient.family_names, "sex": patient.sex,
            "birth_date": patient.birth_date.strftime("%d/%m/%Y"), "curp": patient.curp, "phone": patient.phone}
    return {**data, **changes}


def _edit(user, patient, **changes):
    return client_for(user).post(reverse("clinics:patient-edit", args=[patient.pk]), _details(patient, **changes))


# --- Edit ----------------------------------------------------------------------------------------------------


def test_pasante_corrects_a_patients_phone(pasante_a, clinic_a):
    patient = PatientFactory(clinic=clinic_a, phone="961 000 0000")

    response = _edit(pasante_a, patient, phone=" 961 111 2222 ")

    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.phone == "961 111 2222"


def test_supervisor_of_the_clinic_edits_a_patient(supervisor, clinic_a):
    patient = PatientFactory(clinic=clinic_a, given_names="Ana")

    assert _edit(supervisor, patient, given_names="Ana Luisa").status_code == 302
    patient.refresh_from_db()
    assert patient.given_names == "Ana Luisa"


def test_pasante_cannot_edit_a_patient_of_another_clinic(pasante_b, clinic_a):
    patient = PatientFactory(clinic=clinic_a, phone="961 000 0000")

    assert _edit(pasante_b, patient, phone="1").status_code == 404
    patient.refresh_from_db()
    assert patient.phone == "961 000 0000"


def test_chw_reads_but_does_not_edit_a_patient(chw, clinic_a):
    patient = PatientFactory(clinic=clinic_a, phone="961 000 0000")

    assert _edit(chw, patient, phone="1").status_code == 403
    assert 'data-testid="patient-edit-link"' not in text(
        client_for(chw).get(reverse("clinics:patient-detail", args=[patient.pk])))
    patient.refresh_from_db()
    assert patient.phone == "961 000 0000"


def test_a_birth_date_in_the_future_is_refused_with_a_message_and_nothing_changes(pasante_a, clinic_a):
    patient = PatientFactory(clinic=clinic_a, birth_date=date(1980, 1, 1))

    response = client_for(pasante_a, language="es").post(
        reverse("clinics:patient-edit", args=[patient.pk]),
        _details(patient, birth_date=(TODAY + timedelta(days=3)).strftime("%d/%m/%Y")))

    assert response.status_code == 200
    assert "La fecha de nacimiento no puede ser posterior a hoy." in text(response)
    patient.refresh_from_db()
    assert patient.birth_date == date(1980, 1, 1)


def test_a_curp_of_another_patient_is_refused(pasante_a, clinic_a):
    PatientFactory(clinic=clinic_a, curp="GOMA850312MCSNRR09")
    patient = PatientFactory(clinic=clinic_a)

    response = _edit(pasante_a, patient, curp="goma850312mcsnrr09")

    assert response.status_code == 200
    assert "A patient with this CURP is already registered." in text(response)
    patient.refresh_from_db()
    assert patient.curp == ""


def test_an_edit_that_makes_a_duplicate_needs_confirmation(pasante_a, clinic_a):
    PatientFactory(clinic=clinic_a, given_names="José", family_names="Gómez", birth_date=date(1990, 4, 1))
    patient = PatientFactory(clinic=clinic_a, given_names="Josue", family_names="Gomez", birth_date=date(1990, 4, 1))

    response = _edit(pasante_a, patient, given_names="JOSE")
    assert response.status_code == 200
    assert 'data-testid="duplicate-candidates"' in text(response)
    patient.refresh_from_db()
    assert patient.given_names == "Josue"

    assert _edit(pasante_a, patient, given_names="JOSE", confirm_not_duplicate="on").status_code == 302
    patient.refresh_from_db()
    assert (patient.given_names, patient.duplicate_reviewed) == ("JOSE", True)


def test_a_merged_record_cannot_be_edited(coordinator, clinic_a):
    survivor, merged = PatientFactory(clinic=clinic_a), PatientFactory(clinic=clinic_a)
    services.patient_merge(survivor=survivor, merged=merged, by=coordinator)

    with pytest.raises(ValidationError):
        services.patient_update(patient=merged, **{**_details(merged), "birth_date": merged.birth_date},
                                by=coordinator)
    assert _edit(coordinator, merged).status_code == 404


# --- The audit trail -----------------------------------------------------------------------------------------


def test_the_patient_page_shows_who_changed_what_from_what_to_what(pasante_a, supervisor, clinic_a):
    patient = PatientFactory(clinic=clinic_a, phone="961 000 0000", family_names="Pérez")
    _edit(pasante_a, patient, phone="961 111 2222")
    _edit(supervisor, patient, family_names="Pérez López", phone="961 111 2222")

    body = text(client_for(supervisor, language="es").get(reverse("clinics:patient-detail", args=[patient.pk])))

    trail = body.split('data-testid="patient-trail"')[1]
    entries = trail.split('data-testid="trail-entry"')[1:]
    assert len(entries) == 3  # newest first: the supervisor's, the pasante's, the registration
    assert supervisor.full_name in entries[0] and "apellidos: «Pérez» → «Pérez López»" in entries[0]
    assert "961" not in entries[0]  # the phone did not change the second time
    assert pasante_a.full_name in entries[1] and "teléfono: «961 000 0000» → «961 111 2222»" in entries[1]
    assert "registrado" in entries[2]


def test_the_trail_names_the_person_of_a_service_call_outside_a_request(coordinator, clinic_a):
    patient = PatientFactory(clinic=clinic_a, sex=Patient.Sex.FEMALE)

    services.patient_update(patient=patient, **{**_details(patient, sex="M"), "birth_date": patient.birth_date},
                            by=coordinator)

    with translation.override("en"):
        latest = selectors.patient_trail(patient)[0]
        changes = [(str(label), old, new) for label, old, new in latest["changes"]]
    assert latest["by"] == coordinator
    assert changes == [("sex", "Female", "Male")]


@pytest.mark.parametrize("size", [3, 30])
def test_patient_page_query_count_is_fixed_with_a_long_history(coordinator, clinic_a, django_assert_num_queries,
                                                                size):
    patient = PatientFactory(clinic=clinic_a)
    for n in range(size):
        services.patient_update(patient=patient, **{**_details(patient, phone=f"961 {n:03d} 0000"),
                                                    "birth_date": patient.birth_date}, by=coordinator)
    other = PatientFactory(clinic=clinic_a)
    services.patient_merge(survivor=patient, merged=other, by=coordinator)
    client = client_for(coordinator)
    # patient with clinic, community and survivor; its events; then the users, clinics and communities the
    # events name (and the records it was merged into, for a merged record's history)
    with django_assert_num_queries(LAYOUT_QUERIES + 5):
        response = client.get(reverse("clinics:patient-detail", args=[patient.pk]))
    assert response.status_code == 200
    assert text(response).count('data-testid="trail-entry"') == size + 2  # the registration and the merge


def test_the_survivors_trail_says_which_record_was_merged_into_it_and_when(coordinator, clinic_a):
    survivor = PatientFactory(clinic=clinic_a, given_names="José", family_names="Pérez", curp="", phone="")
    merged = PatientFactory(clinic=clinic_a, given_names="Jose", family_names="Perez", curp="GOMA850312MCSNRR09",
                            phone="961 222 3333")
    services.patient_update(patient=survivor, **{**_details(survivor, family_names="Pérez Ruiz"),
                                                 "birth_date": survivor.birth_date}, by=coordinator)

    services.patient_merge(survivor=survivor, merged=merged, by=coordinator)

    with translation.override("en"):
        trail = selectors.patient_trail(survivor)
        merge = trail[0]
        took = [(str(label), old, new) for label, old, new in merge["changes"]]
    assert [entry["label"] for entry in trail] == ["merge", "update", "insert"]
    assert (merge["merged_name"], merge["merged_pk"], merge["by"]) == ("Jose Perez", merged.pk, coordinator)
    assert took == [("CURP", "—", "GOMA850312MCSNRR09"), ("phone", "—", "961 222 3333")]
    body = text(client_for(coordinator, language="es").get(reverse("clinics:patient-detail", args=[survivor.pk])))
    first = body.split('data-testid="patient-trail"')[1].split('data-testid="trail-entry"')[1]
    assert f"se le unió el registro de Jose Perez (n.º {merged.pk})" in first
    assert coordinator.full_name in first


def test_the_merged_records_trail_is_unchanged_by_the_merge_entry(coordinator, clinic_a):
    survivor, merged = PatientFactory(clinic=clinic_a), PatientFactory(clinic=clinic_a)

    services.patient_merge(survivor=survivor, merged=merged, by=coordinator)

    assert [entry["label"] for entry in selectors.patient_trail(merged)] == ["update", "insert"]


# --- Merge ---------------------------------------------------------------------------------------------------


@pytest.fixture
def patient_note(db):
    """A model of a later app that points at Patient (as chw's and referrals' rows will), made for the test:
    its table lives in the test's transaction, and the model leaves the registry afterwards."""

    class PatientNote(models.Model):
        patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
        seen_by = models.ForeignKey(Patient, on_delete=models.PROTECT, null=True, related_name="merge_test_notes")
        text = models.CharField(max_length=50)

        class Meta:
            app_label = "clinics"

        def __str__(self):
            return self.text

    with connection.schema_editor() as editor:
        editor.create_model(PatientNote)
    yield PatientNote
    del apps.all_models["clinics"]["patientnote"]
    apps.clear_cache()
    del Patient.merge_test_notes


def test_merge_moves_every_row_that_points_at_the_merged_record(coordinator, clinic_a, patient_note):
    survivor = PatientFactory(clinic=clinic_a, given_names="José")
    merged = PatientFactory(clinic=clinic_a, given_names="Jose")
    bystander = PatientFactory(clinic=clinic_a)
    patient_note.objects.create(patient=merged, seen_by=merged, text="de la duplicada")
    patient_note.objects.create(patient=survivor, text="de la que queda")
    patient_note.objects.create(patient=bystander, seen_by=merged, text="de otra")

    services.patient_merge(survivor=survivor, merged=merged, by=coordinator)

    notes = {n.text: (n.patient_id, n.seen_by_id) for n in patient_note.objects.all()}
    assert notes == {"de la duplicada": (survivor.pk, survivor.pk), "de la que queda": (survivor.pk, None),
                     "de otra": (bystander.pk, survivor.pk)}
    merged.refresh_from_db()
    assert merged.merged_into == survivor


def test_merge_keeps_both_records_and_both_histories(coordinator, clinic_a):
    survivor = PatientFactory(clinic=clinic_a, curp="")
    merged = PatientFactory(clinic=clinic_a, curp="GOMA850312MCSNRR09", phone="961 222 3333")
    before = {p.pk: PatientEvent.objects.filter(pgh_obj=p).count() for p in (survivor, merged)}

    services.patient_merge(survivor=survivor, merged=merged, by=coordinator)

    assert Patient.objects.filter(pk__in=[survivor.pk, merged.pk]).count() == 2
    merged_events = list(PatientEvent.objects.filter(pgh_obj=merged).order_by("pgh_id"))
    assert len(merged_events) == before[merged.pk] + 1
    assert merged_events[-1].merged_into_id == survivor.pk and merged_events[0].curp == "GOMA850312MCSNRR09"
    assert PatientEvent.objects.filter(pgh_obj=survivor).count() == before[survivor.pk] + 1
    survivor.refresh_from_db()
    assert (survivor.curp, survivor.phone) == ("GOMA850312MCSNRR09", "961 222 3333")
    assert selectors.patient_trail(merged)[0]["by"] == coordinator


def test_a_merged_record_leaves_lists_and_duplicate_checks(coordinator, clinic_a):
    survivor = PatientFactory(clinic=clinic_a, given_names="María", family_names="Ruiz", birth_date=date(1990, 1, 1))
    merged = PatientFactory(clinic=clinic_a, given_names="Maria", family_names="Ruiz", birth_date=date(1990, 1, 1),
                            duplicate_reviewed=True)

    services.patient_merge(survivor=survivor, merged=merged, by=coordinator)

    assert list(selectors.patient_list(coordinator)) == [survivor]
    duplicates = selectors.patient_possible_duplicates(community=clinic_a.community, given_names="maria",
                                                       family_names="ruiz", birth_date=date(1990, 1, 1))
    assert list(duplicates) == [survivor]


def test_a_merged_records_page_leads_to_the_survivor_with_a_note(coordinator, clinic_a):
    survivor, merged = PatientFactory(clinic=clinic_a), PatientFactory(clinic=clinic_a)
    services.patient_merge(survivor=survivor, merged=merged, by=coordinator)
    client = client_for(coordinator)

    response = client.get(reverse("clinics:patient-detail", args=[merged.pk]), follow=True)

    assert response.redirect_chain == [(survivor.get_absolute_url(), 302)]
    assert "was merged into this record" in text(response)


def test_a_merged_record_whose_survivor_is_out_of_reach_says_so(coordinator, pasante_a, clinic_a):
    survivor = PatientFactory(clinic=ClinicFactory())
    merged = PatientFactory(clinic=clinic_a)
    services.patient_merge(survivor=survivor, merged=merged, by=coordinator)

    response = client_for(pasante_a).get(reverse("clinics:patient-detail", args=[merged.pk]))

    assert response.status_code == 200
    assert 'data-testid="merged-note"' in text(response)
    assert 'data-testid="patient-edit-link"' not in text(response)


@pytest.mark.parametrize("case", ["itself", "already merged", "into a merged record", "different CURPs",
                                  "different sex"])
def test_refused_merges_change_nothing(coordinator, clinic_a, case, patient_note):
    survivor = PatientFactory(clinic=clinic_a, curp="GOMA850312MCSNRR09")
    merged = PatientFactory(clinic=clinic_a)
    patient_note.objects.create(patient=merged, text="x")
    if case == "itself":
        merged = survivor
    elif case == "already merged":
        services.patient_merge(survivor=PatientFactory(clinic=clinic_a), merged=merged, by=coordinator)
    elif case == "into a merged record":
        services.patient_merge(survivor=PatientFactory(clinic=clinic_a), merged=survivor, by=coordinator)
    elif case == "different CURPs":
        Patient.objects.filter(pk=merged.pk).update(curp="GOMA850312HCSNRR01")
    else:
        Patient.objects.filter(pk=merged.pk).update(sex=Patient.Sex.MALE)
    notes_before = list(patient_note.objects.values_list("patient_id", flat=True))
    state_before = list(Patient.objects.order_by("pk").values_list("pk", "merged_into_id", "curp"))

    with pytest.raises(ValidationError):
        services.patient_merge(survivor=survivor, merged=merged, by=coordinator)

    assert list(patient_note.objects.values_list("patient_id", flat=True)) == notes_before
    assert list(Patient.objects.order_by("pk").values_list("pk", "merged_into_id", "curp")) == state_before


def test_the_merge_twin_succeeds_on_the_same_setup(coordinator, clinic_a, patient_note):
    survivor = PatientFactory(clinic=clinic_a, curp="GOMA850312MCSNRR09")
    merged = PatientFactory(clinic=clinic_a)
    patient_note.objects.create(patient=merged, text="x")

    services.patient_merge(survivor=survivor, merged=merged, by=coordinator)

    assert list(patient_note.objects.values_list("patient_id", flat=True)) == [survivor.pk]


def test_records_merged_into_the_merged_one_follow_to_the_survivor(coordinator, clinic_a):
    first, middle, last = (PatientFactory(clinic=clinic_a) for _ in range(3))
    services.patient_merge(survivor=middle, merged=first, by=coordinator)

    services.patient_merge(survivor=last, merged=middle, by=coordinator)

    first.refresh_from_db()
    assert first.merged_into == last


def test_coordinator_merges_from_the_confirmation_page(coordinator, clinic_a):
    survivor = PatientFactory(clinic=clinic_a, given_names="José", family_names="Gómez", birth_date=date(1990, 4, 1))
    merged = PatientFactory(clinic=clinic_a, given_names="JOSE", family_names="gomez", birth_date=date(1990, 4, 1),
                            duplicate_reviewed=True)
    client = client_for(coordinator, language="es")

    pick = text(client.get(reverse("clinics:patient-merge-pick", args=[survivor.pk])))
    confirm_url = reverse("clinics:patient-merge", args=[survivor.pk, merged.pk])
    assert confirm_url in pick  # offered without a search: same name and birth date, accents ignored
    confirm = text(client.get(confirm_url))
    assert 'data-testid="merge-survivor"' in confirm and 'data-testid="merge-merged"' in confirm
    assert reverse("clinics:patient-merge", args=[merged.pk, survivor.pk]) in confirm  # keep the other instead
    assert Patient.objects.filter(merged_into__isnull=False).count() == 0  # the GET writes nothing

    response = client.post(confirm_url)

    assert response.status_code == 302 and response["Location"] == survivor.get_absolute_url()
    merged.refresh_from_db()
    assert merged.merged_into == survivor


def test_a_refused_merge_is_explained_on_the_confirmation_page(coordinator, clinic_a):
    survivor = PatientFactory(clinic=clinic_a, sex=Patient.Sex.FEMALE)
    merged = PatientFactory(clinic=clinic_a, sex=Patient.Sex.MALE)

    response = client_for(coordinator, language="es").post(
        reverse("clinics:patient-merge", args=[survivor.pk, merged.pk]), follow=True)

    assert response.status_code == 200
    assert "Un registro es de una mujer y el otro de un hombre" in text(response)
    merged.refresh_from_db()
    assert merged.merged_into is None


def test_the_merge_search_finds_the_other_record_by_name(coordinator, clinic_a):
    patient = PatientFactory(clinic=clinic_a, given_names="Rosa", family_names="Díaz")
    other = PatientFactory(clinic=clinic_a, given_names="Rosa María", family_names="Diaz", birth_date=date(1971, 1, 1))

    body = text(client_for(coordinator).get(reverse("clinics:patient-merge-pick", args=[patient.pk]), {"q": "diaz"}))

    assert reverse("clinics:patient-merge", args=[patient.pk, other.pk]) in body


def test_pasante_may_not_merge(pasante_a, clinic_a):
    survivor, merged = PatientFactory(clinic=clinic_a), PatientFactory(clinic=clinic_a)

    url = reverse("clinics:patient-merge", args=[survivor.pk, merged.pk])
    assert client_for(pasante_a).post(url).status_code == 403
    merged.refresh_from_db()
    assert merged.merged_into is None


@pytest.mark.parametrize("size", [3, 30])
def test_merge_post_query_count_is_fixed(coordinator, clinic_a, django_assert_num_queries, size, patient_note):
    survivor, merged = PatientFactory(clinic=clinic_a), PatientFactory(clinic=clinic_a)
    patient_note.objects.bulk_create([patient_note(patient=merged, text="x") for _ in range(size)])
    client = client_for(coordinator)
    # MERGE_QUERIES: both records, the two rows locked, one UPDATE per foreign key to Patient, the merged
    # record's save (validation included), the audit context and the savepoints around each write
    with django_assert_num_queries(LAYOUT_QUERIES + MERGE_QUERIES):
        response = client.post(reverse("clinics:patient-merge", args=[survivor.pk, merged.pk]))
    assert response.status_code == 302
    assert patient_note.objects.filter(patient=survivor).count() == size


MERGE_QUERIES = 23


# --- Duplicates ignore accents and case ----------------------------------------------------------------------


@pytest.mark.parametrize(("registered", "typed"), [
    (("José", "Gómez"), ("Jose", "Gomez")),
    (("MARÍA", "NÚÑEZ"), ("maria", "nunez")),
    (("María José", "Pérez"), (" maria  JOSE ", "PEREZ")),
])
def test_duplicate_check_ignores_accents_and_case(clinic_a, registered, typed):
    PatientFactory(clinic=clinic_a, given_names=registered[0], family_names=registered[1],
                   birth_date=date(1985, 3, 12))

    with pytest.raises(services.PossibleDuplicate):
        services.patient_create(clinic=clinic_a, community=clinic_a.community, given_names=typed[0],
                                family_names=typed[1], sex="F", birth_date=date(1985, 3, 12))


def test_duplicate_check_still_tells_different_names_and_dates_apart(clinic_a):
    PatientFactory(clinic=clinic_a, given_names="José", family_names="Gómez", birth_date=date(1985, 3, 12))

    services.patient_create(clinic=clinic_a, community=clinic_a.community, given_names="Josué",
                            family_names="Gómez", sex="F", birth_date=date(1985, 3, 12))
    services.patient_create(clinic=clinic_a, community=clinic_a.community, given_names="Jose",
                            family_names="Gomez", sex="F", birth_date=date(1985, 3, 13))

    assert Patient.objects.count() == 3


def test_patient_search_ignores_accents(pasante_a, clinic_a):
    PatientFactory(clinic=clinic_a, given_names="José", family_names="Núñez")

    assert [p.given_names for p in selectors.patient_list(pasante_a, search="jose nunez")] == ["José"]


def test_correcting_only_the_phone_of_a_record_with_a_look_alike_needs_no_confirmation(pasante_a, clinic_a):
    PatientFactory(clinic=clinic_a, given_names="José", family_names="Gómez", birth_date=date(1990, 4, 1))
    patient = PatientFactory(clinic=clinic_a, given_names="JOSE", family_names="GOMEZ", birth_date=date(1990, 4, 1),
                             duplicate_reviewed=True)

    assert _edit(pasante_a, patient, phone="961 123 4567", given_names="JOSÉ").status_code == 302
    patient.refresh_from_db()
    assert (patient.given_names, patient.phone) == ("JOSÉ", "961 123 4567")


@pytest.mark.parametrize("size", [3, 30])
def test_edit_post_query_count_is_fixed(pasante_a, clinic_a, django_assert_num_queries, size):
    PatientFactory.create_batch(size, clinic=clinic_a, given_names="Rosa", family_names="Díaz",
                                duplicate_reviewed=True)
    patient = PatientFactory(clinic=clinic_a, given_names="Rosa", family_names="Diaz")
    client = client_for(pasante_a)
    # EDIT_QUERIES: the patient in reach, the row locked, full_clean (clinic, community, CURP), the lock of the
    # name, the community, the look-alikes, full_clean again and the save (validate_and_save), each write with
    # its audit context
    with django_assert_num_queries(LAYOUT_QUERIES + EDIT_QUERIES):
        response = client.post(reverse("clinics:patient-edit", args=[patient.pk]),
                               _details(patient, given_names="Rosa Elena", confirm_not_duplicate="on"))
    assert response.status_code == 302


EDIT_QUERIES = 20


@pytest.mark.parametrize("size", [3, 30])
def test_merge_pick_query_count_is_fixed(coordinator, clinic_a, django_assert_num_queries, size):
    patient = PatientFactory(clinic=clinic_a, given_names="Rosa", family_names="Díaz")
    PatientFactory.create_batch(size, clinic=clinic_a, given_names="Rosa", family_names="Diaz",
                                birth_date=patient.birth_date, duplicate_reviewed=True)
    PatientFactory.create_batch(size, clinic=clinic_a, given_names="Rosa María", family_names="Díaz")
    client = client_for(coordinator)
    # the patient, the likely ones (clinic included), the search
    with django_assert_num_queries(LAYOUT_QUERIES + 3):
        response = client.get(reverse("clinics:patient-merge-pick", args=[patient.pk]), {"q": "rosa"})
    assert text(response).count('data-testid="merge-candidate"') == min(2 * size, 20)
