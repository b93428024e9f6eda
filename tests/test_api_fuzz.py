"""No input from outside ends in a server error on the API: every route under ``api/`` of the URLconf, with
hostile values in its path and in every query parameter its schema declares, as every persona that can
reach it (the table of authorization_policy.py says who). The rule holds by construction (the base
viewsets of ces.core.viewsets); this proves it, and catches a route that leaves the base behind.
"""

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token
from rest_framework.viewsets import ViewSetMixin

from ces.core.viewsets import GenericViewSet
from tests import authorization_policy as policy
from tests import test_authorization as walk

# The personas and clinic A's objects, as the authorization walk makes them: built once for this module too,
# each test in a savepoint rolled back after it (so no test here may make a persona of its own).
_module_world = walk._module_world
world = walk.world
_url = walk._url
API_PATTERNS = [p for p in walk.PATTERNS if p.route.startswith("api/")]
DETAIL_PATTERNS = [p for p in API_PATTERNS if p.params]
UNREACHABLE = {policy.FORBIDDEN, policy.LOGIN}

HOSTILE_IDS = ["abc", "0", "-1", "1.5", "1e3", "99999999999999999999999", "9223372036854775808",
               "١٢", "１２", "%00", "1%00", "%C0%AE", "x" * 3000, "1 OR 1=1"]
HOSTILE_VALUES = ["\x00", "a\x00b", "\x1f", "\x7f", "99999999999999999999999", "-99999999999999999999999",
                  "١٢", "１２", "x" * 3000, "ñ" * 3000, "2026-13-45", "0000-00-00", "9999-12-31", "26/02/30",
                  "-1", "1.5", "true\x00", "'", "%", "[]", "{}", ""]
# Read by DRF itself: ?format= on every view, ?page= on every list.
GENERIC_PARAMS = ["format"]
LIST_PARAMS = ["page"]
# Every persona that reaches a route gets these; the first of them and the pasante of clinic A (whose
# lists take another path through the selectors) get every hostile value.
SHORT_LIST = ["\x00", "99999999999999999999999", "x" * 3000]


def _reaching_personas(pattern, method):
    row = policy.row_for(pattern.key)[1]
    if method not in row.checks:
        return []
    return [persona for persona in policy.LOGGED_IN if row.checks[method][persona] - UNREACHABLE]


def _declared_query_params():
    """URL name -> the names of the query parameters its operations declare in the OpenAPI schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    declared = {}
    for path, operations in schema["paths"].items():
        name = resolve(re.sub(r"\{\w+\}", "1", path)).view_name
        for operation in operations.values():
            declared.setdefault(name, set()).update(
                p["name"] for p in operation.get("parameters", []) if p["in"] == "query"
            )
    return declared


DECLARED = _declared_query_params()


def _fill(route, value):
    """The route with every parameter (a regex group or a path converter) replaced by ``value``."""
    route = re.sub(r"\(\?P<\w+>[^)]*\)", lambda _m: value, route)
    return re.sub(r"<(?:\w+:)?\w+>", lambda _m: value, route).replace("^", "").replace("$", "")


def _client(users, persona):
    cache.clear()
    client = Client()
    client.force_login(users[persona])
    return client


def _send(client, method, url, **query):
    if method == "GET":
        return client.get(url, query)
    return client.post(url, data="{}", content_type="application/json")


def test_every_api_viewset_derives_from_the_base_that_refuses_bad_input():
    strays = []
    for pattern in API_PATTERNS:
        view = resolve("/" + _fill(pattern.route, "1"))
        cls = getattr(view.func, "cls", None)
        if cls and issubclass(cls, ViewSetMixin) and not issubclass(cls, GenericViewSet):
            strays.append(f"{pattern.key}: {cls.__module__}.{cls.__name__}")
    assert not strays, "API viewsets not built on ces.core.viewsets.GenericViewSet:\n  " + "\n  ".join(strays)


def test_the_schema_declares_the_filters_of_the_lists():
    # The walk below reads the filters from the schema: it proves something only if they are there.
    assert {"q", "kind"} <= DECLARED["api:clinic-list"]
    assert {"state", "clinic", "period"} <= DECLARED["api:pharmacy:restock-request-list"]


@pytest.mark.parametrize("pattern", DETAIL_PATTERNS, ids=[p.key for p in DETAIL_PATTERNS])
def test_a_hostile_id_in_the_path_is_never_a_server_error(pattern, world):
    users, _objects = world
    failures = []
    for method in ("GET", "POST"):
        for persona in _reaching_personas(pattern, method):
            client = _client(users, persona)
            for value in HOSTILE_IDS:
                path = _fill(pattern.route, value)
                response = _send(client, method, "/" + path)
                if response.status_code >= 500 or response.status_code == 200:
                    failures.append(f"{method} /{path[:60]} as {persona}: {response.status_code}")
    assert not failures, "\n  ".join(failures)


GET_PATTERNS = [p for p in API_PATTERNS if "GET" in policy.row_for(p.key)[1].checks]


@pytest.mark.parametrize("pattern", GET_PATTERNS, ids=[p.key for p in GET_PATTERNS])
def test_hostile_query_parameters_are_never_a_server_error(pattern, world):
    users, objects = world
    url = _url(pattern, policy.row_for(pattern.key)[1], objects)
    params = DECLARED.get(pattern.key, set()) | set(GENERIC_PARAMS)
    if pattern.key.endswith("-list"):
        params |= set(LIST_PARAMS)
    viewset = issubclass(getattr(resolve(url).func, "cls", object), GenericViewSet)
    failures = []
    personas = _reaching_personas(pattern, "GET")
    for persona in personas:
        client = _client(users, persona)
        values = HOSTILE_VALUES if persona in (personas[0], "pasante_a") else SHORT_LIST
        for name in sorted(params):
            for value in values:
                response = client.get(url, {name: value})
                if response.status_code >= 500:
                    failures.append(f"GET {url}?{name}={value[:20]!r} as {persona}: {response.status_code}")
                elif "\x00" in value and viewset and response.status_code != 400:
                    failures.append(f"GET {url}?{name}={value[:20]!r} as {persona}: {response.status_code}, "
                                    "a NUL must be refused with a 400")
    assert not failures, "\n  ".join(failures)


def test_a_control_character_is_refused_in_the_persons_language(api_client, world):
    coordinator = world[0]["coordinator"]
    api_client.force_login(coordinator)
    response = api_client.get("/api/v1/clinics/", {"q": "Capit\x00án"})

    assert response.status_code == 400
    assert response.json() == {"q": ["Este parámetro contiene un carácter de control."]}

    coordinator.preferred_language = "en"
    coordinator.save(update_fields=["preferred_language"])
    token = Token.objects.create(user=coordinator)
    api_client.logout()
    response = api_client.get("/api/v1/clinics/", {"q": "\x1b[2J"}, HTTP_AUTHORIZATION=f"Token {token.key}")

    assert response.status_code == 400
    assert response.json() == {"q": ["This parameter holds a control character."]}

