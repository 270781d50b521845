"""Routing's answers to the conversations domain's access questions (its port)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from balie.conversations.models import Conversation
from balie.organisations.models import Agent
from balie.routing.eligibility import may_take
from balie.routing.models import Offer, OfferOutcome


class RoutingAnswers:
    """Implements :class:`balie.conversations.ports.RoutingQuestions`."""

    def offered_to(self, agent_id: int) -> Exists:
        """Conversations with a pending offer to ``agent_id``."""
        return Exists(
            Offer.objects.filter(
                entry__conversation=OuterRef("pk"), agent_id=agent_id, outcome=OfferOutcome.PENDING
            )
        )

    def may_take(self, agent: Agent, conversation: Conversation) -> bool:
        """See :func:`balie.routing.eligibility.may_take`."""
        return may_take(agent, conversation)

    def is_offer_of(self, offer_id: int, agent_id: int) -> bool:
        """Whether offer ``offer_id`` was made to ``agent_id``."""
        return Offer.objects.filter(pk=offer_id, agent_id=agent_id).exists()
