from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "ces.accounts"
    label = "accounts"
    verbose_name = _("Users and roles")

    def ready(self):
        from . import home_panels, panels  # noqa: F401  (home_panels registers the admin's panels)

        panels.autodiscover()
