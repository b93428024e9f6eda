"""The pasante's restock request form: this month's request, an emergency request, correcting a draft or a
rejected request; every bad input shown next to its box with nothing written; the fixed number of queries."""

import uuid
from datetime import date, timedelta
from fractions import Fraction
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from ces.accounts.roles import Role
from clinics.models import Assignment
from clinics.tests.factories import ClinicFactory
from pharmacy import calculations, selectors, services
from pharmacy.forms.request_form import fraction_attr
from pharmacy.models import RestockLine, RestockRequest
from pharmacy.tests.factories import ItemFactory
from tests.kit import assert_fits_the_screen, browser_log_in, client_for

State = RestockRequest.State
Kind = RestockRequest.Kind

CREATE = reverse("pharmacy:request-create")
EMERGENCY = reverse("pharmacy:request-emergency-create")


def this_month() -> date:
    return timezone.localdate().replace(day=1)


def months_back(n: int) -> date:
    period = this_month()
    for _ in range(n):
        period = (period - timedelta(days=1)).replace(day=1)
    return period


def edit_url(restock) -> str:
    return reverse("pharmacy:request-edit", args=[restock.pk])


def form_data(lines: dict, *, action="save", client_key=None, **extra) -> dict:
    """The POST of the form: ``lines`` maps an item (or an id) to its boxes, e.g. ``{item: {"consumed": "30"}}``."""
    data = {"action": action, "item": [], **extra}
    if client_key is not False:
        data["client_key"] = str(client_key or uuid.uuid4())
    for item, boxes in lines.items():
        pk = getattr(item, "pk", item)
        data["item"].append(str(pk))
        for name, value in boxes.items():
            data[f"{name}-{pk}"] = str(value)
    return data


def submitted_request(clinic, period, lines, *, by, kind=Kind.REGULAR):
    restock = services.restock_request_create_draft(clinic=clinic, period=period, lines=lines, by=by, kind=kind,
                                                    emergency_reason="Brote" if kind == Kind.EMERGENCY else "")
    return services.restock_request_submit(request=restock, by=by)


def line_testids(response) -> list[str]:
    html = response.content.decode()
    return [part.split('"', 1)[0] for part in html.split('data-testid="line" data-item-code="')[1:]]


@pytest.fixture
def items(db):
    return [ItemFactory(name="Amoxicilina", category="Antibiotics"),
            ItemFactory(name="Paracetamol", category="Analgesics"),
            ItemFactory(name="Salbutamol", category="Respiratory")]


# --- Opening the form -----------------------------------------------------------------------------------------


def test_pasante_opens_this_months_form_with_a_line_per_active_item(pasante_a, clinic_a, items):
    retired = ItemFactory(name="Retirado", active=False)
    response = client_for(pasante_a).get(CREATE)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="restock-form"' in html
    assert sorted(line_testids(response)) == sorted(item.code for item in items)
    assert retired.code not in html
    assert clinic_a.name in html
    assert f'data-days="{calculations.days_in_month(this_month())}"' in html
    for name in ("consumed", "losses_adjustments", "stock_on_hand", "stockout_days", "requested", "explanation"):
        assert f'name="{name}-{items[0].pk}"' in html
    assert 'name="client_key"' in html
    assert "pharmacy/restock-form.js" in html


def test_form_is_prefilled_from_last_months_request_and_what_arrived_since(pasante_a, clinic_a, pharmacy, items):
    amoxicilina, paracetamol, salbutamol = items
    last = submitted_request(clinic_a, months_back(1), [{"item": paracetamol.pk, "consumed": 30, "stock_on_hand": 40}],
                             by=pasante_a)
    # An emergency delivery of amoxicilina since: approved, dispatched from the warehouse and received.
    services.warehouse_receive(item=amoxicilina, lot_number="A-1", expiry=date(2030, 1, 31), quantity=100)
    urgent = submitted_request(clinic_a, months_back(1), [{"item": amoxicilina.pk, "stock_on_hand": 0,
                                                           "requested": 25, "explanation": "Brote"}],
                               by=pasante_a, kind=Kind.EMERGENCY)
    services.restock_request_approve(request=urgent, by=pharmacy)
    urgent = services.restock_request_dispatch(request=urgent, by=pharmacy)
    services.restock_request_receive(request=urgent, by=pasante_a)
    assert last.submitted_at <= urgent.dispatched_at

    response = client_for(pasante_a).get(CREATE)

    html = response.content.decode()
    assert f'name="beginning_balance-{paracetamol.pk}" value="40"' in html
    assert f'name="received-{amoxicilina.pk}" value="25"' in html
    # Items the clinic has used come first; the others after, in their own part.
    codes = line_testids(response)
    assert codes[:2] == [paracetamol.code, amoxicilina.code]  # by category: analgesics, antibiotics
    assert codes[2] == salbutamol.code
    other_part = html.index('data-testid="other-items"')
    assert html.index("Items used at this clinic") < html.index(paracetamol.code) < other_part


def test_form_gives_the_browser_the_past_adjusted_consumptions(pasante_a, clinic_a, items):
    paracetamol = items[1]
    submitted_request(clinic_a, months_back(2), [{"item": paracetamol.pk, "consumed": 30, "stockout_days": 0}],
                      by=pasante_a)
    previous = months_back(1)
    submitted_request(clinic_a, previous, [{"item": paracetamol.pk, "consumed": 30, "stockout_days": 10}],
                      by=pasante_a)
    days = calculations.days_in_month(previous)

    html = client_for(pasante_a).get(CREATE).content.decode()

    adjusted = calculations.adjusted_consumption(30, days_in_period=days, stockout_days=10)
    past = f"30/1 {fraction_attr([adjusted])}"
    assert f'data-item-code="{paracetamol.code}" data-item-id="{paracetamol.pk}" data-past="{past}"' in html


