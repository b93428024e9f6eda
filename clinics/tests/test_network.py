"""Communities, clinics, cohorts and their placement, supervision overdue (issue 10, network part): the
services and their refusals, the pages as each persona sees them, and the query counts pinned at two sizes."""

from datetime import date, timedelta

import pghistory.models
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from clinics import selectors, services
from clinics.models import Assignment, AssignmentEvent, Cadre, Clinic, Community, SupervisionSettings
from clinics.tests.factories import (
    AssignmentFactory,
    ClinicFactory,
    CohortFactory,
    CommunityFactory,
    StaffFactory,
    SupervisionVisitFactory,
)
from tests.kit import LAYOUT_QUERIES, client_for

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def text(response) -> str:
    return response.content.decode()


def dmy(day: date) -> str:
    return day.strftime("%d/%m/%Y")


COMMUNITY = {"name": "Nueva Esperanza", "municipality": "La Concordia", "travel_minutes": 150,
             "road_notes": "Terracería después del puente.", "latitude": None, "longitude": None,
             "accepts_visitors": True, "visitors_agreed_on": date(2025, 3, 8),
             "visitors_agreement_kind": Community.Agreement.ASSEMBLY_MINUTES,
             "visitors_agreement": "Acta de asamblea ejidal", "visitor_capacity": 4}


# --- Communities ---------------------------------------------------------------------------------------------


def test_community_create_saves_every_field_and_its_history():
    community = services.community_create(**COMMUNITY)

    community.refresh_from_db()
    assert community.visitor_capacity == 4
    assert community.visitors_agreement_kind == "assembly_minutes"
    assert pghistory.models.Events.objects.references(community).count() == 1


def test_community_accepting_visitors_must_say_how_it_agreed():
    with pytest.raises(ValidationError) as exc:
        services.community_create(**{**COMMUNITY, "visitors_agreement_kind": ""})

    assert "visitors_agreement_kind" in exc.value.message_dict
    assert not Community.objects.exists()


def test_community_agreement_cannot_be_in_the_future():
    with pytest.raises(ValidationError) as exc:
        services.community_create(**{**COMMUNITY, "visitors_agreed_on": TODAY + timedelta(days=1)})

    assert "visitors_agreed_on" in exc.value.message_dict


def test_community_update_keeps_the_earlier_values_in_the_history():
    community = services.community_create(**COMMUNITY)

    services.community_update(community=community, accepts_visitors=False)

    community.refresh_from_db()
    assert not community.accepts_visitors
    assert community.visitor_capacity is None  # no capacity counted on where no visitor goes
    assert pghistory.models.Events.objects.references(community).count() == 2


def test_coordinator_creates_a_community_from_the_page(coordinator):
    data = {**COMMUNITY, "latitude": "15.912300", "longitude": "-92.735100", "visitors_agreed_on": "08/03/2025",
            "accepts_visitors": "on"}

    response = client_for(coordinator).post(reverse("clinics:community-create"), data)

    assert response.status_code == 302
    assert str(Community.objects.get(name="Nueva Esperanza").latitude) == "15.912300"


def test_community_page_with_bad_input_says_why_and_writes_nothing(coordinator):
    data = {**COMMUNITY, "latitude": "", "longitude": "", "visitors_agreed_on": "", "accepts_visitors": "on"}

    response = client_for(coordinator).post(reverse("clinics:community-create"), data)

    assert response.status_code == 200
    assert "Say when the community agreed to receive visitors." in text(response)
    assert not Community.objects.filter(name="Nueva Esperanza").exists()


def test_community_page_refuses_coordinates_off_the_globe(coordinator):
    data = {**COMMUNITY, "latitude": "200", "longitude": "", "visitors_agreed_on": "08/03/2025",
            "accepts_visitors": "on"}

    response = client_for(coordinator).post(reverse("clinics:community-create"), data)

    assert response.status_code == 200
    assert 'class="field has-error"' in text(response)
    assert not Community.objects.filter(name="Nueva Esperanza").exists()


def test_pasante_cannot_edit_a_community(pasante_a, clinic_a):
    response = client_for(pasante_a).post(reverse("clinics:community-edit", args=[clinic_a.community.pk]),
                                          {**COMMUNITY, "latitude": "", "longitude": "", "accepts_visitors": ""})

    assert response.status_code == 403
    clinic_a.community.refresh_from_db()
    assert clinic_a.community.name == "Capitán"


