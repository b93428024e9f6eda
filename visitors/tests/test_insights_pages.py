"""The visitor log (``visitors:log``) and the feedback page (``visitors:feedback``): who may open them, the
totals as the case study's Table 1 counts them, the chart, the filters, and a fixed number of queries at two
sizes. The visits are built row by row here (``visit``), each in the state the services leave a stay that
happened: a confirmed placement, its host-family stay, and the exit survey and pasante feedback when asked."""

import itertools
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ces.accounts.roles import Role
from ces.accounts.tests.factories import UserFactory
from clinics.models import HostStay
from clinics.tests.factories import ClinicFactory, HostFamilyFactory, StaffFactory
from tests.kit import client_for
from visitors.models import Application, Category, ExitSurvey, PasanteFeedback, Placement, StatusChange

pytestmark = pytest.mark.django_db

# Each visit takes a visitor place (``slot``) of its own, so the capacity constraints of clinic and pasante never
# meet however many visits a test puts on the same days.
_slots = itertools.count(1)


def visit(*, category=Category.RESIDENT, year=2019, country="US", institution="Brigham and Women's Hospital",
          state=Application.State.COMPLETED, clinic=None, pasante=None, family=None, days=28, survey=None,
          feedback=None, previous=None, applicant=None, start=None) -> Application:
    """A visit as the services leave it: the application in ``state`` with its timeline's last step, a
    confirmed placement (from March 1st of ``year``), the stay
    with the host family, and, when given, the exit survey (a dict of scores and words) and the pasante's
    feedback (a dict)."""
    clinic = clinic or ClinicFactory()
    pasante = pasante or StaffFactory()
    family = family or HostFamilyFactory(community=clinic.community)
    start = start or date(year, 3, 1)
    end = start + timedelta(days=days - 1)
    applicant = applicant or UserFactory(roles=[Role.APPLICANT])
    application = Application.objects.create(
        applicant=applicant, previous=previous, state=state, category=category, country=country,
        institution=institution, full_name=applicant.full_name, wanted_start=start, wanted_end=end,
        submitted_at=timezone.now(),
    )
    StatusChange.objects.create(application=application, from_state=Application.State.IN_COMMUNITY, to_state=state,
                                at=timezone.now() - timedelta(days=400))
    stay = HostStay.objects.create(family=family, guest_kind=HostStay.GuestKind.VISITOR,
                                   guest_name=application.full_name, first_night=start, last_night=end, meals_per_day=3,
                                   rate_per_night=family.rate_per_night, rate_per_meal=family.rate_per_meal)
    placement = Placement.objects.create(application=application, state=Placement.State.CONFIRMED, clinic=clinic,
                                         pasante=pasante, host_family=family, start_date=start, end_date=end,
                                         host_stay=stay, confirmed_at=timezone.now(), slot=next(_slots))
    if survey is not None:
        scores = {"mentorship": 5, "clinical": 4, "community": 5, "host_family": 4, "logistics": 3, **survey}
        ExitSurvey.objects.create(application=application, placement=placement, **scores)
    if feedback is not None:
        PasanteFeedback.objects.create(placement=placement, **{"rating": 4, "would_host_again": True, **feedback})
    return application


def lines(response) -> dict:
    return {line.key: line.total for line in response.context["log"].lines}


# --- Who may open them ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["visitors:log", "visitors:feedback"])
@pytest.mark.parametrize("persona", ["coordinator", "visitor_program", "admin_user"])
def test_the_program_coordinators_and_admins_open_the_log_and_the_feedback(request, persona, url):
    response = client_for(request.getfixturevalue(persona)).get(reverse(url))

    assert response.status_code == 200


@pytest.mark.parametrize("url", ["visitors:log", "visitors:feedback"])
@pytest.mark.parametrize("persona", ["applicant", "pasante_a", "supervisor", "pharmacy", "chw", "outsider"])
def test_anyone_else_is_turned_away(request, persona, url):
    visit(survey={"best": "Todo"})

    response = client_for(request.getfixturevalue(persona)).get(reverse(url))

    assert response.status_code == 403


def test_the_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(reverse("visitors:log"))

    assert response.status_code == 302 and reverse("account_login") in response["Location"]


# --- The visitor log -----------------------------------------------------------------------------------------


