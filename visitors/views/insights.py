"""The visitor log and the feedback pages, for coordinators, the visitor program and admins (403 for anyone
else). Thin: parse the filters, call the selectors of ``visitors.selectors.insights``, render. Each page runs a
fixed number of queries whatever the number of visits or surveys."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path

from ces.core.pages import paginate, require

from .. import selectors
from ..forms.insights import FeedbackFilterForm, VisitorLogFilterForm

COMMENTS_PAGE_SIZE = 20
PASANTE_FEEDBACK_SHOWN = 20


def _filters(form) -> dict:
    """The valid filters; none when the form does not parse (its errors are shown above everything)."""
    return form.cleaned_data if form.is_valid() else {}


@login_required
def visitor_log(request):
    require(selectors.can_see_visitor_insights(request.user))
    form = VisitorLogFilterForm(request.GET or None)
    filters = _filters(form)
    log = selectors.visitor_log(request.user, category=filters.get("category") or "",
                                year_from=filters.get("year_from"), year_to=filters.get("year_to"))
    return render(request, "visitors/insights/log.html",
                  {"form": form, "log": log, "filtered": any(v not in (None, "") for v in filters.values())})


def _about(request, groups: dict) -> tuple[str, int | None, dict | None]:
    """``?about=clinic-12``: the clinic, pasante or family whose comments are shown, among the rows read."""
    group, _sep, pk = request.GET.get("about", "").partition("-")
    if group not in selectors.FEEDBACK_GROUPS or not (pk.isascii() and pk.isdigit() and len(pk) < 19):
        return "", None, None
    row = next((r for r in groups[group] if r["subject_id"] == int(pk)), None)
    return (group, int(pk), row) if row is not None else ("", None, None)


@login_required
def feedback(request):
    require(selectors.can_see_visitor_insights(request.user))
    form = FeedbackFilterForm(request.GET or None)
    period = {k: v for k, v in _filters(form).items() if k in ("date_from", "date_to")}
    user = request.user
    groups = {group: selectors.exit_survey_scores(user, group, **period) for group in selectors.FEEDBACK_GROUPS}
    group, pk, about = _about(request, groups)
    comments, query = paginate(request, selectors.exit_survey_comments(user, group=group, pk=pk, **period),
                               COMMENTS_PAGE_SIZE)
    filter_query = request.GET.copy()
    for name in ("page", "about"):
        filter_query.pop(name, None)
    return render(request, "visitors/insights/feedback.html", {
        "form": form,
        "summary": selectors.feedback_summary(user, **period),
        "clinics": groups["clinic"],
        "pasantes": groups["pasante"],
        "families": groups["family"],
        "about_group": group,
        "about": about,
        "page_obj": comments,
        "query_string": query,
        "filter_query": filter_query.urlencode(),
        "pasante_feedback": list(selectors.pasante_feedback_list(user, **period)[:PASANTE_FEEDBACK_SHOWN]),
    })


urlpatterns = [
    path("registro/", visitor_log, name="log"),
    path("opiniones/", feedback, name="feedback"),
]
