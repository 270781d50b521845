"""Which adapter serves which channel kind. One table; adapters load lazily."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from balie.channels.base import ChannelAdapter
    from balie.channels.models import Channel

ADAPTERS: dict[str, str] = {
    "api": "balie.channels.api.adapter.ApiAdapter",
    "email": "balie.channels.email.adapter.EmailAdapter",
    "phone": "balie.channels.phone.adapter.PhoneAdapter",
    "webchat": "balie.channels.webchat.adapter.WebchatAdapter",
    "whatsapp": "balie.channels.whatsapp.adapter.WhatsAppAdapter",
}


@cache
def adapter_for_kind(kind: str) -> ChannelAdapter:
    """The adapter instance for a channel kind (KeyError if none is registered)."""
    return import_string(ADAPTERS[kind])()  # type: ignore[no-any-return]


def adapter_for(channel: Channel) -> ChannelAdapter:
    """The adapter for a channel; kinds without one get the base (no webhooks, no sending)."""
    from balie.channels.base import ChannelAdapter

    try:
        return adapter_for_kind(channel.kind)
    except KeyError:
        return ChannelAdapter()
