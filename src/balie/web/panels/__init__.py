"""Panels: how a capability shows itself on the conversation page without editing its templates.

A capability (service levels, privacy, replies, conduct, back office, …) adds one module under
``balie.web.panels`` that calls :func:`register` at import; :meth:`WebConfig.ready` imports every
module in this package. A panel has a *place* on the page:

- ``sidebar``: a ``<details>`` part in the context column (swapped by live refreshes);
- ``composer``: above the composer's tabs (warnings and helpers for what the agent writes;
  rendered once with the page, so a draft is never lost);
- ``header``: a short badge line under the conversation's header (swapped by live refreshes).

Each panel's ``context`` function gets the request and the conversation (already checked by
``conversations.access``) and returns the template's context, or ``None`` to show nothing.
Panels render in ``order`` (lower first), then by key.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from django.http import HttpRequest

from balie.conversations.models import Conversation

Place = Literal["sidebar", "composer", "header"]
ContextFn = Callable[[HttpRequest, Conversation], dict[str, Any] | None]


@dataclass(frozen=True)
class Panel:
    """One capability's part of the conversation page."""

    key: str
    place: Place
    template: str
    context: ContextFn
    order: int = 100


@dataclass(frozen=True)
class Shown:
    """A panel with its context (``{% include shown.template with panel=shown.data %}``)."""

    key: str
    template: str
    data: dict[str, Any]


_PANELS: dict[str, Panel] = {}


def register(panel: Panel) -> Panel:
    """Add ``panel`` (a second registration under the same key replaces the first)."""
    _PANELS[panel.key] = panel
    return panel


def registered() -> list[Panel]:
    """Every registered panel in render order."""
    return sorted(_PANELS.values(), key=lambda p: (p.order, p.key))


def shown(request: HttpRequest, conversation: Conversation, place: Place) -> list[Shown]:
    """The panels of ``place`` that have something to show for ``conversation``."""
    out = []
    for panel in registered():
        if panel.place != place:
            continue
        data = panel.context(request, conversation)
        if data is not None:
            out.append(Shown(panel.key, panel.template, data))
    return out


def discover() -> None:
    """Import every module of this package, so each registers its panels (``WebConfig.ready``)."""
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
