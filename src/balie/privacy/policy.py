"""The policy per channel kind: an organisation's rows, else the defaults."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from balie.privacy.models import UNSAFE_BY_DEFAULT, AtRest, ChannelPolicy, Outbound


@dataclass(frozen=True)
class Policy:
    """What the guard does with personal data on one channel kind."""

    safe: bool
    outbound: str
    at_rest: str


def default(channel_kind: str) -> Policy:
    """WhatsApp, Messenger, Instagram and X are unsafe: warn on outbound, seal at rest; the
    other channels (e-mail, phone, web chat, API) are safe and keep what they receive."""
    if channel_kind in UNSAFE_BY_DEFAULT:
        return Policy(safe=False, outbound=Outbound.WARN, at_rest=AtRest.SEALED)
    return Policy(safe=True, outbound=Outbound.WARN, at_rest=AtRest.KEEP)


def policies(organisation_ids: Iterable[int]) -> dict[tuple[int, str], Policy]:
    """The organisations' own rows (one query), keyed by (organisation id, channel kind)."""
    return {
        (row.organisation_id, row.channel_kind): Policy(row.safe, row.outbound, row.at_rest)
        for row in ChannelPolicy.objects.filter(organisation_id__in=set(organisation_ids))
    }


def policy(organisation_id: int, channel_kind: str) -> Policy:
    """The policy of one channel kind in one organisation."""
    found = policies([organisation_id]).get((organisation_id, channel_kind))
    return found or default(channel_kind)
