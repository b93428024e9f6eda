"""The applicant's and the visitor program's home pages until the visitors app is built: they say so,
and show no made-up data."""

from django.utils.translation import gettext_lazy as _

from ces.accounts.panels import register
from ces.accounts.roles import Role


@register(key="visitors-my-application", title=_("My application"), template="accounts/panels/not_available.html",
          roles=[Role.APPLICANT], order=10)
def my_application(request):
    return {"message": _("The visitor application module (apply, upload documents, follow your placement) "
                         "is not available yet.")}


@register(key="visitors-program", title=_("Visitor program"), template="accounts/panels/not_available.html",
          roles=[Role.VISITOR_PROGRAM], order=10)
def visitor_program(request):
    return {"message": _("The visitors module (applications, interviews, placements and arrivals) "
                         "is not available yet.")}
