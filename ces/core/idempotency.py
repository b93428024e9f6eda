"""``Idempotency-Key`` for every POST under ``/api/``.

A client (the offline queue on a pasante's phone, a retry after a dropped connection) sends a key
it generated with each POST. The first request with a key runs; any later one with the same key and
the same body gets the first response again and writes nothing; the same key with another body or
another path gets 409.

How it stays exactly-once under concurrency: the view runs inside one transaction that first
inserts the key's row. A second request with the same key blocks on the unique index until the
first commits (or rolls back), then finds the stored response. A response of 5xx, 401, 403 or 429,
or an exception, rolls the whole transaction back, key included, so the client may retry.

Keys belong to a person. An anonymous request is passed through untouched: there is nobody to scope
its key to, and a key shared by every anonymous client would replay one client's answer to another.
"""

import hashlib
import tempfile

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import IdempotencyRecord

HEADER = "HTTP_IDEMPOTENCY_KEY"
MAX_KEY_LENGTH = 255
# Answers that say the request was not allowed to run (an expired session, a missing CSRF token, a
# throttle) are not kept: the retry, once the cause is fixed, must run.
NOT_RUN = frozenset({401, 403, 429})


class _Rollback(Exception):
    def __init__(self, response):
        self.response = response


def _fingerprint(request) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.path.encode())
    digest.update(b"\0")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None or length <= limit:
        digest.update(request.body)
        return digest.hexdigest()
    # A body larger than Django keeps in memory (a document upload of a few MB): ``request.body`` would
    # refuse it (RequestDataTooBig, a bare 400) where the view itself streams it. Hash it as it is read into
    # a spooled temporary file, which the view then reads in place of the stream.
    spool = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)
    for chunk in iter(lambda: request.read(64 * 1024), b""):
        digest.update(chunk)
        spool.write(chunk)
    spool.seek(0)
    request._stream = spool
    request._read_started = False
    return digest.hexdigest()


def _replay(record) -> HttpResponse:
    response = HttpResponse(bytes(record.body), status=record.status_code, content_type=record.content_type)
    response["Idempotent-Replayed"] = "true"
    return response


def _conflict(message) -> JsonResponse:
    return JsonResponse({"detail": message, "code": "idempotency_conflict"}, status=409)


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.META.get(HEADER, "").strip()
        if request.method != "POST" or not key or not request.path.startswith("/api/"):
            return self.get_response(request)
        if len(key) > MAX_KEY_LENGTH:
            return JsonResponse(
                {"detail": _("The Idempotency-Key header is longer than %(n)d characters.") % {"n": MAX_KEY_LENGTH}},
                status=400,
            )
        if not key.isprintable():
            # A NUL byte cannot be stored in PostgreSQL's text (a server error); no control character
            # belongs in a header anyway.
            return JsonResponse(
                {"detail": _("The Idempotency-Key header may hold only printable characters.")}, status=400,
            )
        user = self._user(request)
        if user is None:
            return self.get_response(request)
        # Read the body now: once a view has parsed the stream it cannot be hashed any more.
        fingerprint = _fingerprint(request)
        try:
            with transaction.atomic():
                record = self._claim(user, key, request, fingerprint)
                if record.status_code is not None:
                    if record.fingerprint != fingerprint:
                        return _conflict(
                            _("This Idempotency-Key was already used for a different request.")
                        )
                    return _replay(record)
                response = self.get_response(request)
                status_code = response.status_code
                if status_code in NOT_RUN or status_code >= 500 or getattr(response, "streaming", False):
                    raise _Rollback(response)
                if hasattr(response, "render") and not response.is_rendered:
                    response.render()
                record.status_code = response.status_code
                record.content_type = response.get("Content-Type", "")
                record.body = response.content
                record.save(update_fields=["status_code", "content_type", "body"])
                return response
        except _Rollback as rollback:
            return rollback.response

    @staticmethod
    def _user(request):
        # Token-authenticated API requests are authenticated by DRF inside the view, after this
        # middleware; resolve the token here so the key is scoped to the person who sent it.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        # Parsed as DRF's TokenAuthentication does (the keyword in any case), so that the key is
        # never scoped to nobody for a request that DRF then runs as a user.
        parts = request.META.get("HTTP_AUTHORIZATION", "").split()
        if len(parts) == 2 and parts[0].lower() == "token":
            from rest_framework.authtoken.models import Token

            token = Token.objects.select_related("user").filter(key=parts[1]).first()
            if token and token.user.is_active:
                return token.user
        return None

    @staticmethod
    def _claim(user, key, request, fingerprint):
        """Insert the key's row, or wait for the transaction that holds it and return the stored row."""
        IdempotencyRecord.objects.bulk_create(
            [IdempotencyRecord(user=user, key=key, method=request.method, path=request.path,
                               fingerprint=fingerprint, created_at=timezone.now())],
            ignore_conflicts=True,
        )
        return IdempotencyRecord.objects.select_for_update().get(user=user, key=key)


def purge_expired_idempotency_records() -> int:
    cutoff = timezone.now() - timezone.timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted

