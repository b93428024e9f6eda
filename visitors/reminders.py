"""The reminder rules the visitor program registers with ``ces.notifications`` (discovered at start-up).

Six rules; each answers in one or two queries, whatever the number of applications, which reminders exist by
``now``. The engine keeps one row per (kind, subject, occurrence, recipient), so a rule evaluated every
minute makes each reminder once, and asks ``still_needed`` just before sending: a reminder whose reason has
gone is cancelled. Messages are written in the recipient's language (the engine turns on their
``preferred_language``: an applicant reads English or Spanish).

1. ``visitors.status_change``: every change of an application's state (a ``StatusChange`` row), to the
   applicant: what it became, and what is asked of them next. Subject: the change; one per change. A notice
   overtaken by a later change before it went out is cancelled: the later one says what matters now.
2. ``visitors.document_missing``: a document the program asked for still missing 7 days later, to the
   applicant. Subject: the request; occurrence: when it was asked.
3. ``visitors.interview_tomorrow``: the morning before the interview, to the applicant and to the interviewer
   (the visitor program when nobody is named). Subject: the interview; occurrence: its time.
4. ``visitors.arrival_soon``: 7 days before the first day of a confirmed placement: the orientation pack to
   the visitor, a notice to the paired pasante and to the driver of the pickup (when they have an account).
   Subject: the placement; occurrence: its first day.
5. ``visitors.exit_survey``: the exit survey on the last day of the placement and again 3 days later, while
   it is not filled. Subject: the placement; occurrence: the last day and the lead.
6. ``visitors.review_waiting``: an application submitted (or interviewed) more than 5 days ago and still
   waiting for the program, to the visitor program. Subject: the application; occurrence: that state and
   when it began.
"""

from datetime import UTC, date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ces.accounts.roles import Role
from ces.notifications.registry import Due, Message, ReminderRule, morning_of, register

from .models import Application, Arrival, DocumentRequest, Interview, OrientationPack, Placement, StatusChange

State = Application.State


def _day(value: date) -> str:
    return date_format(value, "DATE_FORMAT")


def _moment(value: datetime) -> str:
    return _("%(when)s (Chiapas time)") % {"when": date_format(timezone.localtime(value), "DATETIME_FORMAT")}


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _link(name: str, *args) -> str:
    """The page a reminder leads to."""
    return reverse(name, args=args)


def _state_label(state: str) -> str:
    return str(State(state).label) if state in State.values else state


def visitor_program_user_ids() -> list[int]:
    """Every active user of the visitor program. One query."""
    return list(get_user_model().objects.filter(is_active=True, groups__name=Role.VISITOR_PROGRAM)
                .order_by("pk").values_list("pk", flat=True).distinct())


def _is_visitor_program(user) -> bool:
    return user.is_active and user.has_role(Role.VISITOR_PROGRAM)


def _visitor_name(application: Application) -> str:
    return application.full_name or str(application.applicant)


def _placement_of(application: Application) -> Placement | None:
    return (application.placements.exclude(state=Placement.State.CANCELLED)
            .select_related("clinic__community", "pasante", "host_family").order_by("-proposed_at", "-pk").first())


# --- 1. Every change of state, to the applicant -------------------------------------------------------------


