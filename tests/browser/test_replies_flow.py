"""Canned replies in a real browser: a citizen writes formally over WhatsApp; the page shows
the suggested u with its reasons; the reply box starts with the greeting and signature; the
agent types /, picks the u variant of a canned reply with the keyboard and sends it with
Ctrl+Enter. axe-core on the conversation page with the picker open."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import transaction

from balie.conversations.actions import do_assign
from balie.conversations.actions.status import lock_conversation
from balie.conversations.models import Conversation, Direction, Message
from balie.replies.models import CannedReply, Greeting, MessageAnalysis
from tests.browser.conftest import Person, log_in, screenshot, wait_live
from tests.browser.test_accessibility import assert_accessible

NUMBER = "31612388011"
TEXT = "Geachte heer/mevrouw, kunt u mij vertellen wanneer mijn paspoort klaar is?"


def _wait_for(check: Any, what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"{what} after {timeout} s")


@pytest.mark.slow
def test_type_slash_pick_a_reply_with_the_keyboard_and_send(
    page: Any, people: dict[str, Person], wa_simulator: Any, organisation: Any
):
    """/ opens the list, arrows and Enter insert the filled u variant, Ctrl+Enter sends it."""
    for tone, body in (
        ("u", "U kunt uw paspoort ophalen, {naam}."),
        ("je", "Je kunt je paspoort ophalen."),
    ):
        CannedReply.objects.create(
            organisation=organisation, shortcut="paspoort-klaar", title="Paspoort klaar",
            language="nl", tone=tone, body=body,
        )  # fmt: skip
    CannedReply.objects.create(
        organisation=organisation, shortcut="afspraak", title="Afspraak maken",
        language="nl", body="Maak een afspraak op de website.",
    )  # fmt: skip
    Greeting.objects.create(
        organisation=organisation, language="nl", tone="u",
        opening="Goedemiddag {naam},", signature="Met vriendelijke groet, {voornaam_medewerker}",
    )  # fmt: skip
    wa_simulator.citizen(NUMBER, "Anouk Visser").text(TEXT)
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
    assert "u" in page.locator("#replies-tone").inner_text()
    page.locator(".balie-replies-why summary").click()
    assert "kunt u" in page.locator(".balie-replies-why").inner_text()

    box = page.locator("#reply-body")
    assert box.input_value().startswith("Goedemiddag Anouk Visser,")
    assert "Met vriendelijke groet, " in box.input_value()
    box.focus()
    # the caret after the opening's blank line, where replies.js put it
    page.evaluate(
        "() => { const b = document.getElementById('reply-body');"
        " const at = b.value.indexOf('\\n\\n') + 2; b.setSelectionRange(at, at); }"
    )
    page.keyboard.type("/")
    search = page.locator("#replies-search")
    page.wait_for_function("() => document.activeElement.id === 'replies-search'")
    assert search.get_attribute("aria-expanded") == "true"
    assert_accessible(page, "conversation with the canned replies open")
    page.keyboard.type("klaar")
    visible = page.locator("#replies-list [role=option]:not([hidden])")
    assert visible.count() == 1
    assert (
        page.locator("#replies-list [aria-selected=true]")
        .inner_text()
        .startswith("/paspoort-klaar")
    )
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.id === 'reply-body'")
    value = box.input_value()
    assert "U kunt uw paspoort ophalen, Anouk Visser." in value
    assert "Je kunt" not in value
    screenshot(page, "replies-picked")
    page.keyboard.press("Control+Enter")
    sent = _wait_for(
        lambda: Message.objects.filter(
            conversation=conversation, direction=Direction.OUTBOUND, author=people["agent"].agent
        ).first(),
        "not sent",
    )
    assert sent.body.startswith("Goedemiddag Anouk Visser,\n\nU kunt uw paspoort ophalen")
    assert sent.body.rstrip().endswith(
        "Met vriendelijke groet, " + people["agent"].agent.display_name.split()[0]
    )
    # the box is emptied after the send and starts with the greeting again
    page.wait_for_function(
        "() => document.getElementById('reply-body').value.startsWith('Goedemiddag')"
        " && !document.getElementById('reply-body').value.includes('paspoort')"
    )
