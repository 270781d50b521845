"""What an agent may send on a conversation now (the logic lives in :mod:`balie.channels.replies`,
shared with the workspace's composer)."""

from balie.channels.replies import reply_options

__all__ = ["reply_options"]
