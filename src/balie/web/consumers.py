"""The agent's WebSocket: authenticated by the session, scoped to the agent's organisation,
and within it to the conversations the agent may see (``balie.conversations.access``): an
event about a conversation hidden from the agent (another team's, a restricted topic's) is
not forwarded, not even its id."""

from __future__ import annotations

import asyncio
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from balie.web.realtime import agent_group, bind_consumer_loop, org_group


@database_sync_to_async
def _agent_of(user: Any) -> Any:
    if not (user and user.is_authenticated):
        return None
    from balie.organisations.models import Agent

    return Agent.objects.select_related("user").filter(user=user).first()


@database_sync_to_async
def _may_see(agent: Any, conversation_id: int) -> bool:
    """One indexed lookup per event about a conversation (ids only: cheap, and correct even
    when the agent's teams changed since the socket opened)."""
    from balie.conversations.access import visible_conversations

    return visible_conversations(agent).filter(pk=conversation_id).exists()


class AgentConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """Pushes the events of the agent's organisation that the agent may see; refuses anyone
    who is not an agent."""

    groups_joined: list[str]
    agent: Any = None

    async def connect(self) -> None:
        agent = await _agent_of(self.scope.get("user"))
        if agent is None:
            await self.close(code=4403)
            return
        self.agent = agent
        agent_id, organisation_id = agent.pk, agent.organisation_id
        bind_consumer_loop(asyncio.get_running_loop())
        self.groups_joined = [org_group(organisation_id), agent_group(agent_id)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "agent_id": agent_id})

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Clients only listen; anything they send is answered with an error, not acted on."""
        await self.send_json({"type": "error", "code": "read_only"})

    async def balie_event(self, message: dict[str, Any]) -> None:
        """Forward a pushed event to the browser, if it is about nothing hidden from the agent."""
        conversation_id = message["data"].get("conversation_id")
        if conversation_id and not await _may_see(self.agent, int(conversation_id)):
            return
        await self.send_json({"type": "event", "name": message["name"], "data": message["data"]})
