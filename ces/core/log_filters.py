"""Filters for the console log (settings.LOGGING)."""

import logging


class ClientErrorsOnOneLine(logging.Filter):
    """A 4xx answer is the client's doing, not a crash: log it as one line, without a traceback.

    Django logs a refused request (PermissionDenied: 403) on ``django.request`` with the exception
    attached, and a suspicious one (a bad Host header, a damaged body: 400) on ``django.security.*``;
    the console then prints a full traceback that reads like a server error. The message line (the
    status, the reason and the path) stays; a 5xx keeps its traceback.
    """

    def filter(self, record):
        status = getattr(record, "status_code", None)
        client_error = status is not None and 400 <= status < 500
        if client_error or record.name.startswith("django.security."):
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        return True