class StatusChangeRule(ReminderRule):
    kind = "visitors.status_change"
    label = gettext_lazy("Your visitor application changed (accepted, interview, placement...)")
    roles = frozenset({Role.APPLICANT})
    expires_after = timedelta(days=2)
    OCCURRENCE = "change"

    def due(self, now):
        """The changes of the expiry window, due when they happened; a draft started is no news. One query."""
        changes = (StatusChange.objects.filter(at__gt=now - self.expiry(), at__lte=now)
                   .exclude(to_state=State.DRAFT).select_related("application").order_by("at", "pk"))
        return [Due(subject=change, occurrence=self.OCCURRENCE, due_at=change.at,
                    recipients=[change.application.applicant_id]) for change in changes]

    def subjects(self, model, ids):
        return model._default_manager.select_related("application__applicant").in_bulk(ids)

    def still_needed_many(self, pairs, now):
        """Still the application's latest change, and the recipient still its applicant. One query a batch."""
        if not pairs:
            return []
        latest = dict(StatusChange.objects.filter(application_id__in={s.application_id for _n, s in pairs})
                      .order_by("application_id", "-at", "-pk").distinct("application_id")
                      .values_list("application_id", "pk"))
        return [latest.get(change.application_id) == change.pk
                and notification.recipient_id == change.application.applicant_id
                and change.application.state == change.to_state
                for notification, change in pairs]

    def message(self, notification, subject) -> Message:
        application = subject.application
        values = {"state": _state_label(subject.to_state), "from": _state_label(subject.from_state)}
        title = _("Your CES visitor application: %(state)s") % values
        if subject.from_state:
            opening = _("Your application to the CES visitor program is now: %(state)s (it was: %(from)s).") % values
        else:
            opening = _("Your application to the CES visitor program is now: %(state)s.") % values
        lines = [opening, *self._what_next(application, subject)]
        return Message(title=str(title), body="\n\n".join(str(line) for line in lines if line),
                       link=self._link(application, subject.to_state))

    @staticmethod
    def _link(application, state) -> str:
        if state == State.COMPLETED:
            return _link("visitors:exit-survey", application.pk)
        return _link("visitors:status")

    @staticmethod
    def _what_next(application: Application, change: StatusChange) -> list[str]:
        """What the change means for the applicant and what is asked of them next."""
        state, note = change.to_state, change.note.strip()
        if state == State.SUBMITTED:
            return [_("We have received your application. The visitor program will review it and offer you "
                      "times for an interview in Spanish.")]
        if state == State.INTERVIEW_SCHEDULED:
            interview = (application.interviews.filter(recorded_at__isnull=True, cancelled_at__isnull=True)
                         .order_by("-scheduled_at").first())
            if interview is None:
                return [_("Your interview in Spanish is scheduled: see the time on your status page.")]
            values = {"when": _moment(interview.scheduled_at), "where": interview.where}
            lines = [_("Your interview in Spanish is on %(when)s. It is a conversation about you, your Spanish "
                       "and why you want to come.") % values]
            if interview.where:
                lines.append(_("Where: %(where)s") % values)
            return lines
        if state == State.INTERVIEWED:
            return [_("Thank you for the interview. The visitor program will write to you with its decision.")]
        lines = []
        if state == State.ACCEPTED:
            lines.append(_("Welcome! The visitor program will now propose your placement: the clinic, the "
                           "pasante you will work with and the host family you will live with."))
        elif state == State.WAITLISTED:
            lines.append(_("You are on the waiting list. We will write to you as soon as a place opens."))
        elif state == State.DECLINED:
            lines.append(_("We are sorry: we cannot offer you a place this time."))
        if state in (State.ACCEPTED, State.WAITLISTED, State.DECLINED):
            if note:
                lines.append(_("Message from the visitor program: %(message)s") % {"message": note})
            return lines
        if state == State.PLACEMENT_PROPOSED:
            placement = _placement_of(application)
            if placement is None:
                return [_("We propose you a placement. Look at it and confirm it on your status page.")]
            return [_("We propose you a placement at %(clinic)s (%(community)s), with %(pasante)s, from %(start)s "
                      "to %(end)s, living with the %(family)s family. Confirm it on your status page.") % {
                "clinic": placement.clinic.name, "community": placement.clinic.community.name,
                "pasante": placement.pasante.full_name, "start": _day(placement.start_date),
                "end": _day(placement.end_date), "family": placement.host_family.head_of_household}]
        if state == State.PLACEMENT_CONFIRMED:
            if Arrival.objects.filter(application=application).exclude(flight_number="").exists():
                return [_("Your placement is confirmed. We have your flight details: the visitor program will "
                          "tell you who picks you up, when and where.")]
            return [_("Your placement is confirmed. Now enter your flight details on your status page, so we "
                      "can organise your pickup.")]
        if state == State.ARRIVED:
            return [_("Welcome to Chiapas! After the orientation at the central office you will travel to "
                      "your community.")]
        if state == State.IN_COMMUNITY:
            return [_("You are now in your community. The pasante and the team are there for anything you "
                      "need.")]
        if state == State.COMPLETED:
            return [_("Your stay has ended: thank you! Please fill in the exit survey. It takes five minutes "
                      "and helps the clinic, the pasante and the host family.")]
        if state in (State.WITHDRAWN, State.DISENGAGED):
            opening = (_("Your application is withdrawn.") if state == State.WITHDRAWN
                       else _("Your stay with CES has ended early."))
            return [opening, _("Reason: %(reason)s") % {"reason": note} if note else ""]
        return []


