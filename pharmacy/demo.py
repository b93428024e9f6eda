"""The pharmacy's demo data, loaded by ``manage.py seed_pharmacy_demo`` after ``seed_demo``.

It imports the shipped essential-medicines catalogue, stocks the central warehouse (two lots per
item, some expiring soon, one expired), then plays the last three months of the restock cycle for
every rural clinic (request, approval, dispatch, receipt, close), and leaves this month half done,
so every page and panel has something to show:

- the demo pasante's clinic (pasante@demo.ces.mx, Capitán): dispatched, waiting for them to confirm;
- the second demo pasante's clinic (Reforma): rejected, waiting for them to correct it;
- of the other clinics, one submitted five days ago (past the three days pharmacy has to answer),
  two submitted recently, one approved with a cut, one draft, and the rest not started.

The warehouse ends with several lots per item, a short-dated donation to move within 60 days, an
expired lot, a few items below their reorder level and a physical count with variance. Pasantes
report stock-outs and losses here and there, and now and then ask for more than the suggestion.

Stock moves only through ``services`` (``ledger_move`` and the request transitions), so the ledger
and the balances agree. A delivery's new lots are created together and received in one
``ledger_move``, as ``warehouse_receive`` would one by one: the demo must load in seconds. The
services stamp the time of the run; the request's own timestamps (created, submitted, decided,
dispatched, received, closed) are then moved back to the days they would have happened, because the
queue's ages, the reminders and the form's pre-fill read them. The ledger keeps the run's time: it
is append-only.

Idempotent: a request is found by its clinic and month, a lot by its number, the count by its
remarks; a second run writes nothing new. Numbers come from ``random.Random``: the same demo on
every machine. The catalogue's codes follow the format of the Compendio Nacional de Insumos; check
them against the current Compendio before using the file outside the demo.
"""

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.text import slugify

from ces.accounts.roles import Role
from clinics.models import Clinic
from clinics.selectors import pasante_posted_at

from . import services
from .catalogue import catalogue_import
from .models import Item, Lot, RestockLine, RestockRequest, StockBalance, StockCount, StockMovement
from .selectors import restock_form_prefill

CATALOGUE = Path(__file__).resolve().parent / "data" / "essential_medicines.csv"
PHARMACY_EMAIL = "pharmacy@demo.ces.mx"
PASANTE_EMAIL = "pasante@demo.ces.mx"
PASANTE2_EMAIL = "pasante2@demo.ces.mx"
PAST_MONTHS = 3

# What every clinic orders each month; each also orders a few other items of the catalogue. (A real
# request lists every item the clinic stocks; fifteen keep the demo loading in seconds.)
CORE_CODES = [
    "010.000.0104.00",  # paracetamol
    "010.000.2128.00",  # amoxicilina cápsulas
    "010.000.2127.00",  # amoxicilina suspensión
    "010.000.1344.00",  # albendazol
    "010.000.5165.00",  # metformina
    "010.000.1042.00",  # glibenclamida
    "010.000.2520.00",  # losartán
    "010.000.2301.00",  # hidroclorotiazida
    "010.000.0429.00",  # salbutamol
    "010.000.3623.00",  # sales de rehidratación oral
    "010.000.1703.00",  # sulfato ferroso
    "010.000.3215.00",  # diazepam (controlled)
]
OTHER_ITEMS_PER_CLINIC = 3
EXPIRED_CODE = "010.000.2127.00"  # a lot of children's amoxicillin expired on the shelf

SUPPLIER = "Remisión del Almacén Estatal de Insumos"
DONATION = "Donativo, acta de entrega"
COUNT_REMARKS = "Conteo físico trimestral del almacén central."
LOSS_REASONS = ["Caducó en el estante.", "Se rompió un frasco al acomodar.", "Se mojó una caja con la lluvia.",
                "Se interrumpió la cadena de frío (apagón)."]
CUT_REASON = "Existencia limitada en el almacén; se completa en la próxima entrega."
REJECTION_REASON = ("El consumo de metformina no cuadra con la existencia del mes pasado. Revise el conteo "
                    "(¿se contaron las tabletas sueltas?) y envíe de nuevo.")
