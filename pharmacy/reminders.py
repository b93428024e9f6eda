"""The reminder rules the pharmacy registers with ``ces.notifications`` (discovered at start-up).

Six rules; each answers, in a fixed number of queries whatever the number of clinics, lots or
requests, which reminders exist by ``now`` (subject, occurrence, due time, recipients). The engine
stores one row per (kind, subject, occurrence, recipient), so a rule evaluated every minute creates
each reminder once; just before sending, ``still_needed`` cancels a reminder whose reason has gone.

1. ``pharmacy.request_not_submitted``: 7 and 2 days before the monthly deadline (the day of the month
   the coordinators set, until course days are in the system), to the pasantes of each clinic whose
   regular request for that month has not reached the pharmacy. Subject: the clinic; occurrence: the
   month and the lead (``2026-06/7d``).
2. ``pharmacy.request_waiting_approval``: a request submitted more than 3 days ago and still waiting,
   to every active pharmacy user. Subject: the request; occurrence: the submission (a request rejected
   and submitted again waits anew).
3. ``pharmacy.lot_expiring``: stock of a lot that expires within 60 days, to pharmacy, and to the
   pasantes of the clinic holding it. Subject: the stock of that lot at that location; occurrence: the
   lot and its expiry.
4. ``pharmacy.clinic_below_minimum``: an item whose last count at a clinic is below the minimum (one
   month of its average consumption), to pharmacy and the clinic's pasantes. Subject: the clinic;
   occurrence: the month of the request and the item (``2026-06/item42``).
5. ``pharmacy.dispatch_not_received``: a dispatch not confirmed as received 7 days later, to the
   clinic's pasantes (they must confirm what arrived) and to pharmacy: until it is confirmed the stock
   is in no location's ledger, and when the post is vacant or the box was lost on the road nobody
   else would notice. Subject: the request; occurrence: the dispatch day.

6. ``pharmacy.request_outcome``: a request approved (saying which lines were cut and why), rejected
   (with the reason) or dispatched, to the clinic's pasantes and whoever submitted it, if someone else
   still active. Subject: the request; occurrence: the step and its instant.

Links go to the page the recipient can act on: pharmacy, coordinators and admins to the warehouse's
pages, a pasante to their clinic's.
"""

from datetime import UTC, date, datetime, timedelta

from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext

from ces.accounts.roles import Role
from ces.notifications.registry import Due, Message, ReminderRule, morning_of, register
from clinics.models import Clinic
from clinics.selectors import is_pasante_posted, pasante_user_ids_by_clinic

from . import calculations, selectors
from .models import Item, RestockRequest, StockBalance

State = RestockRequest.State


def _day(value: date) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


def _month(period: date) -> str:
    return date_format(period, "YEAR_MONTH_FORMAT")


def _next_month(period: date) -> date:
    return date(period.year + (period.month == 12), period.month % 12 + 1, 1)


def _still_pasante_of(notification, clinic_id, now) -> bool:
    """The recipient still holds a pasante post at the clinic (when a pasante leaves, the post's
    reminders go to whoever holds it next, not to them)."""
    if clinic_id is None:
        return False
    return is_pasante_posted(user_id=notification.recipient_id, clinic_id=clinic_id, day=timezone.localdate(now))


def _still_reaches(notification, clinic_id, now) -> bool:
    """The recipient is still pharmacy, or still a pasante of the clinic."""
    return selectors.is_pharmacy_staff(notification.recipient) or _still_pasante_of(notification, clinic_id, now)


# --- 1. The monthly request, 7 and 2 days before the deadline ----------------------------------------


def _parse_request_occurrence(occurrence: str) -> tuple[date, int]:
    month, lead = occurrence.split("/")
    return datetime.strptime(month, "%Y-%m").date(), int(lead.rstrip("d"))