def test_past_consumption_is_the_last_two_regular_months_of_each_item_and_the_saved_amc_uses_it(
        pasante_a, clinic_a, items):
    amoxicilina, paracetamol, salbutamol = items
    # Paracetamol: four months, one out of stock all month; amoxicilina missing from the last one; a draft
    # and an emergency request that do not count.
    for back, lines in [
        (4, [{"item": paracetamol.pk, "consumed": 12}, {"item": amoxicilina.pk, "consumed": 5}]),
        (3, [{"item": paracetamol.pk, "consumed": 20, "stockout_days": 3}, {"item": amoxicilina.pk, "consumed": 7}]),
        (2, [{"item": paracetamol.pk, "consumed": 0, "stockout_days": calculations.days_in_month(months_back(2))},
             {"item": amoxicilina.pk, "consumed": 9, "stockout_days": 4}]),
        (1, [{"item": paracetamol.pk, "consumed": 33, "stockout_days": 1}]),
    ]:
        submitted_request(clinic_a, months_back(back), lines, by=pasante_a)
    submitted_request(clinic_a, months_back(1), [{"item": salbutamol.pk, "consumed": 99}], by=pasante_a,
                      kind=Kind.EMERGENCY)
    draft = services.restock_request_create_draft(clinic=clinic_a, period=this_month(), by=pasante_a,
                                                  lines=[{"item": salbutamol.pk, "consumed": 50}])

    past = selectors.restock_past_consumption(clinic_a, this_month())

    last, before = (calculations.days_in_month(months_back(n)) for n in (1, 2))
    assert past == {paracetamol.pk: [None, Fraction(33 * last, last - 1)],
                    amoxicilina.pk: [7, Fraction(9 * before, before - 4)]}
    # Saved, this month's line averages with them, rounded up: paracetamol (34.1 + 30) / 2 = 32.1 -> 33;
    # amoxicilina (7 + 10.4 + 8) / 3 = 8.5 -> 9; salbutamol, never reported in a regular month, its own 50.
    services.restock_request_update_lines(request=draft, by=pasante_a, lines=[
        {"item": paracetamol.pk, "consumed": 30}, {"item": amoxicilina.pk, "consumed": 8},
        {"item": salbutamol.pk, "consumed": 50}])
    saved = dict(draft.lines.values_list("item_id", "amc"))
    assert saved == {paracetamol.pk: 33, amoxicilina.pk: 9, salbutamol.pk: 50}


def test_request_of_the_month_already_started_opens_it(pasante_a, clinic_a, items):
    draft = services.restock_request_create_draft(clinic=clinic_a, period=this_month(), by=pasante_a,
                                                  lines=[{"item": items[0].pk, "consumed": 3}])
    response = client_for(pasante_a).get(CREATE)
    assert response.status_code == 302
    assert response.url == edit_url(draft)


def test_request_of_the_month_already_submitted_shows_it(pasante_a, clinic_a, items):
    done = submitted_request(clinic_a, this_month(), [{"item": items[0].pk, "consumed": 3}], by=pasante_a)
    response = client_for(pasante_a).get(CREATE)
    assert response.status_code == 302
    assert response.url == reverse("pharmacy:request-detail", args=[done.pk])


@pytest.mark.parametrize("persona", ["coordinator", "pharmacy", "supervisor", "chw", "admin_user", "outsider"])
@pytest.mark.parametrize("url", [CREATE, EMERGENCY])
def test_only_pasantes_open_the_form(request, persona, url, items):
    user = request.getfixturevalue(persona)
    assert client_for(user).get(url).status_code == 403
    assert client_for(user).post(url, form_data({items[0]: {"consumed": 1}})).status_code == 403
    assert not RestockRequest.objects.exists()


def test_pasante_who_also_coordinates_requests_for_the_clinic_of_their_post(pasante_a, clinic_a, items):
    first_by_name = ClinicFactory(name="Clínica Abasolo")
    pasante_a.groups.add(Group.objects.get_or_create(name=Role.COORDINATOR)[0])
    html = client_for(pasante_a).get(CREATE).content.decode()
    assert clinic_a.name in html and first_by_name.name not in html


def test_pasante_with_no_active_assignment_is_told_so(pasante_a, items):
    Assignment.objects.filter(staff__user=pasante_a).update(end_date=timezone.localdate() - timedelta(days=1))
    response = client_for(pasante_a).get(CREATE)
    assert response.status_code == 200
    assert b'data-testid="no-clinic"' in response.content
    assert client_for(pasante_a).post(CREATE, form_data({items[0]: {"consumed": 1}})).status_code == 200
    assert not RestockRequest.objects.exists()


# --- Saving and submitting ------------------------------------------------------------------------------------


