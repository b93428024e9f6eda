"""Home-page panel for every role: the unread notices."""

from django.utils.translation import gettext_lazy as _

from ces.accounts.panels import register
from ces.accounts.roles import Role

from .selectors import can_see_outbox, outbox_failed_count, unread_for


@register(key="notifications", title=_("Notices"), template="notifications/panel.html",
          roles=Role.values, order=10)
def notices(request):
    unread = list(unread_for(request.user)[:5])
    context = {"unread": unread}
    if can_see_outbox(request.user):
        context["failed"] = outbox_failed_count(request.user)
    return context