def test_the_log_counts_visits_by_category_with_the_clinicians_subtotal_as_table_1(coordinator):
    for category, n in [(Category.RESIDENT, 3), (Category.ATTENDING, 2), (Category.NURSE, 1), (Category.STUDENT, 4),
                        (Category.GRADUATE, 2)]:
        for _i in range(n):
            visit(category=category)

    response = client_for(coordinator).get(reverse("visitors:log"))

    assert lines(response) == {"resident": 3, "attending": 2, "nurse": 1, "student": 4, "graduate": 2,
                               "clinicians": 6, "others": 6, "total": 12}
    assert 'data-key="clinicians"' in response.content.decode()


def test_only_visitors_who_came_are_counted(coordinator):
    visit(state=Application.State.COMPLETED)
    visit(state=Application.State.DISENGAGED)
    visit(state=Application.State.IN_COMMUNITY)
    for state in (Application.State.SUBMITTED, Application.State.WITHDRAWN, Application.State.DECLINED,
                  Application.State.PLACEMENT_CONFIRMED):
        visit(state=state)

    response = client_for(coordinator).get(reverse("visitors:log"))

    assert lines(response)["total"] == 3


def test_the_years_run_from_the_first_visit_to_the_last_with_empty_years_as_zero(coordinator):
    visit(year=2013, category=Category.RESIDENT)
    visit(year=2013, category=Category.STUDENT)
    visit(year=2016, category=Category.ATTENDING)

    log = client_for(coordinator).get(reverse("visitors:log")).context["log"]

    assert log.first_year == 2013
    assert [(row["year"], row["total"]) for row in log.year_rows] == [(2016, 1), (2015, 0), (2014, 0), (2013, 2)]
    resident = next(line for line in log.lines if line.key == "resident")
    assert resident.by_year == [1, 0, 0, 0]


def test_a_visit_counts_in_the_year_its_placement_began_not_the_year_it_was_wanted(coordinator):
    application = visit(year=2020)
    Application.objects.filter(pk=application.pk).update(wanted_start=date(2018, 5, 1), wanted_end=date(2018, 6, 1))

    log = client_for(coordinator).get(reverse("visitors:log")).context["log"]

    assert log.years == [2020]


def test_the_log_counts_countries_and_institutions_whatever_their_spelling(coordinator):
    visit(country="US", institution="Brigham and Women's Hospital")
    visit(country="US", institution="  brigham and women's hospital ")
    visit(country="CA", institution="McGill University")
    visit(country="", institution="")

    log = client_for(coordinator, language="es").get(reverse("visitors:log")).context["log"]

    assert [(s.code, s.count) for s in log.countries] == [("US", 2), ("", 1), ("CA", 1)]
    assert log.countries[0].label == "Estados Unidos"
    assert [(s.label.lower(), s.count) for s in log.institutions] == [("brigham and women's hospital", 2),
                                                                     ("mcgill university", 1)]


def test_repeat_visits_and_people_are_told_apart(coordinator):
    first = visit(year=2015)
    visit(year=2017, applicant=first.applicant, previous=first)
    visit(year=2017)

    log = client_for(coordinator).get(reverse("visitors:log")).context["log"]

    assert (log.total, log.people, log.repeat_visits) == (3, 2, 1)


def test_the_chart_has_a_bar_per_category_and_year_labelled_with_the_years(coordinator):
    visit(year=2014, category=Category.RESIDENT)
    visit(year=2015, category=Category.STUDENT)

    response = client_for(coordinator).get(reverse("visitors:log"))

    chart = response.context["log"].chart
    assert [m["label"] for m in chart["months"]] == ["2014", "2015"]
    assert len(chart["bars"]) == 2
    html = response.content.decode()
    assert 'data-testid="chart"' in html and "<svg" in html and ">2015</text>" in html


def test_the_category_and_years_filters_narrow_the_log(coordinator):
    visit(year=2014, category=Category.RESIDENT)
    visit(year=2016, category=Category.RESIDENT)
    visit(year=2016, category=Category.STUDENT)

    response = client_for(coordinator).get(reverse("visitors:log"), {"category": "resident", "year_from": "2015"})

    assert lines(response) == {"resident": 1, "total": 1}


def test_a_filter_that_does_not_parse_is_explained_and_the_log_shows_everything(coordinator):
    visit(year=2014)

    response = client_for(coordinator).get(reverse("visitors:log"), {"year_from": "2020", "year_to": "2015",
                                                                    "category": "astronaut"})

    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"year_to", "category"}
    assert lines(response)["total"] == 1


