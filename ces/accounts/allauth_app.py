from allauth.account.apps import AccountConfig
from django.utils.translation import gettext_lazy as _


class SignInEmailsConfig(AccountConfig):
    """allauth's account app, named in the admin for what it holds.

    Its own name, "Accounts", read as a second "Users and roles" section beside ces.accounts.
    """

    verbose_name = _("Sign-in e-mail addresses")
