from django.utils import translation
from rest_framework import authentication


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, answering in the person's language.

    The language middleware runs before DRF knows whom a token belongs to, so it could only pick
    Spanish; once the token is checked, the person's own preference applies.
    """

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and result[0].preferred_language:
            translation.activate(result[0].preferred_language)
            request._request.LANGUAGE_CODE = translation.get_language()
        return result