@pytest.mark.parametrize("size", [3, 30])
def test_community_list_query_count_is_fixed(coordinator, django_assert_num_queries, size):
    for _ in range(size):
        ClinicFactory()
    client = client_for(coordinator)
    # count, page with clinic counts
    with django_assert_num_queries(LAYOUT_QUERIES + 2):
        response = client.get(reverse("clinics:community-list"))
    assert text(response).count('data-testid="community-row"') == min(size, 25)


# --- Clinics -------------------------------------------------------------------------------------------------


def test_clinic_create_checks_the_clues_format():
    community = CommunityFactory()

    with pytest.raises(ValidationError) as exc:
        services.clinic_create(community=community, name="Clínica Nueva", kind=Clinic.Kind.RURAL_CLINIC,
                               moh_code="CS-123")

    assert "5 capital letters and 6 digits" in exc.value.message_dict["moh_code"][0]
    assert not Clinic.objects.filter(name="Clínica Nueva").exists()


def test_clinic_create_refuses_a_clinic_code_already_used():
    ClinicFactory(moh_code="CSSSA019201")

    with pytest.raises(ValidationError) as exc:
        services.clinic_create(community=CommunityFactory(), name="Clínica Nueva", kind=Clinic.Kind.RURAL_CLINIC,
                               moh_code=" csssa019201 ")

    assert "This CLUES code is already used by another clinic." in exc.value.messages
    assert not Clinic.objects.filter(name="Clínica Nueva").exists()


def test_clinic_create_normalises_the_code_and_records_the_history():
    clinic = services.clinic_create(community=CommunityFactory(), name="  Clínica   Nueva ",
                                    kind=Clinic.Kind.RURAL_CLINIC, moh_code="csssa019299")

    assert (clinic.name, clinic.moh_code, clinic.active) == ("Clínica Nueva", "CSSSA019299", True)
    assert pghistory.models.Events.objects.references(clinic).count() == 1


def test_coordinator_sees_a_clinic_code_already_used_on_the_form(coordinator, clinic_a):
    ClinicFactory(moh_code="CSSSA019201")
    data = {"community": clinic_a.community.pk, "name": "Clínica Nueva", "kind": "rural_clinic",
            "moh_code": "CSSSA019201"}

    response = client_for(coordinator).post(reverse("clinics:clinic-create"), data)

    assert response.status_code == 200
    assert "This CLUES code is already used by another clinic." in text(response)
    assert not Clinic.objects.filter(name="Clínica Nueva").exists()


def test_coordinator_edits_a_clinic(coordinator, clinic_a):
    data = {"community": clinic_a.community.pk, "name": "Clínica Capitán Vidal", "kind": "hospital",
            "moh_code": "CSSSA019277"}

    response = client_for(coordinator).post(reverse("clinics:clinic-edit", args=[clinic_a.pk]), data)

    assert response.status_code == 302
    clinic_a.refresh_from_db()
    assert (clinic_a.name, clinic_a.kind, clinic_a.moh_code) == ("Clínica Capitán Vidal", "hospital", "CSSSA019277")


def test_clinic_with_current_posts_cannot_be_deactivated(clinic_a, pasante_a):
    with pytest.raises(ValidationError) as exc:
        services.clinic_deactivate(clinic=clinic_a)

    assert "end or move it first" in exc.value.messages[0]
    clinic_a.refresh_from_db()
    assert clinic_a.active


def test_deactivated_clinic_leaves_coverage_and_pickers_and_keeps_its_history(coordinator, clinic_a):
    old = AssignmentFactory(clinic=clinic_a, start_date=TODAY - timedelta(days=300), end_date=TODAY - timedelta(days=1))

    response = client_for(coordinator).post(reverse("clinics:clinic-deactivate", args=[clinic_a.pk]))

    assert response.status_code == 302
    clinic_a.refresh_from_db()
    assert not clinic_a.active
    assert Assignment.objects.filter(pk=old.pk).exists()
    assert not [c for c in selectors.clinic_list(coordinator) if c.pk == clinic_a.pk][0].gaps
    picker = client_for(coordinator).get(reverse("clinics:assignment-create"))
    assert f'value="{clinic_a.pk}"' not in text(picker)
    detail = client_for(coordinator).get(clinic_a.get_absolute_url())
    assert detail.status_code == 200 and 'data-testid="clinic-reactivate"' in text(detail)


