from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.auth.models import Group
from django.urls import reverse

from .roles import Role


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
