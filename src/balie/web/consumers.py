"""The agent's WebSocket: authenticated by the session, scoped to the agent's organisation."""

from __future__ import annotations

import asyncio
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from balie.web.realtime import agent_group, bind_consumer_loop, org_group


@database_sync_to_async
def _agent_of(user: Any) -> tuple[int, int] | None:
    if not (user and user.is_authenticated):
        return None
    from balie.organisations.models import Agent

    agent = Agent.objects.filter(user=user).values_list("pk", "organisation_id").first()
    return (int(agent[0]), int(agent[1])) if agent else None


class AgentConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """Pushes events of the agent's organisation; refuses anyone who is not an agent."""

    groups_joined: list[str]

    async def connect(self) -> None:
        agent = await _agent_of(self.scope.get("user"))
        if agent is None:
            await self.close(code=4403)
            return
        agent_id, organisation_id = agent
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
        """Forward a pushed event to the browser."""
        await self.send_json({"type": "event", "name": message["name"], "data": message["data"]})
