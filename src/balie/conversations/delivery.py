"""Delivery status of outbound messages: it only ever moves forward, and ``failed`` is final.

Providers report statuses out of order (``read`` before ``delivered``; ``delivered`` may never
come). ``failed`` counts only if nothing shows the message arrived; once a message has failed,
no later report changes that (the provider gave up on it; a stray ``delivered`` after that is
recorded with its time but does not hide the failure from the agent).
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


#: the error code of Balie's own "failed": a crash left the send's outcome unknown (see
#: ``balie.channels.delivery``). Unlike the provider's failure it is not final: a report that
#: the message did go out settles it.
OUTCOME_UNKNOWN = "outcome_unknown"


def advance(
    current: DeliveryStatus, reported: DeliveryStatus, *, unsure: bool = False
) -> DeliveryStatus:
    """The status after a report: the report if it is further along, else the current one.

    ``failed`` beats ``pending``/``sent`` but not ``delivered``/``read`` (a later success
    report cannot be undone by an earlier failure arriving late), and nothing moves a
    message out of ``failed`` — unless the failure is ``unsure`` (:data:`OUTCOME_UNKNOWN`),
    which counts as ``sent`` until a report says more.
    """
    if DeliveryStatus.RECEIVED in (current, reported):
        return current
    if current == DeliveryStatus.FAILED:
        if not unsure:
            return current
        current = DeliveryStatus.SENT
        if reported == DeliveryStatus.SENT:
            return reported
    return reported if _RANK[reported] > _RANK[current] else current
