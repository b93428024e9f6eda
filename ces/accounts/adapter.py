from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import ngettext

from .middleware import SUPPORTED
from .roles import Role


def _language_of(user):
    language = getattr(user, "preferred_language", None)
    return language if language in SUPPORTED else None


def locked_message() -> str:
    """What a person whose account is locked reads, in their language, with the cool-off stated."""
    minutes = settings.LOGIN_LOCK_MINUTES
    return ngettext(
        "Too many failed attempts with this account. Wait %(minutes)d minute and try again.",
        "Too many failed attempts with this account. Wait %(minutes)d minutes and try again.",
        minutes,
    ) % {"minutes": minutes}


class AccountAdapter(DefaultAccountAdapter):
    """Self sign-up is for visitor applicants only: staff accounts are made by coordinators."""

    # allauth's own message says only "try again later"; ours says when (read in the person's language).
    error_messages = {**DefaultAccountAdapter.error_messages,
                      "too_many_login_attempts": lazy(locked_message, str)()}

    def save_user(self, request, user, form, commit=True):
        # An applicant reads the pages and the e-mails in the language they signed up in (the switch on the
        # sign-up page; Spanish otherwise).
        language = translation.get_language()
        if language in SUPPORTED:
            user.preferred_language = language
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            group, _ = Group.objects.get_or_create(name=Role.APPLICANT)
            user.groups.add(group)
        return user

    def get_login_stages(self):
        # Applicants confirm their address (ces.accounts.stages); imported by allauth by its path, since
        # allauth's stages module cannot be imported while this adapter loads.
        return ["ces.accounts.stages.ApplicantEmailVerificationStage"
                if path == "allauth.account.stages.EmailVerificationStage" else path
                for path in super().get_login_stages()]

    def get_login_redirect_url(self, request):
        return reverse("accounts:home")

    def login(self, request, user):
        """Speak the person's language from the moment they are in.

        The login request ran in the anonymous visitor's language (LanguageMiddleware chose it before
        anyone was logged in); allauth renders its "signed in" message right after this call, so the
        language is switched here, not on the next request.
        """
        super().login(request, user)
        language = _language_of(user)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
            request.language_at_login = language  # LanguageMiddleware puts it in the cookie

    def send_mail(self, template_prefix, email, context):
        """An e-mail to a known account is written in that account's language, whoever asked for it."""
        language = _language_of(context.get("user"))
        if language is None:
            return super().send_mail(template_prefix, email, context)
        with translation.override(language):
            return super().send_mail(template_prefix, email, context)

    def get_client_ip(self, request):
        try:
            return super().get_client_ip(request)
        except ImproperlyConfigured:
            # Fewer X-Forwarded-For entries than TRUSTED_PROXY_COUNT: the request skipped a proxy of ours,
            # so no entry can be trusted; the peer that connected is the one address known. (allauth
            # would make this a server error, on every login.)
            return request.META["REMOTE_ADDR"]

    def _get_login_attempts_cache_key(self, request, **credentials):
        # allauth keys an account's failures by host name and e-mail; every name the site answers to
        # would then give an attacker another allowance. One account, one count.
        return credentials.get("email", credentials.get("username", "")).lower()
