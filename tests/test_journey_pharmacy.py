"""Browser journey: a month of restocking on a 360 px phone.

Clinic Capitán has last month's request behind it (dispatched and received through the services), so
the form knows its history. The pasante logs in, starts this month's request from their home page, fills
consumption and the counted stock of both items, asks for more paracetamol than suggested (with an
explanation) and submits. Pharmacy logs in, opens the queue, approves the paracetamol with a cut (and
its reason) and dispatches: the pick list takes the lot that expires first (never the expired one),
then the next. The pasante confirms what arrived, one line short with a remark. The clinic's stock on
hand moved: on the stock page and in StockBalance. The UI is Spanish; the assertions hold on
data-testid attributes, values and URLs.
"""

import os
from datetime import timedelta

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from pharmacy import services
from pharmacy.models import RestockRequest, StockBalance, StockMovement
from pharmacy.tests.factories import ItemFactory, restock_request_in_state
from tests.kit import assert_fits_the_screen, browser_log_in

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _last_month(period):
    return (period - timedelta(days=1)).replace(day=1)


def _on_hand(page, live_server, item):
    """What the stock page shows for ``item`` (the pasante's stock page is their clinic's)."""
    from playwright.sync_api import expect

    page.goto(live_server.url + reverse("pharmacy:stock-list"))
    row = page.locator(f"[data-testid=stock-row][data-item='{item.code}']")
    expect(row).to_have_count(1)
    return int(row.get_attribute("data-on-hand"))


def _clinic_balance(clinic, item):
    return StockBalance.objects.filter(clinic=clinic, lot__item=item).aggregate(t=Sum("quantity"))["t"] or 0


