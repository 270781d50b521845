"""The result of a scan: spans of personal data, and how overlapping candidates are settled."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: Every kind a scan reports, in the order of precedence when two candidates overlap (an
#: e-mail address wins over the digits inside it, a BSN over a phone number it resembles).
KINDS: tuple[str, ...] = (
    "email",
    "iban",
    "bsn",
    "document_number",
    "date_of_birth",
    "phone",
    "address",
    "name",
    "medical",
    "criminal",
)
#: The kinds that send a conversation on an unsafe channel to phone or e-mail.
REDIRECT_KINDS: frozenset[str] = frozenset(
    {"bsn", "iban", "document_number", "date_of_birth", "address"}
)
#: The special categories of personal data (art. 9 and 10 AVG).
SPECIAL_KINDS: frozenset[str] = frozenset({"medical", "criminal"})
_RANK = {kind: i for i, kind in enumerate(KINDS)}


@dataclass(frozen=True, slots=True)
class Span:
    """Characters ``text[start:end]`` hold personal data of ``kind``."""

    start: int
    end: int
    kind: str

    def to_json(self) -> dict[str, int | str]:
        """The span as in ``balie privacy scan``'s output."""
        return {"start": self.start, "end": self.end, "kind": self.kind}


def settle(candidates: Iterable[Span]) -> list[Span]:
    """Sorted, non-overlapping spans: of overlapping candidates the kind of higher precedence
    wins, then the longer one."""
    chosen: list[Span] = []
    for span in sorted(candidates, key=lambda s: (_RANK[s.kind], s.start - s.end, s.start)):
        if span.start < span.end and all(
            span.end <= other.start or other.end <= span.start for other in chosen
        ):
            chosen.append(span)
    chosen.sort(key=lambda s: s.start)
    return chosen


def needs_redirect(spans: Iterable[Span]) -> bool:
    """Whether any span is of a kind that must not be exchanged over an unsafe channel."""
    return any(span.kind in REDIRECT_KINDS for span in spans)
