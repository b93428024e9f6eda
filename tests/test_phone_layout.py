"""The pages a first user tripped on, in a 360 px phone: nothing wider than the screen, and what each
person needs to read in view. One test per persona: log in once, visit each page.

- the pasante: her request's detail (each line a card: asked, approved and why cut, dispatched), her
  clinic's page (long names, host families, phone numbers), the staff list and a report with its chart;
- the coordinator: the clinic page, the staff list, the new-assignment form, the roster report, and the
  chart drawn at the card's width on a desktop;
- pharmacy: an approval with a cut and no reason brings that item's card into view and focuses its field.
"""

import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ces.accounts.tests.factories import PASSWORD
from clinics.tests.factories import AssignmentFactory, HostFamilyFactory, StaffFactory
from pharmacy import services
from pharmacy.models import RestockRequest
from pharmacy.tests.factories import ItemFactory

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE_WIDTH = 360
CUT_REASON = "Existencia limitada en el almacén; se completa en la próxima entrega."


def _log_in(page, live_server, user):
    from playwright.sync_api import expect

    page.context.clear_cookies()
    page.goto(live_server.url + reverse("account_login"))
    page.locator("input[name=login]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page).to_have_url(live_server.url + reverse("accounts:home"))


def _visit_and_fit(page, live_server, path):
    """Open ``path``; nothing on it may make the phone scroll sideways."""
    response = page.goto(live_server.url + path)
    assert response.status == 200, path
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{path} is {width} px wide"


def _within_screen(locator):
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH, box


def _items():
    long_names = [("Sales de rehidratación oral", "27.9 g polvo para solución oral", "sobre"),
                  ("Salbutamol", "100 µg/dosis suspensión en aerosol", "inhalador"),
                  ("Paracetamol", "500 mg", "tableta")]
    return [ItemFactory(code=f"010.000.{i:04d}.00", name=name, strength=strength, form="polvo", unit=unit)
            for i, (name, strength, unit) in enumerate(long_names)]


def _line(item, requested):
    return {"item": item.pk, "beginning_balance": 1200, "received": 950, "consumed": 1846, "stock_on_hand": 304,
            "stockout_days": 0, "requested": requested,
            "explanation": "Temporada de lluvias: se esperan más casos de diarrea en las comunidades de la sierra."}


@pytest.fixture
def dispatched(pasante_a, pharmacy, clinic_a):
    """Clinic A's request of this month, approved with a cut (and its reason) and dispatched."""
    items = _items()
    for item in items:
        services.warehouse_receive(item=item, lot_number=f"L-{item.code}", quantity=20_000, by=pharmacy,
                                   expiry=timezone.localdate() + timedelta(days=400))
    request = services.restock_request_create_draft(
        clinic=clinic_a, period=timezone.localdate().replace(day=1), by=pasante_a,
        lines=[_line(item, 9622) for item in items])
    services.restock_request_submit(request=request, by=pasante_a)
    services.restock_request_approve(request=request, by=pharmacy, cuts={items[0].pk: (7000, CUT_REASON)})
    services.restock_request_dispatch(request=request, by=pharmacy)
    return request


@pytest.fixture
def crowded_clinic(clinic_a):
    """Clinic A with a long-named team and host families with phone numbers."""
    HostFamilyFactory(community=clinic_a.community, head_of_household="María de los Ángeles Gordillo Alvarado",
                      phone="+52 (962) 935 2549 ext. 12", rate_per_night=Decimal("1500.00"),
                      rate_per_meal=Decimal("250.00"))
    staff = StaffFactory(full_name="Guadalupe Concepción Escobar Castillo de la Cruz", cadre="chw",
                         phone="+52 962 100 2000", email="guadalupe.concepcion.escobar@ejemplo.org.mx")
    AssignmentFactory(clinic=clinic_a, staff=staff, role="chw", start_date=timezone.localdate(), end_date=None)
    return clinic_a


def test_the_pasantes_pages_fit_a_phone_and_her_request_reads_line_by_line(page, live_server, pasante_a,
                                                                            dispatched, crowded_clinic):
    from playwright.sync_api import expect

    _log_in(page, live_server, pasante_a)

    _visit_and_fit(page, live_server, reverse("pharmacy:request-detail", args=[dispatched.pk]))
    cut = dispatched.lines.get(cut_reason=CUT_REASON)
    card = page.locator(f"[data-testid=line-row][data-item='{cut.item_id}']")
    for testid in ("line-requested", "line-approved", "line-dispatched", "line-cut-reason"):
        target = card.locator(f"[data-testid={testid}]")
        expect(target).to_be_visible()
        _within_screen(target)
    expect(card.locator("[data-testid=line-cut-reason]")).to_have_text(CUT_REASON)
    expect(card.locator("[data-testid=line-approved]")).to_contain_text("7000")

    _visit_and_fit(page, live_server, reverse("clinics:clinic-detail", args=[crowded_clinic.pk]))
    phone = page.locator("[data-testid=host-families] a[href^='tel:']")
    expect(phone).to_be_visible()
    _within_screen(phone)

    _visit_and_fit(page, live_server, reverse("clinics:staff-list"))
    _visit_and_fit(page, live_server, reverse("reports:report-list"))
    _visit_and_fit(page, live_server, reverse("reports:report-detail", args=["restock-requests"]))
    expect(page.locator("[data-testid=chart] svg.chart-narrow")).to_be_visible()


def test_the_coordinators_pages_fit_a_phone_and_the_chart_takes_the_cards_width(page, live_server, coordinator,
                                                                                crowded_clinic):
    from playwright.sync_api import expect

    _log_in(page, live_server, coordinator)
    for path in (reverse("clinics:clinic-detail", args=[crowded_clinic.pk]), reverse("clinics:staff-list"),
                 reverse("clinics:assignment-create"), reverse("reports:report-detail", args=["pasante-roster"])):
        _visit_and_fit(page, live_server, path)
    expect(page.locator("[data-testid=chart] svg.chart-narrow")).to_be_visible()
    expect(page.locator("[data-testid=chart] svg.chart-wide")).to_be_hidden()

    page.set_viewport_size({"width": 1280, "height": 800})
    page.reload()
    chart = page.locator("[data-testid=chart]")
    wide = chart.locator("svg.chart-wide")
    expect(wide).to_be_visible()
    expect(chart.locator("svg.chart-narrow")).to_be_hidden()
    # The drawing fills the card (less its padding), not a fixed 48rem.
    assert wide.bounding_box()["width"] >= chart.bounding_box()["width"] - 24


def test_a_cut_without_reason_brings_that_items_card_into_view_with_its_field_focused(page, live_server, pharmacy,
                                                                                      pasante_a, clinic_a):
    from playwright.sync_api import expect

    items = _items() + [ItemFactory(code=f"010.000.9{i:03d}.00", name=f"Zinc {i}") for i in range(12)]
    request = services.restock_request_create_draft(
        clinic=clinic_a, period=timezone.localdate().replace(day=1), by=pasante_a,
        lines=[_line(item, 100) for item in items])
    services.restock_request_submit(request=request, by=pasante_a)
    last = items[-1]  # far down the page

    _log_in(page, live_server, pharmacy)
    _visit_and_fit(page, live_server, reverse("pharmacy:request-approve", args=[request.pk]))
    page.locator(f"[name=quantity_{last.pk}]").fill("60")
    page.locator("[data-testid=approve-submit]").click()

    card = page.locator(f"[data-testid=review-line][data-item='{last.pk}']")
    expect(card).to_have_class("card review-line error-card")
    expect(page.locator(f"[name=note_{last.pk}]")).to_be_focused()
    expect(card).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    request.refresh_from_db()
    assert request.state == RestockRequest.State.SUBMITTED