class RequestNotSubmittedRule(ReminderRule):
    kind = "pharmacy.request_not_submitted"
    label = _("Monthly restock request not submitted (7 and 2 days before the deadline)")
    roles = frozenset({Role.PASANTE})
    expires_after = timedelta(days=2)
    LEADS = (7, 2)  # days before the deadline

    def due(self, now):
        """The reminders of today and of the last days inside the expiry window (a beat that was down
        catches up), never after the deadline. The deadline of a month is its ``request_deadline_day``;
        with an early deadline the 7-day reminder falls in the month before. Two queries on a day that
        reminds, one otherwise."""
        today = timezone.localdate(now)
        deadline_day = selectors.request_deadline_day()
        lookback = timedelta(days=max(self.expiry().days, 0))
        firing: dict[date, list[tuple[int, date]]] = {}
        this_month = today.replace(day=1)
        for period in (this_month, _next_month(this_month)):
            deadline = period.replace(day=deadline_day)
            for lead in self.LEADS:
                send_day = deadline - timedelta(days=lead)
                if send_day <= today <= min(send_day + lookback, deadline):
                    firing.setdefault(period, []).append((lead, send_day))
        found = []
        for period, leads in firing.items():
            by_clinic: dict[int, tuple[Clinic, list[int]]] = {}
            for post in selectors.pasante_posts_without_request(period, day=today):
                by_clinic.setdefault(post.clinic_id, (post.clinic, []))[1].append(post.staff.user_id)
            for clinic, users in by_clinic.values():
                found += [
                    Due(subject=clinic, occurrence=f"{period:%Y-%m}/{lead}d", due_at=morning_of(send_day),
                        recipients=users)
                    for lead, send_day in leads
                ]
        return found

    def _deadline(self, period: date) -> date:
        return period.replace(day=selectors.request_deadline_day())

    def still_needed(self, notification, subject, now) -> bool:
        period, _lead = _parse_request_occurrence(notification.occurrence)
        if timezone.localdate(now) > self._deadline(period):
            return False
        if selectors.regular_request_submitted(subject.pk, period):
            return False
        return _still_pasante_of(notification, subject.pk, now)

    def message(self, notification, subject) -> Message:
        period, _lead = _parse_request_occurrence(notification.occurrence)
        deadline = self._deadline(period)
        days = max((deadline - timezone.localdate()).days, 0)  # delivered late: the true count
        values = {"clinic": subject.name, "month": _month(period), "date": _day(deadline), "days": days}
        title = _("Restock request for %(month)s: due on %(date)s") % values
        if days == 0:
            body = _("The restock request of %(clinic)s for %(month)s is due today, %(date)s. "
                     "Fill it in and submit it today.") % values
        else:
            body = ngettext(
                "The restock request of %(clinic)s for %(month)s is due in %(days)d day, on %(date)s. "
                "Fill it in and submit it before then.",
                "The restock request of %(clinic)s for %(month)s is due in %(days)d days, on %(date)s. "
                "Fill it in and submit it before then.",
                days,
            ) % values
        return Message(title=str(title), body=str(body), link=reverse("pharmacy:request-create"))


# --- 2. A request waiting for approval ---------------------------------------------------------------


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


