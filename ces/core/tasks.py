from celery import shared_task

from .idempotency import purge_expired_idempotency_records
from .services import heartbeat_record


@shared_task(time_limit=30, soft_time_limit=20)
def heartbeat():
    """Proves that beat schedules and a worker runs: /healthz reports its age."""
    heartbeat_record(name="beat")


@shared_task(time_limit=300, soft_time_limit=240)
def purge_idempotency_records():
    return purge_expired_idempotency_records()