def test_a_month_of_restocking_from_request_to_receipt(page, live_server, pasante_a, pharmacy, clinic_a):
    from playwright.sync_api import expect

    today = timezone.localdate()
    period = today.replace(day=1)
    paracetamol = ItemFactory(code="010.000.0104.00", name="Paracetamol", strength="500 mg", form="tableta",
                              unit="tableta", category="Analgésicos", max_months_of_stock=3)
    amoxicillin = ItemFactory(code="010.000.2128.00", name="Amoxicilina", strength="500 mg", form="cápsula",
                              unit="cápsula", category="Antibióticos", max_months_of_stock=3)
    # The warehouse: an expired paracetamol lot (never picked), one expiring in four months, one next year.
    for item, lot, days, quantity in ((paracetamol, "PARA-VENCIDO", -20, 300), (paracetamol, "PARA-PRONTO", 120, 100),
                                      (paracetamol, "PARA-LEJOS", 400, 1000), (amoxicillin, "AMOX-1", 300, 500)):
        services.warehouse_receive(item=item, lot_number=lot, expiry=today + timedelta(days=days), quantity=quantity,
                                   by=pharmacy, document="factura 881")
    # Last month: paracetamol 30 consumed, 10 counted (80 suggested); amoxicillin 20 and 5 (55). Dispatched
    # first expiry first (80 from PARA-PRONTO) and received in full: the clinic holds 80 and 55.
    restock_request_in_state(
        RestockRequest.State.RECEIVED, clinic=clinic_a, period=_last_month(period), pasante=pasante_a,
        reviewer=pharmacy, lines=[
            {"item": paracetamol.pk, "consumed": 30, "stock_on_hand": 10, "stockout_days": 0},
            {"item": amoxicillin.pk, "consumed": 20, "stock_on_hand": 5, "stockout_days": 0}])
    assert (_clinic_balance(clinic_a, paracetamol), _clinic_balance(clinic_a, amoxicillin)) == (80, 55)

    # --- The pasante: sees the stock, then starts this month's request from the home page. ---
    browser_log_in(page, live_server, pasante_a)
    expect(page.locator("html")).to_have_attribute("lang", "es")
    assert _on_hand(page, live_server, paracetamol) == 80
    page.goto(live_server.url + reverse("accounts:home"))
    expect(page.locator("[data-testid=my-request]")).to_have_attribute("data-state", "none")
    page.locator("[data-testid=my-request-start]").click()
    expect(page).to_have_url(live_server.url + reverse("pharmacy:request-create"))
    form = page.locator("[data-testid=restock-form]")
    para = form.locator(f"[data-testid=line][data-item-id='{paracetamol.pk}']")
    amox = form.locator(f"[data-testid=line][data-item-id='{amoxicillin.pk}']")
    # Pre-filled from last month: the stock counted then, and what arrived since.
    expect(para.locator(f"input[name=beginning_balance-{paracetamol.pk}]")).to_have_value("10")
    expect(para.locator(f"input[name=received-{paracetamol.pk}]")).to_have_value("80")
    # 10 + 80 − 40 = 50 counted; AMC (30 + 40) / 2 = 35, maximum 105, suggested 105 − 50 = 55.
    para.locator(f"input[name=consumed-{paracetamol.pk}]").fill("40")
    para.locator(f"input[name=stock_on_hand-{paracetamol.pk}]").fill("50")
    expect(para.locator("[data-testid=amc]")).to_have_text("35")
    expect(para.locator("[data-testid=maximum]")).to_have_text("105")
    expect(para.locator("[data-testid=suggested]")).to_have_text("55")
    para.locator(f"input[name=requested-{paracetamol.pk}]").fill("70")
    explanation = para.locator(f"[name=explanation-{paracetamol.pk}]")
    expect(explanation).to_be_visible()
    explanation.fill("Temporada de lluvias: más fiebre en la comunidad.")
    # Amoxicillin: 5 + 55 − 20 = 40 counted; AMC 20, maximum 60, suggested 20, requested as suggested.
    amox.locator(f"input[name=consumed-{amoxicillin.pk}]").fill("20")
    amox.locator(f"input[name=stock_on_hand-{amoxicillin.pk}]").fill("40")
    expect(amox.locator("[data-testid=suggested]")).to_have_text("20")
    assert_fits_the_screen(page)
    page.locator("[data-testid=submit-request]").click()

    restock = RestockRequest.objects.get(clinic=clinic_a, period=period, kind=RestockRequest.Kind.REGULAR)
    expect(page).to_have_url(live_server.url + reverse("pharmacy:request-detail", args=[restock.pk]))
    expect(page.locator("[data-testid=request-state]")).to_have_attribute("data-state", "submitted")
    para_row = page.locator(f"[data-testid=line-row][data-item='{paracetamol.pk}']")
    expect(para_row).to_have_attribute("data-requested", "70")
    expect(para_row.locator("[data-testid=line-explanation]")).to_contain_text("Temporada de lluvias")
    assert_fits_the_screen(page)
    expect(page.locator(f"[data-testid=line-row][data-item='{amoxicillin.pk}']")).to_have_attribute(
        "data-requested", "20")
    # Submitting posts the month's use to the clinic's ledger: the stock page shows the count.
    assert _on_hand(page, live_server, paracetamol) == 50

    # --- Pharmacy: the queue, the review with a cut, the dispatch and its pick list. ---
    browser_log_in(page, live_server, pharmacy)
    page.goto(live_server.url + reverse("pharmacy:request-queue"))
    row = page.locator(f"[data-testid=queue-row][data-pk='{restock.pk}']")
    expect(row).to_have_count(1)
    assert_fits_the_screen(page)
    row.get_by_role("link", name=clinic_a.name).click()
    expect(page).to_have_url(live_server.url + reverse("pharmacy:request-approve", args=[restock.pk]))
    review = page.locator(f"[data-testid=review-line][data-item='{paracetamol.pk}']")
    expect(review.locator(f"input[name=quantity_{paracetamol.pk}]")).to_have_value("70")
    review.locator(f"input[name=quantity_{paracetamol.pk}]").fill("60")
    review.locator(f"[name=note_{paracetamol.pk}]").fill("Existencia limitada en el almacén este mes.")
    assert_fits_the_screen(page)
    page.locator("[data-testid=approve-submit]").click()
    expect(page).to_have_url(live_server.url + reverse("pharmacy:request-detail", args=[restock.pk]))
    expect(page.locator("[data-testid=request-state]")).to_have_attribute("data-state", "approved")
    expect(para_row).to_have_attribute("data-approved", "60")
    expect(para_row.locator("[data-testid=line-cut-reason]")).to_contain_text("Existencia limitada")

    page.locator("[data-testid=action-dispatch]").click()
    expect(page).to_have_url(live_server.url + reverse("pharmacy:request-pick-list", args=[restock.pk]))
    picked = page.locator(f"[data-testid=pick-item][data-item='{paracetamol.pk}']")
    expect(picked).to_have_attribute("data-total", "60")
    # First expiry first: the 20 left of PARA-PRONTO, then 40 of PARA-LEJOS; the expired lot is not picked.
    lots = picked.locator("[data-testid=pick-lot]")
    expect(lots).to_have_count(2)
    expect(lots.nth(0)).to_have_attribute("data-lot", "PARA-PRONTO")
    expect(lots.nth(0)).to_have_attribute("data-quantity", "20")
    expect(lots.nth(1)).to_have_attribute("data-lot", "PARA-LEJOS")
    expect(lots.nth(1)).to_have_attribute("data-quantity", "40")
    expect(page.locator("[data-testid=pick-lot][data-lot='PARA-VENCIDO']")).to_have_count(0)
    amox_lots = page.locator(f"[data-testid=pick-item][data-item='{amoxicillin.pk}'] [data-testid=pick-lot]")
    expect(amox_lots).to_have_count(1)
    expect(amox_lots).to_have_attribute("data-quantity", "20")
    assert_fits_the_screen(page)
    expect(lots.nth(0).locator("td.num strong")).to_be_in_viewport()  # the quantity to pick, on screen

    # --- The pasante: confirms what arrived, two tablets short of the paracetamol. ---
    browser_log_in(page, live_server, pasante_a)
    expect(page.locator("[data-testid=my-request]")).to_have_attribute("data-state", "dispatched")
    page.locator("[data-testid=my-request-receive]").click()
    expect(page).to_have_url(live_server.url + reverse("pharmacy:request-receive", args=[restock.pk]))
    receive = page.locator(f"[data-testid=receive-line][data-item='{paracetamol.pk}']")
    expect(receive.locator(f"input[name=quantity_{paracetamol.pk}]")).to_have_value("60")
    receive.locator(f"input[name=quantity_{paracetamol.pk}]").fill("58")
    receive.locator(f"[name=note_{paracetamol.pk}]").fill("Un blíster de 2 tabletas llegó roto.")
    expect(page.locator(f"input[name=quantity_{amoxicillin.pk}]")).to_have_value("20")
    page.locator("[name=remarks]").fill("Entregado en el curso del mes.")
    assert_fits_the_screen(page)
    page.locator("[data-testid=receive-submit]").click()
    expect(page).to_have_url(live_server.url + reverse("pharmacy:request-detail", args=[restock.pk]))
    expect(page.locator("[data-testid=request-state]")).to_have_attribute("data-state", "received")
    expect(para_row).to_have_attribute("data-received", "58")
    expect(para_row.locator("[data-testid=line-remarks]")).to_contain_text("blíster")
    expect(page.locator("[data-testid=receipt-remarks]")).to_contain_text("Entregado")

    # --- The stock on hand moved: 50 counted + 58 arrived; 40 + 20 of amoxicillin. ---
    assert _on_hand(page, live_server, paracetamol) == 108
    assert _on_hand(page, live_server, amoxicillin) == 60
    assert_fits_the_screen(page)
    assert _clinic_balance(clinic_a, paracetamol) == 108
    assert _clinic_balance(clinic_a, amoxicillin) == 60
    warehouse = dict(StockBalance.objects.filter(clinic__isnull=True).values_list("lot__lot_number", "quantity"))
    assert warehouse == {"PARA-VENCIDO": 300, "PARA-PRONTO": 0, "PARA-LEJOS": 960, "AMOX-1": 425}
    # The ledger is the truth: every balance is its movements' sum.
    for balance in StockBalance.objects.all():
        moved = StockMovement.objects.filter(clinic=balance.clinic, lot=balance.lot).aggregate(t=Sum("quantity"))
        assert moved["t"] == balance.quantity, balance
