"""Delivery status of outbound messages: it only ever moves forward.

Providers report statuses out of order (``read`` before ``delivered``; ``delivered`` may never
come). ``failed`` counts only if nothing shows the message arrived.
"""

from __future__ import annotations

from enum import StrEnum


class DeliveryStatus(StrEnum):
    """Where an outbound message is on its way to the citizen."""

    PENDING = "pending"  # in the outbox
    SENT = "sent"  # accepted by the provider
    DELIVERED = "delivered"  # on the citizen's device
    READ = "read"  # opened
    FAILED = "failed"  # the provider gave up
    RECEIVED = "received"  # inbound messages: not a delivery at all


_RANK = {
    DeliveryStatus.PENDING: 0,
    DeliveryStatus.SENT: 1,
    DeliveryStatus.FAILED: 2,
    DeliveryStatus.DELIVERED: 3,
    DeliveryStatus.READ: 4,
}


def advance(current: DeliveryStatus, reported: DeliveryStatus) -> DeliveryStatus:
    """The status after a report: the report if it is further along, else the current one.

    ``failed`` beats ``pending``/``sent`` but not ``delivered``/``read`` (a later success
    report cannot be undone by an earlier failure arriving late); a success report after a
    failure wins, because the message evidently arrived.
    """
    if DeliveryStatus.RECEIVED in (current, reported):
        return current
    return reported if _RANK[reported] > _RANK[current] else current
