"""`make run`'s console: a refused request is one line, and an e-mail is one line, not a whole message."""

import io
import logging
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.mail import EmailMultiAlternatives

from ces.core.email_backends import OneLineConsoleEmailBackend
from ces.core.log_filters import ClientErrorsOnOneLine

ROOT = Path(__file__).resolve().parents[3]


@contextmanager
def console():
    """What the console handler of settings.LOGGING writes while the block runs."""
    (handler,) = [h for h in logging.getLogger().handlers
                  if any(isinstance(f, ClientErrorsOnOneLine) for f in h.filters)]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)


@pytest.mark.django_db
def test_a_403_is_logged_as_one_line_without_a_traceback(client, coordinator):
    client.force_login(coordinator)

    with console() as out:
        response = client.get("/admin/login/")

    assert response.status_code == 403
    assert out.getvalue() == "Forbidden (Permission denied): /admin/login/\n"


def _record(status, name="django.request"):
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.LogRecord(name, logging.ERROR, __file__, 1, "Failed: /x/", None, sys.exc_info())
    record.status_code = status
    return record


def test_a_server_error_keeps_its_traceback():
    record = _record(500)

    ClientErrorsOnOneLine().filter(record)

    assert record.exc_info is not None


def test_a_suspicious_request_loses_its_traceback():
    record = _record(None, name="django.security.DisallowedHost")

    assert ClientErrorsOnOneLine().filter(record) is True
    assert record.exc_info is None


def test_console_backend_prints_one_line_per_email_with_its_links():
    stream = io.StringIO()
    message = EmailMultiAlternatives(
        "Restablece tu contraseña", "Hola.\n\nAbre este enlace:\n\nhttp://localhost:8000/cuentas/password/reset/key/1-x/\n",
        to=["ana@ces.mx"],
    )
    message.attach_alternative("<p>Hola.</p>", "text/html")

    sent = OneLineConsoleEmailBackend(stream=stream).send_messages([message, message])

    assert sent == 2
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0] == ("E-mail to ana@ces.mx · «Restablece tu contraseña» · 80 characters · with HTML"
                        " · links: http://localhost:8000/cuentas/password/reset/key/1-x/")


def _manage(*args, **env):
    environment = {k: v for k, v in os.environ.items() if k not in ("EMAIL_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    environment.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_development_console_prints_one_line_per_email():
    result = _manage("sendtestemail", "ana@ces.mx")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("E-mail to ana@ces.mx · «Test email from")
    assert result.stdout.count("\n") == 1


def test_a_real_email_url_keeps_its_backend():
    result = _manage("shell", "-c", "from django.conf import settings; print(settings.EMAIL_BACKEND)",
                     EMAIL_URL="smtp://mail.example.org:587")

    assert result.stdout.strip().splitlines()[-1] == "django.core.mail.backends.smtp.EmailBackend"
