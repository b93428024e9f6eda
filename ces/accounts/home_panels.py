"""The accounts app's own home-page panels (``panels.py`` in this app is the registry itself)."""

from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from .panels import register
from .roles import Role


@register(key="accounts-users-by-role", title=_("Users by role"), template="accounts/panels/admin_users.html",
          roles=[Role.ADMIN], order=10)
def users_by_role(request):
    """Active accounts per role, in three queries (a person with two roles counts in both)."""
    active = get_user_model().objects.filter(is_active=True)
    counts = dict(active.filter(groups__name__in=Role.values).values_list("groups__name").annotate(n=Count("pk")))
    return {
        "total": active.count(),
        "without_role": active.exclude(groups__name__in=Role.values).count(),
        "by_role": [(role.label, counts.get(role.value, 0)) for role in Role],
    }