def test_saving_a_draft_writes_the_request_with_its_computed_lines(pasante_a, clinic_a, items):
    amoxicilina, paracetamol, salbutamol = items
    key = uuid.uuid4()
    data = form_data({
        amoxicilina: {"beginning_balance": "10", "received": "", "consumed": "30", "losses_adjustments": "-2",
                      "adjustment_reason": "Frasco roto", "stock_on_hand": "8", "stockout_days": "10",
                      "requested": "", "explanation": ""},
        paracetamol: {"consumed": "", "stock_on_hand": "", "requested": ""},  # never used, all blank: left out
        salbutamol: {"consumed": "0", "stock_on_hand": "5", "requested": "5", "explanation": "Temporada de lluvias"},
    }, client_key=key)

    client = client_for(pasante_a)
    response = client.post(CREATE, data)

    restock = RestockRequest.objects.get()
    assert response.status_code == 302 and response.url == edit_url(restock)
    assert (restock.clinic, restock.period, restock.kind, restock.state) == (clinic_a, this_month(), Kind.REGULAR,
                                                                              State.DRAFT)
    assert restock.client_key == key and restock.created_by == pasante_a
    lines = {line.item: line for line in restock.lines.all()}
    assert set(lines) == {amoxicilina, salbutamol}
    days = calculations.days_in_month(this_month())
    # 30 consumed with 10 days out of stock, rounded up: 30 * 30 / 20 = 45 in a 30-day month, 46.5 -> 47 in 31.
    amc = calculations.round_up(calculations.adjusted_consumption(30, days_in_period=days, stockout_days=10))
    first = lines[amoxicilina]
    assert (first.beginning_balance, first.received, first.consumed, first.losses_adjustments) == (10, 0, 30, -2)
    assert (first.amc, first.maximum, first.suggested, first.requested) == (amc, amc * 3, amc * 3 - 8, amc * 3 - 8)
    assert first.adjustment_reason == "Frasco roto"
    assert (lines[salbutamol].suggested, lines[salbutamol].requested) == (0, 5)
    follow = client.get(response.url)
    assert b"Draft saved" in follow.content


def test_submitting_writes_and_submits_the_request(pasante_a, clinic_a, items):
    response = client_for(pasante_a).post(CREATE, form_data({items[0]: {"consumed": "12", "stock_on_hand": "3"}},
                                                            action="submit"))
    restock = RestockRequest.objects.get()
    assert restock.state == State.SUBMITTED and restock.submitted_by == pasante_a
    assert response.url == reverse("pharmacy:request-detail", args=[restock.pk])


def test_the_same_form_posted_twice_is_one_request(pasante_a, clinic_a, items):
    data = form_data({items[0]: {"consumed": "12", "stock_on_hand": "3"}}, action="submit")
    client = client_for(pasante_a)
    first = client.post(CREATE, data)
    second = client.post(CREATE, data)
    restock = RestockRequest.objects.get()
    assert restock.state == State.SUBMITTED
    assert first.url == second.url == reverse("pharmacy:request-detail", args=[restock.pk])


def test_the_same_form_sent_again_with_corrected_figures_saves_them_in_the_one_draft(pasante_a, clinic_a, items):
    key = uuid.uuid4()
    client = client_for(pasante_a)
    client.post(CREATE, form_data({items[0]: {"consumed": "12"}}, client_key=key))
    client.post(CREATE, form_data({items[0]: {"consumed": "15"}}, client_key=key))
    assert RestockLine.objects.get().consumed == 15
    assert RestockRequest.objects.count() == 1


def test_a_second_regular_request_in_the_month_is_refused_and_what_was_typed_kept(pasante_a, clinic_a, items):
    existing = submitted_request(clinic_a, this_month(), [{"item": items[0].pk, "consumed": 3}], by=pasante_a)
    response = client_for(pasante_a).post(CREATE, form_data({items[1]: {"consumed": "77"}}))
    assert response.status_code == 200
    assert b"already has a regular request for that month" in response.content
    assert f'name="consumed-{items[1].pk}" value="77"'.encode() in response.content
    assert reverse("pharmacy:request-detail", args=[existing.pk]).encode() in response.content
    assert RestockRequest.objects.count() == 1


# --- Bad input: the message next to the box, nothing written, everything typed kept --------------------------


BAD_INPUT = [
    ("consumed", "-3", {}, "Quantities cannot be negative."),
    ("stock_on_hand", "doce", {}, "Write a whole number."),
    ("consumed", "2.5", {}, "Write a whole number."),
    ("stockout_days", "99", {}, "This month has"),
    ("losses_adjustments", "-4", {}, "Give the reason for the losses or adjustments."),
    ("requested", "500", {}, "Explain why the requested quantity differs from the suggested one (0)."),
    ("requested", "-1", {"explanation": "Más"}, "Quantities cannot be negative."),
    # Beyond any real stock, the computed maximum overflowed the database's integer: the service's
    # message named no item and no limit the pasante could understand.
    ("consumed", "2147483647", {}, "A quantity cannot be above 1000000."),
    ("stock_on_hand", str(2**63), {}, "A quantity cannot be above 1000000."),
    ("requested", "1000001", {"explanation": "Más"}, "A quantity cannot be above 1000000."),
    ("losses_adjustments", "-1000001", {"adjustment_reason": "Caducó"}, "A quantity cannot be below -1000000."),
]