def test_an_empty_log_says_so(coordinator):
    response = client_for(coordinator).get(reverse("visitors:log"))

    assert 'data-testid="log-empty"' in response.content.decode()


def test_the_log_page_reads_in_spanish(coordinator):
    visit()

    html = client_for(coordinator, language="es").get(reverse("visitors:log")).content.decode()

    assert "Registro de visitantes" in html and "Visitantes por categoría" in html and "Por año" in html


@pytest.mark.parametrize("size", [3, 30])
def test_the_log_runs_the_same_queries_at_two_sizes(coordinator, django_assert_num_queries, size):
    clinic = ClinicFactory()
    for i in range(size):
        visit(year=2013 + i % 9, category=list(Category)[i % 5], country=["US", "CA", "GB"][i % 3],
              institution=f"Universidad {i % 7}", clinic=clinic)
    client = client_for(coordinator)
    client.get(reverse("visitors:log"))  # the caches of a first request, as any page

    # the user with their roles; the four reads of the log (by category and year, countries, institutions, people)
    with django_assert_num_queries(5):
        response = client.get(reverse("visitors:log"))
    assert lines(response)["total"] == size


# --- The feedback page ---------------------------------------------------------------------------------------


def test_feedback_averages_and_counts_per_clinic_pasante_and_family(coordinator):
    clinic, other = ClinicFactory(name="Clínica Capitán"), ClinicFactory(name="Clínica Reforma")
    pasante = StaffFactory(full_name="Dra. Ana López")
    family = HostFamilyFactory(community=clinic.community, head_of_household="Doña Rosa")
    visit(clinic=clinic, pasante=pasante, family=family, survey={"mentorship": 5, "clinical": 5, "host_family": 5})
    visit(clinic=clinic, pasante=pasante, family=family, survey={"mentorship": 3, "clinical": 4, "host_family": 2})
    visit(clinic=other, survey={"clinical": 2})
    visit(clinic=other)  # no survey: not counted

    context = client_for(coordinator).get(reverse("visitors:feedback")).context

    capitan = next(row for row in context["clinics"] if row["name"] == "Clínica Capitán")
    assert (capitan["surveys"], capitan["clinical_avg"]) == (2, 4.5)
    reforma = next(row for row in context["clinics"] if row["name"] == "Clínica Reforma")
    assert reforma["surveys"] == 1
    ana = next(row for row in context["pasantes"] if row["name"] == "Dra. Ana López")
    assert (ana["surveys"], ana["mentorship_avg"]) == (2, 4.0)
    rosa = next(row for row in context["families"] if row["name"] == "Doña Rosa")
    assert (rosa["surveys"], rosa["host_family_avg"], rosa["community_name"]) == (2, 3.5, clinic.community.name)
    assert context["summary"]["surveys"]["surveys"] == 3


def test_the_comments_of_one_clinic_are_shown_when_asked(coordinator):
    clinic = ClinicFactory(name="Clínica Capitán")
    visit(clinic=clinic, survey={"best": "La mentoría de la pasante"})
    visit(survey={"improve": "Más tiempo en la comunidad"})
    visit(survey={})  # no words: not a comment

    client = client_for(coordinator)
    everything = client.get(reverse("visitors:feedback"))
    one = client.get(reverse("visitors:feedback"), {"about": f"clinic-{clinic.pk}"})

    assert everything.context["page_obj"].paginator.count == 2
    assert [s.best for s in one.context["page_obj"]] == ["La mentoría de la pasante"]
    assert "Comments about Clínica Capitán" in one.content.decode()


@pytest.mark.parametrize("about", ["clinic-999999999", "spaceship-1", "clinic-abc", "clinic-" + "9" * 40, "-"])
def test_an_unknown_subject_of_comments_shows_all_comments(coordinator, about):
    visit(survey={"best": "Todo"})

    response = client_for(coordinator).get(reverse("visitors:feedback"), {"about": about})

    assert response.status_code == 200
    assert response.context["about"] is None and response.context["page_obj"].paginator.count == 1


