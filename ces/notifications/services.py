"""Every write of the notifications engine: materialise, claim, deliver, mark read, preferences.

Exactly-once, in three layers:

1. Materialise: ``INSERT ... ON CONFLICT DO NOTHING`` on the unique key (kind, subject, occurrence,
   recipient). Two beat processes evaluating the same rule at once make one row.
2. Claim: one ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED LIMIT n)`` moves due rows to
   ``sending`` with a fresh claim token and a lease (``claimed_until``). Two workers never claim the same
   row; a row whose lease ran out (its worker was killed between claim and send) is claimable again.
3. Finish: every later transition is a conditional UPDATE on (``state = sending``, same token). A worker
   that lost its lease cannot mark, cancel or retry a row another worker now owns.

The lease must outlive the dispatch task's hard time limit (``tasks.py``), so a live worker never loses
a row it is still sending. The one window left is the one no system can close with an outside mail
server: a worker killed after the SMTP server accepted the mail and before the row is marked sent
sends that e-mail again once the lease ends. The in-app entry is never duplicated.
"""

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from . import registry
from .models import EmailPreference, Notification

logger = logging.getLogger(__name__)
State = Notification.State


def _setting(name: str, default):
    return getattr(settings, name, default)


def lease_duration() -> timedelta:
    return timedelta(seconds=_setting("NOTIFICATIONS_LEASE_SECONDS", 600))


def max_attempts() -> int:
    return _setting("NOTIFICATIONS_MAX_ATTEMPTS", 5)


def backoff(attempts: int) -> timedelta:
    """Exponential: base, 2×base, 4×base, ... after the 1st, 2nd, 3rd failure; at most six hours."""
    base = _setting("NOTIFICATIONS_BACKOFF_SECONDS", 60)
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


# --- Materialise --------------------------------------------------------------------------------------


def notifications_materialise(*, now: datetime | None = None, kinds=None) -> int:
    """Evaluate every registered rule (or those of ``kinds``) and insert the reminders that are missing.

    Safe to run any number of times, concurrently: existing rows are left alone. Returns the number of
    rows inserted.
    """
    now = now or timezone.now()
    inserted = 0
    for rule in registry.rules():
        if kinds is not None and rule.kind not in kinds:
            continue
        rows = []
        for due in rule.due(now):
            subject_type = ContentType.objects.get_for_model(due.subject)
            for recipient in due.recipients:
                rows.append(
                    Notification(
                        recipient_id=getattr(recipient, "pk", recipient),
                        kind=rule.kind,
                        subject_type=subject_type,
                        subject_id=due.subject.pk,
                        occurrence=due.occurrence,
                        due_at=due.due_at,
                        next_attempt_at=due.due_at,
                    )
                )
        inserted += _insert_missing(rows)
    return inserted


def _insert_missing(rows: list[Notification]) -> int:
    if not rows:
        return 0
    table = Notification._meta.db_table
    columns = ["recipient_id", "kind", "subject_type_id", "subject_id", "occurrence", "due_at",
               "next_attempt_at", "state", "attempts", "last_error", "title", "body", "link", "emailed",
               "created_at"]
    now = timezone.now()
    inserted = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 500):
            chunk = rows[start:start + 500]
            placeholders = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(chunk))
            params = []
            for r in chunk:
                params += [r.recipient_id, r.kind, r.subject_type_id, r.subject_id, r.occurrence, r.due_at,
                           r.next_attempt_at, State.PENDING, 0, "", "", "", "", False, now]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES {placeholders} "
                "ON CONFLICT (kind, subject_type_id, subject_id, occurrence, recipient_id) DO NOTHING",
                params,
            )
            inserted += cursor.rowcount
    return inserted


# --- Claim and deliver ------------------------------------------------------------------------------


