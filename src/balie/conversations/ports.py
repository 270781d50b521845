"""Ports the conversations domain owns, filled in by the layers above it at start-up.

Conversations sit below channels and routing (DESIGN.md), yet two of their questions are
answered there: "may I reply now?" (the channel's adapter: WhatsApp's 24-hour window) and
"is this offered to the agent, may they take it?" (routing). The domain states the questions
here as protocols; ``ChannelsConfig.ready`` and ``RoutingConfig.ready`` register the answers.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from django.db.models import Exists

    from balie.channels.models import Channel
    from balie.conversations.models import Conversation
    from balie.organisations.models import Agent


class ReplyPolicy(Protocol):
    """A channel's answer to "may an agent send a free-form reply now?"."""

    def check_reply_allowed(self, conversation: Conversation, now: datetime) -> None:
        """Return when allowed; raise WorkflowViolation with the channel's reason if not."""


class ReplyPolicies(Protocol):
    """Finds the reply policy of a channel."""

    def __call__(self, channel: Channel) -> ReplyPolicy: ...


class RoutingQuestions(Protocol):
    """Routing's answers to the access rules of :mod:`balie.conversations.access`."""

    def offered_to(self, agent_id: int) -> Exists:
        """A filter over conversations: offered to ``agent_id`` now (pending offer)."""

    def may_take(self, agent: Agent, conversation: Conversation) -> bool:
        """Whether the agent qualifies for the waiting conversation and has room for it."""

    def is_offer_of(self, offer_id: int, agent_id: int) -> bool:
        """Whether the offer exists and was made to ``agent_id``."""


class _Ports:
    reply_policies: ReplyPolicies | None = None
    routing: RoutingQuestions | None = None


_ports = _Ports()


def register_reply_policies(policies: ReplyPolicies) -> None:
    """Called once at start-up by the channels app."""
    _ports.reply_policies = policies


def register_routing(questions: RoutingQuestions) -> None:
    """Called once at start-up by the routing app."""
    _ports.routing = questions


def reply_policy(channel: Channel) -> ReplyPolicy:
    """The reply policy of ``channel`` (RuntimeError if the channels app did not register)."""
    if _ports.reply_policies is None:
        raise RuntimeError("no reply policies registered: is balie.channels installed?")
    return _ports.reply_policies(channel)


def routing() -> RoutingQuestions:
    """Routing's answers (RuntimeError if the routing app did not register)."""
    if _ports.routing is None:
        raise RuntimeError("no routing registered: is balie.routing installed?")
    return _ports.routing
