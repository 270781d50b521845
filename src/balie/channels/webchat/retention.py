"""Web chat sessions do not outlive what they point at: a daily job removes the sessions
without a conversation (never chatted, or the retention job removed it) ``IDLE_DAYS`` after
they were last seen, and at once (after a day) the verified sessions whose identifier is no
longer a digital address (the party erased): a verified visitor's page vouches for them again
on their next visit. An anonymous session's id is random and names no one."""

from __future__ import annotations

from datetime import timedelta

import structlog
from django.db.models import Exists, OuterRef, Q

from balie.channels.webchat.models import VisitorSession
from balie.core import clock
from balie.parties.models import AddressKind, DigitalAddress

log = structlog.get_logger(__name__)

#: a session without a conversation is kept this long after it was last seen
IDLE_DAYS = 30


def prune_sessions() -> int:
    """Delete the sessions nobody needs any more; return how many."""
    now = clock.now()
    address = DigitalAddress.objects.filter(
        organisation_id=OuterRef("channel__organisation_id"),
        kind=AddressKind.WEBCHAT,
        value=OuterRef("visitor_id"),
    )
    idle = Q(conversation__isnull=True, last_seen_at__lt=now - timedelta(days=IDLE_DAYS))
    erased = Q(~Exists(address), verified=True, created_at__lt=now - timedelta(days=1))
    deleted, _ = VisitorSession.objects.filter(idle | erased).delete()
    if deleted:
        log.info("webchat_sessions_pruned", count=deleted)
    return deleted