# --- 2. A requested document still missing after 7 days --------------------------------------------------------


class DocumentMissingRule(ReminderRule):
    kind = "visitors.document_missing"
    label = gettext_lazy("A document the visitor program asked for still missing after 7 days")
    roles = frozenset({Role.APPLICANT})
    expires_after = timedelta(days=7)
    WAIT = timedelta(days=7)

    @staticmethod
    def occurrence(request: DocumentRequest) -> str:
        return f"requested/{_instant(request.requested_at)}"

    def due(self, now):
        """Open requests of applications still before arrival, asked more than 7 days ago (up to the expiry
        window back). One query."""
        requests = (DocumentRequest.objects
                    .filter(fulfilled_at__isnull=True, requested_at__lte=now - self.WAIT,
                            requested_at__gt=now - self.WAIT - self.expiry(),
                            application__state__in=Application.TRANSITIONS["request_document"])
                    .select_related("application"))
        return [Due(subject=r, occurrence=self.occurrence(r), due_at=r.requested_at + self.WAIT,
                    recipients=[r.application.applicant_id]) for r in requests]

    def subjects(self, model, ids):
        return model._default_manager.select_related("application").in_bulk(ids)

    def still_needed(self, notification, subject, now) -> bool:
        return (
            subject.fulfilled_at is None
            and self.occurrence(subject) == notification.occurrence
            and subject.application.state in Application.TRANSITIONS["request_document"]
            and notification.recipient_id == subject.application.applicant_id
        )

    def message(self, notification, subject) -> Message:
        values = {"document": subject.get_kind_display(), "date": _day(timezone.localtime(subject.requested_at).date()),
                  "note": subject.note}
        title = _("Still missing: %(document)s") % values
        body = _("On %(date)s the visitor program asked you for this document: %(document)s.\n“%(note)s”\n"
                 "Upload it on your application's documents page, so your application can go on.") % values
        return Message(title=str(title), body=str(body), link=_link("visitors:documents", subject.application_id))


# --- 3. The interview tomorrow, to both sides ------------------------------------------------------------------


class InterviewTomorrowRule(ReminderRule):
    kind = "visitors.interview_tomorrow"
    label = gettext_lazy("Visitor interview tomorrow")
    roles = frozenset({Role.APPLICANT, Role.VISITOR_PROGRAM, Role.COORDINATOR})
    expires_after = timedelta(days=1)

    @staticmethod
    def occurrence(interview: Interview) -> str:
        return f"at/{_instant(interview.scheduled_at)}"

    def due(self, now):
        """Pending interviews on tomorrow's date (the clinics' time zone), due this morning: to the applicant
        and the interviewer, or the visitor program when nobody is named. One query; two when an interview
        has no interviewer."""
        today = timezone.localdate(now)
        start = timezone.make_aware(datetime.combine(today + timedelta(days=1), time.min))
        interviews = list(Interview.objects.filter(recorded_at__isnull=True, cancelled_at__isnull=True,
                                                   scheduled_at__gte=start, scheduled_at__lt=start + timedelta(days=1),
                                                   application__state=State.INTERVIEW_SCHEDULED)
                          .select_related("application", "interviewer"))
        program = visitor_program_user_ids() if any(i.interviewer_id is None for i in interviews) else []
        found = []
        for interview in interviews:
            staff = [interview.interviewer_id] if interview.interviewer_id else program
            found.append(Due(subject=interview, occurrence=self.occurrence(interview), due_at=morning_of(today),
                             recipients=sorted({interview.application.applicant_id, *staff})))
        return found

    def subjects(self, model, ids):
        return model._default_manager.select_related("application").in_bulk(ids)

    def still_needed(self, notification, subject, now) -> bool:
        if subject.recorded_at or subject.cancelled_at or subject.scheduled_at <= now:
            return False
        if self.occurrence(subject) != notification.occurrence:
            return False
        if subject.application.state != State.INTERVIEW_SCHEDULED:
            return False
        if notification.recipient_id == subject.application.applicant_id:
            return True
        if subject.interviewer_id:
            return notification.recipient_id == subject.interviewer_id
        return _is_visitor_program(notification.recipient)

    def message(self, notification, subject) -> Message:
        application = subject.application
        values = {"when": _moment(subject.scheduled_at), "where": subject.where, "name": _visitor_name(application)}
        if notification.recipient_id == application.applicant_id:
            title = _("Your interview with CES is tomorrow")
            body = _("Your interview in Spanish is tomorrow, %(when)s.") % values
            if subject.where:
                body += "\n" + _("Where: %(where)s") % values
            body += "\n" + _("Speak as you would with a patient: there are no translators in the clinics, and "
                             "that is what we want to hear.")
            return Message(title=str(title), body=str(body), link=_link("visitors:status"))
        title = _("Interview tomorrow: %(name)s") % values
        values.update(category=application.get_category_display() or "—",
                      spanish=application.get_spanish_self_assessment_display() or "—")
        body = _("%(name)s (%(category)s, Spanish self-assessed as %(spanish)s) has their interview tomorrow, "
                 "%(when)s.") % values
        if subject.where:
            body += "\n" + _("Where: %(where)s") % values
        body += "\n" + _("Record the Spanish level and the values fit on the review page afterwards.")
        return Message(title=str(title), body=str(body), link=_link("visitors:review", application.pk))


