"""Reads and scoping: a person sees only their own inbox; coordinators and admins see what was sent."""

from django.db.models import Count, Q, QuerySet

from ces.accounts.roles import Role

from . import registry
from .models import UNREAD, EmailPreference, Notification

# Unread first, then newest first: the order of the inbox index (models.py), which serves the inbox's page and
# its head, the unread notices, without reading or sorting a person's whole history.
INBOX_ORDER = (UNREAD.desc(), "-delivered_at", "-pk")


def inbox_for(user) -> QuerySet:
    """The person's delivered notifications, unread first, newest first."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user, delivered_at__isnull=False).order_by(*INBOX_ORDER)


def notification_for(user, pk) -> Notification:
    """One of the person's own notifications; ``Notification.DoesNotExist`` otherwise (the views answer 404)."""
    return inbox_for(user).get(pk=pk)


def unread_for(user) -> QuerySet:
    """The person's delivered notifications not read yet, newest first: the head of ``inbox_for``, in its order,
    read from the first rows of the inbox index."""
    return inbox_for(user).filter(read_at__isnull=True)


def unread_count(user) -> int:
    return unread_for(user).count() if user.is_authenticated else 0


def can_see_outbox(user) -> bool:
    """What was sent, what is pending, what failed: for coordinators and admins."""
    return user.has_role(Role.COORDINATOR, Role.ADMIN)


def outbox(user, *, state: str = "", kind: str = "", search: str = "") -> QuerySet:
    if not can_see_outbox(user):
        return Notification.objects.none()
    qs = Notification.objects.select_related("recipient")
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    if search:
        qs = qs.filter(
            Q(recipient__email__icontains=search) | Q(recipient__full_name__icontains=search)
            | Q(title__icontains=search) | Q(occurrence__icontains=search)
        )
    return qs.order_by("-due_at", "-pk")


def outbox_state_counts(user) -> dict[str, int]:
    """How many notifications are in each state (one query)."""
    if not can_see_outbox(user):
        return {}
    counts = Notification.objects.aggregate(
        **{state: Count("pk", filter=Q(state=state)) for state in Notification.State.values}
    )
    return counts


def outbox_failed_count(user) -> int:
    """How many notifications failed, for the home panel: read from the ``notification_state_due`` index, so
    it costs what failed and not the whole outbox's history (``outbox_state_counts`` reads every row). One
    query; none for someone who may not see the outbox."""
    if not can_see_outbox(user):
        return 0
    return Notification.objects.filter(state=Notification.State.FAILED).count()


def rules_for(user) -> list[registry.ReminderRule]:
    """The kinds of notification this person may receive, for the preferences page."""
    return [rule for rule in registry.rules() if not rule.roles or user.roles & rule.roles]


def email_preferences_for(user) -> dict[str, bool]:
    """Kind -> whether the person wants e-mail too (default yes), for the kinds they may receive."""
    stored = dict(EmailPreference.objects.filter(user=user).values_list("kind", "email"))
    return {rule.kind: stored.get(rule.kind, True) for rule in rules_for(user)}
