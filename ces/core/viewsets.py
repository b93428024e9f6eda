"""The base viewsets every API viewset derives from, so bad input is refused the same way everywhere.

- A detail route takes a number only: ``/clinics/abc/`` is the URLconf's 404, never a lookup that fails
  further down. Routers built with ``use_regex_path=False`` use Django's ``int`` path converter (and the
  schema says integer); a regex router gets the same digits-only pattern.
- A query string holding a control character (NUL above all, which PostgreSQL cannot store or compare in
  text) is a 400 naming the parameter, before any filter or selector reads it.

``tests/test_api_fuzz.py`` walks every API route of the URLconf and checks that each viewset derives from
these, and that hostile values in the path and in every declared filter never end in a server error.
"""

import re

from django.utils.translation import gettext as _
from rest_framework import mixins, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.settings import api_settings

INTEGER_LOOKUP = "[0-9]+"  # ASCII digits only, as the int converter: Python's \d would also take "١٢" or "１２"
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def refuse_control_characters(query_params):
    """Raise a 400 when a name or value of the query string holds a control character."""
    for name, values in query_params.lists():
        if not any(CONTROL_CHARACTERS.search(text) for text in (name, *values)):
            continue
        if CONTROL_CHARACTERS.search(name):
            raise ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [
                _("A parameter name of the address holds a control character.")]})
        raise ValidationError({name: [_("This parameter holds a control character.")]})


class GenericViewSet(viewsets.GenericViewSet):
    lookup_value_converter = "int"
    lookup_value_regex = INTEGER_LOOKUP

    def initial(self, request, *args, **kwargs):
        # Who asks first, so the refusal is in their language (a token names its user only here); then
        # the query string, before DRF itself reads ?format= or ?page= from it. A bad query string is a
        # 400 for anyone, logged in or not: it reveals nothing.
        self.perform_authentication(request)
        refuse_control_characters(request.query_params)
        super().initial(request, *args, **kwargs)


class ReadOnlyModelViewSet(mixins.RetrieveModelMixin, mixins.ListModelMixin, GenericViewSet):
    pass
