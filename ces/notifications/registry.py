"""The reminder rules that domain apps declare, and their discovery.

A domain app declares its rules in a ``reminders.py`` module (the name STYLE.md gives). The module is
imported at start-up by ``autodiscover()`` and calls ``register(SomeRule())``. ``ces.notifications``
imports no domain app: the rules come to it.

A rule answers five questions, and the engine (``services.py``) does the rest:

- ``kind``: a stable dotted name (``"clinics.coverage_gap"``), part of the exactly-once key;
- ``due(now)``: which reminders exist by ``now``: subject, occurrence key, due time, recipients;
- ``message(notification, subject)``: title, body and link, called inside ``translation.override`` of
  the recipient's language, so ``gettext`` gives the right words;
- ``still_needed(notification, subject, now)``: is the reason still there? If not, the row is cancelled
  (the engine asks ``still_needed_many`` once per batch, which calls it row by row unless a rule
  answers the batch at once; ``subjects(model, ids)`` loads a batch's subjects, likewise overridable);
- ``expires_after``: how late is too late; a reminder not sent by ``due_at + expires_after`` expires.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Model
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

DISCOVERY_MODULE = "reminders"


@dataclass(frozen=True)
class Due:
    """One reminder a rule wants to exist: about ``subject``, for each of ``recipients``.

    ``occurrence`` tells apart the reminders of the same kind about the same subject (for a coverage
    gap: the first uncovered day and the lead time, ``"2027-02-01/90d"``). With the kind, subject and
    recipient it forms the unique key, so evaluating a rule twice never creates a second row.
    """

    subject: Model
    occurrence: str
    due_at: datetime
    recipients: Iterable = field(default_factory=tuple)


@dataclass(frozen=True)
class Message:
    title: str
    body: str = ""
    link: str = ""


class ReminderRule:
    kind: str = ""
    label = ""  # translated name of the kind, shown on the preferences page
    roles: frozenset[str] = frozenset()  # who may receive it (for the preferences page)
    expires_after: timedelta = timedelta(days=7)

    def due(self, now: datetime) -> Iterable[Due]:
        raise NotImplementedError

    def message(self, notification, subject) -> Message:
        raise NotImplementedError

    def still_needed(self, notification, subject, now: datetime) -> bool:
        return True

    def still_needed_many(self, pairs: list[tuple], now: datetime) -> list[bool]:
        """``still_needed`` for each (notification, subject) of a batch, in order. A rule whose answer
        costs queries may override it to answer the whole batch in a few."""
        return [self.still_needed(notification, subject, now) for notification, subject in pairs]

    def subjects(self, model: type[Model], ids) -> dict:
        """The subjects of a batch, by primary key. A rule may override it to ``select_related`` what its
        ``message`` and ``still_needed`` read."""
        return model._default_manager.in_bulk(ids)

    def expiry(self) -> timedelta:
        """``expires_after``, unless settings.NOTIFICATIONS_EXPIRY names this kind (in seconds)."""
        seconds = getattr(settings, "NOTIFICATIONS_EXPIRY", {}).get(self.kind)
        return timedelta(seconds=seconds) if seconds is not None else self.expires_after


_rules: dict[str, ReminderRule] = {}


# Reminders about a day arrive on its morning, local time.
SEND_AT = time(8, 0)


def morning_of(day: date) -> datetime:
    """When a reminder about ``day`` is sent: 08:00 local time that day."""
    return timezone.make_aware(datetime.combine(day, SEND_AT))


def register(rule: ReminderRule) -> ReminderRule:
    if not rule.kind:
        raise ValueError(f"{type(rule).__name__} has no kind")
    _rules[rule.kind] = rule
    return rule


def unregister(kind: str) -> None:
    _rules.pop(kind, None)


def rule_for(kind: str) -> ReminderRule | None:
    return _rules.get(kind)


def rules() -> list[ReminderRule]:
    return sorted(_rules.values(), key=lambda r: r.kind)


def autodiscover():
    autodiscover_modules(DISCOVERY_MODULE)