def test_deactivating_twice_is_refused_and_reactivating_brings_it_back(clinic_a):
    services.clinic_deactivate(clinic=clinic_a)
    with pytest.raises(ValidationError):
        services.clinic_deactivate(clinic=clinic_a)

    services.clinic_reactivate(clinic=clinic_a)

    clinic_a.refresh_from_db()
    assert clinic_a.active


def test_pasante_cannot_deactivate_their_clinic(pasante_a, clinic_a):
    response = client_for(pasante_a).post(reverse("clinics:clinic-deactivate", args=[clinic_a.pk]))

    assert response.status_code == 403
    clinic_a.refresh_from_db()
    assert clinic_a.active


# --- Cohorts ------------------------------------------------------------------------------------------------


def test_coordinator_creates_the_next_cohort(coordinator):
    response = client_for(coordinator).post(reverse("clinics:cohort-create"), {
        "name": "Promoción 2027–2028", "start_date": "01/02/2027", "end_date": "31/01/2028"})

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/promociones/{CohortFactory._meta.model.objects.get().pk}/")


def test_cohort_ending_before_it_starts_is_refused(coordinator):
    response = client_for(coordinator).post(reverse("clinics:cohort-create"), {
        "name": "Promoción 2027–2028", "start_date": "01/02/2027", "end_date": "31/01/2027"})

    assert response.status_code == 200
    assert "The cohort must end after it starts." in text(response)
    assert not CohortFactory._meta.model.objects.exists()


def test_cohort_service_refuses_an_end_before_the_start():
    with pytest.raises(ValidationError) as exc:
        services.cohort_create(name="Promoción X", start_date=date(2027, 2, 1), end_date=date(2027, 1, 1))

    assert "The cohort must end after it starts." in exc.value.messages


@pytest.fixture
def next_cohort(db):
    return CohortFactory(name="Promoción próxima", start_date=TODAY + timedelta(days=60),
                         end_date=TODAY + timedelta(days=424))


def _rural_clinics(n):
    return [ClinicFactory(name=f"Clínica Rural {i:02d}") for i in range(n)]


def _pasantes(cohort, n):
    return [StaffFactory(full_name=f"Pasante {i:02d}", cadre=Cadre.PASANTE, cohort=cohort) for i in range(n)]


def _choices(clinics, pasantes):
    return {f"clinic-{c.pk}": str(p.pk) for c, p in zip(clinics, pasantes, strict=True)}


def test_placement_page_lists_every_gap_and_the_unplaced(coordinator, next_cohort):
    clinics = _rural_clinics(2)
    covered = ClinicFactory(name="Clínica Cubierta")
    AssignmentFactory(clinic=covered, start_date=TODAY, end_date=next_cohort.end_date + timedelta(days=1))
    ClinicFactory(name="Clínica Cerrada", active=False)
    _pasantes(next_cohort, 3)

    body = text(client_for(coordinator).get(reverse("clinics:cohort-placement", args=[next_cohort.pk])))

    assert body.count('data-testid="placement-gap"') == 2
    assert body.count('data-testid="placement-covered"') == 1
    assert "Clínica Cerrada" not in body
    assert "3 pasantes still unplaced" in body
    assert f'name="clinic-{clinics[0].pk}"' in body


def test_cohort_page_says_how_many_are_still_unplaced(coordinator, next_cohort):
    [clinic] = _rural_clinics(1)
    pasantes = _pasantes(next_cohort, 3)
    services.cohort_place(cohort=next_cohort, choices={clinic.pk: pasantes[0].pk})

    body = text(client_for(coordinator).get(next_cohort.get_absolute_url()))

    assert "2 pasantes still unplaced" in body.split('data-testid="cohort-unplaced"')[1].split("</p>")[0]


def test_placing_the_whole_cohort_saves_every_row(coordinator, next_cohort):
    clinics = _rural_clinics(3)
    pasantes = _pasantes(next_cohort, 3)

    response = client_for(coordinator).post(reverse("clinics:cohort-placement", args=[next_cohort.pk]),
                                            _choices(clinics, pasantes))

    assert response.status_code == 302
    posts = Assignment.objects.filter(staff__cohort=next_cohort)
    assert posts.count() == 3
    assert {(a.start_date, a.end_date) for a in posts} == {(next_cohort.start_date, next_cohort.end_date)}
    assert not selectors.cohort_placement(next_cohort).unplaced


