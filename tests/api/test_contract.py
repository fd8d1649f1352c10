"""The OpenAPI contract, held by schemathesis: generated requests against the live schema, in-process (WSGI).

For every operation, schemathesis generates valid and invalid requests from the schema that ``/api/v1/schema/``
serves and checks each response: never a 5xx, a documented status code, the documented content type and headers,
and a body that validates against the documented schema. Partner endpoints run as an analyst (Alice), staff
endpoints as platform staff (Sam), each with a real token in the ``Authorization`` header. Token revocation is
left out (it would log the test itself out); ``test_tokens.py`` covers it.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.cache import caches
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from partners.models import SavedSearch

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Enough to reach every parameter and error path of each operation; the suite must stay fast.
HYPOTHESIS = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _load(world, persona: str) -> schemathesis.schemas.BaseSchema:
    caches["throttle"].clear()
    token = Token.objects.create(user=world.users[persona])
    headers = {"Authorization": f"Token {token.key}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application, headers=headers)
    schema.config.headers = headers
    return schema


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Let in-process WSGI calls share the test's database transaction.

    Django closes a connection found inside a transaction at the start and end of every request; the test
    client switches that off, and so must this test, whose requests go through the plain WSGI handler.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def analyst_schema(world):
    return _load(world, "alice")


@pytest.fixture
def staff_schema(world):
    return _load(world, "sam")


partner_api = (
    schemathesis.pytest.from_fixture("analyst_schema")
    .include(tag=["creators", "auth", "shortlists", "saved searches"])
    .exclude(method="DELETE")
)
staff_api = schemathesis.pytest.from_fixture("staff_schema").include(tag="staff")


def _sometimes_real(case, name: str, real: list) -> None:
    """Swap every other generated path value for one that exists, so that success bodies are checked too."""
    value = (case.path_parameters or {}).get(name)
    if value is not None and len(str(value)) % 2 == 0:
        case.path_parameters[name] = real[len(str(value)) % len(real)]


@partner_api.parametrize()
@HYPOTHESIS
def test_partner_endpoints_keep_the_contract(case, analyst_schema, world):
    if "saved-searches" in case.path:
        # Run after the creator operations have used up the minute's rate: below the limit, so that the bodies
        # are checked (the throttle itself is tested in test_plumbing.py; the token endpoint's lock-out needs it).
        caches["throttle"].clear()
    _sometimes_real(case, "handle", world.handles_a)
    if "id" in (case.path_parameters or {}):
        search, _ = SavedSearch.objects.get_or_create(
            partner=world.partner_a, created_by=world.users["alice"], name="Contract", defaults={"shared": True}
        )
        _sometimes_real(case, "id", [search.pk])
    case.call_and_validate(headers=analyst_schema.config.headers, checks=CHECKS)


@staff_api.parametrize()
@HYPOTHESIS
def test_staff_endpoints_keep_the_contract(case, staff_schema, world):
    _sometimes_real(case, "id", [world.run.pk])
    case.call_and_validate(headers=staff_schema.config.headers, checks=CHECKS)