class RequestWaitingApprovalRule(ReminderRule):
    kind = "pharmacy.request_waiting_approval"
    label = _("Restock request waiting for approval more than 3 days")
    roles = frozenset({Role.PHARMACY})
    expires_after = timedelta(days=7)
    WAIT = timedelta(days=3)

    @staticmethod
    def occurrence(request: RestockRequest) -> str:
        return f"submitted/{_instant(request.submitted_at)}"

    def due(self, now):
        """Requests submitted more than 3 days ago and still waiting (up to the expiry window back).
        Two queries; one when none waits."""
        requests = list(selectors.restock_requests_waiting_approval(
            submitted_before=now - self.WAIT, submitted_since=now - self.WAIT - self.expiry()))
        if not requests:
            return []
        pharmacy = selectors.pharmacy_user_ids()
        return [
            Due(subject=r, occurrence=self.occurrence(r), due_at=r.submitted_at + self.WAIT, recipients=pharmacy)
            for r in requests
        ]

    def still_needed(self, notification, subject, now) -> bool:
        return (
            subject.state == State.SUBMITTED
            and subject.submitted_at is not None
            and self.occurrence(subject) == notification.occurrence
            and selectors.is_pharmacy_staff(notification.recipient)
        )

    def message(self, notification, subject) -> Message:
        submitted = timezone.localtime(subject.submitted_at)
        days = (timezone.localdate() - submitted.date()).days
        values = {"clinic": subject.clinic.name, "month": _month(subject.period), "date": _day(submitted.date()),
                  "days": days}
        title = _("Request of %(clinic)s waiting for approval since %(date)s") % values
        if subject.kind == RestockRequest.Kind.EMERGENCY:
            text = ngettext(
                "The emergency request of %(clinic)s was submitted on %(date)s, %(days)d day ago, and is "
                "still waiting. Approve or reject it.",
                "The emergency request of %(clinic)s was submitted on %(date)s, %(days)d days ago, and is "
                "still waiting. Approve or reject it.",
                days,
            )
        else:
            text = ngettext(
                "The request of %(clinic)s for %(month)s was submitted on %(date)s, %(days)d day ago, and is "
                "still waiting. Approve or reject it.",
                "The request of %(clinic)s for %(month)s was submitted on %(date)s, %(days)d days ago, and is "
                "still waiting. Approve or reject it.",
                days,
            )
        return Message(title=str(title), body=text % values,
                       link=reverse("pharmacy:request-detail", args=[subject.pk]))


# --- 3. Lots expiring within 60 days ------------------------------------------------------------------


def _lot_occurrence(balance: StockBalance) -> str:
    return f"{balance.lot.lot_number}/{balance.lot.expiry.isoformat()}"


class LotExpiringRule(ReminderRule):
    kind = "pharmacy.lot_expiring"
    label = _("Lots expiring within 60 days")
    roles = frozenset({Role.PHARMACY, Role.PASANTE})
    expires_after = timedelta(days=7)

    def due(self, now):
        """Every location's stock of a lot that expires within 60 days (or has expired), due the morning
        the lot enters the window, or today for stock that arrives already inside it (a lot dispatched to
        a clinic, a pasante newly posted). Three queries; one when nothing expires."""
        today = timezone.localdate(now)
        balances = list(selectors.lots_expiring(today=today, within_days=selectors.EXPIRY_ALERT_DAYS))
        if not balances:
            return []
        pharmacy = selectors.pharmacy_user_ids()
        pasantes = pasante_user_ids_by_clinic({b.clinic_id for b in balances if b.clinic_id}, day=today)
        found = []
        for balance in balances:
            enters_window = balance.lot.expiry - timedelta(days=selectors.EXPIRY_ALERT_DAYS)
            recipients = set(pharmacy) | pasantes.get(balance.clinic_id, set())
            found.append(Due(subject=balance, occurrence=_lot_occurrence(balance),
                             due_at=morning_of(max(enters_window, today)), recipients=sorted(recipients)))
        return found

    def still_needed(self, notification, subject, now) -> bool:
        return (
            subject.quantity > 0
            and _lot_occurrence(subject) == notification.occurrence
            and _still_reaches(notification, subject.clinic_id, now)
        )

    def message(self, notification, subject) -> Message:
        lot, item = subject.lot, subject.lot.item
        location = subject.clinic.name if subject.clinic_id else pgettext("stock location", "the central warehouse")
        days = (lot.expiry - timezone.localdate()).days
        values = {"item": str(item), "lot": lot.lot_number, "date": _day(lot.expiry), "location": location,
                  "quantity": subject.quantity, "unit": item.unit, "days": days}
        if days < 0:
            title = _("%(item)s, lot %(lot)s, expired on %(date)s") % values
            body = _("%(quantity)d %(unit)s of %(item)s, lot %(lot)s, at %(location)s expired on %(date)s. "
                     "Take them out of use and record the loss.") % values
        else:
            title = _("%(item)s, lot %(lot)s, expires on %(date)s") % values
            body = ngettext(
                "%(quantity)d %(unit)s of %(item)s, lot %(lot)s, at %(location)s expire on %(date)s, in "
                "%(days)d day. Use them first, or send them where they will be used in time.",
                "%(quantity)d %(unit)s of %(item)s, lot %(lot)s, at %(location)s expire on %(date)s, in "
                "%(days)d days. Use them first, or send them where they will be used in time.",
                days,
            ) % values
        if selectors.is_pharmacy_wide(notification.recipient):
            link = reverse("pharmacy:stock-expiring")
        else:
            link = reverse("pharmacy:stock-item", args=[item.pk])
        return Message(title=str(title), body=str(body), link=link)


