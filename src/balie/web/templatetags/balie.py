"""Template filters of the workspace: codes in words, times in the organisation's zone."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.timesince import timesince

from balie.core import clock
from balie.web import labels

register = template.Library()


@register.filter
def status_label(code: str) -> str:
    """``queued`` → ``wachtend``."""
    return labels.status_label(code)


@register.filter
def channel_label(kind: str) -> str:
    """``whatsapp`` → ``WhatsApp``."""
    return labels.channel_label(kind)


@register.filter
def delivery_label(code: str) -> str:
    """A message's delivery status in words (with ticks, never colour alone)."""
    return str(labels.DELIVERY.get(code, code))


@register.filter
def presence_label(code: str) -> str:
    """An agent's presence in words."""
    return str(labels.PRESENCE.get(code, code))


@register.filter
def short_time(value: datetime | None) -> str:
    """``ma 1 dec 10.42`` in Dutch; the active time zone (the organisation's)."""
    if value is None:
        return ""
    # Dutch writes month abbreviations in lower case ("dec"); Django's "M" capitalises them
    month = "b" if (translation.get_language() or "").startswith("nl") else "M"
    return date_format(timezone.localtime(value), f"D j {month} H.i")


@register.filter
def waited(value: datetime | None) -> str:
    """How long ago, e.g. ``2 minuten``."""
    if value is None:
        return ""
    return timesince(value, clock.now(), depth=1)
