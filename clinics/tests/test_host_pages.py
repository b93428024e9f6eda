"""The host-family pages: list with balances, a family's page, its forms, and their query counts."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from clinics import services
from clinics.models import Cadre, HostFamily, HostPayment, HostStay
from clinics.tests.factories import HostFamilyFactory, StaffFactory
from tests.kit import LAYOUT_QUERIES, client_for

MAR_1 = date(2026, 3, 1)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def family(clinic_a):
    return HostFamilyFactory(community=clinic_a.community, head_of_household="Doña Lupita", rooms=1,
                             rate_per_night=Decimal("150.00"), rate_per_meal=Decimal("50.00"))


def stay_for(family, first, nights=10, name="Jane Doe"):
    return services.host_family_stay_create(family=family, guest_kind="visitor", guest_name=name, first_night=first,
                                            last_night=first + timedelta(days=nights - 1), meals_per_day=2)


def families_with_history(clinic, size):
    """``size`` families, each with two stays and two payments."""
    for n in range(size):
        family = HostFamilyFactory(community=clinic.community, head_of_household=f"Familia {n:02d}", rooms=2)
        stays = [stay_for(family, MAR_1), stay_for(family, MAR_1 + timedelta(days=40))]
        for stay in stays:
            services.host_family_payment_create(family=family, amount=Decimal("100"), paid_on=MAR_1, concept="x",
                                                stays=[stay], receipt=SimpleUploadedFile("r.png", PNG))
    return family


# --- list -----------------------------------------------------------------------------------------------------


def test_list_shows_each_family_with_what_it_is_owed(coordinator, family):
    stay_for(family, MAR_1)  # 2500
    services.host_family_payment_create(family=family, amount=Decimal("1000"), paid_on=MAR_1, concept="Marzo")

    response = client_for(coordinator).get(reverse("clinics:host-family-list"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Doña Lupita" in page and "$2500.00" in page and "$1500.00 owed" in page


def test_list_filters_by_community_and_search(visitor_program, family, clinic_b):
    HostFamilyFactory(community=clinic_b.community, head_of_household="Don Chema")
    client = client_for(visitor_program)

    by_community = client.get(reverse("clinics:host-family-list"), {"community": clinic_b.community.pk}).content
    by_search = client.get(reverse("clinics:host-family-list"), {"q": "lupita"}).content

    assert b"Don Chema" in by_community and "Doña Lupita".encode() not in by_community
    assert "Doña Lupita".encode() in by_search and b"Don Chema" not in by_search


@pytest.mark.parametrize("size", [2, 12])
def test_list_query_count_is_fixed(coordinator, clinic_a, django_assert_num_queries, size):
    families_with_history(clinic_a, size)
    client = client_for(coordinator)
    # community choices, count, page of families with their sums
    with django_assert_num_queries(LAYOUT_QUERIES + 3):
        response = client.get(reverse("clinics:host-family-list"))
    assert response.status_code == 200


# --- a family's page ------------------------------------------------------------------------------------------


def test_family_page_shows_months_stays_and_a_payment_above_what_was_owed(coordinator, family):
    stay_for(family, date(2026, 3, 30), nights=7)  # March 500, April 1250
    services.host_family_payment_create(family=family, amount=Decimal("2000"), paid_on=date(2026, 4, 2),
                                        concept="Todo", receipt=SimpleUploadedFile("r.png", PNG))

    response = client_for(coordinator).get(reverse("clinics:host-family-detail", args=[family.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "March 2026" in page and "April 2026" in page
    assert "$250.00 paid ahead" in page
    assert "$250.00 above what was owed" in page
    assert reverse("clinics:host-payment-receipt", args=[family.payments.get().pk]) in page


@pytest.mark.parametrize("size", [2, 12])
def test_family_page_query_count_is_fixed(coordinator, clinic_a, django_assert_num_queries, size):
    family = families_with_history(clinic_a, 1)
    for n in range(size):
        stay = stay_for(family, MAR_1 + timedelta(days=100 + 20 * n), name=f"Guest {n}")
        services.host_family_payment_create(family=family, amount=Decimal("10"), paid_on=MAR_1, concept="x",
                                            stays=[stay])
    client = client_for(coordinator)
    # the family, its stays, its payments with who recorded them, the stays of those payments
    with django_assert_num_queries(LAYOUT_QUERIES + 4):
        response = client.get(reverse("clinics:host-family-detail", args=[family.pk]))
    assert response.status_code == 200


def test_clinic_page_links_its_families_for_those_who_manage_them(coordinator, pasante_a, family, clinic_a):
    url = reverse("clinics:clinic-detail", args=[clinic_a.pk])

    assert family.get_absolute_url() in client_for(coordinator).get(url).content.decode()
    assert family.get_absolute_url() not in client_for(pasante_a).get(url).content.decode()


# --- forms ----------------------------------------------------------------------------------------------------

FAMILY_FORM = {"head_of_household": "Rosa Pérez", "phone": "961 000 0000", "address": "", "rooms": "2",
               "rate_per_night": "120.00", "rate_per_meal": "40.00", "active": "on", "notes": ""}


def test_family_is_added_from_its_form(visitor_program, clinic_a):
    response = client_for(visitor_program).post(reverse("clinics:host-family-create"),
                                                {**FAMILY_FORM, "community": clinic_a.community.pk})

    family = HostFamily.objects.get()
    assert response.status_code == 302 and response["Location"] == family.get_absolute_url()
    assert (family.rooms, family.rate_per_night, family.active) == (2, Decimal("120.00"), True)


def test_family_with_a_negative_rate_is_refused_on_the_form(visitor_program, clinic_a):
    response = client_for(visitor_program).post(reverse("clinics:host-family-create"),
                                                {**FAMILY_FORM, "community": clinic_a.community.pk,
                                                 "rate_per_night": "-5"})

    assert response.status_code == 200
    assert "greater than or equal to 0" in response.content.decode()
    assert not HostFamily.objects.exists()


def test_family_is_edited_and_deactivated(coordinator, family):
    data = {**FAMILY_FORM, "community": family.community.pk, "head_of_household": "Doña Lupita Ruiz"}
    data.pop("active")

    response = client_for(coordinator).post(reverse("clinics:host-family-edit", args=[family.pk]), data)

    family.refresh_from_db()
    assert response.status_code == 302
    assert (family.head_of_household, family.active) == ("Doña Lupita Ruiz", False)


def test_stay_is_recorded_from_its_form(coordinator, family):
    pasante = StaffFactory(cadre=Cadre.PASANTE, full_name="Ana Gómez")

    response = client_for(coordinator).post(reverse("clinics:host-stay-create", args=[family.pk]), {
        "guest_kind": "pasante", "guest_staff": pasante.pk, "guest_name": "", "first_night": "2026-03-01",
        "last_night": "10/03/2026", "meals_per_day": "3"})

    stay = HostStay.objects.get()
    assert response.status_code == 302
    assert (stay.guest_staff, stay.nights, stay.amount_owed, stay.recorded_by) == (
        pasante, 10, Decimal("3000.00"), coordinator)


def test_stay_when_the_rooms_are_full_is_refused_on_the_form(coordinator, family):
    stay_for(family, MAR_1)

    response = client_for(coordinator).post(reverse("clinics:host-stay-create", args=[family.pk]), {
        "guest_kind": "visitor", "guest_name": "John Roe", "first_night": "2026-03-05", "last_night": "2026-03-06",
        "meals_per_day": "0"})

    assert response.status_code == 200
    assert "it is taken on some of those nights" in response.content.decode()
    assert HostStay.objects.count() == 1


def test_stay_ending_before_it_starts_is_refused_on_the_form(coordinator, family):
    response = client_for(coordinator).post(reverse("clinics:host-stay-create", args=[family.pk]), {
        "guest_kind": "visitor", "guest_name": "John Roe", "first_night": "2026-03-05", "last_night": "2026-03-01",
        "meals_per_day": "0"})

    assert response.status_code == 200
    assert "cannot be before the first" in response.content.decode()
    assert not HostStay.objects.exists()


@pytest.mark.parametrize("size", [1, 10])
def test_stay_form_post_query_count_is_fixed(coordinator, family, django_assert_num_queries, size):
    family.rooms = 20
    family.save()
    for n in range(size):
        stay_for(family, MAR_1, name=f"Guest {n}")
    client = client_for(coordinator)
    data = {"guest_kind": "visitor", "guest_name": "John Roe", "first_night": "2026-03-05",
            "last_night": "2026-03-06", "meals_per_day": "0"}
    # the family, then locked, the overlapping stays, the pasante's, the validation and the insert; pghistory
    # sets its context (who, which URL) before each query of the request
    with django_assert_num_queries(LAYOUT_QUERIES + 16):
        response = client.post(reverse("clinics:host-stay-create", args=[family.pk]), data)
    assert response.status_code == 302


def test_payment_with_a_receipt_is_recorded_from_its_form(coordinator, family):
    stay = stay_for(family, MAR_1)

    response = client_for(coordinator).post(reverse("clinics:host-payment-create", args=[family.pk]), {
        "amount": "2600.00", "paid_on": "2026-03-11", "method": "cash", "concept": "Marzo", "stays": [stay.pk],
        "receipt": SimpleUploadedFile("foto.png", PNG, content_type="image/png")}, follow=True)

    payment = HostPayment.objects.get()
    assert (payment.amount, list(payment.stays.all()), payment.excess) == (
        Decimal("2600.00"), [stay], Decimal("100.00"))
    assert payment.receipt.name.endswith(".png")
    assert "$100.00 MXN above what was owed" in response.content.decode()


@pytest.mark.parametrize("content,message", [(b"GIF89a not allowed", "JPEG or PNG"),
                                             (b"", "The submitted file is empty.")])
def test_payment_with_a_bad_receipt_is_refused_on_the_form(coordinator, family, content, message):
    response = client_for(coordinator).post(reverse("clinics:host-payment-create", args=[family.pk]), {
        "amount": "100", "paid_on": "2026-03-11", "method": "cash", "concept": "Marzo",
        "receipt": SimpleUploadedFile("recibo.png", content, content_type="image/png")})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not HostPayment.objects.exists()


def test_payment_of_a_negative_amount_is_refused_on_the_form(coordinator, family):
    response = client_for(coordinator).post(reverse("clinics:host-payment-create", args=[family.pk]), {
        "amount": "-100", "paid_on": "2026-03-11", "method": "cash", "concept": "Marzo"})

    assert response.status_code == 200
    assert "must be more than zero" in response.content.decode()
    assert not HostPayment.objects.exists()


def test_payment_for_a_stay_of_another_family_is_refused_on_the_form(coordinator, family, clinic_a):
    other_stay = stay_for(HostFamilyFactory(community=clinic_a.community), MAR_1)

    response = client_for(coordinator).post(reverse("clinics:host-payment-create", args=[family.pk]), {
        "amount": "100", "paid_on": "2026-03-11", "method": "cash", "concept": "Marzo", "stays": [other_stay.pk]})

    assert response.status_code == 200
    assert "Choose one of the options" in response.content.decode()
    assert not HostPayment.objects.exists()


@pytest.mark.parametrize("size", [1, 10])
def test_payment_form_post_query_count_is_fixed(coordinator, family, django_assert_num_queries, size):
    family.rooms = 20
    family.save()
    stays = [stay_for(family, MAR_1, name=f"Guest {n}") for n in range(size)]
    for stay in stays:
        services.host_family_payment_create(family=family, amount=Decimal("10"), paid_on=MAR_1, concept="x",
                                            stays=[stay])
    client = client_for(coordinator)
    data = {"amount": "100", "paid_on": timezone.localdate().isoformat(), "method": "cash", "concept": "Marzo",
            "stays": [s.pk for s in stays], "receipt": SimpleUploadedFile("r.png", PNG, content_type="image/png")}
    # the family and the stay choices, then the family locked, its stays read again, owed and paid for the
    # stays, the validation, the insert and the stays it covers; pghistory sets its context before each query
    # (once more for the service's own context, which names who recorded the covered stays)
    with django_assert_num_queries(LAYOUT_QUERIES + 18):
        response = client.post(reverse("clinics:host-payment-create", args=[family.pk]), data)
    assert response.status_code == 302
