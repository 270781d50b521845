"""The privacy guard's answers to the conversations domain's ports (registered at start-up):
"may this reply go out over this channel?" and "which special-category conversations are
hidden from this agent?"."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db.models import Exists, OuterRef

from balie.core.errors import WorkflowViolation
from balie.privacy.detection import REDIRECT_KINDS, detect
from balie.privacy.models import Outbound, SpecialConversation
from balie.privacy.policy import policy

if TYPE_CHECKING:
    from balie.conversations.models import Conversation
    from balie.organisations.models import Agent

#: How long a warned reply may be sent as is (seconds).
WARNED_FOR = 15 * 60


def _warned_key(conversation_id: int, agent_id: int, body: str) -> str:
    digest = hashlib.sha256(body.encode()).hexdigest()[:32]  # the key holds no personal data
    return f"privacy:warned:{conversation_id}:{agent_id}:{digest}"


class OutboundGuard:
    """Warns once, or blocks by policy, a reply with personal data over an unsafe channel."""

    def check_outbound(self, conversation: Conversation, agent: Agent | None, body: str) -> None:
        """Return when the reply may go; raise WorkflowViolation (``personal_data_warning``:
        sending the same text again within 15 minutes goes; ``personal_data_blocked``)."""
        kinds = sorted({s.kind for s in detect(body) if s.kind in REDIRECT_KINDS})
        if not kinds:
            return
        rule = policy(conversation.organisation_id, conversation.channel.kind)
        if rule.safe:
            return
        named = ", ".join(kinds)
        if rule.outbound == Outbound.BLOCK:
            raise WorkflowViolation(
                f"this channel is not safe for personal data ({named}): use phone or e-mail",
                code="personal_data_blocked",
            )
        key = _warned_key(conversation.pk, agent.pk if agent else 0, body)
        if cache.get(key):
            cache.delete(key)
            return
        cache.set(key, True, WARNED_FOR)
        raise WorkflowViolation(
            f"this channel is not safe for personal data ({named}); send again to send anyway",
            code="personal_data_warning",
        )


class SpecialCategories:
    """Conversations with medical or criminal data are visible only to the designated team."""

    def hidden(self, my_teams: Any) -> Exists:
        """A filter over conversations: special and designated to a team not in ``my_teams``
        (a subquery of the agent's team ids)."""
        return Exists(
            SpecialConversation.objects.filter(
                conversation_id=OuterRef("pk"), team__isnull=False
            ).exclude(team_id__in=my_teams)
        )

    def shown(self, my_teams: Any) -> Exists:
        """A filter over conversations: special and designated to one of ``my_teams``."""
        return Exists(
            SpecialConversation.objects.filter(conversation_id=OuterRef("pk"), team_id__in=my_teams)
        )