def notifications_claim(*, now: datetime | None = None, limit: int | None = None) -> tuple[uuid.UUID, list[int]]:
    """Claim up to ``limit`` due rows for this caller: they move to ``sending`` under a new token."""
    now = now or timezone.now()
    limit = limit or _setting("NOTIFICATIONS_BATCH_SIZE", 50)
    token = uuid.uuid4()
    table = Notification._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table}
               SET state = %s, claim_token = %s, claimed_until = %s, attempts = attempts + 1
             WHERE id IN (
                   SELECT id FROM {table}
                    WHERE (state = %s AND next_attempt_at <= %s)
                       OR (state = %s AND claimed_until < %s)
                    ORDER BY next_attempt_at, id
                    LIMIT %s
                    FOR UPDATE SKIP LOCKED)
            RETURNING id
            """,
            [State.SENDING, token, now + lease_duration(), State.PENDING, now, State.SENDING, now, limit],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
    return token, ids


def _claimed(notification_id: int, token: uuid.UUID):
    return Notification.objects.filter(pk=notification_id, state=State.SENDING, claim_token=token)


def _finish(notification_id: int, token: uuid.UUID, state: str, **fields) -> str:
    updated = _claimed(notification_id, token).update(
        state=state, claim_token=None, claimed_until=None, **fields
    )
    return state if updated else "lost"


def _subject_of(notification: Notification):
    model = notification.subject_type.model_class()
    if model is None:
        return None
    return model._default_manager.filter(pk=notification.subject_id).first()


def email_wanted(user, kind: str) -> bool:
    preference = EmailPreference.objects.filter(user=user, kind=kind).values_list("email", flat=True).first()
    return True if preference is None else preference


def notification_deliver(*, notification_id: int, token: uuid.UUID, now: datetime | None = None) -> str:
    """Deliver one claimed notification: re-check its rule, put it in the inbox, e-mail it if wanted.

    Returns the new state, or ``"lost"`` when the claim is no longer this caller's.
    """
    now = now or timezone.now()
    n = _claimed(notification_id, token).select_related("recipient", "subject_type").first()
    if n is None:
        return "lost"
    rule = registry.rule_for(n.kind)
    subject = _subject_of(n) if rule is not None else None
    if n.attempts > max_attempts():
        # Claimed again and again and never finished: something kills the worker mid-send.
        return _finish(n.pk, token, State.FAILED, last_error="Abandoned by the worker too many times.")
    if rule is None or subject is None or not n.recipient.is_active or not rule.still_needed(n, subject, now):
        return _finish(n.pk, token, State.CANCELLED)
    if now > n.due_at + rule.expiry():
        return _finish(n.pk, token, State.EXPIRED)

    language = n.recipient.preferred_language or settings.LANGUAGE_CODE
    with translation.override(language):
        message = rule.message(n, subject)
        # In-app first: visible in the inbox from now on; a retry keeps the first delivery time.
        if not _claimed(n.pk, token).update(
            title=str(message.title)[:300], body=str(message.body), link=message.link[:500],
            delivered_at=Coalesce(F("delivered_at"), now),
        ):
            return "lost"
        wants_email = bool(n.recipient.email) and email_wanted(n.recipient, n.kind)
        if wants_email:
            try:
                _send_email(n, message)
            except Exception as exc:  # any transport failure: retry later, never lose the row
                logger.warning("notification %s: e-mail failed: %s", n.pk, exc)
                return _retry_or_fail(n, token, now, exc)
    return _finish(n.pk, token, State.SENT, sent_at=now, emailed=wants_email, last_error="")


def _send_email(n: Notification, message: registry.Message) -> None:
    site = settings.SITE_URL.rstrip("/")
    body = render_to_string(
        "notifications/email.txt",
        {
            "message": message,
            "link": f"{site}{message.link}" if message.link.startswith("/") else message.link,
            "preferences_url": f"{site}{reverse('notifications:preferences')}",
        },
    )
    EmailMessage(subject=str(message.title), body=body, to=[n.recipient.email]).send(fail_silently=False)


def _retry_or_fail(n: Notification, token: uuid.UUID, now: datetime, exc: Exception) -> str:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if n.attempts >= max_attempts():
        return _finish(n.pk, token, State.FAILED, last_error=error)
    return _finish(n.pk, token, State.PENDING, last_error=error, next_attempt_at=now + backoff(n.attempts))


def notifications_dispatch(*, now: datetime | None = None, limit: int | None = None, max_batches: int = 20) -> dict:
    """Claim and deliver due notifications, batch after batch, until none is due (or ``max_batches``).

    Any number of dispatchers may run at once; each row is claimed by one of them.
    """
    outcome: dict[str, int] = {}
    for _ in range(max_batches):
        token, ids = notifications_claim(now=now, limit=limit)
        if not ids:
            break
        for notification_id in ids:
            state = notification_deliver(notification_id=notification_id, token=token, now=now)
            outcome[state] = outcome.get(state, 0) + 1
    return outcome


# --- What people do ---------------------------------------------------------------------------------


def notification_mark_read(*, notification: Notification, now: datetime | None = None) -> Notification:
    """Mark one inbox entry read (the caller fetched it through ``selectors.notification_for``)."""
    if notification.read_at is None:
        notification.read_at = now or timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return notification


@transaction.atomic
def email_preferences_set(*, user, choices: dict[str, bool]) -> None:
    """Store, per kind, whether ``user`` also wants e-mail. Unknown kinds are ignored."""
    known = {rule.kind for rule in registry.rules()}
    for kind, email in choices.items():
        if kind in known:
            EmailPreference.objects.update_or_create(user=user, kind=kind, defaults={"email": bool(email)})
