"""Realtime pushes: agents get their organisation's events over the WebSocket, ids only."""

from __future__ import annotations

import os

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels.testing.websocket import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from balie.web import realtime
from balie.web.consumers import AgentConsumer
from tests import factories
from tests.helpers import receive

pytestmark = pytest.mark.django_db(transaction=True)


async def _connect(user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/agent/")
    communicator.scope["user"] = user
    return communicator


def test_an_agent_receives_new_conversations_of_their_organisation(agent, channel):
    """After a citizen writes, the agent's socket gets the events, without the message text."""

    async def scenario() -> list[dict]:
        communicator = await _connect(agent.user)
        connected, _ = await communicator.connect(timeout=15)
        assert connected
        assert (await communicator.receive_json_from(timeout=15))["type"] == "hello"
        await sync_to_async(receive)(channel, "Mijn BSN is 111222333")
        names = []
        for _ in range(2):
            names.append(await communicator.receive_json_from(timeout=15))
        await communicator.disconnect()
        return names

    received = async_to_sync(scenario)()
    assert {m["name"] for m in received} >= {"conversation_created", "message_received"}
    assert all("111222333" not in str(m) for m in received)


def test_another_organisation_hears_nothing(channel):
    """An agent of another organisation receives none of these events."""
    outsider = factories.AgentFactory()

    async def scenario() -> bool:
        communicator = await _connect(outsider.user)
        await communicator.connect(timeout=15)
        await communicator.receive_json_from(timeout=15)
        await sync_to_async(receive)(channel)
        silent = await communicator.receive_nothing(timeout=0.5)
        await communicator.disconnect()
        return silent

    assert async_to_sync(scenario)()


def test_anonymous_connections_are_refused():
    """A socket without a logged-in agent is closed with 4403."""

    async def scenario() -> tuple[bool, int | None]:
        communicator = await _connect(AnonymousUser())
        connected, code = await communicator.connect(timeout=15)
        return connected, code

    connected, code = async_to_sync(scenario)()
    assert not connected
    assert code == 4403


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the Redis channel layer")
def test_a_process_without_sockets_pushes_through_redis(agent, channel, monkeypatch):
    """With Redis, a worker-like process (no sockets of its own) still reaches the agent."""

    async def scenario() -> dict:
        communicator = await _connect(agent.user)
        await communicator.connect(timeout=15)
        await communicator.receive_json_from(timeout=15)
        monkeypatch.setattr(realtime, "_consumer_loop", None)  # as in a separate worker process
        await sync_to_async(receive)(channel)
        message = await communicator.receive_json_from(timeout=15)
        await communicator.disconnect()
        return message

    assert async_to_sync(scenario)()["name"] in {"conversation_created", "message_received"}


def test_a_burst_of_events_arrives_in_order_without_the_hidden_ones(organisation, channel):
    """Events pushed faster than they are checked are forwarded in the order they came, those
    about a conversation hidden from the agent left out, those about none kept."""
    team = factories.TeamFactory(organisation=organisation)
    agent = factories.AgentFactory(organisation=organisation)
    agent.teams.set([team])
    restricted = factories.TopicFactory(
        organisation=organisation,
        code="wmo",
        team=factories.TeamFactory(organisation=organisation),
        restricted=True,
    )
    seen = factories.ConversationFactory(organisation=organisation, channel=channel)
    hidden = factories.ConversationFactory(
        organisation=organisation, channel=channel, topic=restricted
    )
    burst = [(seen, 1), (hidden, 2), (None, 3), (seen, 4), (hidden, 5), (seen, 6)]

    async def scenario() -> list[int]:
        communicator = await _connect(agent.user)
        await communicator.connect(timeout=15)
        await communicator.receive_json_from(timeout=15)  # hello
        layer = get_channel_layer()
        for conversation, n in burst:
            data = {"organisation_id": organisation.pk, "message_id": n}
            if conversation is not None:
                data["conversation_id"] = conversation.pk
            message = {"type": "balie.event", "name": "message_received", "data": data}
            await layer.group_send(realtime.org_group(organisation.pk), message)
        got = [(await communicator.receive_json_from(timeout=15))["data"] for _ in range(4)]
        assert await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()
        return [d["message_id"] for d in got]

    assert async_to_sync(scenario)() == [1, 3, 4, 6]


def test_pushes_reach_the_socket_in_the_order_they_were_made(agent, organisation):
    """Many pushes made at once (one commit's events) arrive in their order, none lost."""
    from balie.organisations.events import AgentPresenceChanged

    ids = [100_000 + n for n in range(30)]  # no one's agent group: the organisation's only

    async def scenario() -> list[int]:
        communicator = await _connect(agent.user)
        await communicator.connect(timeout=15)
        await communicator.receive_json_from(timeout=15)  # hello

        def push_all() -> None:
            for n in ids:
                realtime.push(
                    AgentPresenceChanged(
                        agent_id=n,
                        organisation_id=organisation.pk,
                        presence="available",
                        previous="offline",
                    )
                )

        await sync_to_async(push_all, thread_sensitive=False)()
        got = [await communicator.receive_json_from(timeout=15) for _ in range(30)]
        await communicator.disconnect()
        return [m["data"]["agent_id"] for m in got]

    assert async_to_sync(scenario)() == ids