# --- 4. Items below minimum at a clinic ------------------------------------------------------------


def _below_occurrence(period: date, item_id: int) -> str:
    return f"{period:%Y-%m}/item{item_id}"


def _parse_below_occurrence(occurrence: str) -> tuple[date, int]:
    month, item = occurrence.split("/")
    return datetime.strptime(month, "%Y-%m").date(), int(item.removeprefix("item"))


class ClinicBelowMinimumRule(ReminderRule):
    kind = "pharmacy.clinic_below_minimum"
    label = _("Items below minimum at a clinic")
    roles = frozenset({Role.PHARMACY, Role.PASANTE})
    expires_after = timedelta(days=7)

    def due(self, now):
        """The items a clinic counted below its minimum in its latest submitted regular request, due when
        that request was submitted (requests submitted within the expiry window). Once per clinic, item
        and month: correcting and submitting a rejected request again adds nothing. Three queries; one
        when nothing is below."""
        since = now - self.expiry()
        lines = list(selectors.clinic_items_below_minimum().filter(request__submitted_at__gte=since,
                                                                   request__submitted_at__lte=now))
        if not lines:
            return []
        today = timezone.localdate(now)
        pharmacy = selectors.pharmacy_user_ids()
        pasantes = pasante_user_ids_by_clinic({line.request.clinic_id for line in lines}, day=today)
        return [
            Due(subject=line.request.clinic, occurrence=_below_occurrence(line.request.period, line.item_id),
                due_at=line.request.submitted_at,
                recipients=sorted(set(pharmacy) | pasantes.get(line.request.clinic_id, set())))
            for line in lines
        ]

    def _line(self, notification, clinic):
        period, item_id = _parse_below_occurrence(notification.occurrence)
        line = selectors.latest_clinic_lines(clinic=clinic).filter(item_id=item_id).first()
        if line is None or line.request.period != period:
            return None
        return line

    def still_needed(self, notification, subject, now) -> bool:
        line = self._line(notification, subject)
        return (
            line is not None
            and line.stock_on_hand < calculations.minimum_stock(line.amc)
            and _still_reaches(notification, subject.pk, now)
        )

    def message(self, notification, subject) -> Message:
        period, item_id = _parse_below_occurrence(notification.occurrence)
        line = self._line(notification, subject)
        # ``still_needed`` found the line a moment ago; should a new request have replaced it since,
        # the words still name the item and the month of the occurrence.
        item = line.item if line is not None else Item.objects.get(pk=item_id)
        values = {"item": str(item), "clinic": subject.name, "month": _month(period), "unit": item.unit,
                  "on_hand": line.stock_on_hand if line is not None else 0,
                  "minimum": calculations.minimum_stock(line.amc) if line is not None else 0}
        title = _("%(item)s below minimum at %(clinic)s") % values
        body = _("%(clinic)s counted %(on_hand)d %(unit)s of %(item)s in its request for %(month)s; its "
                 "minimum is %(minimum)d (one month of its average consumption).") % values
        if selectors.is_pharmacy_wide(notification.recipient):
            link = reverse("pharmacy:stock-below-minimum")
        else:
            link = reverse("pharmacy:stock-item", args=[item.pk])
        return Message(title=str(title), body=str(body), link=link)


# --- 5. A dispatch not confirmed as received ---------------------------------------------------------


