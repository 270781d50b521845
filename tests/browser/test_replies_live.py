"""The tone cue updates live: the agent has a conversation open whose citizen wrote formally
(u suggested); the citizen writes again in je style over WhatsApp, and the page's cue says je
without a reload (enrichment publishes speech_analysed, the socket pushes it, htmx refreshes
the header). axe-core on the refreshed page."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import transaction

from balie.conversations.actions import do_assign
from balie.conversations.actions.status import lock_conversation
from balie.conversations.models import Conversation
from balie.replies.models import MessageAnalysis
from tests.browser.conftest import Person, log_in, screenshot, wait_live
from tests.browser.test_accessibility import assert_accessible

NUMBER = "31612388077"


def _wait_for(check: Any, what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"{what} after {timeout} s")


@pytest.mark.slow
def test_a_je_message_changes_the_tone_cue_without_a_reload(
    page: Any, people: dict[str, Person], wa_simulator: Any
):
    """u (suggested) first; after 'Hoi, kun jij …' arrives the cue reads je, same page."""
    citizen = wa_simulator.citizen(NUMBER, "Daan Smit")
    citizen.text("Geachte heer/mevrouw, kunt u mij vertellen wanneer mijn rijbewijs klaar is?")
    conversation = _wait_for(
        lambda: Conversation.objects.filter(party__addresses__value__contains=NUMBER).first(),
        "no conversation",
    )
    _wait_for(
        lambda: MessageAnalysis.objects.filter(conversation=conversation).exists(), "not analysed"
    )
    with transaction.atomic():
        do_assign(lock_conversation(conversation.pk), people["agent"].agent, reason="test")

    log_in(page, people["agent"])
    page.goto(f"/gesprekken/{conversation.pk}/")
    wait_live(page)
    cue = page.locator("#replies-tone")
    assert cue.inner_text().split(":")[1].strip().startswith("u")
    page.evaluate("() => { window.balieSamePage = true; }")  # gone if the page reloads

    for text in (
        "Hoi! Kun jij me even helpen? Jouw collega zei dat je het weet 😊",
        "Hey, heb jij al nieuws? Thanks! 👍",
    ):
        citizen.text(text)
    page.wait_for_function(
        "() => /:\\s*je\\b/.test(document.getElementById('replies-tone').textContent)"
    )
    assert page.evaluate("() => window.balieSamePage === true")
    # a screen reader hears the new form of address once (the polite announcer)
    page.wait_for_function(
        "() => /:\\s*je\\b/.test(document.getElementById('announcer').textContent)"
    )
    page.locator(".balie-replies-why summary").click()
    why = page.locator(".balie-replies-why").inner_text()
    assert "jij" in why.lower()
    screenshot(page, "replies-live-tone")
    assert_accessible(page, "conversation after the live tone change")
