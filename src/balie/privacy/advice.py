"""The agent's answer to personal data on an unsafe channel: a suggested reply in the
citizen's language (u-form) that says why and offers a call back or e-mail; accepting it
sends the reply and, when chosen, records a call-back request."""

from __future__ import annotations

from django.db import transaction

from balie.conversations.actions import check_send_reply
from balie.conversations.models import Conversation, Message
from balie.core import clock
from balie.core.errors import InvalidInput, NotFound
from balie.organisations.models import Agent
from balie.privacy.models import Advice, CallbackRequest, CallbackState

#: What each kind is called in a reply to the citizen.
ITEM_NAMES = {
    "nl": {
        "bsn": "uw burgerservicenummer (BSN)",
        "iban": "uw rekeningnummer (IBAN)",
        "document_number": "het nummer van uw paspoort of identiteitskaart",
        "date_of_birth": "uw geboortedatum",
        "address": "uw adres",
    },
    "en": {
        "bsn": "your citizen service number (BSN)",
        "iban": "your bank account number (IBAN)",
        "document_number": "your passport or ID card number",
        "date_of_birth": "your date of birth",
        "address": "your address",
    },
}
_TEXT = {
    "nl": (
        "Dank u voor uw bericht. Voor uw veiligheid vragen wij u om {items} niet via "
        "{channel} te sturen: dit kanaal is niet veilig genoeg voor persoonsgegevens.{masked} "
        "Wij bellen u graag terug, of u kunt uw vraag per e-mail stellen. Laat u ons weten "
        "wat u het liefst heeft?"
    ),
    "en": (
        "Thank you for your message. For your safety, please do not send {items} through "
        "{channel}: this channel is not safe enough for personal data.{masked} We would be "
        "happy to call you back, or you can send your question by e-mail. Could you let us "
        "know which you prefer?"
    ),
}
_AND = {"nl": "en", "en": "and"}
_MASKED = {
    "nl": " Wij hebben deze gegevens daarom afgeschermd.",
    "en": " We have therefore hidden these details.",
}


def _joined(names: list[str], language: str) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {_AND[language]} {names[-1]}"


def suggested_reply(kinds: list[str], language: str, channel: str, *, masked: bool = True) -> str:
    """The reply for ``kinds`` in ``language`` (Dutch unless English), formal (u); it says
    the details were hidden only when the policy ``masked`` them."""
    lang = "en" if language.startswith("en") else "nl"
    names = [ITEM_NAMES[lang][k] for k in kinds if k in ITEM_NAMES[lang]]
    return _TEXT[lang].format(
        items=_joined(names, lang), channel=channel, masked=_MASKED[lang] if masked else ""
    )


def open_advice(conversation: Conversation) -> list[Advice]:
    """The conversation's advice not yet answered, oldest first."""
    return list(
        Advice.objects.filter(conversation=conversation, resolved_at__isnull=True).order_by("pk")
    )


def check_accept_advice(
    conversation_id: int, agent: Agent, body: str, *, call_back: bool
) -> Message:
    """Send the (possibly edited) suggested reply, close the conversation's open advice and,
    when ``call_back``, record a call-back request; all or nothing.

    NotFound when there is no open advice; the reply's own refusals (window, status) pass up.
    """
    with transaction.atomic():
        advice = list(
            Advice.objects.select_for_update(no_key=True).filter(
                conversation_id=conversation_id, resolved_at__isnull=True
            )
        )
        if not advice:
            raise NotFound("no open privacy advice on this conversation")
        message = check_send_reply(conversation_id, agent, body)
        now = clock.now()
        Advice.objects.filter(pk__in=[a.pk for a in advice]).update(
            resolved_at=now, resolved_by=agent
        )
        if call_back:
            CallbackRequest.objects.create(
                organisation_id=message.conversation.organisation_id,
                conversation_id=conversation_id,
                requested_by=agent,
                created_at=now,
            )
        return message


def check_complete_callback(callback_id: int, agent: Agent) -> CallbackRequest:
    """Mark a call-back request of the agent's organisation as called."""
    with transaction.atomic():
        found = (
            CallbackRequest.objects.select_for_update(no_key=True)
            .filter(pk=callback_id, organisation_id=agent.organisation_id)
            .first()
        )
        if found is None:
            raise NotFound("not found")
        if found.state != CallbackState.OPEN:
            raise InvalidInput("this call-back was done already", code="callback_done")
        found.state = CallbackState.DONE
        found.save(update_fields=["state"])
        return found
