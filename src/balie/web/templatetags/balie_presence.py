"""``{% presence_switch %}``: the presence switch in the header of every workspace page."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("web/_presence.html", takes_context=True)
def presence_switch(context: template.Context) -> dict[str, Any]:
    """The logged-in agent's presence, capacity and load per channel (2 queries)."""
    from balie.web.views.presence import switch_context  # views import models: load lazily

    workspace = context.get("workspace")
    request = context.get("request")
    agent = getattr(workspace, "agent", None)
    return {
        **switch_context(agent),
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "presence_next": request.get_full_path() if request is not None else "",
    }
