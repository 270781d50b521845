"""The pure text analysis: tone rules, abuse flag and language on named example messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from balie.replies.analysis import abusive, language, tone
from balie.replies.analysis.abuse import normalise
from balie.replies.analysis.language import is_short, supported

DATA = Path(__file__).parents[1] / "data" / "text"
ORG = ("nl", "en", "es", "tr", "ar", "pl")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Geachte heer, kunt u mij vertellen wanneer mijn paspoort klaar is?", "u"),
        ("Goedemorgen, wilt u mij terugbellen?", "u"),
        ("Dank u wel voor uw hulp", "u"),
        ("Hoi, kun je me helpen met mijn paspoort?", "je"),
        ("Hey! Weet jij hoe laat jullie open zijn?", "je"),
        ("Jullie zijn echt top, dankjewel 👍", "je"),
        ("Mijn paspoort is verlopen", None),
        ("Ok", None),
    ],
)
def test_tone_on_named_messages(text: str, expected: str | None) -> None:
    """The rules suggest u for formal writing, je for informal, nothing without a cue."""
    assert tone([text])[0] == expected


def test_tone_shows_each_reason_with_its_weight() -> None:
    """Every matching rule is a reason the agent sees: what matched, which side, how much."""
    suggested, reasons = tone(["Geachte mevrouw, kunt u mij helpen? Met vriendelijke groet"])
    assert suggested == "u"
    shown = [str(r) for r in reasons]
    assert "'kunt u': verb form with u (u +3)" in shown
    assert "'Geachte': formal greeting (u +3)" in shown
    assert any("polite greeting" in s for s in shown)


def test_a_verb_form_counts_once_not_again_as_a_pronoun() -> None:
    """'kunt u' is one cue (+3), not also a bare pronoun (+2)."""
    _, reasons = tone(["kunt u"])
    assert [r.rule for r in reasons] == ["verb_u"]


def test_an_impersonal_je_does_not_outweigh_u() -> None:
    """A formal writer's generic 'je moet…' still reads as u."""
    assert tone(["Kunt u mij zeggen of je een formulier moet invullen?"])[0] == "u"


def test_tone_sums_over_the_citizens_messages() -> None:
    """Several messages together: the side with the larger sum wins."""
    assert tone(["Hoi!", "Heeft u mijn brief gehad? Geachte"])[0] == "u"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Jullie zijn een stelletje klootzakken", "insult"),
        ("K4nk3r gemeente", "insult"),
        ("jij kuuuuut", "insult"),
        ("k.u.t systeem", "insult"),
        ("Ik weet waar je woont", "threat"),
        ("I will kill you", "threat"),
        ("Ga terug naar je eigen land", "discrimination"),
        ("Vrouwen horen in de keuken", "sexism"),
    ],
)
def test_abusive_messages_are_flagged_with_their_trigger(text: str, category: str) -> None:
    """Insults (also obfuscated), threats, discrimination and sexism are flagged, with why."""
    flagged, triggers = abusive(text)
    assert flagged
    assert category in {t.category for t in triggers}
    assert all(t.match in text for t in triggers)


@pytest.mark.parametrize(
    "text",
    [
        "Dit is belachelijk lang wachten",
        "Ik ben in Kutaisi en heb een nieuw paspoort nodig",
        "Ik heb kanker en kan niet naar het loket komen",
        "De uitslag van het kankeronderzoek komt volgende week",
        "Ik heb last van mijn spijsvertering",
        "Mijn kleren zitten in de koffer",
        "Mijn naam is Dick de Vries",
        "I will kill some time at the airport",
        "Ik maak je blij met dit nieuws",
    ],
)
def test_hard_negatives_are_not_flagged(text: str) -> None:
    """Annoyance, words inside other words and illness are not abuse."""
    assert abusive(text) == (False, [])


def test_normalise_keeps_the_length_so_triggers_quote_the_original() -> None:
    """l33t is read as letters one for one: a trigger is the text as the citizen wrote it."""
    assert normalise("K4NK3R") == "kanker"
    assert abusive("echt K4NK3R gemeente")[1][0].match == "K4NK3R"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Goedemorgen, ik wil graag een afspraak maken voor een paspoort", "nl"),
        ("Good morning, I would like to make an appointment for a passport", "en"),
        ("Buenos días, quisiera pedir una cita para un pasaporte nuevo", "es"),
        ("Günaydın, yeni pasaport için randevu almak istiyorum", "tr"),
        ("صباح الخير، أريد حجز موعد لجواز سفر جديد", "ar"),
        ("Dzień dobry, chciałbym umówić się na wizytę w sprawie paszportu", "pl"),
    ],
)
def test_language_on_named_messages(text: str, code: str) -> None:
    """A sentence in each of the organisation's languages is recognised."""
    detection = language(text, ORG)
    assert detection.language == code
    assert detection.confidence >= 0.6


def test_language_is_restricted_to_the_organisations_languages() -> None:
    """A Spanish sentence for an organisation without Spanish is never called Spanish."""
    detection = language("Buenos días, quisiera pedir una cita para un pasaporte", ("nl", "en"))
    assert detection.language != "es"


def test_a_short_message_keeps_the_earlier_language() -> None:
    """'ok' or one word says too little: the conversation's language stays."""
    assert language("ok", ORG, "es").language == "es"
    assert language("ok", ORG, "es").kept
    assert language("Bedankt", ORG, "tr").language == "tr"
    assert is_short("Dankjewel")
    assert is_short("ok dank")
    assert not is_short("Ik wil graag een afspraak")


def test_unsure_gives_no_language() -> None:
    """Without an earlier language, a word that fits several languages gives None."""
    assert language("ok", ORG).language is None


def test_papiamento_is_not_among_lingua_languages() -> None:
    """lingua has no Papiamento: it is left out of the detectable codes."""
    assert supported(["nl", "pap", "en"]) == ("en", "nl")


def test_the_labelled_sets_are_big_enough() -> None:
    """The abuse set has at least 150 messages, both kinds; the language set all six."""
    abuse = [json.loads(line) for line in (DATA / "abuse.jsonl").open()]
    assert len(abuse) >= 150
    assert {r["abusive"] for r in abuse} == {True, False}
    languages = {json.loads(line)["language"] for line in (DATA / "language.jsonl").open()}
    assert set(ORG) <= languages
