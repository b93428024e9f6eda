"""A host stay changed or cancelled (issue 10): the same rules as recording it, and a cancelled stay is owed
nothing anywhere (the family's balance, its months, the list, the report) yet stays in the history."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from ces.reports import rows as report_rows
from ces.reports.registry import report_by_key
from clinics import selectors, services
from clinics.models import Cadre, HostStay
from clinics.tests.factories import HostFamilyFactory, StaffFactory
from tests.kit import LAYOUT_QUERIES, client_for

MAR_1 = date(2026, 3, 1)
MAR_10 = date(2026, 3, 10)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def family(clinic_a):
    return HostFamilyFactory(community=clinic_a.community, head_of_household="Doña Lupita", rooms=1,
                             rate_per_night=Decimal("150.00"), rate_per_meal=Decimal("50.00"))


def visitor_stay(family, first, last, name="Jane Doe", meals=2):
    return services.host_family_stay_create(family=family, guest_kind="visitor", guest_name=name,
                                            first_night=first, last_night=last, meals_per_day=meals)


def messages_of(excinfo) -> str:
    return " ".join(excinfo.value.messages)


# --- host_family_stay_cancel ------------------------------------------------------------------------------------


def test_cancelled_stay_is_owed_nothing_and_stays_in_the_history_with_its_reason(family, coordinator):
    stay = visitor_stay(family, MAR_1, MAR_10)  # 10 × (150 + 2 × 50) = 2500

    services.host_family_stay_cancel(stay=stay, reason="  La visitante   no llegó ", by=coordinator)

    stay.refresh_from_db()
    assert stay.is_cancelled and stay.cancel_reason == "La visitante no llegó"
    assert stay.amount_owed == Decimal("0.00")
    assert services.host_family_owed_and_paid(family) == (Decimal("0"), Decimal("0"))
    assert HostStay.objects.filter(pk=stay.pk).exists()
    last = stay.events.order_by("pgh_id").last()
    assert (last.cancel_reason, last.pgh_context.metadata["user"]) == ("La visitante no llegó", coordinator.pk)


def test_cancelled_stay_leaves_the_months_the_list_and_the_report(family, coordinator):
    kept = visitor_stay(family, MAR_1, MAR_1)  # 250
    family.rooms = 2
    family.save()
    cancelled = visitor_stay(family, MAR_1, MAR_10, name="John Roe")  # 2500, then cancelled
    services.host_family_stay_cancel(stay=cancelled, reason="Recorded twice", by=coordinator)

    detail = selectors.host_family_detail(coordinator, family.pk)
    listed = selectors.host_family_list(coordinator).get(pk=family.pk)
    report = report_by_key("host-family-balances")
    source = report.rows(coordinator, {})
    getters = report_rows.getters(report, source)
    rows = [[get(row) for get in getters] for row in report_rows.page(source, 0, 100)]

    assert [(m.owed, m.balance) for m in detail.months] == [(Decimal("250.00"), Decimal("250.00"))]
    assert {s.pk for s in detail.stay_list} == {kept.pk, cancelled.pk}
    assert listed.owed == Decimal("250.00")
    assert rows[-1][3:] == [Decimal("250.00"), Decimal("0"), Decimal("250.00")]
    assert services.host_family_owed_and_paid(family, stays=family.stays.all())[0] == Decimal("250.00")


def test_cancelled_stay_frees_its_room(family):
    stay = visitor_stay(family, MAR_1, MAR_10)
    with pytest.raises(ValidationError):
        visitor_stay(family, MAR_10, MAR_10, name="John Roe")

    services.host_family_stay_cancel(stay=stay, reason="No vino")
    visitor_stay(family, MAR_10, MAR_10, name="John Roe")

    assert HostStay.objects.filter(cancelled_at__isnull=True).count() == 1


def test_cancelled_stay_of_a_pasante_lets_her_stay_elsewhere(family, clinic_a):
    pasante = StaffFactory(cadre=Cadre.PASANTE, full_name="Ana Gómez")
    stay = services.host_family_stay_create(family=family, guest_kind="pasante", guest_staff=pasante,
                                            first_night=MAR_1, last_night=MAR_10)
    services.host_family_stay_cancel(stay=stay, reason="Cambió de comunidad")

    other = HostFamilyFactory(community=clinic_a.community)
    services.host_family_stay_create(family=other, guest_kind="pasante", guest_staff=pasante,
                                     first_night=MAR_1, last_night=MAR_10)

    assert pasante.host_stays.filter(cancelled_at__isnull=True).get().family == other


def test_cancelled_stays_do_not_keep_a_family_from_having_fewer_rooms(family):
    today = timezone.localdate()
    family.rooms = 2
    family.save()
    visitor_stay(family, today, today + timedelta(days=3))
    cancelled = visitor_stay(family, today, today + timedelta(days=3), name="John Roe")
    services.host_family_stay_cancel(stay=cancelled, reason="No vino")

    services.host_family_update(family=family, community=family.community, head_of_household="Doña Lupita",
                                rate_per_night=family.rate_per_night, rate_per_meal=family.rate_per_meal, rooms=1)

    family.refresh_from_db()
    assert family.rooms == 1


def test_stay_cancelled_without_a_reason_is_refused(family):
    stay = visitor_stay(family, MAR_1, MAR_10)

    with pytest.raises(ValidationError) as excinfo:
        services.host_family_stay_cancel(stay=stay, reason="   ", by=None)

    assert "Say why" in messages_of(excinfo)
    stay.refresh_from_db()
    assert not stay.is_cancelled


def test_stay_cancelled_twice_is_refused(family):
    stay = visitor_stay(family, MAR_1, MAR_10)
    services.host_family_stay_cancel(stay=stay, reason="No vino")
    first = HostStay.objects.get(pk=stay.pk).cancelled_at

    with pytest.raises(ValidationError) as excinfo:
        services.host_family_stay_cancel(stay=stay, reason="Otra vez")

    assert "already cancelled" in messages_of(excinfo)
    assert (HostStay.objects.get(pk=stay.pk).cancelled_at, HostStay.objects.get(pk=stay.pk).cancel_reason) == (
        first, "No vino")


def test_payment_for_a_cancelled_stay_is_refused(family):
    stay = visitor_stay(family, MAR_1, MAR_10)
    services.host_family_stay_cancel(stay=stay, reason="No vino")

    with pytest.raises(ValidationError) as excinfo:
        services.host_family_payment_create(family=family, amount=Decimal("100"), paid_on=MAR_10, concept="x",
                                            stays=[stay])

    assert "cancelled" in messages_of(excinfo)
    assert not family.payments.exists()


def test_payment_that_covered_a_cancelled_stay_shows_as_paid_ahead(family):
    stay = visitor_stay(family, MAR_1, MAR_10)
    services.host_family_payment_create(family=family, amount=Decimal("2500"), paid_on=MAR_10, concept="x",
                                        stays=[stay])

    services.host_family_stay_cancel(stay=stay, reason="Recorded by mistake")

    assert services.host_family_owed_and_paid(family) == (Decimal("0"), Decimal("2500.00"))


# --- host_family_stay_update ------------------------------------------------------------------------------------


def test_stay_is_changed_at_the_rates_it_was_agreed_at(family, coordinator):
    stay = visitor_stay(family, MAR_1, MAR_10)
    family.rate_per_night = Decimal("999")
    family.save()

    stay = services.host_family_stay_update(stay=stay, first_night=MAR_1 + timedelta(days=1),
                                            last_night=MAR_10 + timedelta(days=2), meals_per_day=3, by=coordinator)

    stay.refresh_from_db()
    assert (stay.nights, stay.meals_per_day, stay.rate_per_night) == (11, 3, Decimal("150.00"))
    assert stay.amount_owed == Decimal("3300.00")  # 11 × (150 + 3 × 50)
    assert stay.events.order_by("pgh_id").last().pgh_context.metadata["user"] == coordinator.pk


def test_stay_changed_into_nights_whose_room_is_taken_is_refused(family):
    stay = visitor_stay(family, MAR_1, MAR_10)
    visitor_stay(family, MAR_10 + timedelta(days=1), MAR_10 + timedelta(days=5), name="John Roe")

    with pytest.raises(ValidationError) as excinfo:
        services.host_family_stay_update(stay=stay, first_night=MAR_1, last_night=MAR_10 + timedelta(days=1),
                                         meals_per_day=2)

    assert "it is taken on some of those nights" in messages_of(excinfo)
    stay.refresh_from_db()
    assert stay.last_night == MAR_10


def test_stay_changed_within_its_own_nights_does_not_count_against_itself(family):
    stay = visitor_stay(family, MAR_1, MAR_10)

    services.host_family_stay_update(stay=stay, first_night=MAR_1 + timedelta(days=2), last_night=MAR_10,
                                     meals_per_day=0)

    stay.refresh_from_db()
    assert (stay.first_night, stay.meals_per_day) == (MAR_1 + timedelta(days=2), 0)


def test_stay_changed_to_end_before_it_starts_is_refused(family):
    stay = visitor_stay(family, MAR_1, MAR_10)

    with pytest.raises(ValidationError) as excinfo:
        services.host_family_stay_update(stay=stay, first_night=MAR_10, last_night=MAR_1, meals_per_day=2)

    assert "cannot be before the first" in messages_of(excinfo)


def test_pasante_stay_changed_onto_her_other_stay_is_refused(family, clinic_a):
    pasante = StaffFactory(cadre=Cadre.PASANTE, full_name="Ana Gómez")
    stay = services.host_family_stay_create(family=family, guest_kind="pasante", guest_staff=pasante,
                                            first_night=MAR_1, last_night=MAR_10)
    services.host_family_stay_create(family=HostFamilyFactory(community=clinic_a.community), guest_kind="pasante",
                                     guest_staff=pasante, first_night=MAR_10 + timedelta(days=1),
                                     last_night=MAR_10 + timedelta(days=9))

    with pytest.raises(ValidationError) as excinfo:
        services.host_family_stay_update(stay=stay, first_night=MAR_1, last_night=MAR_10 + timedelta(days=3),
                                         meals_per_day=3)

    assert "Ana Gómez already has a stay during those nights" in messages_of(excinfo)


def test_cancelled_stay_is_not_changed(family):
    stay = visitor_stay(family, MAR_1, MAR_10)
    services.host_family_stay_cancel(stay=stay, reason="No vino")

    with pytest.raises(ValidationError) as excinfo:
        services.host_family_stay_update(stay=stay, first_night=MAR_1, last_night=MAR_10, meals_per_day=0)

    assert "was cancelled" in messages_of(excinfo)


def test_stay_of_an_inactive_family_may_be_shortened_not_lengthened(family):
    stay = visitor_stay(family, MAR_1, MAR_10)
    family.active = False
    family.save()

    with pytest.raises(ValidationError) as excinfo:
        services.host_family_stay_update(stay=stay, first_night=MAR_1, last_night=MAR_10 + timedelta(days=1),
                                         meals_per_day=2)
    services.host_family_stay_update(stay=stay, first_night=MAR_1, last_night=MAR_1 + timedelta(days=4),
                                     meals_per_day=2)

    assert "no longer hosts guests" in messages_of(excinfo)
    stay.refresh_from_db()
    assert stay.nights == 5


# --- pages ------------------------------------------------------------------------------------------------------


def test_family_page_links_each_stay_to_its_edit_page_and_marks_the_cancelled(coordinator, family):
    open_stay = visitor_stay(family, MAR_1, MAR_1)
    family.rooms = 2
    family.save()
    cancelled = visitor_stay(family, MAR_1, MAR_1, name="John Roe")
    services.host_family_stay_cancel(stay=cancelled, reason="Recorded twice")

    html = client_for(coordinator).get(reverse("clinics:host-family-detail", args=[family.pk])).content.decode()

    assert reverse("clinics:host-stay-edit", args=[open_stay.pk]) in html
    assert reverse("clinics:host-stay-edit", args=[cancelled.pk]) not in html
    assert "Recorded twice" in html and 'data-testid="host-stay-cancelled"' in html


def test_stay_is_changed_from_its_page(visitor_program, family):
    stay = visitor_stay(family, MAR_1, MAR_10)
    client = client_for(visitor_program)
    assert client.get(reverse("clinics:host-stay-edit", args=[stay.pk])).status_code == 200

    response = client.post(reverse("clinics:host-stay-edit", args=[stay.pk]), {
        "first_night": "01/03/2026", "last_night": "2026-03-05", "meals_per_day": "1"}, follow=True)

    stay.refresh_from_db()
    assert (stay.nights, stay.meals_per_day) == (5, 1)
    assert "$1000.00 MXN for 5 nights" in response.content.decode()


def test_stay_changed_on_its_page_into_a_full_room_shows_why(coordinator, family):
    stay = visitor_stay(family, MAR_1, MAR_10)
    visitor_stay(family, MAR_10 + timedelta(days=1), MAR_10 + timedelta(days=1), name="John Roe")

    response = client_for(coordinator).post(reverse("clinics:host-stay-edit", args=[stay.pk]), {
        "first_night": "2026-03-01", "last_night": "2026-03-11", "meals_per_day": "2"})

    assert response.status_code == 200
    assert "it is taken on some of those nights" in response.content.decode()
    stay.refresh_from_db()
    assert stay.last_night == MAR_10


def test_stay_is_cancelled_from_its_page(coordinator, family):
    stay = visitor_stay(family, MAR_1, MAR_10)

    response = client_for(coordinator).post(reverse("clinics:host-stay-cancel", args=[stay.pk]),
                                            {"reason": "La visitante no llegó"}, follow=True)

    stay.refresh_from_db()
    assert stay.is_cancelled and stay.cancel_reason == "La visitante no llegó"
    assert "nothing is owed for it" in response.content.decode()


def test_stay_cancelled_on_its_page_without_a_reason_asks_for_one(coordinator, family):
    stay = visitor_stay(family, MAR_1, MAR_10)

    response = client_for(coordinator).post(reverse("clinics:host-stay-cancel", args=[stay.pk]), {"reason": ""})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    stay.refresh_from_db()
    assert not stay.is_cancelled


def test_cancelled_stay_page_leads_back_to_the_family(coordinator, family):
    stay = visitor_stay(family, MAR_1, MAR_10)
    services.host_family_stay_cancel(stay=stay, reason="No vino")
    client = client_for(coordinator)

    again = client.post(reverse("clinics:host-stay-cancel", args=[stay.pk]), {"reason": "Otra vez"}, follow=True)
    edit = client.get(reverse("clinics:host-stay-edit", args=[stay.pk]))

    assert "already cancelled" in again.content.decode()
    assert edit.status_code == 302 and edit.url == family.get_absolute_url()
    assert HostStay.objects.get(pk=stay.pk).cancel_reason == "No vino"


def test_stay_pages_are_not_for_pasantes(pasante_a, family):
    stay = visitor_stay(family, MAR_1, MAR_10)
    client = client_for(pasante_a)

    assert client.get(reverse("clinics:host-stay-edit", args=[stay.pk])).status_code == 403
    assert client.post(reverse("clinics:host-stay-cancel", args=[stay.pk]), {"reason": "x"}).status_code == 403
    stay.refresh_from_db()
    assert not stay.is_cancelled


def _crowded(family, size):
    family.rooms = 20
    family.save()
    for n in range(size):
        visitor_stay(family, MAR_1, MAR_10, name=f"Guest {n}")
    return visitor_stay(family, MAR_1, MAR_10, name="Jane Doe")


@pytest.mark.parametrize("size", [1, 10])
def test_stay_edit_post_query_count_is_fixed(coordinator, family, django_assert_num_queries, size):
    stay = _crowded(family, size)
    client = client_for(coordinator)
    data = {"first_night": "2026-03-02", "last_night": "2026-03-09", "meals_per_day": "1"}
    # the stay; the family and the stay locked, the overlapping stays, the validation and the update;
    # pghistory sets its context before each query of the request
    with django_assert_num_queries(LAYOUT_QUERIES + 16):
        response = client.post(reverse("clinics:host-stay-edit", args=[stay.pk]), data)
    assert response.status_code == 302


@pytest.mark.parametrize("size", [1, 10])
def test_stay_cancel_post_query_count_is_fixed(coordinator, family, django_assert_num_queries, size):
    stay = _crowded(family, size)
    client = client_for(coordinator)
    # the stay; the family and the stay locked, the validation and the update; pghistory's context
    with django_assert_num_queries(LAYOUT_QUERIES + 15):
        response = client.post(reverse("clinics:host-stay-cancel", args=[stay.pk]), {"reason": "No vino"})
    assert response.status_code == 302
