"""Thin tasks, no arguments: the rows in the database are the work queue, not the broker.

The beat schedule (ces/celery.py) runs ``tick`` once a minute. Running it twice at once (two beat
processes, a redelivered message) is harmless: materialising is idempotent and the claim hands each row
to one dispatcher.
"""

from celery import shared_task

from .services import notifications_dispatch, notifications_materialise

# The claim's lease (NOTIFICATIONS_LEASE_SECONDS, 600 by default) must outlive this hard limit, so a
# live worker never loses a row it is still sending.
TIME_LIMIT = 300
# A dispatch starts no new batch after this long, well before the soft limit: a backlog (100,000 due
# after an outage) drains at full speed, batch after batch, instead of 20 batches a minute.
DISPATCH_SECONDS = TIME_LIMIT // 2


def _dispatch():
    return notifications_dispatch(max_batches=10**9, max_seconds=DISPATCH_SECONDS)


@shared_task(time_limit=TIME_LIMIT, soft_time_limit=TIME_LIMIT - 30)
def materialise():
    return notifications_materialise()


@shared_task(time_limit=TIME_LIMIT, soft_time_limit=TIME_LIMIT - 30)
def dispatch():
    return _dispatch()


@shared_task(time_limit=TIME_LIMIT, soft_time_limit=TIME_LIMIT - 30)
def tick():
    """Once a minute: create the reminders that became due, then send the due ones."""
    inserted = notifications_materialise()
    return {"inserted": inserted, **_dispatch()}
