"""``/livez``: is the process answering? ``/healthz``: is the database there, is Redis there, is the beat ticking?"""

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .models import Heartbeat


def _check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_redis():
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


def _beat_status():
    beat = Heartbeat.objects.filter(name="beat").first()
    if beat is None:
        return {"last": None, "fresh": False}
    age = (timezone.now() - beat.last_beat).total_seconds()
    return {"last": beat.last_beat.isoformat(), "fresh": age <= settings.HEARTBEAT_STALE_AFTER_SECONDS}


@never_cache
@require_GET
def livez(request):
    """200 "ok" as long as the process serves requests: no database, no Redis, no session.

    For a load balancer's liveness probe (a database outage must not make it restart every web process)
    and as the bare baseline of ``make bench``'s throughput part.
    """
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


@never_cache
@require_GET
def healthz(request):
    """200 when PostgreSQL and Redis answer; 503 naming the one that failed otherwise.

    The beat heartbeat is reported but does not fail the check: web can serve without the
    scheduler, and a load balancer should not take it out of rotation for that.
    """
    checks = {}
    for name, check in (("database", _check_database), ("redis", _check_redis)):
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means "not healthy"
            checks[name] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if healthy else "error", "checks": checks}
    if checks["database"] == "ok":
        body["beat"] = _beat_status()
    return JsonResponse(body, status=200 if healthy else 503)
