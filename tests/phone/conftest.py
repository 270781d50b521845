"""Fixtures for the phone channel: routing's organisation, topic and agents, and a PBX channel."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests import factories
from tests.routing.conftest import make_agent, org, passport  # noqa: F401 (fixtures)

TOKEN = "pbx-secret-token"
CALLER = "+31612345678"
TASKS, EVENTS = "/api/v1/phone/pbx/tasks/", "/api/v1/phone/pbx/events/"


@pytest.fixture
def phone(org):  # type: ignore[no-untyped-def]  # noqa: F811
    """A phone channel ``pbx`` with its PBX token, two agents' extensions and a redirect."""
    return factories.ChannelFactory(
        organisation=org,
        key="pbx",
        kind="phone",
        secrets={"pbx_token": TOKEN},
        settings={"extensions": {"piet": "201", "kees": "202"}, "redirect_to": "voicemail"},
    )


def pbx_post(client: Client, path: str, body: object, token: str = TOKEN):  # type: ignore[no-untyped-def]
    """POST ``body`` (JSON, or raw bytes) as the PBX does, with its bearer token."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.generic(
        "POST", path, raw, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
