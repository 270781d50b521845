"""Words the workspace shows for the domain's codes, in the page's language (gettext)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

STATUS = {
    "new": _("new"),
    "queued": _("waiting"),
    "assigned": _("in progress"),
    "pending": _("waiting for citizen"),
    "on_hold": _("with back office"),
    "resolved": _("resolved"),
    "closed": _("closed"),
}
CHANNEL = {
    "whatsapp": _("WhatsApp"),
    "email": _("E-mail"),
    "webchat": _("Web chat"),
    "api": _("Web form"),
    "phone": _("Phone"),
    "messenger": _("Messenger"),
    "instagram": _("Instagram"),
    "x": _("X"),
}
DELIVERY = {
    "received": _("received"),
    "pending": _("sending"),
    "sent": _("sent ✓"),
    "delivered": _("delivered ✓✓"),
    "read": _("read ✓✓"),
    "failed": _("not delivered"),
}
#: The switch's words (Beschikbaar / Pauze / Nawerk / Afgemeld), apart from the model's.
PRESENCE = {
    "available": pgettext_lazy("presence", "Available"),
    "away": pgettext_lazy("presence", "Break"),
    "busy": pgettext_lazy("presence", "After-call work"),
    "offline": pgettext_lazy("presence", "Offline"),
}


def status_label(code: str) -> str:
    """A conversation status in words."""
    return str(STATUS.get(code, code))


def channel_label(kind: str) -> str:
    """A channel kind in words."""
    return str(CHANNEL.get(kind, kind))
