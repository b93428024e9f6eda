"""The API's request parsers (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES). A module of its own: DRF imports
the parsers while it defines APIView, so this one may import nothing that imports rest_framework.views."""

from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's, except that a body nested too deeply for Python's decoder (``[[[[...`` a hundred thousand
    times) is a 400 like any other malformed JSON: DRF catches only ValueError, and the RecursionError
    became a server error."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(_("The JSON body is nested too deeply to be read.")) from exc
