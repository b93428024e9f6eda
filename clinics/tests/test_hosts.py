"""Host families: their services (stays under the rooms limit, payments with receipts), pages, receipts,
balances and report."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from ces.reports import rows as report_rows
from ces.reports.registry import Month, report_by_key
from clinics import selectors, services
from clinics.models import Cadre, HostFamily, HostPayment, HostStay
from clinics.tests.factories import CommunityFactory, HostFamilyFactory, StaffFactory
from tests.kit import client_for, errors_in, run_concurrently

MAR_1 = date(2026, 3, 1)
MAR_10 = date(2026, 3, 10)
MAR_31 = date(2026, 3, 31)
APR_1 = date(2026, 4, 1)
APR_5 = date(2026, 4, 5)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64


@pytest.fixture(autouse=True)
def _english():
    # Messages are asserted in their English source; the project's default language is Spanish.
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def counts():
    return {m.__name__: m.objects.count() for m in (HostFamily, HostStay, HostPayment)}


def messages_of(excinfo) -> str:
    return " ".join(excinfo.value.messages)


@pytest.fixture
def family(clinic_a):
    return HostFamilyFactory(community=clinic_a.community, head_of_household="Doña Lupita", rooms=1,
                             rate_per_night=Decimal("150.00"), rate_per_meal=Decimal("50.00"))


@pytest.fixture
def pasante(db):
    return StaffFactory(cadre=Cadre.PASANTE, full_name="Ana Gómez")


def visitor_stay(family, first, last, name="Jane Doe", meals=2):
    return services.host_family_stay_create(family=family, guest_kind="visitor", guest_name=name,
                                            first_night=first, last_night=last, meals_per_day=meals)


# --- host_family_create / host_family_update ------------------------------------------------------------------


def test_family_is_registered_and_its_history_kept(clinic_a):
    family = services.host_family_create(community=clinic_a.community, head_of_household="  Rosa   Pérez ",
                                         rate_per_night=Decimal("120"), rate_per_meal=Decimal("40"), rooms=2,
                                         phone=" 961 123 4567 ")
    services.host_family_update(family=family, community=clinic_a.community, head_of_household="Rosa Pérez",
                                rate_per_night=Decimal("130"), rate_per_meal=Decimal("40"), rooms=2,
                                phone="961 123 4567", active=False)

    family.refresh_from_db()
    assert (family.head_of_household, family.rate_per_night, family.active) == ("Rosa Pérez", Decimal("130"), False)
    labels = list(family.events.order_by("pgh_id").values_list("pgh_label", flat=True))
    assert labels == ["insert", "update"]


@pytest.mark.parametrize("field,value", [("rate_per_night", Decimal("-1")), ("rate_per_meal", Decimal("-0.5")),
                                         ("rooms", 0)])
def test_family_with_a_negative_rate_or_no_room_is_refused(clinic_a, field, value):
    data = {"rate_per_night": Decimal("120"), "rate_per_meal": Decimal("40"), "rooms": 1, field: value}
    before = counts()

    with pytest.raises(ValidationError) as exc:
        services.host_family_create(community=clinic_a.community, head_of_household="Rosa", **data)

    assert field in exc.value.message_dict
    assert counts() == before


def test_family_cannot_have_fewer_rooms_than_guests_still_to_come(family):
    family.rooms = 2
    family.save()
    today = timezone.localdate()
    visitor_stay(family, today, today + timedelta(days=5), name="Uno")
    visitor_stay(family, today + timedelta(days=5), today + timedelta(days=9), name="Dos")
    details = {"community": family.community, "head_of_household": family.head_of_household,
               "rate_per_night": family.rate_per_night, "rate_per_meal": family.rate_per_meal}

    with pytest.raises(ValidationError) as exc:
        services.host_family_update(family=family, rooms=1, **details)

    assert "rooms" in exc.value.message_dict
    family.refresh_from_db()
    assert family.rooms == 2


def test_family_may_have_fewer_rooms_once_its_guests_have_left(family):
    family.rooms = 2
    family.save()
    visitor_stay(family, MAR_1, MAR_10, name="Uno")
    visitor_stay(family, MAR_1, MAR_10, name="Dos")
    details = {"community": family.community, "head_of_household": family.head_of_household,
               "rate_per_night": family.rate_per_night, "rate_per_meal": family.rate_per_meal}

    services.host_family_update(family=family, rooms=1, **details)

    family.refresh_from_db()
    assert family.rooms == 1


# --- host_family_stay_create ----------------------------------------------------------------------------------


def test_stay_of_a_pasante_keeps_the_rates_of_the_day_it_was_recorded(family, pasante, coordinator):
    stay = services.host_family_stay_create(family=family, guest_kind="pasante", guest_staff=pasante,
                                            first_night=MAR_1, last_night=MAR_10, meals_per_day=2, by=coordinator)
    services.host_family_update(family=family, community=family.community, head_of_household="Doña Lupita",
                                rate_per_night=Decimal("300"), rate_per_meal=Decimal("90"))

    stay.refresh_from_db()
    assert (stay.guest_name, stay.guest_staff, stay.nights, stay.meals) == ("Ana Gómez", pasante, 10, 20)
    # 10 nights x 150 + 20 meals x 50, at the rates when it was recorded
    assert stay.amount_owed == Decimal("2500.00")
    assert stay.events.filter(pgh_label="insert").count() == 1


def test_stay_of_a_visitor_is_what_the_visitors_app_records(family):
    stay = visitor_stay(family, MAR_1, MAR_1, name="  Jane   Doe ")

    assert (stay.guest_kind, stay.guest_staff, stay.guest_name, stay.nights) == ("visitor", None, "Jane Doe", 1)


def test_stay_of_a_visitor_without_a_name_is_refused(family):
    before = counts()

    with pytest.raises(ValidationError) as exc:
        visitor_stay(family, MAR_1, MAR_10, name=" ")

    assert "guest_name" in exc.value.message_dict
    assert counts() == before


@pytest.mark.parametrize("staff", [None, "driver"])
def test_stay_of_a_pasante_needs_a_pasante(family, staff):
    guest = StaffFactory(cadre=Cadre.DRIVER) if staff else None
    before = counts()

    with pytest.raises(ValidationError) as exc:
        services.host_family_stay_create(family=family, guest_kind="pasante", guest_staff=guest,
                                         first_night=MAR_1, last_night=MAR_10)

    assert "Choose the pasante" in messages_of(exc)
    assert counts() == before


def test_stay_ending_before_it_starts_is_refused(family):
    before = counts()

    with pytest.raises(ValidationError) as exc:
        visitor_stay(family, MAR_10, MAR_1)

    assert "last_night" in exc.value.message_dict
    assert counts() == before


def test_stay_when_the_rooms_are_full_is_refused(family):
    visitor_stay(family, MAR_1, MAR_10)
    before = counts()

    with pytest.raises(ValidationError) as exc:
        visitor_stay(family, MAR_10, MAR_31, name="John Roe")

    assert "1 room and it is taken" in messages_of(exc)
    assert counts() == before


def test_stay_starting_the_night_after_another_ends_fits(family):
    visitor_stay(family, MAR_1, MAR_10)

    visitor_stay(family, MAR_10 + timedelta(days=1), MAR_31, name="John Roe")

    assert family.stays.count() == 2


def test_two_rooms_take_two_guests_at_once_and_no_third(family):
    family.rooms = 2
    family.save()
    visitor_stay(family, MAR_1, MAR_10, name="Uno")
    # Overlaps the first on 5-10 March but never with a third guest: the second room is free.
    visitor_stay(family, date(2026, 3, 5), MAR_31, name="Dos")
    visitor_stay(family, date(2026, 3, 11), MAR_31, name="Tres")

    with pytest.raises(ValidationError) as exc:
        visitor_stay(family, MAR_10, MAR_10, name="Cuatro")

    assert "2 rooms and they are all taken" in messages_of(exc)
    assert family.stays.count() == 3


def test_stay_with_an_inactive_family_is_refused(family):
    family.active = False
    family.save()

    with pytest.raises(ValidationError) as exc:
        visitor_stay(family, MAR_1, MAR_10)

    assert "no longer hosts guests" in messages_of(exc)


def test_pasante_cannot_stay_in_two_places_at_once(family, pasante, clinic_a):
    other = HostFamilyFactory(community=clinic_a.community, rooms=3)
    services.host_family_stay_create(family=family, guest_kind="pasante", guest_staff=pasante, first_night=MAR_1,
                                     last_night=MAR_31)

    with pytest.raises(ValidationError) as exc:
        services.host_family_stay_create(family=other, guest_kind="pasante", guest_staff=pasante,
                                         first_night=MAR_10, last_night=APR_5)

    assert "already has a stay" in messages_of(exc)


@pytest.mark.django_db(transaction=True)
def test_two_people_taking_the_last_room_at_once_one_is_refused():
    family = HostFamilyFactory(rooms=1)

    def record(i):
        with translation.override("en"):  # each thread has its own language
            return visitor_stay(family, MAR_1, MAR_10, name=f"Guest {i}")

    outcomes = run_concurrently(record, 2)

    errors = errors_in(outcomes)
    assert len(errors) == 1 and isinstance(errors[0], ValidationError)
    assert "it is taken" in " ".join(errors[0].messages)
    assert HostStay.objects.filter(family=family).count() == 1


# --- host_family_payment_create -------------------------------------------------------------------------------


@pytest.fixture
def stay(family):
    return visitor_stay(family, MAR_1, MAR_10)  # 10 nights, 20 meals: 2500.00


def pay(family, amount, *, stays=(), receipt=None, paid_on=APR_1, by=None):
    return services.host_family_payment_create(family=family, amount=amount, paid_on=paid_on, concept="Marzo",
                                               method="transfer", stays=stays, receipt=receipt, by=by)


def test_payment_is_recorded_with_the_stays_it_covers(family, stay, coordinator):
    payment = pay(family, Decimal("2500.00"), stays=[stay], by=coordinator)

    payment.refresh_from_db()
    assert (payment.amount, payment.method, payment.recorded_by, list(payment.stays.all())) == (
        Decimal("2500.00"), "transfer", coordinator, [stay])
    assert payment.excess == Decimal("0")
    assert payment.events.filter(pgh_label="insert").count() == 1


def test_payment_above_what_is_owed_is_allowed_and_flagged(family, stay):
    pay(family, Decimal("2000.00"), stays=[stay])

    payment = pay(family, Decimal("700.00"), stays=[stay])

    assert payment.excess == Decimal("200.00")


def test_payment_covering_no_stay_is_weighed_against_all_the_familys_stays(family, stay):
    assert pay(family, Decimal("2500.00")).excess == Decimal("0")
    assert pay(family, Decimal("1.00")).excess == Decimal("1.00")


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-10.00"), "abc"])
def test_payment_of_nothing_or_less_is_refused(family, stay, amount):
    before = counts()

    with pytest.raises(ValidationError) as exc:
        pay(family, amount, stays=[stay])

    assert "amount" in exc.value.message_dict
    assert counts() == before


def test_payment_in_the_future_is_refused(family, stay):
    with pytest.raises(ValidationError) as exc:
        pay(family, Decimal("10"), paid_on=timezone.localdate() + timedelta(days=1))

    assert "paid_on" in exc.value.message_dict
    assert HostPayment.objects.count() == 0


def test_payment_for_another_familys_stay_is_refused(family, stay):
    other = HostFamilyFactory(community=family.community)

    with pytest.raises(ValidationError) as exc:
        pay(other, Decimal("10"), stays=[stay])

    assert "another family" in messages_of(exc)
    assert HostPayment.objects.count() == 0


# --- receipts -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("content,extension", [(PNG, "png"), (JPEG, "jpg"), (PDF, "pdf")])
def test_receipt_is_stored_by_what_its_content_is(family, stay, settings, content, extension):
    # The name and the type the browser claims are ignored.
    upload = SimpleUploadedFile("foto.gif", content, content_type="image/gif")

    payment = pay(family, Decimal("10"), receipt=upload)

    assert payment.receipt.name.startswith(f"private/host-receipts/{family.pk}/")
    assert payment.receipt.name.endswith(f".{extension}")
    assert (settings.MEDIA_ROOT / payment.receipt.name).read_bytes() == content


def test_receipt_whose_content_is_not_an_image_or_pdf_is_refused(family, stay, settings):
    upload = SimpleUploadedFile("recibo.jpg", b"<html><script>alert(1)</script></html>", content_type="image/jpeg")

    with pytest.raises(ValidationError) as exc:
        pay(family, Decimal("10"), receipt=upload)

    assert "JPEG or PNG" in messages_of(exc)
    assert HostPayment.objects.count() == 0
    assert not (settings.MEDIA_ROOT / "private").exists()


def test_receipt_over_10_mb_is_refused(family, stay):
    upload = SimpleUploadedFile("recibo.png", PNG + b"\x00" * (10 * 1024 * 1024), content_type="image/png")

    with pytest.raises(ValidationError) as exc:
        pay(family, Decimal("10"), receipt=upload)

    assert "larger than 10 MB" in messages_of(exc)
    assert HostPayment.objects.count() == 0


@pytest.mark.parametrize("name", ["../../../etc/passwd.png", "/etc/cron.d/x.png", "..\\..\\web\\x.png",
                                  "recibo.png\x00.php"])
def test_receipt_name_cannot_lead_out_of_its_folder(family, stay, settings, name):
    payment = pay(family, Decimal("10"), receipt=SimpleUploadedFile(name, PNG, content_type="image/png"))

    stored = (settings.MEDIA_ROOT / payment.receipt.name).resolve()
    assert stored.parent == (settings.MEDIA_ROOT / "private" / "host-receipts" / str(family.pk)).resolve()
    assert stored.suffix == ".png" and stored.read_bytes() == PNG


@pytest.fixture
def receipt_payment(family, stay):
    return pay(family, Decimal("10"), receipt=SimpleUploadedFile("r.pdf", PDF, content_type="application/pdf"))


@pytest.mark.parametrize("persona", ["coordinator", "visitor_program", "admin_user"])
def test_receipt_is_served_to_those_who_manage_host_families(request, receipt_payment, persona):
    response = client_for(request.getfixturevalue(persona)).get(
        reverse("clinics:host-payment-receipt", args=[receipt_payment.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("persona", ["pasante_a", "supervisor", "chw", "pharmacy", "outsider", "applicant"])
def test_receipt_is_not_served_to_anyone_else(request, receipt_payment, persona):
    response = client_for(request.getfixturevalue(persona)).get(
        reverse("clinics:host-payment-receipt", args=[receipt_payment.pk]))

    assert response.status_code == 403


def test_receipt_is_not_served_to_the_anonymous(client, receipt_payment):
    response = client.get(reverse("clinics:host-payment-receipt", args=[receipt_payment.pk]))

    assert response.status_code == 302 and "login" in response["Location"]


def test_payment_without_receipt_has_none_to_serve(coordinator, family, stay):
    payment = pay(family, Decimal("10"))

    response = client_for(coordinator).get(reverse("clinics:host-payment-receipt", args=[payment.pk]))

    assert response.status_code == 404


# --- balances -------------------------------------------------------------------------------------------------


def test_months_owe_each_night_in_its_month_and_count_payments_by_their_date(family):
    # 30 and 31 March in March, 1-5 April in April: 7 nights of 150 + 2 meals of 50.
    visitor_stay(family, date(2026, 3, 30), APR_5)
    pay(family, Decimal("400"), paid_on=APR_1)
    pay(family, Decimal("1000"), paid_on=APR_5)

    months = selectors.host_months([family], family.stays.all(), family.payments.all())

    assert [(m.month, m.owed, m.paid, m.balance) for m in months] == [
        (MAR_1, Decimal("500.00"), Decimal("0"), Decimal("500.00")),
        (APR_1, Decimal("1250.00"), Decimal("1400.00"), Decimal("350.00")),
    ]


def test_family_list_shows_what_is_owed_to_date(coordinator, family):
    visitor_stay(family, MAR_1, MAR_10)  # 2500
    visitor_stay(family, timezone.localdate(), timezone.localdate() + timedelta(days=9), name="Futuro")  # 250 so far
    pay(family, Decimal("1000"), paid_on=APR_1)

    listed = selectors.host_family_list(coordinator).get(pk=family.pk)

    assert (listed.owed, listed.paid, listed.balance) == (Decimal("2750.00"), Decimal("1000.00"), Decimal("1750.00"))


# --- report ---------------------------------------------------------------------------------------------------


def _report(user, **filters):
    report = report_by_key("host-family-balances")
    source = report.rows(user, filters)
    getters = report_rows.getters(report, source)
    return [[get(row) for get in getters] for row in report_rows.page(source, 0, 100)]


def test_report_gives_owed_and_paid_by_family_and_month_with_totals(coordinator, family, clinic_a):
    visitor_stay(family, date(2026, 3, 30), APR_5)  # March 500, April 1250
    pay(family, Decimal("400"), paid_on=APR_1)
    other = HostFamilyFactory(community=CommunityFactory(name="Zinacantán"), head_of_household="Don Pedro",
                              rate_per_night=Decimal("100"), rate_per_meal=Decimal("0"))
    visitor_stay(other, MAR_1, MAR_1)  # March 100
    pay(other, Decimal("100"), paid_on=MAR_10)

    rows = _report(coordinator)

    assert rows == [
        ["Capitán", "Doña Lupita", Month(2026, 3, 1), Decimal("500.00"), Decimal("0"), Decimal("500.00")],
        ["Capitán", "Doña Lupita", Month(2026, 4, 1), Decimal("1250.00"), Decimal("400.00"), Decimal("1350.00")],
        ["Capitán", "Doña Lupita", "Total", Decimal("1750.00"), Decimal("400.00"), Decimal("1350.00")],
        ["Zinacantán", "Don Pedro", Month(2026, 3, 1), Decimal("100.00"), Decimal("100.00"), Decimal("0.00")],
        ["Zinacantán", "Don Pedro", "Total", Decimal("100.00"), Decimal("100.00"), Decimal("0.00")],
        ["", "", "Total of all families", Decimal("1850.00"), Decimal("500.00"), Decimal("1350.00")],
    ]
    # A period keeps the balance carried from before it.
    april = _report(coordinator, date_from=APR_1, date_to=None, community=clinic_a.community)
    assert april[0] == ["Capitán", "Doña Lupita", Month(2026, 4, 1), Decimal("1250.00"), Decimal("400.00"),
                        Decimal("1350.00")]
    assert april[-1][2:] == ["Total of all families", Decimal("1250.00"), Decimal("400.00"), Decimal("1350.00")]


def test_report_is_for_coordinators_the_visitor_program_and_admins(coordinator, visitor_program, admin_user,
                                                                   pasante_a, supervisor, pharmacy, family):
    report = report_by_key("host-family-balances")
    assert [report.allowed(u) for u in (coordinator, visitor_program, admin_user)] == [True, True, True]
    assert [report.allowed(u) for u in (pasante_a, supervisor, pharmacy)] == [False, False, False]
    visitor_stay(family, MAR_1, MAR_1)
    assert _report(pasante_a) == []
    assert len(_report(visitor_program)) == 3


def test_report_page_shows_the_rows(visitor_program, family):
    visitor_stay(family, MAR_1, MAR_1)

    response = client_for(visitor_program).get(reverse("reports:report-detail", args=["host-family-balances"]))

    assert response.status_code == 200
    assert "Doña Lupita" in response.content.decode()


def test_report_downloads_as_csv_with_its_totals(coordinator, family):
    visitor_stay(family, MAR_1, MAR_1)  # 250
    pay(family, Decimal("100"), paid_on=MAR_10)

    response = client_for(coordinator).get(reverse("reports:report-csv", args=["host-family-balances"]))

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response.status_code == 200
    assert "Doña Lupita" in text and "Total of all families" in text
    assert "250.00" in text and "150.00" in text