@pytest.mark.parametrize("box,value,also,message", BAD_INPUT)
def test_bad_figure_is_shown_next_to_its_box_and_nothing_is_written(pasante_a, clinic_a, items, box, value, also,
                                                                   message):
    good = {"consumed": "12", "stock_on_hand": "40", "remarks": ""}
    client = client_for(pasante_a)
    response = client.post(CREATE, form_data({items[0]: {**good, box: value, **also}, items[1]: {"consumed": "7"}}))

    assert response.status_code == 200
    assert not RestockRequest.objects.exists()
    html = response.content.decode()
    assert "Nothing was saved" in html
    line = html.split(f'data-item-code="{items[0].code}"')[1].split('data-testid="line"')[0]
    assert message in line
    assert 'rf-has-error' in html.split(f'data-item-code="{items[0].code}"')[0].rsplit("<section", 1)[1]
    # first-error.js brings the first .has-error into view, inside its .error-card, and focuses its box.
    first = html.index(" has-error")
    card = html[:first].rsplit("<section", 1)[1].split(">", 1)[0]
    assert "error-card" in card and f'data-item-code="{items[0].code}"' in card
    assert message in html[first:].split("</div>", 1)[0]
    assert "<input" in html[first:].split("</div>", 1)[0] or "<textarea" in html[first:].split("</div>", 1)[0]
    assert "ces/first-error.js" in html
    assert f'name="{box}-{items[0].pk}" value="{value}"' in html
    assert f'name="consumed-{items[1].pk}" value="7"' in html
    # The twin: the same lines with the box corrected are saved.
    assert client.post(CREATE, form_data({items[0]: {**good, **also}, items[1]: {"consumed": "7"}})).status_code == 302
    assert RestockRequest.objects.count() == 1


def test_explained_request_different_from_the_suggestion_is_saved(pasante_a, clinic_a, items):
    response = client_for(pasante_a).post(CREATE, form_data(
        {items[0]: {"consumed": "12", "requested": "500", "explanation": "Campaña de vacunación"}}))
    assert response.status_code == 302
    line = RestockLine.objects.get()
    assert (line.requested, line.explanation) == (500, "Campaña de vacunación")


def test_unknown_item_is_refused_and_nothing_written(pasante_a, clinic_a, items):
    retired = ItemFactory(active=False)
    client = client_for(pasante_a)
    for unknown in (999999, retired.pk, "abc"):
        response = client.post(CREATE, form_data({items[0]: {"consumed": "12"}, unknown: {"consumed": "5"}}))
        assert response.status_code == 200
        assert f"Unknown item: {unknown}.".encode() in response.content
    assert not RestockRequest.objects.exists()
    assert client.post(CREATE, form_data({items[0]: {"consumed": "12"}})).status_code == 302


def test_form_without_its_key_asks_for_a_reload_and_writes_nothing(pasante_a, clinic_a, items):
    client = client_for(pasante_a)
    for key in (False, "not-a-uuid"):
        response = client.post(CREATE, form_data({items[0]: {"consumed": "12"}}, client_key=key))
        assert response.status_code == 200
        assert b"reload the page" in response.content
    assert not RestockRequest.objects.exists()


def test_form_with_no_item_filled_in_is_refused(pasante_a, clinic_a, items):
    response = client_for(pasante_a).post(CREATE, form_data({item: {"consumed": ""} for item in items}))
    assert response.status_code == 200
    assert b"Add at least one item to the request." in response.content
    assert not RestockRequest.objects.exists()


# --- Which lines go into the request --------------------------------------------------------------------------


def test_regular_request_reports_every_item_used_here_and_leaves_out_untouched_others(pasante_a, clinic_a, items):
    amoxicilina, paracetamol, salbutamol = items
    submitted_request(clinic_a, months_back(1), [{"item": paracetamol.pk, "consumed": 30, "stock_on_hand": 5}],
                      by=pasante_a)
    data = form_data({amoxicilina: {"consumed": "0", "stock_on_hand": ""},  # never used, zeros: left out
                      paracetamol: {"beginning_balance": "5", "consumed": "", "stock_on_hand": "0"},
                      salbutamol: {"stock_on_hand": "6"}})
    client_for(pasante_a).post(CREATE, data)
    restock = RestockRequest.objects.get(period=this_month())
    saved = {line.item: line for line in restock.lines.all()}
    assert set(saved) == {paracetamol, salbutamol}
    # used here, none consumed this month and none in stock: (30 + 0) / 2 months x 3
    assert saved[paracetamol].suggested == 45
    assert saved[salbutamol].stock_on_hand == 6


# --- Emergency requests ---------------------------------------------------------------------------------------


def test_emergency_request_carries_the_reason_and_only_the_items_filled_in(pasante_a, clinic_a, items):
    amoxicilina, paracetamol, _ = items
    submitted_request(clinic_a, months_back(1), [{"item": paracetamol.pk, "consumed": 30, "stock_on_hand": 5}],
                      by=pasante_a)
    data = form_data({amoxicilina: {"stock_on_hand": "0", "requested": "40", "explanation": "Brote de faringitis"},
                      paracetamol: {"beginning_balance": "5"}},  # as pre-filled: not part of the emergency
                     action="submit", emergency_reason="Brote de faringitis en la escuela")
    response = client_for(pasante_a).post(EMERGENCY, data)
    restock = RestockRequest.objects.get(kind=Kind.EMERGENCY)
    assert response.url == reverse("pharmacy:request-detail", args=[restock.pk])
    assert restock.state == State.SUBMITTED
    assert restock.emergency_reason == "Brote de faringitis en la escuela"
    assert [line.item for line in restock.lines.all()] == [amoxicilina]


