"""The agent's WebSocket: authenticated by the session, scoped to the agent's organisation,
and within it to the conversations the agent may see (``balie.conversations.access``): an
event about a conversation hidden from the agent (another team's, a restricted topic's) is
not forwarded, not even its id.

The check is one query for all the events waiting at that moment: events are queued as they
arrive and a forwarding task answers them in order, so a burst (a webhook batch: messages,
new conversations, assignments, queue notices) costs one visibility query, not one per event,
and never queues up behind the database.
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from balie.web.realtime import agent_group, bind_consumer_loop, org_group

log = structlog.get_logger(__name__)


@database_sync_to_async
def _agent_of(user: Any) -> Any:
    if not (user and user.is_authenticated):
        return None
    from balie.organisations.models import Agent

    return Agent.objects.select_related("user").filter(user=user).first()


@database_sync_to_async
def _visible(agent: Any, conversation_ids: set[int]) -> set[int]:
    """Which of ``conversation_ids`` the agent may see now: one query for a batch of events
    (asked when they are forwarded, so correct even when the agent's teams changed since the
    socket opened)."""
    from balie.conversations.access import visible_conversations

    found = visible_conversations(agent).filter(pk__in=conversation_ids)
    return set(found.values_list("pk", flat=True))


def _conversation_of(message: dict[str, Any]) -> int | None:
    conversation_id = message["data"].get("conversation_id")
    return int(conversation_id) if conversation_id else None


class AgentConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """Pushes the events of the agent's organisation that the agent may see; refuses anyone
    who is not an agent."""

    groups_joined: list[str]
    agent: Any = None
    _waiting: list[dict[str, Any]]
    _forwarding: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        agent = await _agent_of(self.scope.get("user"))
        if agent is None:
            await self.close(code=4403)
            return
        self.agent = agent
        self._waiting = []
        agent_id, organisation_id = agent.pk, agent.organisation_id
        bind_consumer_loop(asyncio.get_running_loop())
        self.groups_joined = [org_group(organisation_id), agent_group(agent_id)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "agent_id": agent_id})

    async def disconnect(self, code: int) -> None:
        if self._forwarding is not None:
            self._forwarding.cancel()
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Clients only listen; anything they send is answered with an error, not acted on."""
        await self.send_json({"type": "error", "code": "read_only"})

    async def balie_event(self, message: dict[str, Any]) -> None:
        """Queue a pushed event for the browser; the forwarding task sends it in order if it
        is about nothing hidden from the agent."""
        self._waiting.append(message)
        if self._forwarding is None or self._forwarding.done():
            self._forwarding = asyncio.create_task(self._forward())

    async def _forward(self) -> None:
        """Send what waits, checking the conversations of each batch in one query."""
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                ids = {c for c in map(_conversation_of, batch) if c is not None}
                visible = await _visible(self.agent, ids) if ids else set()
                for message in batch:
                    conversation_id = _conversation_of(message)
                    if conversation_id is None or conversation_id in visible:
                        await self.send_json(
                            {"type": "event", "name": message["name"], "data": message["data"]}
                        )
        except asyncio.CancelledError:
            raise
        except Exception:  # a broken socket or database: the browser resynchronises
            log.warning("realtime_forward_failed", exc_info=True)
