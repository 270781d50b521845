"""Template filters for e-mail messages in the workspace: the sanitised HTML with inline
images pointed at the authorised attachment view."""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from balie.channels.email.bodytext import sanitise

register = template.Library()

_CID = re.compile(r'src="cid:([^"]+)"')
_IMG = re.compile(r"<img\b[^>]*>", re.I)


@register.filter
def email_html(message: Any) -> SafeString:
    """The message's HTML, sanitised again at display (nh3); ``cid:`` images shown through
    the attachment view, every other image dropped (no tracking pixels, no remote loads)."""
    markup = str(((message.metadata or {}).get("email") or {}).get("html") or "")
    if not markup:
        return mark_safe("")
    by_cid = {
        a.provider_media_id[4:]: a.pk
        for a in message.attachments.all()
        if a.provider_media_id.startswith("cid:")
    }
    clean = sanitise(markup)

    def image(match: re.Match[str]) -> str:
        tag = match.group(0)
        cid = _CID.search(tag)
        if cid is None or cid.group(1) not in by_cid:
            return ""
        url = reverse("attachment-download", args=[by_cid[cid.group(1)]])
        return tag.replace(cid.group(0), f'src="{url}"')

    return mark_safe(_IMG.sub(image, clean))  # noqa: S308 (sanitised by nh3 just above)
