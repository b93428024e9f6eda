from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers

SUPPORTED = {code for code, _name in settings.LANGUAGES}


def set_language_cookie(response, language):
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE, httponly=False,
    )


class LanguageMiddleware:
    """Spanish unless the person chose otherwise.

    Django's LocaleMiddleware would follow the browser's Accept-Language, which on a borrowed or
    English-configured phone is English; CES works in Spanish, so the browser is not asked. A
    logged-in person gets their stored preference; anyone else the language they picked with the
    switch (a cookie); everyone else Spanish. When someone logs in (through any allauth form), the
    cookie takes their language, so the pages after they log out stay in it too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = settings.LANGUAGE_CODE
        cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.preferred_language in SUPPORTED:
            language = user.preferred_language
        elif cookie in SUPPORTED:
            language = cookie
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        logged_in_language = getattr(request, "language_at_login", None)  # AccountAdapter.login sets it
        if logged_in_language and cookie != logged_in_language:
            set_language_cookie(response, logged_in_language)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


class PrivatePagesMiddleware:
    """What a logged-in person is shown is not kept by their browser: ``Cache-Control: private, no-store``
    on every answer to a logged-in request that does not say otherwise (the downloads already do).

    Chromium kept the last pages in its back/forward cache, so after logging out, Back showed a patient's
    record to whoever used the clinic's computer next (``tests/test_journey_logout.py``). The price is that
    Back asks the server again. The restock form's drafts live in the browser's storage and are not touched.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if "Cache-Control" not in response and user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
