from django.utils import translation


class UserLanguageMiddleware:
    """Serve a logged-in person in their preferred language unless they just chose another one.

    LocaleMiddleware has already picked the language from the cookie or the browser; a stored
    preference wins over the browser, and the language switch (which sets the cookie and the
    preference together) wins over both.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.preferred_language:
            from django.conf import settings

            if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
                translation.activate(user.preferred_language)
                request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