class DispatchNotReceivedRule(ReminderRule):
    kind = "pharmacy.dispatch_not_received"
    label = _("Dispatch not confirmed as received 7 days later")
    roles = frozenset({Role.PHARMACY, Role.PASANTE})
    expires_after = timedelta(days=7)
    WAIT = timedelta(days=7)

    @staticmethod
    def occurrence(request: RestockRequest) -> str:
        return f"dispatched/{_instant(request.dispatched_at)}"

    def due(self, now):
        """Requests dispatched more than 7 days ago and not confirmed (up to the expiry window back).
        Three queries; one when none is pending."""
        requests = list(selectors.restock_requests_awaiting_receipt(
            dispatched_before=now - self.WAIT, dispatched_since=now - self.WAIT - self.expiry()))
        if not requests:
            return []
        pharmacy = selectors.pharmacy_user_ids()
        pasantes = pasante_user_ids_by_clinic({r.clinic_id for r in requests},
                                                        day=timezone.localdate(now))
        return [
            Due(subject=r, occurrence=self.occurrence(r), due_at=r.dispatched_at + self.WAIT,
                recipients=sorted(set(pharmacy) | pasantes.get(r.clinic_id, set())))
            for r in requests
        ]

    def still_needed(self, notification, subject, now) -> bool:
        return (
            subject.state == State.DISPATCHED
            and self.occurrence(subject) == notification.occurrence
            and _still_reaches(notification, subject.clinic_id, now)
        )

    def message(self, notification, subject) -> Message:
        dispatched = timezone.localtime(subject.dispatched_at).date()
        days = (timezone.localdate() - dispatched).days
        values = {"clinic": subject.clinic.name, "month": _month(subject.period), "date": _day(dispatched),
                  "days": days}
        title = _("Delivery to %(clinic)s not confirmed since %(date)s") % values
        if selectors.is_pharmacy_wide(notification.recipient):
            text = ngettext(
                "The request of %(clinic)s for %(month)s was dispatched on %(date)s, %(days)d day ago, and the "
                "clinic has not confirmed what arrived. Check with the clinic and the driver.",
                "The request of %(clinic)s for %(month)s was dispatched on %(date)s, %(days)d days ago, and the "
                "clinic has not confirmed what arrived. Check with the clinic and the driver.",
                days,
            )
            link = reverse("pharmacy:request-detail", args=[subject.pk])
        else:
            text = ngettext(
                "The request of %(clinic)s for %(month)s was dispatched on %(date)s, %(days)d day ago. "
                "Confirm what arrived, line by line, so the stock enters your clinic.",
                "The request of %(clinic)s for %(month)s was dispatched on %(date)s, %(days)d days ago. "
                "Confirm what arrived, line by line, so the stock enters your clinic.",
                days,
            )
            link = reverse("pharmacy:request-receive", args=[subject.pk])
        return Message(title=str(title), body=text % values, link=link)


# --- 6. The pasante hears what happened to her request ------------------------------------------------


def _request_words(request: RestockRequest) -> dict:
    values = {"clinic": request.clinic.name, "month": _month(request.period)}
    if request.kind == RestockRequest.Kind.EMERGENCY:
        values["request"] = _("the emergency request of %(clinic)s for %(month)s") % values
    else:
        values["request"] = _("the request of %(clinic)s for %(month)s") % values
    return values


def _cut_lines(request: RestockRequest) -> list[str]:
    """One sentence per line the pharmacy approved below what was asked, with its reason. One query."""
    lines = request.lines.select_related("item").filter(approved__lt=F("requested")).order_by("item__name")
    return [
        _("%(item)s: %(approved)d of the %(requested)d %(unit)s asked for. Reason: %(reason)s")
        % {"item": str(line.item), "approved": line.approved, "requested": line.requested, "unit": line.item.unit,
           "reason": line.cut_reason}
        for line in lines
    ]


