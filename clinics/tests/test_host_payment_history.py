"""A payment's covered stays are audited (HostPaymentStay, tracked by pghistory): each stay added or taken off
is in the payment's history with who and when, shown on the payment's page; a payment is corrected there."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from clinics import selectors, services
from clinics.models import HostPayment, HostPaymentStay
from clinics.tests.factories import HostFamilyFactory
from tests.kit import LAYOUT_QUERIES, client_for

MAR_1 = date(2026, 3, 1)
MAR_10 = date(2026, 3, 10)
APR_1 = date(2026, 4, 1)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def family(clinic_a):
    return HostFamilyFactory(community=clinic_a.community, head_of_household="Doña Lupita", rooms=3,
                             rate_per_night=Decimal("150.00"), rate_per_meal=Decimal("50.00"))


def stay(family, first, name, nights=10):
    return services.host_family_stay_create(family=family, guest_kind="visitor", guest_name=name, first_night=first,
                                            last_night=first + timedelta(days=nights - 1), meals_per_day=2)


def pay(family, amount, stays, by=None):
    return services.host_family_payment_create(family=family, amount=Decimal(amount), paid_on=APR_1,
                                               concept="Hospedaje", stays=stays, by=by)


def update(payment, stays, by=None, amount=None, **changes):
    return services.host_family_payment_update(
        payment=payment, amount=amount or payment.amount, paid_on=changes.get("paid_on", payment.paid_on),
        concept=changes.get("concept", payment.concept), method=changes.get("method", payment.method),
        stays=stays, by=by)


def test_each_stay_added_or_taken_off_a_payment_is_recorded_with_who(family, coordinator, visitor_program):
    ana, beto = stay(family, MAR_1, "Ana"), stay(family, MAR_1, "Beto")
    payment = pay(family, "2500", [ana], by=coordinator)

    update(payment, [beto], by=visitor_program)

    events = list(HostPaymentStay.pgh_event_model.objects.filter(payment_id=payment.pk).order_by("pgh_id")
                  .values_list("pgh_label", "stay_id", "pgh_context__metadata__user"))
    assert events == [("insert", ana.pk, coordinator.pk), ("delete", ana.pk, visitor_program.pk),
                      ("insert", beto.pk, visitor_program.pk)]
    assert list(payment.stays.all()) == [beto]


def test_payment_trail_shows_the_stays_it_covers_changing(family, coordinator, visitor_program):
    ana, beto = stay(family, MAR_1, "Ana"), stay(family, MAR_10, "Beto")
    payment = pay(family, "2500", [ana], by=coordinator)
    update(payment, [ana, beto], by=visitor_program, amount=Decimal("5000"))

    trail = selectors.host_payment_trail(payment)
    shown = [(entry["label"], entry["by"], [(str(f), old, new) for f, old, new in entry["changes"]])
             for entry in trail]

    assert shown == [
        ("update", visitor_program, [("amount (MXN)", "2500.00", "5000.00"),
                                     ("stays it covers", "Ana (01/03/2026)", "Ana (01/03/2026); Beto (10/03/2026)")]),
        ("insert", coordinator, [("stays it covers", "—", "Ana (01/03/2026)")]),
    ]


def test_payment_changed_without_touching_its_stays_records_no_stay_change(family, coordinator):
    ana = stay(family, MAR_1, "Ana")
    payment = pay(family, "2500", [ana], by=coordinator)

    update(payment, [ana], by=coordinator, concept="Marzo")

    assert HostPaymentStay.pgh_event_model.objects.filter(payment_id=payment.pk).count() == 1
    latest = selectors.host_payment_trail(payment)[0]
    assert [(str(f), old, new) for f, old, new in latest["changes"]] == [("concept", "Hospedaje", "Marzo")]


def test_payment_corrected_weighs_its_excess_again_against_the_other_payments(family):
    ana = stay(family, MAR_1, "Ana")  # 2500
    payment = pay(family, "3000", [ana])
    assert payment.excess == Decimal("500.00")

    payment = update(payment, [ana], amount=Decimal("2500"))

    assert payment.excess == Decimal("0")
    pay(family, "100", [ana])
    assert update(payment, [ana], amount=Decimal("2500")).excess == Decimal("100.00")


def test_payment_keeps_a_stay_cancelled_since_but_takes_no_new_cancelled_stay(family):
    ana, beto = stay(family, MAR_1, "Ana"), stay(family, MAR_1, "Beto")
    payment = pay(family, "2500", [ana])
    services.host_family_stay_cancel(stay=ana, reason="No vino")
    services.host_family_stay_cancel(stay=beto, reason="No vino")

    update(payment, [ana], concept="Corregido")
    with pytest.raises(ValidationError) as excinfo:
        update(payment, [ana, beto])

    assert "was cancelled" in " ".join(excinfo.value.messages)
    assert list(payment.stays.all()) == [ana]


def test_payment_corrected_with_a_stay_of_another_family_is_refused(family, clinic_a):
    ana = stay(family, MAR_1, "Ana")
    other = stay(HostFamilyFactory(community=clinic_a.community), MAR_1, "Otra")
    payment = pay(family, "2500", [ana])

    with pytest.raises(ValidationError) as excinfo:
        update(payment, [other])

    assert "belongs to another family" in " ".join(excinfo.value.messages)
    assert list(payment.stays.all()) == [ana]


# --- pages ------------------------------------------------------------------------------------------------------


def test_payment_page_shows_its_history_with_the_stays(coordinator, family):
    ana, beto = stay(family, MAR_1, "Ana"), stay(family, MAR_10, "Beto")
    payment = pay(family, "2500", [ana], by=coordinator)
    update(payment, [beto], by=coordinator)

    family_page = client_for(coordinator).get(reverse("clinics:host-family-detail", args=[family.pk]))
    html = client_for(coordinator).get(reverse("clinics:host-payment-detail", args=[payment.pk])).content.decode()

    assert reverse("clinics:host-payment-detail", args=[payment.pk]) in family_page.content.decode()
    trail = html.split('data-testid="payment-trail"')[1]
    assert "stays it covers: “Ana (01/03/2026)” → “Beto (10/03/2026)”" in trail
    assert coordinator.full_name in trail


def test_payment_is_corrected_from_its_form(coordinator, family):
    ana, beto = stay(family, MAR_1, "Ana"), stay(family, MAR_10, "Beto")
    payment = pay(family, "2500", [ana])
    client = client_for(coordinator)
    assert client.get(reverse("clinics:host-payment-edit", args=[payment.pk])).status_code == 200

    response = client.post(reverse("clinics:host-payment-edit", args=[payment.pk]), {
        "amount": "6000", "paid_on": "2026-04-01", "method": "transfer", "concept": "Marzo",
        "stays": [ana.pk, beto.pk]}, follow=True)

    payment.refresh_from_db()
    assert (payment.amount, payment.method, set(payment.stays.all())) == (Decimal("6000.00"), "transfer", {ana, beto})
    assert "$1000.00 MXN above what was owed" in response.content.decode()
    last = HostPaymentStay.pgh_event_model.objects.order_by("pgh_id").last()
    assert (last.stay_id, last.pgh_context.metadata["user"]) == (beto.pk, coordinator.pk)


def test_payment_corrected_to_nothing_is_refused_on_its_form(coordinator, family):
    payment = pay(family, "2500", [stay(family, MAR_1, "Ana")])

    response = client_for(coordinator).post(reverse("clinics:host-payment-edit", args=[payment.pk]), {
        "amount": "0", "paid_on": "2026-04-01", "method": "cash", "concept": "Marzo"})

    assert response.status_code == 200
    assert "must be more than zero" in response.content.decode()
    assert HostPayment.objects.get().amount == Decimal("2500.00")


@pytest.mark.parametrize("size", [1, 10])
def test_payment_page_query_count_is_fixed_with_a_long_history(coordinator, family, django_assert_num_queries,
                                                               size):
    stays = [stay(family, MAR_1 + timedelta(days=20 * (n // 3)), f"Guest {n}", nights=5) for n in range(size)]
    payment = pay(family, "100", stays[:1], by=coordinator)
    for n in range(1, size):
        update(payment, stays[: n + 1], by=coordinator)
    client = client_for(coordinator)
    # the payment with its family and who recorded it, its stays, its events, its stays' events, their users
    with django_assert_num_queries(LAYOUT_QUERIES + 5):
        response = client.get(reverse("clinics:host-payment-detail", args=[payment.pk]))
    assert response.content.decode().count('data-testid="trail-entry"') == size


@pytest.mark.parametrize("size", [1, 10])
def test_payment_form_post_query_count_is_fixed(coordinator, family, django_assert_num_queries, size):
    family.rooms = 20
    family.save()
    stays = [stay(family, MAR_1, f"Guest {n}") for n in range(size)]
    payment = pay(family, "100", stays)
    added = stay(family, MAR_1, "Nueva")
    client = client_for(coordinator)
    data = {"amount": "200", "paid_on": "2026-04-01", "method": "cash", "concept": "Marzo",
            "stays": [s.pk for s in stays[1:]] + [added.pk]}
    # the payment (family, stays, history: the form's page) and the stay choices; then the family and the
    # payment locked, the stays it covered, the stays read again, owed and paid, the validation, the update
    # and the stays set (one delete, one insert); pghistory sets its context before each query
    with django_assert_num_queries(LAYOUT_QUERIES + 23):
        response = client.post(reverse("clinics:host-payment-edit", args=[payment.pk]), data)
    assert response.status_code == 302
