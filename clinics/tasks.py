"""Celery tasks of clinics. Ids in (or nothing), one service call; safe to run twice."""

from celery import shared_task

from . import services


@shared_task(time_limit=300, soft_time_limit=240)
def close_accounts_due():
    """The accounts of people deactivated with a last day before today close (people10)."""
    return services.accounts_close_due()