def test_emergency_request_without_a_reason_is_refused(pasante_a, clinic_a, items):
    data = form_data({items[0]: {"stock_on_hand": "0", "requested": "40", "explanation": "Brote"}})
    client = client_for(pasante_a)
    response = client.post(EMERGENCY, {**data, "emergency_reason": "  "})
    assert response.status_code == 200
    assert b"Say why this emergency request is needed." in response.content
    assert not RestockRequest.objects.exists()
    assert client.post(EMERGENCY, {**data, "emergency_reason": "Brote"}).status_code == 302
    assert RestockRequest.objects.filter(kind=Kind.EMERGENCY).count() == 1


def test_several_emergency_requests_in_a_month_beside_the_regular_one(pasante_a, clinic_a, items):
    submitted_request(clinic_a, this_month(), [{"item": items[0].pk, "consumed": 3}], by=pasante_a)
    client = client_for(pasante_a)
    assert client.get(EMERGENCY).status_code == 200
    for _ in range(2):
        data = form_data({items[1]: {"stock_on_hand": "0", "requested": "9", "explanation": "Se acabó"}},
                         action="submit", emergency_reason="Se acabó")
        assert client.post(EMERGENCY, data).status_code == 302
    assert RestockRequest.objects.filter(kind=Kind.EMERGENCY, period=this_month()).count() == 2


def test_emergency_form_tells_the_phone_which_of_its_forms_were_saved(pasante_a, clinic_a, items):
    key = uuid.uuid4()
    client = client_for(pasante_a)
    client.post(EMERGENCY, form_data({items[1]: {"stock_on_hand": "0"}}, client_key=key, emergency_reason="Se acabó"))
    html = client.get(EMERGENCY).content.decode()
    assert f'data-saved-keys="{key}"' in html
    assert f'data-storage-key="ces-restock:{clinic_a.pk}:{this_month():%Y-%m}:emergency:new"' in html


# --- Correcting a draft or a rejected request -----------------------------------------------------------------


@pytest.fixture
def draft(pasante_a, clinic_a, items):
    return services.restock_request_create_draft(
        clinic=clinic_a, period=this_month(), by=pasante_a, client_key=uuid.uuid4(),
        lines=[{"item": items[0].pk, "consumed": 12, "stock_on_hand": 4, "requested": 50, "explanation": "Brote"}])


def test_draft_opens_with_its_figures(pasante_a, draft, items):
    response = client_for(pasante_a).get(edit_url(draft))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'name="consumed-{items[0].pk}" value="12"' in html
    assert f'name="requested-{items[0].pk}" value="50"' in html
    assert "Brote</textarea>" in html
    assert 'name="client_key"' not in html
    assert f'data-saved-keys="{draft.client_key}"' in html
    assert f':regular:{draft.pk}"' in html


def test_saving_a_draft_again_replaces_its_lines(pasante_a, draft, items):
    data = form_data({items[0]: {"consumed": "20", "stock_on_hand": "4"}, items[1]: {"consumed": "3"}},
                     client_key=False)
    response = client_for(pasante_a).post(edit_url(draft), data)
    assert response.url == edit_url(draft)
    assert {(line.item_id, line.consumed) for line in draft.lines.all()} == {(items[0].pk, 20), (items[1].pk, 3)}
    draft.refresh_from_db()
    assert draft.state == State.DRAFT


def test_submitting_a_draft_from_its_form(pasante_a, draft, items):
    data = form_data({items[0]: {"consumed": "20"}}, action="submit", client_key=False)
    response = client_for(pasante_a).post(edit_url(draft), data)
    draft.refresh_from_db()
    assert draft.state == State.SUBMITTED
    assert response.url == reverse("pharmacy:request-detail", args=[draft.pk])


def test_bad_figure_in_a_draft_changes_nothing(pasante_a, draft, items):
    data = form_data({items[0]: {"consumed": "-20"}}, action="submit", client_key=False)
    response = client_for(pasante_a).post(edit_url(draft), data)
    assert response.status_code == 200
    assert b"Quantities cannot be negative." in response.content
    draft.refresh_from_db()
    assert draft.state == State.DRAFT
    assert draft.lines.get().consumed == 12


def test_rejected_request_shows_why_and_is_submitted_again(pasante_a, pharmacy, clinic_a, items):
    restock = submitted_request(clinic_a, this_month(), [{"item": items[0].pk, "consumed": 12}], by=pasante_a)
    services.restock_request_reject(request=restock, reason="Falta el conteo de amoxicilina", by=pharmacy)
    client = client_for(pasante_a)
    response = client.get(edit_url(restock))
    assert b"Falta el conteo de amoxicilina" in response.content
    assert b'data-testid="rejection-reason"' in response.content
    client.post(edit_url(restock), form_data({items[0]: {"consumed": "12", "stock_on_hand": "6"}}, action="submit",
                                             client_key=False))
    restock.refresh_from_db()
    assert restock.state == State.SUBMITTED
    assert restock.lines.get().stock_on_hand == 6


def test_emergency_draft_is_corrected_and_submitted_with_the_reason_it_has(pasante_a, clinic_a, items):
    restock = services.restock_request_create_draft(
        clinic=clinic_a, period=this_month(), by=pasante_a, kind=Kind.EMERGENCY, emergency_reason="Brote",
        lines=[{"item": items[0].pk, "stock_on_hand": 0}])
    client = client_for(pasante_a)
    html = client.get(edit_url(restock)).content.decode()
    assert 'data-testid="emergency-reason"' in html and 'name="emergency_reason"' not in html
    client.post(edit_url(restock), form_data({items[0]: {"stock_on_hand": "0", "requested": "30",
                                                         "explanation": "Brote"}}, action="submit", client_key=False))
    restock.refresh_from_db()
    assert (restock.state, restock.emergency_reason, restock.lines.get().requested) == (State.SUBMITTED, "Brote", 30)


