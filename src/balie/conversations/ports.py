"""Ports the conversations domain owns, filled in by the layers above it at start-up.

Conversations sit below channels and routing (DESIGN.md), yet two of their questions are
answered there: "may I reply now?" (the channel's adapter: WhatsApp's 24-hour window) and
"is this offered to the agent, may they take it?" (routing); and "is this sender blocked?"
(conduct). The domain states the questions here as protocols; ``ChannelsConfig.ready``,
``RoutingConfig.ready`` and ``ConductConfig.ready`` register the answers.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

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


class InboundScreen(Protocol):
    """Conduct's answer to "is this sender blocked?" (asked once per received batch)."""

    def blocked(
        self, organisation_id: int, party_ids: Collection[int], now: datetime
    ) -> frozenset[int]:
        """The parties among ``party_ids`` whose messages are stored and closed unanswered."""


class OutboundGuard(Protocol):
    """The privacy guard's answer to "may this reply go out over this channel?"."""

    def check_outbound(self, conversation: Conversation, agent: Agent | None, body: str) -> None:
        """Return when it may; raise WorkflowViolation with the reason if not."""


class SpecialCategories(Protocol):
    """The privacy guard's answer to "which conversations only a designated team sees?"."""

    def hidden(self, my_teams: Any) -> Exists:
        """A filter over conversations: those hidden from an agent of ``my_teams``."""

    def shown(self, my_teams: Any) -> Exists:
        """A filter over conversations: those designated to one of ``my_teams``."""


class _Ports:
    reply_policies: ReplyPolicies | None = None
    routing: RoutingQuestions | None = None
    outbound_guards: tuple[OutboundGuard, ...] = ()
    special_categories: SpecialCategories | None = None
    inbound_screen: InboundScreen | None = None


_ports = _Ports()


def register_reply_policies(policies: ReplyPolicies) -> None:
    """Called once at start-up by the channels app."""
    _ports.reply_policies = policies


def register_routing(questions: RoutingQuestions) -> None:
    """Called once at start-up by the routing app."""
    _ports.routing = questions


def register_inbound_screen(screen: InboundScreen) -> None:
    """Called once at start-up by the conduct app."""
    _ports.inbound_screen = screen


def register_outbound_guard(guard: OutboundGuard) -> None:
    """Called once at start-up by the privacy app (every registered guard is asked)."""
    _ports.outbound_guards = (*_ports.outbound_guards, guard)


def register_special_categories(rule: SpecialCategories) -> None:
    """Called once at start-up by the privacy app."""
    _ports.special_categories = rule


def outbound_guards() -> tuple[OutboundGuard, ...]:
    """The guards a reply passes before it is queued (none registered: none asked)."""
    return _ports.outbound_guards


def special_categories() -> SpecialCategories | None:
    """Who sees special-category conversations (None: no such rule installed)."""
    return _ports.special_categories


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


def inbound_screen() -> InboundScreen:
    """Conduct's screen of senders (RuntimeError if the conduct app did not register)."""
    if _ports.inbound_screen is None:
        raise RuntimeError("no inbound screen registered: is balie.conduct installed?")
    return _ports.inbound_screen