# --- 4. Arrival in 7 days: the orientation pack, the pasante, the driver ------------------------------------------


class ArrivalSoonRule(ReminderRule):
    kind = "visitors.arrival_soon"
    label = gettext_lazy("A visitor arrives in 7 days (orientation pack, pasante, driver)")
    roles = frozenset({Role.APPLICANT, Role.PASANTE})
    expires_after = timedelta(days=7)
    LEAD = 7  # days before the first day

    @staticmethod
    def occurrence(placement: Placement) -> str:
        return f"start/{placement.start_date.isoformat()}"

    def due(self, now):
        """Confirmed placements starting within 7 days, due the morning 7 days before (a driver named later
        is told then). One query."""
        today = timezone.localdate(now)
        placements = (Placement.objects.filter(state=Placement.State.CONFIRMED, start_date__gt=today,
                                               start_date__lte=today + timedelta(days=self.LEAD),
                                               application__state=State.PLACEMENT_CONFIRMED)
                      .select_related("application", "pasante", "application__arrival__driver"))
        found = []
        for placement in placements:
            recipients = {placement.application.applicant_id}
            if placement.pasante.user_id:
                recipients.add(placement.pasante.user_id)
            driver = self._driver(placement)
            if driver is not None and driver.user_id:
                recipients.add(driver.user_id)
            found.append(Due(subject=placement, occurrence=self.occurrence(placement),
                             due_at=morning_of(placement.start_date - timedelta(days=self.LEAD)),
                             recipients=sorted(recipients)))
        return found

    @staticmethod
    def _arrival(placement: Placement):
        try:
            return placement.application.arrival
        except Application.arrival.RelatedObjectDoesNotExist:
            return None

    def _driver(self, placement: Placement):
        arrival = self._arrival(placement)
        return arrival.driver if arrival is not None and arrival.driver_id else None

    def subjects(self, model, ids):
        return (model._default_manager.select_related("application", "clinic__community", "pasante",
                                                      "host_family", "application__arrival__driver").in_bulk(ids))

    def _role_of(self, notification, placement) -> str | None:
        if notification.recipient_id == placement.application.applicant_id:
            return "visitor"
        if placement.pasante.user_id and notification.recipient_id == placement.pasante.user_id:
            return "pasante"
        driver = self._driver(placement)
        if driver is not None and driver.user_id and notification.recipient_id == driver.user_id:
            return "driver"
        return None

    def still_needed(self, notification, subject, now) -> bool:
        return (
            subject.state == Placement.State.CONFIRMED
            and self.occurrence(subject) == notification.occurrence
            and subject.start_date > timezone.localdate(now)
            and subject.application.state == State.PLACEMENT_CONFIRMED
            and self._role_of(notification, subject) is not None
        )

    def message(self, notification, subject) -> Message:
        application = subject.application
        days = max((subject.start_date - timezone.localdate()).days, 0)  # delivered late: the true count
        values = {"name": _visitor_name(application), "clinic": subject.clinic.name,
                  "community": subject.clinic.community.name, "start": _day(subject.start_date),
                  "end": _day(subject.end_date), "family": subject.host_family.head_of_household,
                  "pasante": subject.pasante.full_name, "days": days,
                  "category": application.get_category_display() or "—"}
        arrival = self._arrival(subject)
        role = self._role_of(notification, subject)
        if role == "visitor":
            pack = OrientationPack.objects.order_by("-uploaded_at", "-pk").first()
            title = ngettext("Your stay begins in %(days)d day: read the orientation pack",
                             "Your stay begins in %(days)d days: read the orientation pack", days) % values
            lines = [_("Your stay at %(clinic)s (%(community)s), with %(pasante)s, begins on %(start)s.") % values]
            if pack is not None:
                lines.append(_("Read the orientation pack before you travel: “%(title)s”, on your status page.")
                             % {"title": pack.title})
            if arrival is not None and arrival.pickup_organised:
                lines.append(_("Your pickup: %(when)s at %(where)s.") % {"when": _moment(arrival.pickup_at),
                                                                         "where": arrival.meeting_point})
            else:
                lines.append(_("Your pickup is not organised yet: check that your flight details are on your "
                               "status page."))
            link = _link("visitors:orientation-pack") if pack is not None else _link("visitors:status")
            return Message(title=str(title), body="\n".join(str(line) for line in lines), link=link)
        if role == "pasante":
            title = _("A visitor arrives on %(start)s: %(name)s") % values
            body = _("%(name)s (%(category)s) will work with you at %(clinic)s from %(start)s to %(end)s and stay "
                     "with the %(family)s family. Check that the family is ready and confirm it on your visitor's "
                     "page.") % values
            return Message(title=str(title), body=str(body), link=_link("visitors:my-visitor"))
        title = _("Visitor pickup: %(name)s") % values
        lines = [_("You pick up %(name)s, who will stay at %(community)s from %(start)s.") % values]
        if arrival is not None and arrival.pickup_at:
            lines.append(_("Pickup: %(when)s at %(where)s.") % {"when": _moment(arrival.pickup_at),
                                                                "where": arrival.meeting_point or "—"})
        if arrival is not None and arrival.flight_number:
            lines.append(_("Flight or bus: %(flight)s.") % {"flight": arrival.flight_number})
        if arrival is not None and arrival.vehicle:
            lines.append(_("Vehicle: %(vehicle)s.") % {"vehicle": arrival.vehicle})
        return Message(title=str(title), body="\n".join(str(line) for line in lines), link="")


