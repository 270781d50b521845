"""Finding or creating the party behind a digital address."""

from __future__ import annotations

from dataclasses import dataclass, field

import phonenumbers

from balie.core.events import publish
from balie.parties.events import PartyCreated
from balie.parties.models import AddressKind, DigitalAddress, Party

PHONE_KINDS = {AddressKind.PHONE, AddressKind.WHATSAPP}


@dataclass(frozen=True)
class AddressClaim:
    """A digital address a channel saw, and whether the channel vouches for it."""

    kind: str
    value: str
    verified: bool = False


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


def do_find_or_create_party(organisation_id: int, sender: SenderIdentity) -> Party:
    """The party owning ``sender.primary``, created with its addresses if new; row-locked.

    Call inside a transaction: the returned party is locked (``select_for_update``) so two
    first messages from one person cannot open two conversations.
    """
    address = (
        DigitalAddress.objects.filter(
            organisation_id=organisation_id,
            kind=sender.primary.kind,
            value=sender.primary.value,
        )
        .select_related("party")
        .first()
    )
    if address is not None:
        party = Party.objects.select_for_update().get(pk=address.party_id)
        if sender.name and not party.display_name:
            party.display_name = sender.name[:200]
            party.save(update_fields=["display_name"])
        _add_addresses(party, sender.extra)
        if sender.primary.verified and not address.verified:
            address.verified = True
            address.save(update_fields=["verified"])
        return party

    country = next(
        (
            country_of_number(claim.value)
            for claim in (sender.primary, *sender.extra)
            if claim.kind in PHONE_KINDS
        ),
        "",
    )
    party = Party.objects.create(
        organisation_id=organisation_id, display_name=sender.name[:200], country=country
    )
    _add_addresses(party, (sender.primary, *sender.extra))
    publish(PartyCreated(party_id=party.pk, organisation_id=organisation_id))
    return Party.objects.select_for_update().get(pk=party.pk)


def _add_addresses(party: Party, claims: tuple[AddressClaim, ...]) -> None:
    for claim in claims:
        DigitalAddress.objects.get_or_create(
            organisation_id=party.organisation_id,
            kind=claim.kind,
            value=claim.value,
            defaults={"party": party, "verified": claim.verified},
        )
