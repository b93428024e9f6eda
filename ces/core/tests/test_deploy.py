import os
import subprocess
import sys
from pathlib import Path

import pytest

from ces.celery import app

ROOT = Path(__file__).resolve().parents[3]


def test_check_deploy_is_clean_in_production_settings():
    # The browser journeys set DJANGO_ALLOW_ASYNC_UNSAFE in this process; production never has it.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update({"DEBUG": "0", "SECRET_KEY": "x" * 30 + "-production-like-secret-" + "y" * 30,
           "ALLOWED_HOSTS": "ces.example.org"})
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(DEBUG="0", ALLOWED_HOSTS="ces.example.org")
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_celery_tasks_are_acked_late_and_time_limited():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.task_time_limit and app.conf.task_soft_time_limit
    assert app.conf.broker_transport_options["visibility_timeout"] >= 3600


def test_the_heartbeat_is_scheduled_every_minute():
    entry = app.conf.beat_schedule["heartbeat"]
    assert entry["task"] == "ces.core.tasks.heartbeat"
    assert entry["schedule"] == 60.0


@pytest.mark.django_db
def test_pages_are_served_with_a_csp_that_forbids_inline_code_and_other_origins(client):
    header = client.get("/cuentas/login/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in header.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in header
