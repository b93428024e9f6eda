"""Thin tasks: ids in, one service call. Building twice is harmless (the build claims the row first)."""

from celery import shared_task

from . import services

TIME_LIMIT = 1800


@shared_task(time_limit=TIME_LIMIT, soft_time_limit=TIME_LIMIT - 60, acks_late=True, reject_on_worker_lost=True)
def build_export(export_id: int) -> str:
    return services.export_build(export_id=export_id)


@shared_task(time_limit=300, soft_time_limit=270)
def purge_expired_exports() -> int:
    return services.exports_purge()