def test_submitted_request_is_no_longer_edited_even_when_posted_twice(pasante_a, draft, items):
    data = form_data({items[0]: {"consumed": "20"}}, action="submit", client_key=False)
    client = client_for(pasante_a)
    client.post(edit_url(draft), data)
    for response in (client.post(edit_url(draft), {**data, f"consumed-{items[0].pk}": "99"}),
                     client.get(edit_url(draft))):
        assert response.status_code == 302
        assert response.url == reverse("pharmacy:request-detail", args=[draft.pk])
    assert draft.lines.get().consumed == 20


def test_request_of_another_clinic_is_not_found(pasante_b, draft, items):
    client = client_for(pasante_b)
    assert client.get(edit_url(draft)).status_code == 404
    data = form_data({items[0]: {"consumed": "99"}}, action="submit", client_key=False)
    assert client.post(edit_url(draft), data).status_code == 404
    draft.refresh_from_db()
    assert draft.state == State.DRAFT and draft.lines.get().consumed == 12


def test_a_client_key_of_another_clinic_writes_nothing(pasante_b, clinic_b, draft, items):
    response = client_for(pasante_b).post(CREATE, form_data({items[0]: {"consumed": "99"}},
                                                            client_key=draft.client_key, action="submit"))
    assert response.status_code == 200
    assert b"already used for another clinic" in response.content
    assert not RestockRequest.objects.filter(clinic=clinic_b).exists()


def test_a_pasante_who_also_works_the_warehouse_edits_only_their_own_clinics_requests(pasante_b, draft, items):
    pasante_b.groups.add(Group.objects.get(name=Role.PHARMACY))
    client = client_for(pasante_b)
    assert client.get(edit_url(draft)).status_code == 403
    data = form_data({items[0]: {"consumed": "99"}}, action="submit", client_key=False)
    assert client.post(edit_url(draft), data).status_code == 403
    draft.refresh_from_db()
    assert draft.state == State.DRAFT and draft.lines.get().consumed == 12


@pytest.mark.parametrize("persona", ["coordinator", "pharmacy", "admin_user", "supervisor"])
def test_only_the_pasante_edits_the_figures(request, persona, draft, items):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(edit_url(draft)).status_code == 403
    assert client.post(edit_url(draft), form_data({items[0]: {"consumed": "99"}}, client_key=False)).status_code == 403
    assert draft.lines.get().consumed == 12


# --- What the page holds posts back unchanged -----------------------------------------------------------------


