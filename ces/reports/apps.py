from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "ces.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from ces.accounts import menu

        from . import registry

        registry.autodiscover()
        # The menu offers the reports to whoever may run one of them.
        menu.register(key="reports", label=_("Reports"), url_name="reports:report-list",
                      allowed=lambda user: bool(registry.reports_for(user)), order=60)
