"""A reminder rule for the engine's tests: its subjects are users, its recipients whoever the test says."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import translation

from ces.notifications.registry import Due, Message, ReminderRule


@dataclass
class PingRule(ReminderRule):
    kind: str = "tests.ping"
    label: str = "Ping"
    expires_after: timedelta = timedelta(days=7)
    pending: list = field(default_factory=list)  # Due objects the rule reports
    gone: set = field(default_factory=set)  # subject ids whose reason has gone
    languages: list = field(default_factory=list)  # the language active while each message was written

    def due(self, now):
        return [d for d in self.pending if d.due_at <= now]

    def still_needed(self, notification, subject, now):
        return subject.pk not in self.gone

    def message(self, notification, subject):
        self.languages.append(translation.get_language())
        return Message(title=f"Ping {notification.occurrence} #{subject.pk}", body="Hola", link="/clinicas/")

    def remind(self, subject, occurrence, due_at, recipients):
        self.pending.append(Due(subject=subject, occurrence=occurrence, due_at=due_at, recipients=recipients))
