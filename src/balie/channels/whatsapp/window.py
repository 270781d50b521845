"""The 24-hour customer-service window (pure).

Each inbound message from the citizen opens or resets it, counted from when the citizen wrote
(the message's timestamp, capped at now; ``conversations.actions.receive`` keeps it in
``last_inbound_at``, which never moves backwards); free-form messages may be sent only inside
it, approved templates at any time. Meta often accepts a late free-form send and fails
it afterwards with 131047, so Balie checks before sending.
"""

from __future__ import annotations

from datetime import datetime, timedelta

WINDOW = timedelta(hours=24)


def window_closes_at(last_inbound_at: datetime | None) -> datetime | None:
    """When the window closes, or None if the citizen never wrote."""
    return last_inbound_at + WINDOW if last_inbound_at is not None else None


def window_open(last_inbound_at: datetime | None, now: datetime) -> bool:
    """Whether a free-form message may be sent at ``now``."""
    closes = window_closes_at(last_inbound_at)
    return closes is not None and now < closes
