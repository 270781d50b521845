"""Personal-data detection in chat messages (pure Python, no Django).

``detect(text)`` returns sorted, non-overlapping :class:`Span` s with character offsets into
``text`` as given; ``needs_redirect`` says whether any of them must go to a safe channel.
Regular expressions find candidates (one pass per kind), checksums and cue words decide
(ADR 0012).
"""

from __future__ import annotations

from balie.privacy.detection.scan import detect, scan
from balie.privacy.detection.spans import (
    KINDS,
    REDIRECT_KINDS,
    SPECIAL_KINDS,
    Span,
    needs_redirect,
    settle,
)

__all__ = [
    "KINDS",
    "REDIRECT_KINDS",
    "SPECIAL_KINDS",
    "Span",
    "detect",
    "needs_redirect",
    "scan",
    "settle",
]