class _FormBoxes(HTMLParser):
    """What a browser sends for the restock form as drawn: each input's and textarea's name and value."""

    def __init__(self):
        super().__init__()
        self.data, self._textarea = {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") and attrs.get("type") in ("text", "hidden"):
            self.data.setdefault(attrs["name"], []).append(attrs.get("value") or "")
        elif tag == "textarea":
            self._textarea = [attrs["name"], ""]

    def handle_data(self, data):
        if self._textarea:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            name, text = self._textarea
            # A browser drops the one line break right after <textarea>.
            self.data[name] = [text[1:] if text.startswith("\n") else text]
            self._textarea = None


def page_boxes(response) -> dict:
    parser = _FormBoxes()
    parser.feed(response.content.decode())
    return parser.data


SAVED_FIELDS = ("item_id", "beginning_balance", "received", "consumed", "losses_adjustments", "adjustment_reason",
                "stock_on_hand", "stockout_days", "requested", "suggested", "explanation")


def _saved_lines(restock) -> list[tuple]:
    return list(restock.lines.order_by("item_id").values_list(*SAVED_FIELDS))


def test_a_58_item_draft_posts_back_unchanged(pasante_a, clinic_a):
    catalogue = ItemFactory.create_batch(58)
    _history(clinic_a, pasante_a, catalogue[:50], 2)
    lines = []
    for n, item in enumerate(catalogue):
        line = {"item": item.pk, "beginning_balance": n % 5 * 10, "received": n % 3 * 7, "consumed": n % 11,
                "stock_on_hand": n % 4, "stockout_days": n % 6}
        if n % 7 == 0:
            line.update(losses_adjustments=-(n % 5) - 1, adjustment_reason=f"Caducó <lote {n}> & \"roto\"")
        if n % 5 == 0:  # another quantity than the suggestion, explained over two lines
            line.update(requested=500 + n, explanation="Brote en la comunidad\ny campaña")
        lines.append(line)
    draft = services.restock_request_create_draft(clinic=clinic_a, period=this_month(), by=pasante_a, lines=lines)
    before = _saved_lines(draft)
    assert len(before) == 58 and any(row[8] != row[9] for row in before)
    client = client_for(pasante_a)

    boxes = page_boxes(client.get(edit_url(draft)))

    assert len(boxes["item"]) == 58
    response = client.post(edit_url(draft), {**boxes, "action": "save"})
    assert response.status_code == 302 and response.url == edit_url(draft)
    assert _saved_lines(draft) == before


def test_the_new_58_item_form_posts_back_what_it_was_prefilled_with(pasante_a, clinic_a):
    catalogue = ItemFactory.create_batch(58)
    submitted_request(clinic_a, months_back(1), [{"item": item.pk, "consumed": 3 + n % 4, "stock_on_hand": n % 9}
                                                  for n, item in enumerate(catalogue[:40])], by=pasante_a)
    client = client_for(pasante_a)

    boxes = page_boxes(client.get(CREATE))

    assert len(boxes["item"]) == 58 and boxes[f"beginning_balance-{catalogue[1].pk}"] == ["1"]
    assert client.post(CREATE, {**boxes, "action": "save"}).status_code == 302
    restock = RestockRequest.objects.get(period=this_month(), kind=Kind.REGULAR)
    # The 40 items used here, each with the balance the page held; the 18 others, left at zero, left out.
    saved = {line.item_id: line for line in restock.lines.all()}
    assert sorted(saved) == sorted(item.pk for item in catalogue[:40])
    for n, item in enumerate(catalogue[:40]):
        line = saved[item.pk]
        assert (line.beginning_balance, line.consumed, line.stock_on_hand, line.requested) == (
            n % 9, 0, 0, line.suggested)


# --- Queries --------------------------------------------------------------------------------------------------


def _history(clinic, pasante, items, periods):
    for back in range(periods, 0, -1):
        submitted_request(clinic, months_back(back),
                          [{"item": item.pk, "consumed": 10 + back, "stock_on_hand": 5} for item in items],
                          by=pasante)


# the user with their roles; clinic, the month's requests, items, the previous request, prefill lines, past lines
FORM_QUERIES = 7
# The form's queries, then the service's: the key, the items, every item's past months in one query (the same
# selector the form read them with), the request and its lines in one insert, and pghistory's context.
SAVE_QUERIES = 28
# The draft's form, its lines replaced, and the submission posted to the clinic's ledger.
# 35 with the session and the roles read apart; 37 before the lines were replaced inside the submission's
# transaction, with no savepoint of their own.
SUBMIT_QUERIES = 33


@pytest.mark.parametrize("periods", [1, 3])
@pytest.mark.parametrize("size", [5, 40])
def test_form_runs_a_fixed_number_of_queries(pasante_a, clinic_a, django_assert_num_queries, size, periods):
    catalogue = ItemFactory.create_batch(size)
    _history(clinic_a, pasante_a, catalogue[: size // 2], periods)
    client = client_for(pasante_a)
    with django_assert_num_queries(FORM_QUERIES):
        response = client.get(CREATE)
    assert len(line_testids(response)) == size


@pytest.mark.parametrize("size,periods", [(5, 1), (40, 3)])
def test_draft_form_runs_a_fixed_number_of_queries(pasante_a, clinic_a, django_assert_num_queries, size, periods):
    catalogue = ItemFactory.create_batch(size)
    _history(clinic_a, pasante_a, catalogue[: size // 2], periods)
    draft = services.restock_request_create_draft(clinic=clinic_a, period=this_month(), by=pasante_a,
                                                  lines=[{"item": item.pk, "consumed": 3} for item in catalogue])
    client = client_for(pasante_a)
    # the request with its clinic and its lines instead of the clinic and the month's requests
    with django_assert_num_queries(FORM_QUERIES):
        response = client.get(edit_url(draft))
    assert len(line_testids(response)) == size


def _filled_in(catalogue) -> dict:
    """Every line of the form filled in, one with an explained quantity and one with a loss."""
    boxes = {item: {"beginning_balance": "20", "received": "4", "consumed": str(3 + n % 7), "stock_on_hand": "9",
                    "stockout_days": str(n % 4)} for n, item in enumerate(catalogue)}
    boxes[catalogue[0]].update(requested="50", explanation="Brote")
    boxes[catalogue[1]].update(losses_adjustments="-2", adjustment_reason="Caducado")
    return boxes


@pytest.mark.parametrize("size", [5, 58])  # 58: the demo catalogue
def test_saving_a_request_runs_a_fixed_number_of_queries(pasante_a, clinic_a, django_assert_num_queries, size):
    catalogue = ItemFactory.create_batch(size)
    _history(clinic_a, pasante_a, catalogue[: size - 2], 2)
    client = client_for(pasante_a)
    with django_assert_num_queries(SAVE_QUERIES):
        response = client.post(CREATE, form_data(_filled_in(catalogue)))
    restock = RestockRequest.objects.get(period=this_month())
    assert response.status_code == 302 and response.url == edit_url(restock)
    assert restock.lines.count() == size


@pytest.mark.parametrize("size", [5, 58])
def test_saving_and_submitting_a_draft_runs_a_fixed_number_of_queries(pasante_a, clinic_a, django_assert_num_queries,
                                                                      size):
    catalogue = ItemFactory.create_batch(size)
    _history(clinic_a, pasante_a, catalogue[: size - 2], 2)
    draft = services.restock_request_create_draft(clinic=clinic_a, period=this_month(), by=pasante_a,
                                                  lines=[{"item": item.pk, "consumed": 3} for item in catalogue])
    client = client_for(pasante_a)
    with django_assert_num_queries(SUBMIT_QUERIES):
        response = client.post(edit_url(draft), form_data(_filled_in(catalogue), action="submit", client_key=False))
    draft.refresh_from_db()
    assert response.status_code == 302 and draft.state == State.SUBMITTED
    assert draft.lines.count() == size


# --- In the browser: restock-form.js computes as the server does, and keeps what is typed ---------------------


@pytest.fixture
def phone(live_server):
    """Chromium at 360 px, as the journeys in tests/ drive it."""
    import os

    from playwright.sync_api import sync_playwright

    from tests.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=PHONE, locale="en-US")
        context.set_default_timeout(15_000)
        tab = context.new_page()
        failures = []
        tab.on("pageerror", lambda error: failures.append(str(error)))
        yield tab
        browser.close()
        assert not failures, failures


# consumed, stock-out days, stock on hand for each line: fractions, a month out of stock, blank boxes, a half (the
# third: 2 two months ago, out of stock all last month, 3 now: AMC 2.5, which rounds up to 3, not to even), a slow
# mover (the seventh: 1, 0, 0 -> AMC 1/3, rounded up to 1: suggested its 2 months, not nothing), a bad figure.
TYPED = [("25", "4", "7"), ("7", "", ""), ("3", "", "3"), ("13", "1", "100"), ("", "", ""), ("5", "ALL", "0"),
         ("0", "", ""), ("-3", "", "")]
SLOW_MOVER = 6


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browser_computes_every_line_as_the_server_and_keeps_what_is_typed(phone, live_server, pasante_a, clinic_a):
    catalogue = [ItemFactory(name=f"Item {n}", category="Analgesics", max_months_of_stock=2 + n % 3)
                 for n in range(len(TYPED))]
    days_back = [calculations.days_in_month(months_back(2)), calculations.days_in_month(months_back(1))]
    # (consumed, stock-out days) two months ago and last month (None: out of stock all month)
    history = [((33, 3), (32, 0)), ((22, 0), (21, 0)), ((2, 0), (1, None)), ((9, 2), (8, 5)), ((11, 0), (10, 0)),
               ((3, None), (2, 1)), ((1, 0), (0, 0)), ((6, 0), (5, 0))]
    for back, index in ((2, 0), (1, 1)):
        lines = []
        for item, months in zip(catalogue, history, strict=True):
            consumed, stockout = months[index]
            stockout = days_back[index] if stockout is None else stockout
            lines.append({"item": item.pk, "consumed": consumed, "stockout_days": stockout})
        submitted_request(clinic_a, months_back(back), lines, by=pasante_a)
    days = calculations.days_in_month(this_month())
    browser_log_in(phone, live_server, pasante_a)
    phone.goto(live_server.url + CREATE)
    assert_fits_the_screen(phone)

    past = selectors.restock_past_consumption(clinic_a, this_month())
    for item, (consumed, stockout, on_hand) in zip(catalogue, TYPED, strict=True):
        stockout = str(days) if stockout == "ALL" else stockout
        phone.fill(f"[name=consumed-{item.pk}]", consumed)
        phone.fill(f"[name=stockout_days-{item.pk}]", stockout)
        phone.fill(f"[name=stock_on_hand-{item.pk}]", on_hand)
        line = phone.locator(f"[data-testid=line][data-item-code='{item.code}']")
        shown = [line.locator(f"[data-testid={name}]").inner_text() for name in ("amc", "maximum", "suggested")]
        if consumed.startswith("-"):
            assert shown == ["—", "—", "—"]
            continue
        expected = calculations.line_figures(
            past.get(item.pk, []), consumed=int(consumed or 0), stockout_days=int(stockout or 0), days=days,
            stock_on_hand=int(on_hand or 0), max_months=item.max_months_of_stock)
        assert shown == [str(expected[name]) for name in ("amc", "maximum", "suggested")], item
    slow = catalogue[SLOW_MOVER]
    assert slow.max_months_of_stock == 2
    assert [phone.locator(f"[data-testid=line][data-item-code='{slow.code}'] [data-testid={name}]").inner_text()
            for name in ("amc", "maximum", "suggested")] == ["1", "2", "2"]

    first = catalogue[0]
    explanation = phone.locator(f"[name=explanation-{first.pk}]")
    assert not explanation.is_visible()
    phone.fill(f"[name=requested-{first.pk}]", "999")
    assert explanation.is_visible()

    # The connection drops and the page is reloaded: what was typed is offered back, with the form's key.
    key = phone.input_value("[name=client_key]")
    phone.wait_for_selector("[data-testid=kept-on-phone]", state="visible")
    # The badge shows from the first figure kept; what is kept is written 300 ms after the last key typed.
    phone.wait_for_function("name => Object.keys(localStorage).some(key => key.startsWith('ces-restock:') && "
                            "(JSON.parse(localStorage.getItem(key)).values || {})[name] === '999')",
                            arg=f"requested-{first.pk}")
    phone.reload()
    assert phone.input_value(f"[name=consumed-{first.pk}]") == ""
    phone.click("[data-testid=restore]")
    assert phone.input_value(f"[name=consumed-{first.pk}]") == "25"
    assert phone.input_value(f"[name=requested-{first.pk}]") == "999"
    assert phone.input_value("[name=client_key]") == key

    # Saved: the phone forgets it, and the server computed the same figures.
    phone.fill(f"[name=consumed-{catalogue[-1].pk}]", "")
    phone.fill(f"[name=explanation-{first.pk}]", "Brote")
    shown = phone.locator(f"[data-testid=line][data-item-code='{first.code}'] [data-testid=suggested]").inner_text()
    phone.click("[data-testid=save-draft]")
    phone.wait_for_url(f"{live_server.url}/farmacia/solicitudes/*/editar/")
    assert phone.evaluate("Object.keys(localStorage).filter(k => k.startsWith('ces-restock:'))") == []
    assert not phone.locator("[data-testid=restore-offer]").is_visible()
    saved = RestockLine.objects.get(item=first, request__period=this_month())
    assert (str(saved.suggested), saved.requested, str(saved.request.client_key)) == (shown, 999, key)
