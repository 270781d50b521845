"""The REST API against its own OpenAPI document (schemathesis): no 5xx, no response that
the document does not describe, no undocumented status code."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks

from tests import factories
from tests.helpers import receive

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
#: what the contract promises; whether a 400 was "deserved" (positive/negative data) is left out:
#: ids schemathesis invents (0, 2**70) are refused on purpose
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


@pytest.fixture
def in_test_transaction() -> Iterator[None]:
    """Requests through the WSGI app keep the test's connection open, as Django's client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(in_test_transaction, organisation, channel) -> str:  # type: ignore[no-untyped-def]
    """A supervisor's API token (made the public way), with a conversation to find."""
    agent = factories.AgentFactory(
        organisation=organisation, user__username="schemathesis", is_supervisor=True
    )
    receive(channel)
    out = io.StringIO()
    call_command("create_token", agent.user.username, stdout=out)
    return out.getvalue().strip()


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=10,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_keeps_its_contract(case, token):
    """Every operation answers within its documented statuses and shapes, never with a 5xx."""
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
