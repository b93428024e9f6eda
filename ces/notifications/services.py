"""Every write of the notifications engine: materialise, claim, deliver, mark read, preferences.

Exactly-once, in three layers:

1. Materialise: ``INSERT ... ON CONFLICT DO NOTHING`` on the unique key (kind, subject, occurrence,
   recipient). Two beat processes evaluating the same rule at once make one row.
2. Claim: one ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED LIMIT n)`` moves due rows to
   ``sending`` with a fresh claim token and a lease (``claimed_until``). Two workers never claim the same
   row; a row whose lease ran out (its worker was killed between claim and send) is claimable again.
3. Finish: every later transition is a conditional UPDATE on (``state = sending``, same token), one
   statement for a whole claimed batch. A worker that lost its lease cannot mark, cancel or retry a row
   another worker now owns.

The lease must outlive the dispatch task's hard time limit (``tasks.py``), so a live worker never loses
a row it is still sending. The one window left is the one no system can close with an outside mail
server: a worker killed after the SMTP server accepted the mail and before the row is marked sent
sends that e-mail again once the lease ends (with batches: the e-mails of its batch already sent). The
in-app entry is never duplicated.
"""

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.template.loader import get_template
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
    """Claim up to ``limit`` due rows for this caller: they move to ``sending`` under a new token.

    Rows whose lease ran out come first, then the pending ones by their time. Each part walks its own
    partial index (``notification_sending_lease``, ``notification_pending_due``) and stops at ``limit``:
    one ``WHERE ... OR ...`` over both states sorted the whole table, 150 ms a claim at 100,000 due.
    """
    now = now or timezone.now()
    limit = limit or _setting("NOTIFICATIONS_BATCH_SIZE", 200)
    token = uuid.uuid4()
    table = Notification._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH abandoned AS (
                 SELECT id FROM {table} WHERE state = %s AND claimed_until < %s
                  ORDER BY claimed_until LIMIT %s FOR UPDATE SKIP LOCKED),
                 due AS (
                 SELECT id FROM {table} WHERE state = %s AND next_attempt_at <= %s
                  ORDER BY next_attempt_at LIMIT %s FOR UPDATE SKIP LOCKED)
            UPDATE {table}
               SET state = %s, claim_token = %s, claimed_until = %s, attempts = attempts + 1
             WHERE id IN (SELECT id FROM abandoned UNION ALL SELECT id FROM due LIMIT %s)
            RETURNING id
            """,
            [State.SENDING, now, limit, State.PENDING, now, limit,
             State.SENDING, token, now + lease_duration(), limit],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
    return token, ids


LOST = "lost"  # the outcome of a row whose claim is no longer this caller's


def notifications_deliver(*, ids: list[int], token: uuid.UUID, now: datetime | None = None) -> dict[int, str]:
    """Deliver a claimed batch: re-check each rule, put the messages in the inboxes, e-mail those who want it.

    A fixed number of queries whatever the size of the batch: the claimed rows with their recipients,
    their subjects (one query per content type), the batch's e-mail preferences, one UPDATE writing the
    inbox entries and one writing the final states. Both UPDATEs match on (``state = sending``, this
    ``token``), so rows another worker reclaimed meanwhile are left alone and come back as ``"lost"``.
    The e-mails go through one connection; a failing one is retried (or failed) on its own row.

    Returns each id's new state.
    """
    now = now or timezone.now()
    states = dict.fromkeys(ids, LOST)
    rows = list(_claimed(ids, token).select_related("recipient").order_by("pk"))
    finals: dict[int, dict] = {}
    try:
        deliveries = _still_to_deliver(rows, now, finals)
        messages = _render(deliveries, now, finals)
        in_inbox = _write_inbox(messages, token, now)
        messages = [m for m in messages if m.notification.pk in in_inbox]
        for m in messages:
            if m.email is None:
                finals[m.notification.pk] = _final(State.SENT, sent_at=now, emailed=False, last_error="")
        for m, exc in _send_emails([m for m in messages if m.email is not None]):
            if exc is None:
                finals[m.notification.pk] = _final(State.SENT, sent_at=now, emailed=True, last_error="")
            else:
                logger.warning("notification %s: e-mail failed: %s", m.notification.pk, exc)
                finals[m.notification.pk] = _retry_or_fail(m.notification, now, exc)
    finally:
        # Also when the worker is being stopped mid-batch: what was sent is recorded as sent, and only
        # the rows not reached yet wait for the lease.
        states.update(_write_finals(finals, token))
    return states


def notification_deliver(*, notification_id: int, token: uuid.UUID, now: datetime | None = None) -> str:
    """Deliver one claimed notification (a batch of one); ``"lost"`` when the claim is no longer ours."""
    return notifications_deliver(ids=[notification_id], token=token, now=now)[notification_id]


@dataclass
class _Delivery:
    """One claimed row on its way: its rule and subject, then the words and the e-mail it gets."""

    notification: Notification
    rule: registry.ReminderRule
    subject: object
    message: registry.Message | None = None
    email: EmailMessage | None = None


def _claimed(ids: list[int], token: uuid.UUID):
    return Notification.objects.filter(pk__in=ids, state=State.SENDING, claim_token=token)


def _final(state: str, **fields) -> dict:
    """A row's final state and the fields it sets; a field left out keeps its value."""
    return {"state": state, "last_error": None, "sent_at": None, "emailed": None, "next_attempt_at": None,
            **fields}


