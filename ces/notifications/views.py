from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import EmailPreferencesForm, OutboxFilterForm
from .models import Notification

PAGE_SIZE = 25


@login_required
def inbox(request):
    page = Paginator(selectors.inbox_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page_obj": page, "notifications": page.object_list,
               "can_see_outbox": selectors.can_see_outbox(request.user)}
    return render(request, "notifications/inbox.html", context)


def badge(request):
    """The header's link with the unread count, fetched by htmx after the page loads.

    Pages pay nothing for it: not one query is added to any page's fixed count. An anonymous caller (a
    session that just ended) gets an empty answer, which htmx leaves alone.
    """
    if not request.user.is_authenticated:
        return HttpResponse(status=204)
    # No context processors (they would ask for the roles): the fragment needs only these.
    context = {"user": request.user, "unread_count": selectors.unread_count(request.user), "refreshed": True}
    return HttpResponse(render_to_string("notifications/header_badge.html", context))


@login_required
@require_POST
def mark_read(request, pk):
    try:
        notification = selectors.notification_for(request.user, pk)
    except Notification.DoesNotExist:
        raise Http404 from None
    services.notification_mark_read(notification=notification)
    if request.htmx:
        return render(request, "notifications/_item.html", {"n": notification})
    return redirect("notifications:inbox")


@login_required
def preferences(request):
    rules = selectors.rules_for(request.user)
    current = selectors.email_preferences_for(request.user)
    data = request.POST if request.method == "POST" else None
    form = EmailPreferencesForm(data, rules=rules, initial_choices=current)
    if request.method == "POST" and form.is_valid():
        services.email_preferences_set(user=request.user, choices=form.cleaned_data)
        messages.success(request, _("Your e-mail preferences were saved."))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})


@login_required
def outbox(request):
    if not selectors.can_see_outbox(request.user):
        raise PermissionDenied
    form = OutboxFilterForm(request.GET or None)
    filters = {}
    if form.is_valid():
        filters = {"state": form.cleaned_data["state"], "kind": form.cleaned_data["kind"],
                   "search": form.cleaned_data["q"].strip()}
    page = Paginator(selectors.outbox(request.user, **filters), PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.outbox_state_counts(request.user)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page_obj": page,
        "notifications": page.object_list,
        "state_counts": [(key, label, counts.get(key, 0)) for key, label in Notification.State.choices],
        "query_string": query.urlencode(),
    }
    return render(request, "notifications/outbox.html", context)
