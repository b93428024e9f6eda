from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from . import panels
from .forms import LanguageForm
from .middleware import set_language_cookie
from .roles import HOME_ORDER, Role


@login_required
def home(request):
    """Each role lands on its own home page; a person with several roles can switch between them."""
    roles = [role for role in HOME_ORDER if role in request.user.roles]
    role = request.GET.get("role")
    if role not in roles:
        role = roles[0] if roles else None
    context = {
        "role": role,
        "role_label": Role(role).label if role else "",
        "my_roles": [(r, Role(r).label) for r in roles],
        "panels": panels.panels_for(role, request) if role else [],
    }
    return render(request, "accounts/home.html", context)


@require_POST
def set_language(request):
    """Switch the language, and remember it for a logged-in person."""
    form = LanguageForm(request.POST)
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if form.is_valid():
        language = form.cleaned_data["language"]
        translation.activate(language)
        set_language_cookie(response, language)
        if request.user.is_authenticated and request.user.preferred_language != language:
            request.user.preferred_language = language
            request.user.save(update_fields=["preferred_language"])
    return response


def permission_denied(request, exception=None):
    """The 403 page, worded for who reads it (handler403).

    The admin site is the data manager's; a coordinator refused there, or anywhere, is the
    coordination herself, so she is not told to "ask a coordinator".
    """
    user = request.user
    context = {
        "admin_site": request.path.startswith(reverse("admin:index")),
        "asks_the_data_manager": user.is_authenticated and user.has_role(Role.COORDINATOR),
    }
    return render(request, "403.html", context, status=403)


def csrf_failure(request, reason=""):
    """A form sent from a page that no longer holds a valid token (CSRF_FAILURE_VIEW): a tab left open from
    before someone logged in or out, or open for too long. Explained in the person's words, with the page to
    open again, instead of Django's bare technical page. Nothing was saved."""
    referer = request.headers.get("Referer", "")
    again = referer if url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()},
                                                         require_https=request.is_secure()) else ""
    return render(request, "403_csrf.html", {"again": again}, status=403)