def test_placement_fills_the_gap_a_leaving_pasante_opens(coordinator, next_cohort):
    clinic = ClinicFactory()
    AssignmentFactory(clinic=clinic, start_date=TODAY - timedelta(days=200), end_date=TODAY + timedelta(days=90))
    pasante = _pasantes(next_cohort, 1)[0]

    services.cohort_place(cohort=next_cohort, choices={clinic.pk: pasante.pk})

    post = Assignment.objects.get(staff=pasante)
    assert (post.start_date, post.end_date) == (TODAY + timedelta(days=91), next_cohort.end_date)


def test_one_refused_row_saves_none_and_says_why_beside_it(coordinator, next_cohort):
    clinics = _rural_clinics(3)
    pasantes = _pasantes(next_cohort, 3)
    client = client_for(coordinator)
    page = client.get(reverse("clinics:cohort-placement", args=[next_cohort.pk]))
    assert f'value="{pasantes[2].pk}"' in text(page)
    # The third pasante is given a post in the cohort's year after the page was drawn.
    other = ClinicFactory(name="Clínica Lejana", kind=Clinic.Kind.HOSPITAL)
    AssignmentFactory(staff=pasantes[2], clinic=other, start_date=next_cohort.start_date, end_date=None)

    response = client.post(reverse("clinics:cohort-placement", args=[next_cohort.pk]), _choices(clinics, pasantes))

    assert response.status_code == 200
    body = text(response)
    assert "1 row could not be placed, so nothing was saved." in body
    row = body.split(f'data-clinic="{clinics[2].pk}"')[1].split("</li>")[0]
    assert f"Pasante 02 is already at Clínica Lejana from {dmy(next_cohort.start_date)}, with no end date." in row
    assert not Assignment.objects.filter(clinic__in=clinics).exists()
    # The other rows keep their choices.
    first = body.split(f'data-clinic="{clinics[0].pk}"')[1].split("</li>")[0]
    assert f'value="{pasantes[0].pk}" selected' in first


def test_service_refusal_of_one_row_rolls_back_the_others(next_cohort):
    clinics = _rural_clinics(2)
    pasantes = _pasantes(next_cohort, 2)
    pasantes[1].active = False
    pasantes[1].save(update_fields=["active"])

    with pytest.raises(services.PlacementRefused) as exc:
        services.cohort_place(cohort=next_cohort, choices={clinics[0].pk: pasantes[0].pk,
                                                           clinics[1].pk: pasantes[1].pk})

    assert exc.value.rows == {clinics[1].pk: ["This person is no longer active."]}
    assert not Assignment.objects.filter(clinic__in=clinics).exists()


def test_a_post_taken_by_a_concurrent_writer_refuses_its_row_and_saves_none(next_cohort, monkeypatch):
    clinics = _rural_clinics(2)
    pasantes = _pasantes(next_cohort, 2)
    rival = StaffFactory(full_name="Pasante Rival", cadre=Cadre.PASANTE)

    def placement_then_a_rival_takes_a_post(cohort):
        seen = selectors.cohort_placement(cohort)
        AssignmentFactory(staff=rival, clinic=clinics[1], start_date=cohort.start_date, end_date=cohort.end_date)
        return seen

    monkeypatch.setattr(services, "cohort_placement", placement_then_a_rival_takes_a_post)
    with pytest.raises(services.PlacementRefused) as exc:
        services.cohort_place(cohort=next_cohort, choices={clinics[0].pk: pasantes[0].pk,
                                                           clinics[1].pk: pasantes[1].pk})

    assert list(exc.value.rows) == [clinics[1].pk]
    assert "already has a pasante" in exc.value.rows[clinics[1].pk][0]
    assert not Assignment.objects.filter(staff__in=pasantes).exists()


def test_placement_refuses_a_pasante_of_another_cohort(next_cohort):
    clinic = ClinicFactory()
    stranger = StaffFactory(cadre=Cadre.PASANTE, cohort=CohortFactory())

    with pytest.raises(services.PlacementRefused) as exc:
        services.cohort_place(cohort=next_cohort, choices={clinic.pk: stranger.pk})

    assert "is not a pasante of this cohort" in exc.value.rows[clinic.pk][0]


def test_the_same_pasante_chosen_twice_is_refused_on_the_page(coordinator, next_cohort):
    clinics = _rural_clinics(2)
    pasante = _pasantes(next_cohort, 1)[0]

    response = client_for(coordinator).post(reverse("clinics:cohort-placement", args=[next_cohort.pk]),
                                            {f"clinic-{c.pk}": str(pasante.pk) for c in clinics})

    assert response.status_code == 200
    second = text(response).split(f'data-clinic="{clinics[1].pk}"')[1].split("</li>")[0]
    assert f"Pasante 00 is already at {clinics[0].name} from {dmy(next_cohort.start_date)}" in second
    assert not Assignment.objects.filter(staff=pasante).exists()


