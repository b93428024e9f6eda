"""The pharmacy role's home page until the pharmacy app is built: it says so, and shows no made-up data."""

from django.utils.translation import gettext_lazy as _

from ces.accounts.panels import register
from ces.accounts.roles import Role


@register(key="pharmacy-not-available", title=_("Pharmacy"), template="accounts/panels/not_available.html",
          roles=[Role.PHARMACY], order=10)
def pharmacy_not_available(request):
    return {"message": _("The pharmacy module (stock, restock requests and dispatch) is not available yet.")}
