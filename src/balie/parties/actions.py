"""Finding or creating the party behind a digital address."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import phonenumbers

from balie.core.events import publish
from balie.parties.events import PartyCreated
from balie.parties.models import AddressKind, DigitalAddress, Party
from balie.parties.normalise import normalise

PHONE_KINDS = {AddressKind.PHONE, AddressKind.WHATSAPP}
LABEL_LENGTH = DigitalAddress._meta.get_field("label").max_length or 128


@dataclass(frozen=True)
class AddressClaim:
    """A digital address a channel saw, and whether the channel vouches for it."""

    kind: str
    value: str
    verified: bool = False
    #: a handle the platform shows for this address (a WhatsApp username); "" if none
    label: str = ""


@dataclass(frozen=True)
class SenderIdentity:
    """Who sent an inbound message: the address that identifies them, plus what else we know."""

    primary: AddressClaim
    name: str = ""
    extra: tuple[AddressClaim, ...] = field(default_factory=tuple)


def country_of_number(number: str) -> str:
    """ISO 3166 country code of an E.164 number (digits with or without '+'), or ''."""
    digits = number if number.startswith("+") else f"+{number}"
    try:
        parsed = phonenumbers.parse(digits, None)
    except phonenumbers.NumberParseException:
        return ""
    return phonenumbers.region_code_for_number(parsed) or ""


@dataclass(frozen=True)
class FoundParty:
    """The party behind a sender, row-locked, and the sender's primary address."""

    party: Party
    address: DigitalAddress


def do_find_or_create_parties(
    organisation_id: int, senders: Sequence[SenderIdentity]
) -> list[FoundParty]:
    """The party of each sender (senders sharing a primary address share one), found by the
    primary address or created with all its addresses; a few queries for the whole list.

    Precondition: inside a transaction. Found parties are locked (``select_for_update``) so
    two first messages from one person cannot open two conversations; created ones are
    invisible to others until commit. Raises IntegrityError when another transaction created
    one of the addresses meanwhile: roll back to a savepoint and call again.
    """
    claims = [claim for sender in senders for claim in (sender.primary, *sender.extra)]
    known, parties = _lock_owners(organisation_id, senders, {c.value for c in claims})
    new: dict[tuple[str, str], Party] = {}
    for sender in senders:
        if _key(sender.primary) not in known and _key(sender.primary) not in new:
            new[_key(sender.primary)] = Party(
                organisation_id=organisation_id,
                display_name=sender.name[:200],
                country=_country(sender),
            )
    Party.objects.bulk_create(list(new.values()))
    owners = [
        new[key] if (key := _key(s.primary)) not in known else parties[known[key].party_id]
        for s in senders
    ]
    _complete(organisation_id, senders, owners, known)
    for party in new.values():
        publish(PartyCreated(party_id=party.pk, organisation_id=organisation_id))
    return [
        FoundParty(party, known[_key(s.primary)]) for s, party in zip(senders, owners, strict=True)
    ]


def _lock_owners(
    organisation_id: int, senders: Sequence[SenderIdentity], values: set[str]
) -> tuple[dict[tuple[str, str], DigitalAddress], dict[int, Party]]:
    """The known addresses and their senders' parties, locked. A party found merged once its
    lock is granted (a merge committed meanwhile, ``parties.merge``) means its addresses
    moved: read them again (no extra query otherwise)."""
    for _ in range(3):
        known = {
            (a.kind, a.value): a
            for a in DigitalAddress.objects.filter(
                organisation_id=organisation_id, value__in=values
            )
        }
        found = {known[_key(s.primary)].party_id for s in senders if _key(s.primary) in known}
        locked = Party.objects.select_for_update(no_key=True).filter(pk__in=found).order_by("pk")
        parties = {p.pk: p for p in locked}
        if not any(p.merged_into_id for p in parties.values()):
            break
    return known, parties


def _complete(
    organisation_id: int,
    senders: Sequence[SenderIdentity],
    owners: list[Party],
    known: dict[tuple[str, str], DigitalAddress],
) -> None:
    """Add the addresses not yet known (to ``known`` too), mark primaries verified, keep the
    handle (username) the channel reports, and give nameless parties the name it reports."""
    added: list[DigitalAddress] = []
    verified: list[DigitalAddress] = []
    relabelled: list[DigitalAddress] = []  # the citizen changed their username
    named: dict[int, Party] = {}
    for sender, party in zip(senders, owners, strict=True):
        for claim in (sender.primary, *sender.extra):
            if _key(claim) not in known:
                known[_key(claim)] = DigitalAddress(
                    organisation_id=organisation_id,
                    party=party,
                    kind=claim.kind,
                    value=claim.value,
                    verified=claim.verified,
                    label=claim.label[:LABEL_LENGTH],
                    normalised=normalise(str(claim.kind), claim.value),  # bulk_create: no save()
                )
                added.append(known[_key(claim)])
            elif claim.label and known[_key(claim)].label != claim.label[:LABEL_LENGTH]:
                known[_key(claim)].label = claim.label[:LABEL_LENGTH]
                relabelled.append(known[_key(claim)])
        primary = known[_key(sender.primary)]
        if sender.primary.verified and not primary.verified:
            primary.verified = True
            verified.append(primary)
        if sender.name and not party.display_name:
            party.display_name = sender.name[:200]
            named[party.pk] = party
    DigitalAddress.objects.bulk_create(added)
    if verified:
        DigitalAddress.objects.filter(pk__in=[a.pk for a in verified]).update(verified=True)
    if relabelled:
        DigitalAddress.objects.bulk_update(relabelled, ["label"])
    if named:  # rare: a party first known without a name
        Party.objects.bulk_update(list(named.values()), ["display_name"])


def _key(claim: AddressClaim) -> tuple[str, str]:
    return (str(claim.kind), claim.value)


def _country(sender: SenderIdentity) -> str:
    return next(
        (
            country_of_number(claim.value)
            for claim in (sender.primary, *sender.extra)
            if claim.kind in PHONE_KINDS
        ),
        "",
    )
