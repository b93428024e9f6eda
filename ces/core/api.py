"""Shared pieces of the REST API: the error format, fields, and the token endpoint."""

from allauth.account.adapter import get_adapter
from allauth.core import ratelimit
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import APIException, Throttled, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """Services raise Django's ValidationError; the API answers it as a 400 like DRF's own."""
    if isinstance(exc, DjangoValidationError):
        non_field = api_settings.NON_FIELD_ERRORS_KEY
        if hasattr(exc, "error_dict"):
            # A model constraint's message comes under Django's "__all__"; DRF calls it non_field_errors.
            detail = {non_field if field == NON_FIELD_ERRORS else field: messages
                      for field, messages in exc.message_dict.items()}
        else:
            detail = {non_field: exc.messages}
        exc = ValidationError(detail=detail)
    return drf_exception_handler(exc, context)


class OptionalEmailField(serializers.EmailField):
    """A read-only e-mail that may be missing: null in the answer, never "" where the schema says e-mail.

    The models keep a missing address blank (Django's habit for text), and a blank is no e-mail address.
    """

    def __init__(self, **kwargs):
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value):
        return value or None


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(label=_("e-mail"))
    password = serializers.CharField(label=_("password"), style={"input_type": "password"}, trim_whitespace=False)


class LoginLocked(Throttled):
    """A 429 with the lock's own message (which states the cool-off) and its ``Retry-After``."""

    def __init__(self, message, *, wait):
        APIException.__init__(self, message)
        self.wait = wait


class TokenObtainView(APIView):
    """Exchange an e-mail and password for an API token (``Authorization: Token <key>``).

    Failed attempts count against the account and the client address together with the web and admin
    logins: after too many, the account is locked for a stated number of minutes, even for the right
    password, and the answer is a 429 with ``Retry-After``.
    """
    # allauth's adapter checks the password, as the web form (and so the admin login) does: one count
    # per account and per address (settings.ACCOUNT_RATE_LIMITS) for every way in.

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})},
        tags=["auth"],
    )
    def post(self, request):
        # Every attempt counts against the address, as a POST to the login page does.
        if not ratelimit.consume(request._request, action="login"):
            raise Throttled(wait=60)
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            user = get_adapter(request._request).authenticate(
                request._request,
                email=serializer.validated_data["email"].lower(),
                password=serializer.validated_data["password"],
            )
        except DjangoValidationError as locked:
            raise LoginLocked(locked.messages[0], wait=settings.LOGIN_LOCK_MINUTES * 60) from locked
        if user is None or not user.is_active:
            raise ValidationError({"non_field_errors": [_("Wrong e-mail or password.")]})
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key}, status=status.HTTP_200_OK)