# --- 5. The exit survey, on the last day and 3 days later ----------------------------------------------------------


def _parse_survey_occurrence(occurrence: str) -> tuple[date, int]:
    day, lead = occurrence.split("/")
    return date.fromisoformat(day), int(lead.rstrip("d"))


class ExitSurveyRule(ReminderRule):
    kind = "visitors.exit_survey"
    label = gettext_lazy("Your exit survey (on the last day of the stay and 3 days later)")
    roles = frozenset({Role.APPLICANT})
    expires_after = timedelta(days=2)
    LEADS = (0, 3)  # days after the last day

    def due(self, now):
        """Placements whose last day was today or 3 days ago (up to the expiry window back), of visitors in
        their community or done, without an exit survey. One query."""
        today = timezone.localdate(now)
        lookback = max(self.expiry().days, 0)
        last_days = {today - timedelta(days=lead + back): lead for lead in self.LEADS for back in range(lookback + 1)}
        placements = (Placement.objects
                      .filter(state=Placement.State.CONFIRMED, end_date__in=list(last_days),
                              application__state__in=Application.TRANSITIONS["exit_survey"],
                              application__exit_survey__isnull=True)
                      .select_related("application"))
        found = []
        for placement in placements:
            for lead in self.LEADS:
                send_day = placement.end_date + timedelta(days=lead)
                if send_day <= today <= send_day + timedelta(days=lookback):
                    found.append(Due(subject=placement, occurrence=f"{placement.end_date.isoformat()}/{lead}d",
                                     due_at=morning_of(send_day), recipients=[placement.application.applicant_id]))
        return found

    def subjects(self, model, ids):
        return model._default_manager.select_related("application", "clinic").in_bulk(ids)

    def still_needed(self, notification, subject, now) -> bool:
        last_day, _lead = _parse_survey_occurrence(notification.occurrence)
        application = subject.application
        return (
            subject.state == Placement.State.CONFIRMED
            and subject.end_date == last_day
            and application.state in Application.TRANSITIONS["exit_survey"]
            and not _survey_filled(application)
            and notification.recipient_id == application.applicant_id
        )

    def message(self, notification, subject) -> Message:
        _last_day, lead = _parse_survey_occurrence(notification.occurrence)
        values = {"clinic": subject.clinic.name}
        if lead == 0:
            title = _("Your last day at %(clinic)s: the exit survey") % values
            body = _("Today is the last day of your stay at %(clinic)s. Tell us how it went in the exit survey: "
                     "five scores and a few words. It helps the clinic, the pasante and the host family, and the "
                     "visitors who come after you.") % values
        else:
            title = _("Your exit survey is still waiting")
            body = _("You have not filled in the exit survey of your stay at %(clinic)s yet. It takes five minutes, "
                     "and what you say shapes the next visitors' stays.") % values
        return Message(title=str(title), body=str(body), link=_link("visitors:exit-survey", subject.application_id))