def _still_to_deliver(rows: list[Notification], now: datetime, finals: dict) -> list[_Delivery]:
    """The rows to send; the others get their final state in ``finals`` (failed, cancelled, expired).

    A rule is asked again, for its whole part of the batch at once (``still_needed_many``): reason gone
    -> cancelled; past ``due_at`` + expiry -> expired.
    """
    subjects = _subjects_of(rows)
    by_rule: dict[str, list[_Delivery]] = {}
    for n in rows:
        rule = registry.rule_for(n.kind)
        subject = subjects.get((n.subject_type_id, n.subject_id)) if rule is not None else None
        if n.attempts > max_attempts():
            # Claimed again and again and never finished: something kills the worker mid-send.
            finals[n.pk] = _final(State.FAILED, last_error="Abandoned by the worker too many times.")
        elif rule is None or subject is None or not n.recipient.is_active:
            finals[n.pk] = _final(State.CANCELLED)
        else:
            by_rule.setdefault(rule.kind, []).append(_Delivery(notification=n, rule=rule, subject=subject))
    deliveries = []
    for group in by_rule.values():
        rule = group[0].rule
        try:
            needed = rule.still_needed_many([(d.notification, d.subject) for d in group], now)
        except Exception as exc:  # a rule's bug must not hold the rest of the batch
            logger.exception("notifications of %s: still_needed failed", rule.kind)
            finals.update((d.notification.pk, _retry_or_fail(d.notification, now, exc)) for d in group)
            continue
        for d, still_needed in zip(group, needed, strict=True):
            if not still_needed:
                finals[d.notification.pk] = _final(State.CANCELLED)
            elif now > d.notification.due_at + rule.expiry():
                finals[d.notification.pk] = _final(State.EXPIRED)
            else:
                deliveries.append(d)
    return deliveries


def _subjects_of(rows: list[Notification]) -> dict[tuple[int, int], object]:
    """The batch's subjects by (content type, id): one query per content type (per rule for a rule that
    loads its subjects itself, ``ReminderRule.subjects``)."""
    wanted: dict[tuple[str, int], tuple[registry.ReminderRule, set[int]]] = {}
    for n in rows:
        rule = registry.rule_for(n.kind)
        if rule is None:
            continue
        own_loader = type(rule).subjects is not registry.ReminderRule.subjects
        key = (rule.kind if own_loader else "", n.subject_type_id)
        wanted.setdefault(key, (rule, set()))[1].add(n.subject_id)
    found = {}
    for (_kind, type_id), (rule, subject_ids) in wanted.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None:  # the app that declared it is gone
            continue
        found.update(((type_id, pk), subject) for pk, subject in rule.subjects(model, subject_ids).items())
    return found


def _render(deliveries: list[_Delivery], now: datetime, finals: dict) -> list[_Delivery]:
    """Write each message in its recipient's language, and its e-mail when the person wants one."""
    opted_out = set(
        EmailPreference.objects.filter(
            user_id__in={d.notification.recipient_id for d in deliveries},
            kind__in={d.notification.kind for d in deliveries},
            email=False,
        ).values_list("user_id", "kind")
    ) if deliveries else set()
    site = settings.SITE_URL.rstrip("/")
    template = get_template("notifications/email.txt")
    by_language: dict[str, list[_Delivery]] = {}
    for d in deliveries:
        language = d.notification.recipient.preferred_language or settings.LANGUAGE_CODE
        by_language.setdefault(language, []).append(d)
    rendered = []
    for language, group in by_language.items():
        with translation.override(language):
            preferences_url = f"{site}{reverse('notifications:preferences')}"
            for d in group:
                n = d.notification
                try:
                    message = d.rule.message(n, d.subject)
                    d.message = registry.Message(
                        title=str(message.title)[:300], body=str(message.body), link=message.link[:500]
                    )
                    if n.recipient.email and (n.recipient_id, n.kind) not in opted_out:
                        link = f"{site}{message.link}" if message.link.startswith("/") else message.link
                        body = template.render({"message": message, "link": link, "preferences_url": preferences_url})
                        d.email = EmailMessage(subject=str(message.title), body=body, to=[n.recipient.email])
                except Exception as exc:  # a rule's bug must not hold the rest of the batch
                    logger.exception("notification %s: its message failed", n.pk)
                    finals[n.pk] = _retry_or_fail(n, now, exc)
                    continue
                rendered.append(d)
    return rendered