RECEIPT_REMARK = "Llegó un paquete abierto; faltaban piezas."
EXPLANATIONS = ["Campaña de desparasitación en la escuela la próxima semana.",
                "Brote de diarrea en la comunidad.",
                "Ingresaron pacientes nuevos al grupo de diabetes."]


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` away from ``day``'s."""
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


@dataclass(frozen=True)
class Plan:
    """This month for one clinic: the state its regular request is left in ('' for not started)."""

    state: str
    submitted_days_ago: int = 0


@dataclass
class DemoSummary:
    items: int = 0
    requests_created: int = 0
    lots_received: int = 0
    counts: int = 0
    this_month: dict = field(default_factory=dict)


class PharmacyDemo:
    def __init__(self, *, seed: int = 2026):
        self.rng = random.Random(seed)
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.current = self.today.replace(day=1)
        self.summary = DemoSummary()

    def run(self) -> DemoSummary:
        self.load_catalogue()
        self.load_people()
        self.plan()
        self.stock_the_warehouse()
        for months_ago in range(PAST_MONTHS, 0, -1):
            self.play_past_month(add_months(self.current, -months_ago), first=months_ago == PAST_MONTHS)
        self.play_this_month()
        self.receive_short_dated_donation()
        self.count_the_warehouse()
        self.summary.this_month = dict(
            RestockRequest.objects.filter(period=self.current).values_list("state")
            .annotate(n=Count("pk")).values_list("state", "n")
        )
        return self.summary

    # --- what there is ------------------------------------------------------------------------------------

    def load_catalogue(self):
        report = catalogue_import(data=CATALOGUE.read_bytes())
        if report.rejected:
            raise ValueError(f"The shipped catalogue has rejected rows: {report.rejected}")
        self.items = list(Item.objects.filter(active=True).order_by("code"))
        self.summary.items = len(self.items)

    def load_people(self):
        users = {u.email: u for u in get_user_model().objects.filter(
            email__in=[PHARMACY_EMAIL, PASANTE_EMAIL, PASANTE2_EMAIL])}
        self.pharmacy = users.get(PHARMACY_EMAIL)
        self.clinics = list(Clinic.objects.filter(kind=Clinic.Kind.RURAL_CLINIC, active=True).order_by("name"))
        if self.pharmacy is None or not self.clinics:
            raise LookupError("Load the demo network first: manage.py seed_demo")
        self.pasantes = {
            clinic.pk: staff.user or self.account_for(staff)
            for clinic in self.clinics
            if (staff := pasante_posted_at(clinic, self.today)) is not None
        }
        clinic_of = {user.pk: clinic_id for clinic_id, user in self.pasantes.items() if user is not None}
        self.demo_clinic = clinic_of.get(getattr(users.get(PASANTE_EMAIL), "pk", None))
        self.second_clinic = clinic_of.get(getattr(users.get(PASANTE2_EMAIL), "pk", None))

    @staticmethod
    def account_for(staff):
        """A login-less account (no usable password, the pasante role) for a posted pasante who has none.

        Only a person with an account submits a request: without one the queue's "Submitted by" and the
        timeline were empty for every clinic but the two demo logins'."""
        User = get_user_model()
        email = f"{slugify(staff.full_name)}@pasantes.demo.ces.mx"
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=None, full_name=staff.full_name)
            user.set_unusable_password()
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get_or_create(name=Role.PASANTE)[0])
        staff.user = user
        staff.save(update_fields=["user"])
        return user

    def plan(self):
        """Who orders what and how much, what the warehouse runs short of, and where this month stands."""
        core = [item for item in self.items if item.code in CORE_CODES]
        others = [item for item in self.items if item.code not in CORE_CODES]
        self.orders = {
            clinic.pk: sorted(core + self.rng.sample(others, min(OTHER_ITEMS_PER_CLINIC, len(others))),
                              key=lambda item: item.code)
            for clinic in self.clinics
        }
        # The reorder level is about a month of the whole network, shared unevenly between bigger and
        # smaller communities.
        share = {clinic.pk: self.rng.uniform(0.6, 1.4) for clinic in self.clinics}
        network = len(self.clinics)
        self.usage = {(clinic.pk, item.pk): max(1.0, item.warehouse_minimum / network) * share[clinic.pk]
                      for clinic in self.clinics for item in self.items}
        self.low = {item.pk for item in self.rng.sample(core, 3)}  # below their reorder level at the end
        # Chosen here, before the months: a second run, which skips them, draws the same donation.
        self.donation = [
            (item, self.today + timedelta(days=self.rng.randint(20, 55)),
             max(5, round(item.warehouse_minimum * self.rng.uniform(0.2, 0.5))))
            for item in self.rng.sample([item for item in self.items if item.pk not in self.low], 5)
        ]
        State = RestockRequest.State
        rest = [Plan(State.SUBMITTED, 5), Plan(State.SUBMITTED, 2), Plan(State.SUBMITTED, 1),
                Plan(State.APPROVED, 4), Plan(State.DRAFT)]
        self.plans = {}
        for clinic in self.clinics:
            if clinic.pk == self.demo_clinic:
                self.plans[clinic.pk] = Plan(State.DISPATCHED, 4)
            elif clinic.pk == self.second_clinic:
                self.plans[clinic.pk] = Plan(State.REJECTED, 3)
            else:
                self.plans[clinic.pk] = rest.pop(0) if rest else Plan("")

    # --- the warehouse --------------------------------------------------------------------------------------

    def stock_the_warehouse(self):
        """The stock on the shelf three months ago: two lots of each item, an older and a newer one.

        About five months of what the clinics order (the first month refills them), so that monthly
        top-ups are rare, except for the items that end below their reorder level; a few older lots
        expire within 60 days and reach the clinics first."""
        if StockMovement.objects.filter(clinic__isnull=True, kind=StockMovement.Kind.RECEIPT).exists():
            return  # stocked on an earlier run (maybe an earlier month): the top-ups take it from there
        start = add_months(self.current, -PAST_MONTHS)
        ordered = defaultdict(float)
        for clinic_id, items in self.orders.items():
            for item in items:
                ordered[item.pk] += self.usage[(clinic_id, item.pk)]
        soon = {item.pk for item in self.rng.sample(self.items, 3)}
        lots = []
        for item in self.items:
            months = 3 if item.pk in self.low else 5  # the low ones need top-ups on the way
            total = round(ordered[item.pk] * months * self.rng.uniform(1.0, 1.2)) or round(
                item.warehouse_minimum * self.rng.uniform(1.2, 2.0))
            older = self.today + timedelta(days=self.rng.randint(30, 55)) if item.pk in soon else add_months(
                self.current, self.rng.randint(4, 9)) - timedelta(days=1)
            newer = add_months(self.current, self.rng.randint(12, 30)) - timedelta(days=1)
            lots.append((item, self.lot_number(item, start, "A"), older, max(1, total * 2 // 5)))
            lots.append((item, self.lot_number(item, start, "B"), newer, max(1, total - total * 2 // 5)))
        expired = next((item for item in self.items if item.code == EXPIRED_CODE), None)
        if expired is not None:
            lots.append((expired, self.lot_number(expired, start, "V"), self.today - timedelta(days=12), 24))
        self.receive(lots, document=f"{SUPPLIER} {start:%m/%Y}")

    def top_up(self, period: date, requests, *, keep: dict | None = None):
        """A delivery for what the approved ``requests`` need beyond the unexpired stock on the shelf; with
        ``keep``, also what brings each item to ``keep[item_id]`` units after them."""
        needed = defaultdict(int)
        for item_id, approved in RestockLine.objects.filter(request__in=requests, approved__gt=0).values_list(
                "item_id", "approved"):
            needed[item_id] += approved
        available = dict(
            StockBalance.objects.filter(clinic__isnull=True, quantity__gt=0, lot__expiry__gte=self.today)
            .values_list("lot__item_id").annotate(total=Sum("quantity")).values_list("lot__item_id", "total")
        )
        lots = []
        for item in self.items:
            quantity = needed[item.pk] + (keep or {}).get(item.pk, 0) - available.get(item.pk, 0)
            if quantity > 0:
                expiry = add_months(period, self.rng.randint(12, 30)) - timedelta(days=1)
                lots.append((item, self.lot_number(item, period, "C"), expiry, quantity))
        self.receive(lots, document=f"{SUPPLIER} {period:%m/%Y}")

    def receive_short_dated_donation(self):
        """Donated stock with a short expiry: lots the warehouse must move within 60 days."""
        self.receive([(item, self.lot_number(item, self.current, "D"), expiry, quantity)
                      for item, expiry, quantity in self.donation], document=DONATION)

    @staticmethod
    def lot_number(item: Item, period: date, letter: str) -> str:
        return f"{letter}{period:%y%m}-{item.code[-7:-3]}"

    def receive(self, lots: list[tuple], *, document: str):
        """Receive ``(item, lot number, expiry, quantity)`` lots into the warehouse; lots already on file
        were received on an earlier run and are left alone."""
        on_file = set(Lot.objects.filter(lot_number__in=[lot[1] for lot in lots]).values_list("item_id", "lot_number"))
        new = [(Lot(item=item, lot_number=number, expiry=expiry), quantity)
               for item, number, expiry, quantity in lots if (item.pk, number) not in on_file]
        if not new:
            return
        Lot.objects.bulk_create([lot for lot, _quantity in new])
        services.ledger_move(moves=[services.Move(None, lot, quantity) for lot, quantity in new],
                             kind=StockMovement.Kind.RECEIPT, by=self.pharmacy, document=document)
        self.summary.lots_received += len(new)

    def count_the_warehouse(self):
        """A physical count of some lots: most as expected, a few off, so the variance report has rows."""
        if StockCount.objects.filter(clinic__isnull=True, remarks=COUNT_REMARKS).exists():
            return
        balances = list(StockBalance.objects.filter(clinic__isnull=True, quantity__gt=5).order_by("lot_id"))
        counted = self.rng.sample(balances, min(8, len(balances)))
        counts = {balance.lot_id: balance.quantity for balance in counted}
        for n, balance in enumerate(counted[:3]):
            counts[balance.lot_id] = balance.quantity + (2 if n == 0 else -self.rng.randint(1, 5))
        services.stock_count_record(clinic=None, counts=counts, by=self.pharmacy, remarks=COUNT_REMARKS)
        self.summary.counts += 1

    # --- the months ----------------------------------------------------------------------------------------

    def play_past_month(self, period: date, *, first: bool):
        """Every clinic's request of ``period``, from submission to close, on the usual days of the month."""
        requests = [r for r in (self.submit(clinic, period, first=first) for clinic in self.clinics) if r]
        if not requests:
            return
        cut_one, short_one = self.rng.choice(requests), self.rng.choice(requests)
        for request in requests:
            self.approve(request, cut=request is cut_one)
        self.top_up(period, requests)
        day = datetime.combine(period, time(9), tzinfo=timezone.get_current_timezone())
        for request in requests:
            services.restock_request_dispatch(request=request, by=self.pharmacy)
            self.confirm_receipt(request, short=request is short_one)
            services.restock_request_close(request=request, by=self.pharmacy)
            self.backdate(request, created_at=day + timedelta(days=17), submitted_at=day + timedelta(days=18),
                          decided_at=day + timedelta(days=19), dispatched_at=day + timedelta(days=20),
                          received_at=day + timedelta(days=22), closed_at=day + timedelta(days=22, hours=1))

    def play_this_month(self):
        State = RestockRequest.State
        dispatch = []
        for clinic in self.clinics:
            plan = self.plans[clinic.pk]
            if not plan.state:
                continue
            request = self.submit(clinic, self.current, draft_only=plan.state == State.DRAFT)
            if request is None:
                continue
            if plan.state in (State.APPROVED, State.DISPATCHED):
                self.approve(request, cut=plan.state == State.APPROVED)
            if plan.state == State.DISPATCHED:
                dispatch.append(request)
            if plan.state == State.REJECTED:
                services.restock_request_reject(request=request, reason=REJECTION_REASON, by=self.pharmacy)
            submitted = self.now - timedelta(days=plan.submitted_days_ago)
            decided = plan.state in (State.APPROVED, State.DISPATCHED, State.REJECTED)
            self.backdate(request, created_at=submitted - timedelta(hours=3),
                          submitted_at=submitted if plan.state != State.DRAFT else None,
                          decided_at=submitted + timedelta(days=1) if decided else None)
        if not dispatch:
            return
        # This month's delivery covers the dispatch and leaves most items above their reorder level.
        keep = {item.pk: round(item.warehouse_minimum * (self.rng.uniform(0.3, 0.6) if item.pk in self.low
                                                         else self.rng.uniform(1.3, 2.5)))
                for item in self.items}
        self.top_up(self.current, dispatch, keep=keep)
        for request in dispatch:
            services.restock_request_dispatch(request=request, by=self.pharmacy)
            self.backdate(request, dispatched_at=self.now - timedelta(days=2))

    # --- one request ---------------------------------------------------------------------------------------

    def submit(self, clinic: Clinic, period: date, *, first: bool = False, draft_only: bool = False):
        """The clinic's regular request of ``period`` as its pasante fills it, then submitted; None if the
        clinic already has one."""
        if RestockRequest.objects.filter(clinic=clinic, period=period, kind=RestockRequest.Kind.REGULAR).exists():
            return None
        prefill = restock_form_prefill(clinic, period)
        lines = [self.line(clinic, item, prefill.get(item.pk), first=first) for item in self.orders[clinic.pk]]
        pasante = self.pasantes.get(clinic.pk)
        request = services.restock_request_create_draft(clinic=clinic, period=period, lines=lines, by=pasante)
        self.summary.requests_created += 1
        if self.rng.random() < 0.2:
            self.ask_for_more(request, lines, pasante)
        if not draft_only:
            services.restock_request_submit(request=request, by=pasante)
        return request

    def line(self, clinic: Clinic, item: Item, prefill: dict | None, *, first: bool) -> dict:
        """One item of the pasante's monthly report: what was there, what came, what went."""
        usage = self.usage[(clinic.pk, item.pk)]
        if prefill is None:
            # The first month in the system: stock that was at the clinic before.
            beginning, received = (round(usage * self.rng.uniform(1.0, 2.5)) if first else 0), 0
        else:
            beginning, received = prefill["beginning_balance"], prefill["received"]
        available = beginning + received
        demand = round(usage * self.rng.uniform(0.75, 1.25))
        if not first and self.rng.random() < 0.04:
            demand = available + 1  # ran out, and patients went without for some days
        consumed = min(demand, available)
        stockout_days = self.rng.randint(3, 12) if demand > available else 0
        loss, reason = 0, ""
        left = available - consumed
        if left > 0 and self.rng.random() < 0.03:
            loss = -self.rng.randint(1, max(1, min(left, round(usage / 10))))
            reason = self.rng.choice(LOSS_REASONS)
        return {"item": item.pk, "beginning_balance": beginning, "received": received, "consumed": consumed,
                "losses_adjustments": loss, "adjustment_reason": reason, "stock_on_hand": left + loss,
                "stockout_days": stockout_days}

    def ask_for_more(self, request, lines: list[dict], pasante):
        """The pasante asks for more than the suggestion of one item, and says why."""
        suggested = dict(request.lines.values_list("item_id", "suggested"))
        line = self.rng.choice(lines)
        extra = max(1, round(self.usage[(request.clinic_id, line["item"])] / 2))
        changed = [dict(other) for other in lines]
        changed[lines.index(line)].update(requested=suggested[line["item"]] + extra,
                                          explanation=self.rng.choice(EXPLANATIONS))
        services.restock_request_update_lines(request=request, lines=changed, by=pasante)

    def approve(self, request, *, cut: bool):
        cuts = {}
        line = RestockLine.objects.filter(request=request, requested__gt=3).order_by("-requested").first()
        if cut and line is not None:
            cuts[line.item_id] = (line.requested * 3 // 4, CUT_REASON)
        services.restock_request_approve(request=request, by=self.pharmacy, cuts=cuts)

    def confirm_receipt(self, request, *, short: bool):
        received = {}
        line = request.lines.filter(dispatched__gt=2).order_by("item__code").first()
        if short and line is not None:
            received[line.item_id] = (line.dispatched - 2, RECEIPT_REMARK)
        services.restock_request_receive(request=request, by=self.pasantes.get(request.clinic_id), received=received)

    @staticmethod
    def backdate(request, **stamps):
        """Move the request's own timestamps to the days they would have happened (see the module docstring)."""
        RestockRequest.objects.filter(pk=request.pk).update(
            **{name: value for name, value in stamps.items() if value is not None})
