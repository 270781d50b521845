"""WhatsApp test fixtures: a configured channel, signed webhook posts, the simulator."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from balie.channels.models import Channel
from balie.channels.simulators.whatsapp import WhatsAppSimulator
from balie.channels.simulators.whatsapp_payloads import signature
from tests import factories

FIXTURES = Path(__file__).parent / "fixtures"
APP_SECRET = "sim-app-secret"
PHONE_NUMBER_ID = "106540352242922"


def fixture_bytes(name: str) -> bytes:
    """A recorded webhook body, byte for byte as Meta sent it."""
    return (FIXTURES / f"{name}.json").read_bytes()


def fixture_json(name: str) -> dict[str, Any]:
    """A recorded webhook body, parsed."""
    return json.loads(fixture_bytes(name))


def fixture_now(name: str) -> dict[str, Any]:
    """A recorded webhook body whose messages and statuses happened now (the test's clock):
    the 24-hour window counts from the time in the payload."""
    payload = fixture_json(name)
    now = str(int(time.time()))
    for entry in payload.get("entry", []):
        for change in entry.get("changes", []):
            for key in ("messages", "statuses"):
                for item in change.get("value", {}).get(key, []):
                    item["timestamp"] = now
    return payload


@pytest.fixture
def simulator() -> Iterator[WhatsAppSimulator]:
    """The Graph API simulator on a free loopback port (no webhook target)."""
    sim = WhatsAppSimulator().start()
    yield sim
    sim.stop()


@pytest.fixture
def wa_channel(organisation, simulator: WhatsAppSimulator) -> Channel:  # type: ignore[no-untyped-def]
    """A WhatsApp channel pointed at the simulator."""
    channel = factories.ChannelFactory(organisation=organisation, key="whatsapp", kind="whatsapp")
    simulator.configure(channel)
    channel.refresh_from_db()
    return channel


PostWebhook = Callable[..., Any]


@pytest.fixture
def post_webhook(client: Client, wa_channel: Channel) -> PostWebhook:
    """POST raw bytes to the channel's webhook, signed unless told otherwise."""

    def post(
        body: bytes | dict[str, Any],
        *,
        signed: bool = True,
        sig: str | None = None,
        content_type: str = "application/json",
    ) -> Any:
        raw = json.dumps(body).encode() if isinstance(body, dict) else body
        headers = {}
        if signed:
            headers["HTTP_X_HUB_SIGNATURE_256"] = sig or signature(APP_SECRET, raw)
        return client.generic(
            "POST",
            f"/webhooks/whatsapp/{wa_channel.key}/",
            raw,
            content_type=content_type,
            **headers,
        )

    return post


@pytest.fixture
def deliver(post_webhook: PostWebhook, run_tasks: Callable[[], int]) -> PostWebhook:
    """POST a signed recorded fixture (or payload) and run what it enqueued."""

    def go(body: bytes | dict[str, Any] | str) -> Any:
        raw = fixture_now(body) if isinstance(body, str) else body
        response = post_webhook(raw)
        assert response.status_code == 200, response.content
        run_tasks()
        return response

    return go
