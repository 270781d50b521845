"""Web chat fixtures: a web chat channel, and visitor sockets on the real ASGI application."""

from __future__ import annotations

import json
from typing import Any

import pytest
from channels.testing.websocket import WebsocketCommunicator
from django.core.cache import cache

from tests import factories

ORIGIN = "https://www.testdam.example"
SECRET = "identiteit-geheim"


@pytest.fixture(autouse=True)
def fresh_limits() -> None:
    """Every test starts with empty rate-limit windows (the cache outlives tests)."""
    cache.clear()


@pytest.fixture
def webchat(organisation):  # type: ignore[no-untyped-def]
    """A web chat channel that allows the test site and knows an identity secret."""
    return factories.ChannelFactory(
        organisation=organisation,
        kind="webchat",
        key="chat",
        name="Webchat",
        settings={"allowed_origins": [ORIGIN], "max_upload_bytes": 1024},
        secrets={"identity_secret": SECRET},
    )


class Visitor:
    """A widget's socket: frames in and out as dicts."""

    def __init__(self, key: str = "chat", origin: str | None = ORIGIN, ip: str = "192.0.2.7"):
        from balie.conf.asgi import application

        headers = [(b"host", b"balie.testdam.example")]
        if origin is not None:
            headers.append((b"origin", origin.encode()))
        self.socket = WebsocketCommunicator(application, f"/ws/webchat/{key}/", headers=headers)
        self.socket.scope["client"] = (ip, 50000)

    async def open(self) -> None:
        connected, _ = await self.socket.connect(timeout=15)
        assert connected

    async def send(self, frame: dict[str, Any]) -> None:
        await self.socket.send_to(text_data=json.dumps(frame))

    async def raw(self, text: str) -> None:
        await self.socket.send_to(text_data=text)

    async def frame(self, timeout: float = 15) -> dict[str, Any]:
        return json.loads(await self.socket.receive_from(timeout=timeout))  # type: ignore[no-any-return]

    async def until(self, kind: str, timeout: float = 15) -> dict[str, Any]:
        """The next frame of type ``kind`` (others before it are skipped)."""
        while True:
            found = await self.frame(timeout)
            if found["type"] == kind:
                return found

    async def start(self, **extra: Any) -> dict[str, Any]:
        await self.open()
        await self.send({"type": "start", "language": "nl", **extra})
        return await self.until("ready")

    async def close(self) -> None:
        await self.socket.disconnect()
