from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from . import charts, registry, rows, selectors, services, tasks
from .models import Export

PREVIEW_ROWS = 25


def _report_or_404(user, key) -> registry.Report:
    try:
        return selectors.report_for(user, key)
    except selectors.ReportNotFound:
        raise Http404 from None
    except selectors.ReportForbidden:
        raise PermissionDenied from None


def _filter_data(query) -> dict:
    return {k: v for k, v in query.items() if k != "page"}


@login_required
def report_list(request):
    reports = registry.reports_for(request.user)
    if not reports:
        raise PermissionDenied
    return render(request, "reports/list.html", {"reports": reports})


def _query_string(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _detail(request, report, form, status=200):
    context = {"report": report, "form": form, "query_string": _query_string(request), "chart": None,
               "page_obj": None}
    if form.is_valid():
        source = report.rows(request.user, form.cleaned_data)
        count = report.count(request.user, form.cleaned_data) if report.count else None
        page = Paginator(rows.pageable(source, count), PREVIEW_ROWS).get_page(request.GET.get("page"))
        getters = rows.getters(report, source)
        context.update(
            page_obj=page,
            preview=[[rows.as_text(get(row)) for get in getters] for row in page.object_list],
            headers=rows.headers(report),
            chart=charts.chart_for(report, request.user, form),
            exports=list(selectors.recent_exports_for(request.user, report.key)),
        )
    return render(request, "reports/detail.html", context, status=status)


@login_required
def report_detail(request, key):
    report = _report_or_404(request.user, key)
    form = report.build_form(request.GET.copy() if request.GET else {}, request.user)
    return _detail(request, report, form)


@login_required
def report_csv(request, key):
    report = _report_or_404(request.user, key)
    form = report.build_form(request.GET.copy() if request.GET else {}, request.user)
    if not form.is_valid():
        return _detail(request, report, form, status=400)
    response = StreamingHttpResponse(
        services.csv_stream(report=report, user=request.user, filters=form.cleaned_data, language=get_language()),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{services.csv_filename(report)}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def export_create(request, key):
    report = _report_or_404(request.user, key)
    form = report.build_form(request.GET.copy() if request.GET else {}, request.user)
    if not form.is_valid():
        return _detail(request, report, form, status=400)
    export = services.export_request(user=request.user, report=report, params=_filter_data(request.GET),
                                     language=get_language())
    transaction.on_commit(lambda: tasks.build_export.delay(export.pk))
    return redirect("reports:export-status", pk=export.pk)


@login_required
def export_status(request, pk):
    try:
        export = selectors.export_for(request.user, pk)
    except Export.DoesNotExist:
        raise Http404 from None
    context = {"export": export, "report": registry.report_by_key(export.report_key),
               "downloadable": export.state == Export.State.DONE and export.expires_at > timezone.now()}
    template = "reports/_export_status.html" if request.htmx else "reports/export.html"
    return render(request, template, context)


@login_required
def export_download(request, pk):
    try:
        export = selectors.export_downloadable_for(request.user, pk)
    except Export.DoesNotExist:
        raise Http404 from None
    if not export.file or not export.file.storage.exists(export.file.name):
        raise Http404
    filename = f"{export.report_key}-{timezone.localtime(export.finished_at):%Y-%m-%d}.xlsx"
    response = FileResponse(export.file.open("rb"), as_attachment=True, filename=filename)
    response["Cache-Control"] = "private, no-store"
    return response