def test_an_empty_placement_asks_for_a_choice(coordinator, next_cohort):
    _rural_clinics(1)
    _pasantes(next_cohort, 1)

    response = client_for(coordinator).post(reverse("clinics:cohort-placement", args=[next_cohort.pk]), {})

    assert "Choose a pasante for at least one clinic." in text(response)


@pytest.mark.parametrize("value", ["abc", "-1", "9" * 30])
def test_a_choice_that_is_no_person_is_refused_beside_its_row(coordinator, next_cohort, value):
    [clinic] = _rural_clinics(1)
    _pasantes(next_cohort, 1)

    response = client_for(coordinator).post(reverse("clinics:cohort-placement", args=[next_cohort.pk]),
                                            {f"clinic-{clinic.pk}": value})

    assert response.status_code == 200
    row = text(response).split(f'data-clinic="{clinic.pk}"')[1].split("</li>")[0]
    assert "Choose one of the options in the list." in row
    assert not Assignment.objects.filter(clinic=clinic).exists()


def test_supervisor_cannot_place_a_cohort(supervisor, next_cohort):
    clinics = _rural_clinics(1)
    pasantes = _pasantes(next_cohort, 1)

    response = client_for(supervisor).post(reverse("clinics:cohort-placement", args=[next_cohort.pk]),
                                           _choices(clinics, pasantes))

    assert response.status_code == 403
    assert not Assignment.objects.filter(staff=pasantes[0]).exists()


# A placing POST reads what the page reads (cohort, clinics, their posts, the unplaced), the service reads the
# clinics and their posts again, the chosen people and their pasante posts of the year, each in one query,
# checks every row in Python and inserts them all at once: the same number whatever the rows placed.
PLACE_BASE = LAYOUT_QUERIES + 11  # every row refused before any insert
PLACE_SAVED = LAYOUT_QUERIES + 14


@pytest.mark.parametrize("size", [3, 20])
def test_placement_page_and_post_query_counts_are_fixed(coordinator, next_cohort, django_assert_num_queries, size):
    clinics = _rural_clinics(size)
    pasantes = _pasantes(next_cohort, size)
    client = client_for(coordinator)
    url = reverse("clinics:cohort-placement", args=[next_cohort.pk])
    # cohort, clinics, their pasante posts, the unplaced
    with django_assert_num_queries(LAYOUT_QUERIES + 4):
        assert client.get(url).status_code == 200
    # Every row refused (nobody with that id): the page's reads, the service's own, the people, the
    # transaction's savepoint; nothing written.
    with django_assert_num_queries(PLACE_BASE):
        assert client.post(url, {f"clinic-{c.pk}": "999999" for c in clinics}).status_code == 200
    with django_assert_num_queries(PLACE_SAVED):
        assert client.post(url, _choices(clinics, pasantes)).status_code == 302
    assert Assignment.objects.filter(staff__cohort=next_cohort).count() == size
    assert {(a.start_date, a.end_date, a.created_by) for a in Assignment.objects.filter(staff__cohort=next_cohort)} == {
        (next_cohort.start_date, next_cohort.end_date, coordinator)}
    assert AssignmentEvent.objects.filter(pgh_obj__staff__cohort=next_cohort, pgh_label="insert").count() == size


# --- Supervision ----------------------------------------------------------------------------------------------


def test_supervision_is_monthly_by_default_and_read_without_writing(django_assert_num_queries):
    SupervisionSettings.objects.all().delete()
    with django_assert_num_queries(1):
        assert selectors.supervision_settings().visit_every_days == 30
    assert not SupervisionSettings.objects.exists()


def test_the_migration_made_the_settings_row():
    assert SupervisionSettings.objects.filter(pk=1).exists()


def test_a_clinic_is_overdue_after_the_frequency(supervisor, clinic_a):
    SupervisionVisitFactory(clinic=clinic_a, visited_on=TODAY - timedelta(days=31))

    [clinic] = selectors.clinics_supervision(supervisor)

    assert clinic.supervision.overdue
    assert clinic.supervision.last_visit == TODAY - timedelta(days=31)


