from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import translation

from .middleware import SUPPORTED
from .roles import Role


def _language_of(user):
    language = getattr(user, "preferred_language", None)
    return language if language in SUPPORTED else None


class AccountAdapter(DefaultAccountAdapter):
    """Self sign-up is for visitor applicants only: staff accounts are made by coordinators."""

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            group, _ = Group.objects.get_or_create(name=Role.APPLICANT)
            user.groups.add(group)
        return user

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
