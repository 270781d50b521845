"""Shared fixtures: published-event capture (JSON round-trip), the task runner, API clients."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator

import pytest
from rest_framework.test import APIClient

from balie.api.auth import do_create_token
from balie.core.events import EVENT_TYPES, Event, add_listener
from balie.core.worker import run_ready_tasks
from balie.routing import board
from balie.sla import calendars
from tests import factories

ON_POSTGRES = bool(os.environ.get("DATABASE_URL"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``postgres`` run only when DATABASE_URL points at PostgreSQL."""
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords and not ON_POSTGRES:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def fresh_boards() -> Iterator[None]:
    """Routing boards and calendars are cached per process; every test starts without them
    (ids repeat across tests, so a cached row could belong to an earlier test's world)."""
    board._cache.clear()
    calendars._cache.clear()
    yield
    board._cache.clear()
    calendars._cache.clear()


class PublishedEvents(list[Event]):
    """Events published during a test, each round-tripped through JSON on the way in."""

    def named(self, name: str) -> list[Event]:
        return [e for e in self if e.name == name]


@pytest.fixture(autouse=True)
def events() -> Iterator[PublishedEvents]:
    """Capture every published event; fail if one does not survive a JSON round trip."""
    captured = PublishedEvents()

    def listen(evt: Event) -> None:
        wire = json.loads(json.dumps(evt.to_payload()))
        again = EVENT_TYPES[evt.name].from_payload(wire)
        assert again == evt, f"{evt.name} changes in a JSON round trip"
        captured.append(again)

    remove = add_listener(listen)
    yield captured
    remove()


@pytest.fixture
def run_tasks(db: None) -> Callable[[], int]:
    """Run the durable tasks enqueued so far (event handlers, deliveries), in this thread."""
    return run_ready_tasks


@pytest.fixture
def organisation(db: None):  # type: ignore[no-untyped-def]
    return factories.OrganisationFactory(slug="testgemeente", name="Gemeente Testdam")


@pytest.fixture
def channel(organisation):  # type: ignore[no-untyped-def]
    return factories.ChannelFactory(organisation=organisation, key="formulier", kind="api")


@pytest.fixture
def agent(organisation):  # type: ignore[no-untyped-def]
    return factories.AgentFactory(organisation=organisation, user__username="agent1")


@pytest.fixture
def api_client(agent) -> APIClient:  # type: ignore[no-untyped-def]
    """An API client authenticated with the agent's token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {do_create_token(agent.user)}")
    return client
