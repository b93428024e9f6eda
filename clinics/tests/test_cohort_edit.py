"""A cohort edited (name, dates): never leaving its pasantes' posts outside its year without saying so."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from clinics import services
from clinics.models import Cadre, Cohort
from clinics.tests.factories import AssignmentFactory, ClinicFactory, CohortFactory, StaffFactory
from tests.kit import LAYOUT_QUERIES, client_for

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def cohort(db):
    return CohortFactory(name="Promoción 2027", start_date=TODAY + timedelta(days=60),
                         end_date=TODAY + timedelta(days=424))


def placed(cohort, name="Ana Gómez", clinic_name="Clínica Capitán", **dates):
    pasante = StaffFactory(full_name=name, cadre=Cadre.PASANTE, cohort=cohort)
    return AssignmentFactory(staff=pasante, clinic=ClinicFactory(name=clinic_name), role="pasante",
                             start_date=dates.get("start", cohort.start_date),
                             end_date=dates.get("end", cohort.end_date))


def test_cohort_is_renamed_and_its_year_lengthened_leaving_posts_as_they_are(cohort):
    post = placed(cohort)

    services.cohort_update(cohort=cohort, name="  Promoción   2027–2028 ", start_date=cohort.start_date,
                           end_date=cohort.end_date + timedelta(days=30))

    cohort.refresh_from_db()
    post.refresh_from_db()
    assert (cohort.name, cohort.end_date) == ("Promoción 2027–2028", TODAY + timedelta(days=454))
    assert post.end_date == TODAY + timedelta(days=424)


def test_cohort_year_shortened_past_a_post_is_refused_naming_it(cohort):
    placed(cohort)
    before = (cohort.start_date, cohort.end_date)

    with pytest.raises(ValidationError) as excinfo:
        services.cohort_update(cohort=cohort, name=cohort.name, start_date=cohort.start_date,
                               end_date=cohort.end_date - timedelta(days=1))

    assert "Ana Gómez (Clínica Capitán)" in " ".join(excinfo.value.messages)
    cohort.refresh_from_db()
    assert (cohort.start_date, cohort.end_date) == before


def test_cohort_starting_after_a_post_starts_or_with_an_open_post_is_refused(cohort):
    placed(cohort, end=None)

    with pytest.raises(ValidationError):
        services.cohort_update(cohort=cohort, name=cohort.name, start_date=cohort.start_date,
                               end_date=cohort.end_date + timedelta(days=365))
    with pytest.raises(ValidationError):
        services.cohort_update(cohort=cohort, name=cohort.name, start_date=cohort.start_date + timedelta(days=1),
                               end_date=cohort.end_date + timedelta(days=365))


def test_cohort_year_may_shrink_around_posts_that_fit(cohort):
    placed(cohort, start=cohort.start_date + timedelta(days=10), end=cohort.end_date - timedelta(days=10))

    services.cohort_update(cohort=cohort, name=cohort.name, start_date=cohort.start_date + timedelta(days=10),
                           end_date=cohort.end_date - timedelta(days=10))

    assert Cohort.objects.get().start_date == TODAY + timedelta(days=70)


def test_cohort_ending_before_it_starts_or_named_as_another_is_refused(cohort):
    CohortFactory(name="Promoción 2026")
    with pytest.raises(ValidationError) as ends:
        services.cohort_update(cohort=cohort, name=cohort.name, start_date=cohort.end_date,
                               end_date=cohort.start_date)
    with pytest.raises(ValidationError) as named:
        services.cohort_update(cohort=cohort, name="Promoción 2026", start_date=cohort.start_date,
                               end_date=cohort.end_date)

    assert "must end after it starts" in " ".join(ends.value.messages)
    assert "already exists" in " ".join(named.value.messages)
    assert Cohort.objects.get(pk=cohort.pk).name == "Promoción 2027"


def test_cohort_is_edited_from_its_page(coordinator, cohort):
    client = client_for(coordinator)
    assert reverse("clinics:cohort-edit", args=[cohort.pk]) in client.get(cohort.get_absolute_url()).content.decode()

    response = client.post(reverse("clinics:cohort-edit", args=[cohort.pk]), {
        "name": "Promoción 2027 B", "start_date": cohort.start_date.isoformat(),
        "end_date": (cohort.end_date + timedelta(days=1)).strftime("%d/%m/%Y")})

    assert response.status_code == 302
    assert Cohort.objects.get(pk=cohort.pk).name == "Promoción 2027 B"


def test_cohort_shortened_on_its_page_says_which_posts_to_move(coordinator, cohort):
    placed(cohort)

    response = client_for(coordinator).post(reverse("clinics:cohort-edit", args=[cohort.pk]), {
        "name": cohort.name, "start_date": cohort.start_date.isoformat(),
        "end_date": (cohort.end_date - timedelta(days=5)).isoformat()})

    assert response.status_code == 200
    assert "Ana Gómez (Clínica Capitán)" in response.content.decode()
    assert Cohort.objects.get(pk=cohort.pk).end_date == cohort.end_date


def test_cohort_is_not_edited_by_a_supervisor(supervisor, cohort):
    response = client_for(supervisor).post(reverse("clinics:cohort-edit", args=[cohort.pk]), {
        "name": "X", "start_date": cohort.start_date.isoformat(), "end_date": cohort.end_date.isoformat()})

    assert response.status_code == 403
    assert Cohort.objects.get(pk=cohort.pk).name == "Promoción 2027"


@pytest.mark.parametrize("size", [1, 10])
def test_cohort_edit_post_query_count_is_fixed(coordinator, cohort, django_assert_num_queries, size):
    for n in range(size):
        placed(cohort, name=f"Pasante {n:02d}", clinic_name=f"Clínica {n:02d}")
    client = client_for(coordinator)
    data = {"name": "Promoción 2027 B", "start_date": cohort.start_date.isoformat(),
            "end_date": cohort.end_date.isoformat()}
    # the cohort; then locked, its name and constraint checked (full_clean, twice: before and in the save), the
    # posts outside its year, the update; pghistory sets its context before each query of the request
    with django_assert_num_queries(LAYOUT_QUERIES + 16):
        assert client.post(reverse("clinics:cohort-edit", args=[cohort.pk]), data).status_code == 302
