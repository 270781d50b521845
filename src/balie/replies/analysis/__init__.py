"""How a citizen writes, read from the text alone (no Django): tone (u or je), whether a
message looks abusive, and its language. Suggestions for the agent, never actions."""

from __future__ import annotations

from balie.replies.analysis.abuse import abusive
from balie.replies.analysis.language import Detection, language
from balie.replies.analysis.tone import Reason, tone

__all__ = ["Detection", "Reason", "abusive", "language", "tone"]
