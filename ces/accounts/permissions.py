from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from .roles import API_DOCS_ROLES


class ReadsTheApiDocs(BasePermission):
    """The OpenAPI schema and Swagger UI (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]): staff roles only."""

    message = _("The API documentation is for CES staff.")

    def has_permission(self, request, view):
        user = request.user
        return user.is_authenticated and user.has_role(*API_DOCS_ROLES)