class RequestOutcomeRule(ReminderRule):
    """The clinic's pasante (and whoever submitted the request, if someone else still active) is told
    when it is approved, with the lines cut and why, rejected, with the reason, or dispatched.

    Subject: the request; occurrence: the step and its instant (``approved/2026-06-03T15:00:00+00:00``),
    so a request rejected, corrected and approved later is told of each step once. A notice whose step
    has been overtaken before it went out (approved and already dispatched, rejected and already submitted
    again, dispatched and already received) is cancelled: the later step's notice says what matters.
    """

    kind = "pharmacy.request_outcome"
    label = _("Your restock request approved, rejected or dispatched")
    roles = frozenset({Role.PASANTE})
    expires_after = timedelta(days=7)

    @staticmethod
    def occurrence(request: RestockRequest) -> str:
        if request.state == State.DISPATCHED:
            return f"dispatched/{_instant(request.dispatched_at)}"
        return f"{request.state}/{_instant(request.decided_at)}"

    def due(self, now):
        """The steps taken within the expiry window, due at once. Two queries; one when there is none."""
        requests = list(selectors.restock_requests_with_news(since=now - self.expiry(), until=now))
        if not requests:
            return []
        pasantes = pasante_user_ids_by_clinic({r.clinic_id for r in requests},
                                                        day=timezone.localdate(now))
        found = []
        for r in requests:
            recipients = set(pasantes.get(r.clinic_id, set()))
            if r.submitted_by is not None and r.submitted_by.is_active:
                recipients.add(r.submitted_by_id)
            at = r.dispatched_at if r.state == State.DISPATCHED else r.decided_at
            found.append(Due(subject=r, occurrence=self.occurrence(r), due_at=at, recipients=sorted(recipients)))
        return found

    def still_needed(self, notification, subject, now) -> bool:
        if subject.state not in (State.APPROVED, State.REJECTED, State.DISPATCHED):
            return False
        if self.occurrence(subject) != notification.occurrence:
            return False
        return notification.recipient_id == subject.submitted_by_id or _still_pasante_of(
            notification, subject.clinic_id, now)

    def message(self, notification, subject) -> Message:
        values = _request_words(subject)
        cuts = _cut_lines(subject) if subject.state in (State.APPROVED, State.DISPATCHED) else []
        detail = reverse("pharmacy:request-detail", args=[subject.pk])
        if subject.state == State.REJECTED:
            title = _("Restock request rejected: %(clinic)s, %(month)s") % values
            body = _("The pharmacy rejected %(request)s. Reason: %(reason)s\nCorrect it and submit it again.") % {
                **values, "reason": subject.rejection_reason}
            return Message(title=str(title), body=str(body), link=detail)
        if subject.state == State.DISPATCHED:
            dispatched = timezone.localtime(subject.dispatched_at).date()
            title = _("Restock request dispatched: %(clinic)s, %(month)s") % values
            body = _("The pharmacy dispatched %(request)s on %(date)s. When it arrives, confirm what came, "
                     "line by line, so the stock enters your clinic.") % {**values, "date": _day(dispatched)}
            if cuts:
                body += "\n" + str(_("Cut by the pharmacy:")) + "\n" + "\n".join(cuts)
            return Message(title=str(title), body=str(body), link=reverse("pharmacy:request-receive",
                                                                          args=[subject.pk]))
        if cuts:
            title = _("Restock request approved with cuts: %(clinic)s, %(month)s") % values
            body = ngettext(
                "The pharmacy approved %(request)s with %(count)d line cut:",
                "The pharmacy approved %(request)s with %(count)d lines cut:",
                len(cuts),
            ) % {**values, "count": len(cuts)} + "\n" + "\n".join(cuts)
        else:
            title = _("Restock request approved: %(clinic)s, %(month)s") % values
            body = _("The pharmacy approved %(request)s as you asked it. It will be dispatched soon.") % values
        return Message(title=str(title), body=str(body), link=detail)


register(RequestNotSubmittedRule())
register(RequestWaitingApprovalRule())
register(LotExpiringRule())
register(ClinicBelowMinimumRule())
register(DispatchNotReceivedRule())
register(RequestOutcomeRule())
