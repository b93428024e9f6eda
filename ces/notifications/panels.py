"""Home-page panel for every role: the unread notices."""

from django.utils.translation import gettext_lazy as _

from ces.accounts.panels import register
from ces.accounts.roles import Role

from .selectors import can_see_outbox, inbox_for, outbox_failed_count


@register(key="notifications", title=_("Notices"), template="notifications/panel.html",
          roles=Role.values, order=10)
def notices(request):
    unread = list(inbox_for(request.user).filter(read_at__isnull=True)[:5])
    context = {"unread": unread}
    if can_see_outbox(request.user):
        context["failed"] = outbox_failed_count(request.user)
    return context
