"""The procedure's messages as Balie ships them: Dutch (u and je) and English.

The seed migration writes them as editable templates; :func:`default_text` answers when no
stored template exists (a fresh table, or one an administrator emptied), so a step never sends
an empty message.
"""

from __future__ import annotations

TEXTS: dict[tuple[str, str, str], str] = {
    ("name", "nl", "u"): (
        "Wij willen u graag helpen. De manier waarop u ons nu schrijft, met scheldwoorden, "
        "bedreigingen of beledigingen, accepteren wij niet. Wilt u uw vraag op een respectvolle "
        "manier stellen?"
    ),
    ("name", "nl", "je"): (
        "We willen je graag helpen. De manier waarop je ons nu schrijft, met scheldwoorden, "
        "bedreigingen of beledigingen, accepteren we niet. Wil je je vraag op een respectvolle "
        "manier stellen?"
    ),
    ("warn", "nl", "u"): (
        "Wij hebben u gevraagd respectvol te blijven. Als u op deze manier blijft schrijven, "
        "kunnen wij u via dit kanaal niet meer helpen en blokkeren wij uw berichten."
    ),
    ("warn", "nl", "je"): (
        "We hebben je gevraagd respectvol te blijven. Als je op deze manier blijft schrijven, "
        "kunnen we je via dit kanaal niet meer helpen en blokkeren we je berichten."
    ),
    ("remind", "nl", "u"): (
        "U bent eerder gewaarschuwd dat wij dit taalgebruik niet accepteren. Dit is de laatste "
        "keer dat wij u hierop wijzen."
    ),
    ("remind", "nl", "je"): (
        "Je bent eerder gewaarschuwd dat we dit taalgebruik niet accepteren. Dit is de laatste "
        "keer dat we je hierop wijzen."
    ),
    ("announce", "nl", "u"): (
        "Omdat u ondanks onze waarschuwing op deze manier blijft schrijven, blokkeren wij uw "
        "berichten. U kunt ons bellen of langskomen aan de balie als u ons nodig hebt."
    ),
    ("announce", "nl", "je"): (
        "Omdat je ondanks onze waarschuwing op deze manier blijft schrijven, blokkeren we je "
        "berichten. Je kunt ons bellen of langskomen aan de balie als je ons nodig hebt."
    ),
    ("confirm_block", "nl", "u"): (
        "Uw berichten zijn geblokkeerd {until}. Wij lezen ze niet en beantwoorden ze niet. "
        "Voor vragen kunt u ons bellen. Uw recht om uw gegevens in te zien of te laten "
        "verwijderen blijft bestaan."
    ),
    ("confirm_block", "nl", "je"): (
        "Je berichten zijn geblokkeerd {until}. We lezen ze niet en beantwoorden ze niet. "
        "Voor vragen kun je ons bellen. Je recht om je gegevens in te zien of te laten "
        "verwijderen blijft bestaan."
    ),
    ("name", "en", "u"): (
        "We are happy to help you. We do not accept the way you are writing to us now, with "
        "abusive language, threats or insults. Please ask your question respectfully."
    ),
    ("warn", "en", "u"): (
        "We asked you to stay respectful. If you keep writing like this, we can no longer help "
        "you through this channel and will block your messages."
    ),
    ("remind", "en", "u"): (
        "You have already been warned that we do not accept this language. This is the last "
        "time we point this out."
    ),
    ("announce", "en", "u"): (
        "Because you keep writing like this despite our warning, we are blocking your "
        "messages. You can call us or visit our desk if you need us."
    ),
    ("confirm_block", "en", "u"): (
        "Your messages are blocked {until}. We will not read or answer them. You can call us "
        "with questions. Your right to see or have your data erased is unaffected."
    ),
}


def default_text(step: str, language: str, tone: str) -> str:
    """The shipped text of ``step`` in ``language`` and ``tone`` (English has one register)."""
    if language == "en":
        tone = "u"
    return TEXTS.get((step, language, tone), "")


#: the languages the shipped texts cover
LANGUAGES = frozenset(language for _, language, _ in TEXTS)
