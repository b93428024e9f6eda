from django.db.models.expressions import RawSQL
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from ces.accounts.models import role_names_sql


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, answering in the person's language.

    The language middleware runs before DRF knows whom a token belongs to, so it could only pick
    Spanish; once the token is checked, the person's own preference applies. The token, its user and
    the user's roles are read in one query, as the session's user is (``ces.accounts.backends``).
    """

    def authenticate_credentials(self, key):
        model = self.get_model()
        user_table = model._meta.get_field("user").related_model._meta.db_table
        token = (model.objects.select_related("user")
                 .annotate(user_role_names=RawSQL(role_names_sql(user_table), ())).filter(key=key).first())
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        token.user.role_names = token.user_role_names
        return token.user, token

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and result[0].preferred_language:
            translation.activate(result[0].preferred_language)
            request._request.LANGUAGE_CODE = translation.get_language()
        return result
