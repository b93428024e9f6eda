"""The reminder rules clinics registers with ``ces.notifications`` (discovered at start-up).

Coverage gap: an active rural clinic that will have no pasante in 90, 60 or 30 days; every active
coordinator is told. The arithmetic is ``clinics.coverage``; this module only
adapts it to the engine: who, when, the words, and whether it is still needed.
"""

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ces.accounts.roles import Role
from ces.notifications.registry import Due, Message, ReminderRule, morning_of, register

from .coverage import KIND, CoverageWarning, coverage_gap_warning_is_valid, coverage_gap_warnings
from .models import Clinic


def _occurrence(warning: CoverageWarning) -> str:
    return f"{warning.gap_start.isoformat()}/{warning.days_before}d"


def _warning_of(notification, clinic) -> CoverageWarning:
    gap_start, days = notification.occurrence.split("/")
    return CoverageWarning(clinic.pk, int(days.rstrip("d")), datetime.fromisoformat(gap_start).date())


class CoverageGapRule(ReminderRule):
    kind = KIND
    label = _("Clinic without a pasante soon (90, 60 and 30 days before)")
    roles = frozenset({Role.COORDINATOR})
    expires_after = timedelta(days=7)

    def due(self, now):
        """The warnings of today and of the last days still inside the expiry window.

        Looking back covers a beat that was down for a while; a day already evaluated finds the same
        warnings, which the engine's unique key turns into nothing new.
        """
        today = timezone.localdate(now)
        lookback = max(self.expiry().days, 0)
        found = []
        for offset in range(lookback, -1, -1):
            day = today - timedelta(days=offset)
            due_at = morning_of(day)
            found += [(w, due_at) for w in coverage_gap_warnings(day)]
        if not found:
            return []
        coordinators = list(
            get_user_model().objects.filter(is_active=True, groups__name=Role.COORDINATOR).values_list("pk", flat=True)
        )
        clinics = Clinic.objects.in_bulk({w.clinic_id for w, _ in found})
        return [
            Due(subject=clinics[w.clinic_id], occurrence=_occurrence(w), due_at=due_at, recipients=coordinators)
            for w, due_at in found
            if w.clinic_id in clinics
        ]

    def still_needed(self, notification, subject, now) -> bool:
        return coverage_gap_warning_is_valid(_warning_of(notification, subject))

    def message(self, notification, subject) -> Message:
        warning = _warning_of(notification, subject)
        day = date_format(warning.gap_start, "SHORT_DATE_FORMAT")
        days = max((warning.gap_start - timezone.localdate()).days, 0)  # delivered late: the true count
        title = _("%(clinic)s will have no pasante from %(date)s") % {"clinic": subject.name, "date": day}
        body = ngettext(
            "In %(days)d day, on %(date)s, %(clinic)s will have no pasante assigned. "
            "Assign an incoming pasante before then.",
            "In %(days)d days, on %(date)s, %(clinic)s will have no pasante assigned. "
            "Assign an incoming pasante before then.",
            days,
        ) % {"days": days, "date": day, "clinic": subject.name}
        return Message(title=str(title), body=body, link=subject.get_absolute_url())


register(CoverageGapRule())