def _write_inbox(deliveries: list[_Delivery], token: uuid.UUID, now: datetime) -> set[int]:
    """In-app first: visible in the inbox from now on (a retry keeps the first delivery time). Returns the
    ids still claimed by ``token``; only those are e-mailed."""
    if not deliveries:
        return set()
    table = Notification._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} AS n
               SET title = v.title, body = v.body, link = v.link, delivered_at = COALESCE(n.delivered_at, %s)
              FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[]) AS v(id, title, body, link)
             WHERE n.id = v.id AND n.state = %s AND n.claim_token = %s
            RETURNING n.id
            """,
            [
                now,
                [d.notification.pk for d in deliveries],
                [d.message.title for d in deliveries],
                [d.message.body for d in deliveries],
                [d.message.link for d in deliveries],
                State.SENDING,
                token,
            ],
        )
        return {row[0] for row in cursor.fetchall()}


def _send_emails(deliveries: list[_Delivery]):
    """Send the batch's e-mails through one connection, yielding (delivery, None) for each one the server
    accepted and (delivery, exception) for each that failed, as soon as it is known."""
    if not deliveries:
        return
    mail_connection = get_connection(fail_silently=False)
    try:
        mail_connection.open()
    except Exception as exc:  # the server is unreachable: every e-mail of the batch is retried
        for d in deliveries:
            yield d, exc
        return
    try:
        for d in deliveries:
            try:
                if not mail_connection.send_messages([d.email]):
                    raise RuntimeError("The mail backend did not accept the message.")
            except Exception as exc:  # any transport failure: retry later, never lose the row
                yield d, exc
            else:
                yield d, None
    finally:
        try:
            mail_connection.close()
        except Exception:  # already sent; a failing QUIT loses nothing
            logger.warning("closing the mail connection failed", exc_info=True)


def _retry_or_fail(n: Notification, now: datetime, exc: Exception) -> dict:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if n.attempts >= max_attempts():
        return _final(State.FAILED, last_error=error)
    return _final(State.PENDING, last_error=error, next_attempt_at=now + backoff(n.attempts))


def _write_finals(finals: dict[int, dict], token: uuid.UUID) -> dict[int, str]:
    """Every final state of the batch in one UPDATE, on the rows ``token`` still holds; their new states."""
    if not finals:
        return {}
    table = Notification._meta.db_table
    ids = list(finals)
    column = lambda name: [finals[pk][name] for pk in ids]  # noqa: E731
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} AS n
               SET state = v.state, claim_token = NULL, claimed_until = NULL,
                   last_error = COALESCE(v.last_error, n.last_error),
                   sent_at = COALESCE(v.sent_at, n.sent_at),
                   emailed = COALESCE(v.emailed, n.emailed),
                   next_attempt_at = COALESCE(v.next_attempt_at, n.next_attempt_at)
              FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::timestamptz[], %s::boolean[],
                          %s::timestamptz[]) AS v(id, state, last_error, sent_at, emailed, next_attempt_at)
             WHERE n.id = v.id AND n.state = %s AND n.claim_token = %s
            RETURNING n.id, n.state
            """,
            [ids, column("state"), column("last_error"), column("sent_at"), column("emailed"),
             column("next_attempt_at"), State.SENDING, token],
        )
        return dict(cursor.fetchall())


def notifications_dispatch(
    *, now: datetime | None = None, limit: int | None = None, max_batches: int = 20, max_seconds: float | None = None
) -> dict:
    """Claim and deliver due notifications, batch after batch, until none is due, or ``max_batches``
    batches are done, or a batch ends after ``max_seconds``.

    Any number of dispatchers may run at once; each row is claimed by one of them.
    """
    started = time.monotonic()
    outcome: dict[str, int] = {}
    for _ in range(max_batches):
        token, ids = notifications_claim(now=now, limit=limit)
        if not ids:
            break
        for state in notifications_deliver(ids=ids, token=token, now=now).values():
            outcome[state] = outcome.get(state, 0) + 1
        if max_seconds is not None and time.monotonic() - started >= max_seconds:
            break
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