def test_the_pasantes_feedback_on_their_visitors_is_listed_with_its_summary(coordinator):
    visit(feedback={"rating": 5, "would_host_again": True, "comments": "Muy buena compañera"})
    visit(feedback={"rating": 2, "would_host_again": False, "comments": "No hablaba español"})

    response = client_for(coordinator).get(reverse("visitors:feedback"))

    feedback = response.context["summary"]["feedback"]
    assert (feedback["count"], feedback["rating"], feedback["again_percent"]) == (2, 3.5, 50.0)
    html = response.content.decode()
    assert "Muy buena compañera" in html and "No hablaba español" in html


def test_the_period_filter_keeps_the_surveys_of_those_days(coordinator):
    old = visit(survey={"best": "Antes"})
    ExitSurvey.objects.filter(application=old).update(submitted_at=timezone.now() - timedelta(days=400))
    visit(survey={"best": "Ahora"})

    response = client_for(coordinator).get(reverse("visitors:feedback"), {
        "date_from": (timezone.localdate() - timedelta(days=30)).isoformat()})

    assert [s.best for s in response.context["page_obj"]] == ["Ahora"]
    assert response.context["summary"]["surveys"]["surveys"] == 1


def test_an_empty_feedback_page_says_so(coordinator):
    html = client_for(coordinator).get(reverse("visitors:feedback")).content.decode()

    assert "No exit survey yet." in html and "No pasante has given feedback yet." in html


@pytest.mark.parametrize("size", [2, 25])
def test_the_feedback_page_runs_the_same_queries_at_two_sizes(coordinator, django_assert_num_queries, size):
    clinics = [ClinicFactory() for _i in range(3)]
    for i in range(size):
        visit(clinic=clinics[i % 3], survey={"best": f"Comentario {i}", "clinical": 1 + i % 5},
              feedback={"rating": 1 + i % 5, "comments": f"Nota {i}"})
    client = client_for(coordinator)
    client.get(reverse("visitors:feedback"))

    # the user with their roles; scores by clinic, pasante and family; comments counted and their page; the two
    # summaries; the pasantes' feedback
    with django_assert_num_queries(9):
        response = client.get(reverse("visitors:feedback"), {"about": f"clinic-{clinics[0].pk}"})
    assert response.context["summary"]["surveys"]["surveys"] == size



# --- In the browser: both pages fit a phone -------------------------------------------------------------------


@pytest.fixture
def chromium():
    from playwright.sync_api import sync_playwright

    from tests.conftest import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [360, 1280])
def test_the_log_and_the_feedback_fit_the_screen_with_a_decade_of_visits(chromium, live_server, width):
    import os

    from tests.conftest import PHONE
    from tests.kit import assert_fits_the_screen, browser_log_in

    coordinator = UserFactory(roles=[Role.COORDINATOR], email="coordinadora.log@example.mx", preferred_language="es")
    clinics = [ClinicFactory(name=f"Clínica {name}") for name in ("Capitán Luis Ángel Vidal", "Reforma", "Monterrey")]
    for i in range(40):
        visit(year=2013 + i % 13, category=list(Category)[i % 5], country=["US", "CA", "GB", "DE"][i % 4],
              institution=["Brigham and Women's Hospital", "University of California, San Francisco",
                           "McGill University"][i % 3], clinic=clinics[i % 3],
              survey={"best": "Acompañar a la pasante en las visitas domiciliarias, " * (1 + i % 3),
                      "clinical": 1 + i % 5} if i % 2 else None,
              feedback={"rating": 1 + i % 5, "comments": "Muy comprometida con los pacientes."} if i % 3 == 0 else None)
    page = chromium.new_page(viewport={"width": width, "height": PHONE["height"]})
    browser_log_in(page, live_server, coordinator)
    folder = os.environ.get("SCREENSHOTS")
    for name in ("visitors:log", "visitors:feedback"):
        page.goto(live_server.url + reverse(name))
        assert page.locator("h1").is_visible()
        assert_fits_the_screen(page)
        if folder:  # SCREENSHOTS=/some/folder: the whole page, and each card on its own to look at
            page.screenshot(path=f"{folder}/{name.split(':')[1]}-{width}.png", full_page=True)
            for i in range(page.locator("main section").count()):
                page.locator("main section").nth(i).screenshot(path=f"{folder}/{name.split(':')[1]}-{width}-{i}.png")
    page.goto(live_server.url + reverse("visitors:log"))
    assert page.locator('[data-testid="chart"] svg.chart-svg:visible').count() == 1  # the narrow or the wide
    page.close()
