"""The API keeps its own promise: the real answers of every list and detail under /api/v1/ validate against
the OpenAPI schema that drf-spectacular generates from the same code (the one published at /api/schema/
and in docs/openapi.yaml)."""

import re

import jsonschema
import pytest
from django.test import Client
from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator

from clinics.tests.factories import ClinicFactory, PatientFactory, StaffFactory
from tests import authorization_policy as policy
from tests import test_authorization as walk

# The personas and clinic A's objects, as the authorization walk makes them: built once for this module too,
# each test in a savepoint rolled back after it (so no test here may make a persona of its own).
_module_world = walk._module_world
world = walk.world
READ_PATTERNS = [p for p in walk.PATTERNS if p.route.startswith("api/v1/") and p.key != "api:api-root"
                 and "GET" in policy.row_for(p.key)[1].checks]
# Those who read the most, and a pasante, whose answers go through other branches of the selectors.
READERS = ("coordinator", "pharmacy", "pasante_a")


def _json_schema(node):
    """OpenAPI 3.0's ``nullable`` in JSON Schema terms (``jsonschema`` knows only the latter)."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _operation(schema, view_name):
    for path, operations in schema["paths"].items():
        if resolve(re.sub(r"\{\w+\}", "1", path)).view_name == view_name and "get" in operations:
            return operations["get"]
    pytest.fail(f"{view_name}: no GET operation in the schema")


def _validator(schema, view_name):
    answer = _operation(schema, view_name)["responses"]["200"]["content"]["application/json"]["schema"]
    document = {**_json_schema(answer), "components": _json_schema(schema["components"])}
    return jsonschema.Draft202012Validator(document, format_checker=jsonschema.FormatChecker())


@pytest.fixture
def odd_rows(world):
    """Rows with the blanks and nulls real data has: staff without an e-mail, a clinic without a pasante,
    a patient without a CURP or phone."""
    StaffFactory(full_name="Capitán Sin Correo", email="", phone="")
    clinic = ClinicFactory(name="Clínica Capitán Vacía", moh_code="")
    PatientFactory(clinic=world[1]["clinic"], community=clinic.community, curp="", phone="")
    return world


@pytest.mark.parametrize("pattern", READ_PATTERNS, ids=[p.key for p in READ_PATTERNS])
def test_real_answers_validate_against_the_schema(pattern, odd_rows, schema):
    users, objects = odd_rows
    url = walk._url(pattern, policy.row_for(pattern.key)[1], objects)
    content = _operation(schema, pattern.key)["responses"]["200"]["content"]
    if "application/json" not in content:
        # A file (a document's download): its type must be one the schema declares.
        _check_file_answers(url, users, set(content))
        return
    validator = _validator(schema, pattern.key)
    checked, problems = 0, []
    for persona, response in _readers_answers(url, users):
        checked += 1
        for error in validator.iter_errors(response.json()):
            problems.append(f"as {persona}, at {'/'.join(map(str, error.absolute_path))}: {error.message}")
    assert checked, f"{url}: no reader got a 200, so nothing was validated"
    assert not problems, f"{url}:\n  " + "\n  ".join(problems[:20])


def _readers_answers(url, users):
    """``(persona, response)`` for each reader who gets a 200 for ``url``."""
    for persona in READERS:
        client = Client()
        client.force_login(users[persona])
        response = client.get(url)
        if response.status_code == 200:
            yield persona, response


def _check_file_answers(url, users, declared):
    checked = 0
    for persona, response in _readers_answers(url, users):
        checked += 1
        assert response["Content-Type"].split(";")[0] in declared, f"{url} as {persona}: {response['Content-Type']}"
    assert checked, f"{url}: no reader got a 200, so nothing was checked"


def test_the_check_catches_an_answer_that_breaks_the_schema(schema):
    validator = _validator(schema, "api:staff-detail")
    answer = {"id": 1, "full_name": "Ana", "cadre": "nurse", "email": "no es correo", "phone": "", "cohort": None,
              "cohort_name": None, "active": True, "current_assignments": []}

    assert [list(error.absolute_path) for error in validator.iter_errors(answer)] == [["email"]]
    assert not list(validator.iter_errors({**answer, "email": None}))
