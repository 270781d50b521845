"""Every state change of a conversation or message goes through these functions.

``check_*`` validates and calls ``do_*``; ``do_*`` writes, locks and publishes events.
"""

from balie.conversations.actions.bulk import do_assign_many
from balie.conversations.actions.delivery import do_update_delivery_status
from balie.conversations.actions.receive import (
    InboundMessage,
    ReceiveResult,
    do_receive_message,
    do_receive_messages,
)
from balie.conversations.actions.reply import check_add_note, check_send_reply
from balie.conversations.actions.status import check_change_status, do_assign, do_change_status

__all__ = [
    "InboundMessage",
    "ReceiveResult",
    "check_add_note",
    "check_change_status",
    "check_send_reply",
    "do_assign",
    "do_assign_many",
    "do_change_status",
    "do_receive_message",
    "do_receive_messages",
    "do_update_delivery_status",
]
