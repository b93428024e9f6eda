"""The Celery app. The periodic schedule is defined here, in code, and nowhere else."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ces.settings")

app = Celery("ces")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "heartbeat": {
        "task": "ces.core.tasks.heartbeat",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "notifications-tick": {
        "task": "ces.notifications.tasks.tick",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "purge-expired-exports": {
        "task": "ces.reports.tasks.purge_expired_exports",
        "schedule": 3600.0,
    },
    "purge-idempotency-records": {
        "task": "ces.core.tasks.purge_idempotency_records",
        "schedule": 3600.0,
    },
    # A deactivated person's account closes the day after their last day (clinics, people10).
    "close-accounts-due": {
        "task": "clinics.tasks.close_accounts_due",
        "schedule": 900.0,
    },
}
