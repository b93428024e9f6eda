"""Reads of ces.reports: which reports and exports a person reaches."""

from django.utils import timezone

from . import registry
from .models import Export


class ReportNotFound(Exception):
    pass


class ReportForbidden(Exception):
    pass


def report_for(user, key: str) -> registry.Report:
    """The report, if it exists (``ReportNotFound``) and the person may run it (``ReportForbidden``)."""
    report = registry.report_by_key(key)
    if report is None:
        raise ReportNotFound(key)
    if not report.allowed(user):
        raise ReportForbidden(key)
    return report


def export_for(user, pk) -> Export:
    """One of the person's own exports; anyone else's is ``Export.DoesNotExist`` (the views answer 404)."""
    return Export.objects.get(pk=pk, user=user)


def export_downloadable_for(user, pk, *, now=None) -> Export:
    """The person's own finished, unexpired export; ``Export.DoesNotExist`` otherwise."""
    now = now or timezone.now()
    return Export.objects.get(pk=pk, user=user, state=Export.State.DONE, expires_at__gt=now)


def recent_exports_for(user, report_key: str, limit: int = 5):
    return Export.objects.filter(user=user, report_key=report_key).order_by("-created_at")[:limit]
