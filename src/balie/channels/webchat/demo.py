"""The demo's web chat (``balie demo``): the configuration's web chat channel, or a new one,
with the example page on and the organisation's first topics offered."""

from __future__ import annotations

from balie.channels.models import Channel
from balie.organisations.models import Topic


def demo_channel(organisation_id: int) -> Channel:
    """The web chat the demo shows at ``/webchat/example/<key>/``."""
    channel = Channel.objects.filter(kind="webchat").order_by("pk").first() or Channel(
        organisation_id=organisation_id, kind="webchat", key="webchat", name="Webchat"
    )
    topics = Topic.objects.filter(organisation_id=channel.organisation_id, restricted=False)
    channel.settings = {
        "topics": [{"code": t.code, "nl": t.name} for t in topics.order_by("pk")[:5]],
        **channel.settings,
        "example_page": True,
    }
    channel.save()
    return channel