def _survey_filled(application: Application) -> bool:
    """The application's exit survey exists (one query)."""
    return Application.objects.filter(pk=application.pk, exit_survey__isnull=False).exists()


# --- 6. Applications waiting for the program more than 5 days -------------------------------------------------------

WAITING_STATES = (State.SUBMITTED, State.INTERVIEWED)


class ReviewWaitingRule(ReminderRule):
    kind = "visitors.review_waiting"
    label = gettext_lazy("Visitor applications waiting for review more than 5 days")
    roles = frozenset({Role.VISITOR_PROGRAM})
    expires_after = timedelta(days=7)
    WAIT = timedelta(days=5)

    @staticmethod
    def occurrence(application: Application) -> str:
        return f"{application.state}/{_instant(application.state_changed_at)}"

    def due(self, now):
        """Applications submitted (waiting for an interview) or interviewed (waiting for a decision) more than
        5 days ago, up to the expiry window back. Two queries; one when none waits."""
        applications = list(Application.objects.filter(
            state__in=WAITING_STATES, state_changed_at__lte=now - self.WAIT,
            state_changed_at__gt=now - self.WAIT - self.expiry()))
        if not applications:
            return []
        program = visitor_program_user_ids()
        return [Due(subject=a, occurrence=self.occurrence(a), due_at=a.state_changed_at + self.WAIT,
                    recipients=program) for a in applications]

    def still_needed(self, notification, subject, now) -> bool:
        return (
            subject.state in WAITING_STATES
            and self.occurrence(subject) == notification.occurrence
            and _is_visitor_program(notification.recipient)
        )

    def message(self, notification, subject) -> Message:
        since = timezone.localtime(subject.state_changed_at).date()
        days = (timezone.localdate() - since).days
        values = {"name": _visitor_name(subject), "category": subject.get_category_display() or "—",
                  "date": _day(since), "days": days}
        if subject.state == State.SUBMITTED:
            title = _("Application waiting for an interview: %(name)s") % values
            text = ngettext(
                "%(name)s (%(category)s) submitted the application on %(date)s, %(days)d day ago, and is still "
                "waiting. Offer interview times or schedule the interview.",
                "%(name)s (%(category)s) submitted the application on %(date)s, %(days)d days ago, and is still "
                "waiting. Offer interview times or schedule the interview.", days)
        else:
            title = _("Application waiting for a decision: %(name)s") % values
            text = ngettext(
                "%(name)s (%(category)s) was interviewed on %(date)s, %(days)d day ago, and is still waiting for "
                "the decision. Accept, waitlist or decline.",
                "%(name)s (%(category)s) was interviewed on %(date)s, %(days)d days ago, and is still waiting for "
                "the decision. Accept, waitlist or decline.", days)
        return Message(title=str(title), body=text % values, link=_link("visitors:review", subject.pk))


register(StatusChangeRule())
register(DocumentMissingRule())
register(InterviewTomorrowRule())
register(ArrivalSoonRule())
register(ExitSurveyRule())
register(ReviewWaitingRule())