def test_a_clinic_visited_within_the_frequency_is_on_time(supervisor, clinic_a):
    SupervisionVisitFactory(clinic=clinic_a, visited_on=TODAY - timedelta(days=30))

    [clinic] = selectors.clinics_supervision(supervisor)

    assert not clinic.supervision.overdue
    assert clinic.supervision.due_on == TODAY


def test_the_frequency_the_coordination_sets_decides_overdue(coordinator, supervisor, clinic_a):
    SupervisionVisitFactory(clinic=clinic_a, visited_on=TODAY - timedelta(days=31))

    response = client_for(coordinator).post(reverse("clinics:supervision-settings"), {"visit_every_days": "60"})

    assert response.status_code == 302
    assert SupervisionSettings.objects.get().updated_by == coordinator
    assert not selectors.clinics_supervision(supervisor)[0].supervision.overdue


def test_a_frequency_out_of_range_is_refused(coordinator):
    response = client_for(coordinator).post(reverse("clinics:supervision-settings"), {"visit_every_days": "3"})

    assert response.status_code == 200
    assert SupervisionSettings.objects.get().visit_every_days == 30
    with pytest.raises(ValidationError):
        services.supervision_settings_update(visit_every_days=400)


def test_clinic_page_shows_last_visit_and_overdue_flag(coordinator, clinic_a):
    SupervisionVisitFactory(clinic=clinic_a, visited_on=TODAY - timedelta(days=45))

    body = text(client_for(coordinator).get(clinic_a.get_absolute_url()))

    panel = body.split('data-testid="clinic-supervision"')[1].split("</p>")[0]
    assert dmy(TODAY - timedelta(days=45)) in panel
    assert 'data-testid="supervision-overdue"' in panel


def test_supervisor_home_flags_their_overdue_clinic_only(supervisor, clinic_a, clinic_b):
    SupervisionVisitFactory(clinic=clinic_a, visited_on=TODAY - timedelta(days=45))

    body = text(client_for(supervisor).get(reverse("accounts:home")))

    panel = body.split('data-testid="panel-my-clinics"')[1].split("</ul>")[0]
    assert "Clínica Capitán" in panel and "Supervision overdue" in panel
    assert "Reforma" not in panel


def test_coordinator_home_lists_every_overdue_clinic(coordinator, clinic_a, clinic_b):
    SupervisionVisitFactory(clinic=clinic_a, visited_on=TODAY - timedelta(days=3))

    body = text(client_for(coordinator).get(reverse("accounts:home")))

    panel = body.split('data-testid="panel-supervision-overdue"')[1].split("</ul>")[0]
    assert "Clínica Reforma" in panel and "Clínica Capitán" not in panel


@pytest.mark.parametrize("size", [3, 30])
def test_supervision_panels_and_page_query_counts_are_fixed(coordinator, supervisor, rf, django_assert_num_queries,
                                                             size):
    from clinics import panels

    for n in range(size):
        SupervisionVisitFactory(clinic=ClinicFactory(), visited_on=TODAY - timedelta(days=n * 3))
    for user, panel in [(coordinator, panels.supervision_overdue), (supervisor, panels.my_clinics)]:
        request = rf.get("/")
        request.user = user
        assert user.roles
        # the settings, the clinics with their last visit
        with django_assert_num_queries(2):
            panel(request)
    client = client_for(coordinator)
    with django_assert_num_queries(LAYOUT_QUERIES + 3):
        response = client.get(reverse("clinics:supervision-overdue"))
    assert text(response).count('data-testid="supervision-row"') == size + 1  # and the supervisor's clinic A


@pytest.mark.django_db(transaction=True)
def test_two_coordinators_placing_the_same_pasante_at_once_place_them_once():
    from tests.kit import run_concurrently

    cohort = CohortFactory(start_date=TODAY + timedelta(days=60), end_date=TODAY + timedelta(days=424))
    clinics = _rural_clinics(2)
    [pasante] = _pasantes(cohort, 1)

    outcomes = run_concurrently(
        lambda i: services.cohort_place(cohort=cohort, choices={clinics[i].pk: pasante.pk}), 2)

    assert Assignment.objects.filter(staff=pasante).count() == 1
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], services.PlacementRefused)


def test_the_api_gives_how_a_community_agreed_and_its_capacity(coordinator):
    from tests.kit import api_client_for

    community = services.community_create(**COMMUNITY)

    data = api_client_for(coordinator).get(reverse("api:community-detail", args=[community.pk])).json()

    assert (data["visitors_agreement_kind"], data["visitor_capacity"]) == ("assembly_minutes", 4)
