"""The conversation page in a real browser: reply and see the delivered tick, a template when
WhatsApp's window is closed, a note that mentions a colleague (who is told live), transfer,
resolve; and the same once with the keyboard alone."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.db import transaction

from balie.channels.whatsapp.models import TemplateStatus
from balie.channels.whatsapp.templates import register_template
from balie.conversations.actions import do_assign
from balie.conversations.actions.status import lock_conversation
from balie.conversations.models import Conversation, ConversationChange, Message
from balie.core import clock
from tests import factories
from tests.browser.conftest import Person, log_in, screenshot, wait_live


def _conversation_of(wa_id: str, timeout: float = 15.0) -> Conversation:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = Conversation.objects.filter(party__addresses__value__contains=wa_id).first()
        if found is not None:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no conversation for {wa_id} after {timeout} s")


def _mine(wa_simulator: Any, person: Person, number: str, text: str) -> Conversation:
    """A citizen writes on WhatsApp and the conversation is given to ``person``."""
    citizen = wa_simulator.citizen(number, "Fatima el Amrani")
    citizen.text(text)
    conversation = _conversation_of(number)
    with transaction.atomic():
        do_assign(lock_conversation(conversation.pk), person.agent, reason="test")
    return conversation


def _open(page: Any, person: Person, conversation: Conversation) -> None:
    log_in(page, person)
    page.goto(f"/gesprekken/{conversation.pk}/")
    wait_live(page)


def test_reply_and_see_the_delivered_tick(page: Any, people: dict[str, Person], wa_simulator: Any):
    """A reply typed in the composer goes out via WhatsApp; the tick turns to delivered live."""
    conversation = _mine(wa_simulator, people["agent"], "31612345001", "Waar is mijn pas?")
    _open(page, people["agent"], conversation)
    assert page.locator("#reply-window").inner_text().startswith("nog 23 uur")
    page.fill("#reply-body", "Uw pas ligt klaar bij de balie.")
    assert page.locator("#reply-count").inner_text() == "31 / 4096"
    page.get_by_role("button", name="Verstuur via WhatsApp").click()
    page.wait_for_selector(
        ".balie-msg--out:has-text('Uw pas ligt klaar') .balie-delivery[data-status='delivered']"
    )
    assert page.locator("#reply-body").input_value() == ""  # the draft is gone once sent
    screenshot(page, "conversation-delivered")


def test_window_closed_sends_a_template(page: Any, people: dict[str, Person], wa_simulator: Any):
    """After 24 hours the composer offers the templates; one with its variable goes out."""
    register_template(
        wa_simulator.channel, "antwoord_klaar", "nl",
        body="Beste {{1}}, uw antwoord staat klaar.", status=TemplateStatus.APPROVED,
    )  # fmt: skip
    conversation = _mine(wa_simulator, people["agent"], "31612345002", "Hallo?")
    Conversation.objects.filter(pk=conversation.pk).update(
        last_inbound_at=clock.now() - timedelta(hours=25)
    )
    _open(page, people["agent"], conversation)
    assert page.locator("#reply-body").count() == 0
    page.get_by_label("antwoord_klaar: variabele 1").fill("Fatima")
    page.get_by_role("button", name="Verstuur sjabloon via WhatsApp").click()
    page.wait_for_selector("text=Beste Fatima, uw antwoord staat klaar.")
    screenshot(page, "conversation-template")


def test_note_with_a_mention_tells_the_colleague_live(
    browser: Any, live_app: Any, page: Any, people: dict[str, Person], wa_simulator: Any
):
    """A note naming @w1-supervisor shows as a note, and the supervisor's open page hears it."""
    conversation = _mine(wa_simulator, people["agent"], "31612345003", "Ik wil klagen.")
    other = _mine(wa_simulator, people["supervisor"], "31612345004", "Andere vraag")
    colleague_context = browser.new_context(base_url=live_app.url, locale="nl-NL")
    colleague = colleague_context.new_page()
    try:
        _open(colleague, people["supervisor"], other)
        _open(page, people["agent"], conversation)
        page.get_by_role("tab", name="Interne notitie").click()
        page.fill("#note-body", "@w1-supervisor wil jij dit oppakken?")
        page.get_by_role("button", name="Notitie opslaan").click()
        page.wait_for_selector(".balie-msg--note:has-text('wil jij dit oppakken?')")
        colleague.wait_for_function(
            "() => document.getElementById('announcer').textContent"
            ".includes('genoemd in een notitie')"
        )
        colleague.wait_for_selector("#mention-notices a")
    finally:
        colleague_context.close()


def test_transfer_to_a_team_and_resolve(page: Any, people: dict[str, Person], wa_simulator: Any):
    """Transfer opens a dialog (team and reason); resolve finishes another conversation."""
    team = factories.TeamFactory(
        organisation=wa_simulator.channel.organisation, name="Vergunningen"
    )
    conversation = _mine(wa_simulator, people["agent"], "31612345005", "Over mijn vergunning")
    _open(page, people["agent"], conversation)
    page.get_by_role("button", name="Overdragen").click()
    page.select_option("#transfer-to", f"team-{team.pk}")
    page.fill("#transfer-reason", "Vraag voor de vakafdeling")
    page.locator("#transfer-submit").click()
    page.wait_for_url("**/gesprekken/")  # another team's now: out of the agent's sight
    page.wait_for_selector("text=Het gesprek is overgedragen.")
    change = ConversationChange.objects.get(conversation=conversation, field="team")
    assert change.new_value == "Vergunningen"
    assert change.reason == "Vraag voor de vakafdeling"

    second = _mine(wa_simulator, people["agent"], "31612345006", "Dank u wel!")
    page.goto(f"/gesprekken/{second.pk}/")
    wait_live(page)
    page.get_by_role("button", name="Afhandelen").click()
    page.get_by_role("button", name="Heropenen").wait_for()
    assert Conversation.objects.get(pk=second.pk).status == "resolved"


def test_the_same_with_the_keyboard_alone(page: Any, people: dict[str, Person], wa_simulator: Any):
    """r, Ctrl+Enter, n, t and e do reply, send, note, transfer and resolve without a mouse."""
    team = factories.TeamFactory(organisation=wa_simulator.channel.organisation, name="Burgerzaken")
    conversation = _mine(wa_simulator, people["agent"], "31612345007", "Kan ik langskomen?")
    people["agent"].agent.teams.add(team)  # still hers to see after the transfer
    _open(page, people["agent"], conversation)
    page.locator("body").focus()
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "reply-body"
    page.keyboard.type("Ja, op afspraak.")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(".balie-msg--out:has-text('Ja, op afspraak.')")
    page.locator("#timeline").focus()
    page.keyboard.press("n")
    assert page.evaluate("document.activeElement.id") == "note-body"
    page.keyboard.type("Afspraak voorgesteld.")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(".balie-msg--note:has-text('Afspraak voorgesteld.')")
    page.locator("#timeline").focus()
    page.keyboard.press("?")
    page.wait_for_selector("#shortcuts[open]")
    page.keyboard.press("Escape")
    page.keyboard.press("e")
    page.get_by_role("button", name="Heropenen").wait_for()
    page.get_by_role("button", name="Heropenen").focus()  # reachable by Tab, pressed with Enter
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Afhandelen").wait_for()
    page.locator("#timeline").focus()
    page.keyboard.press("t")
    page.wait_for_selector("#transfer-dialog[open]")
    assert page.evaluate("document.activeElement.id") == "transfer-to"  # the dialog's first field
    page.keyboard.press("ArrowDown")  # the first team
    assert page.locator("#transfer-to").input_value() == f"team-{team.pk}"
    page.keyboard.press("Tab")
    page.keyboard.type("Hoort bij Burgerzaken")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=overgedragen aan team Burgerzaken")
    assert Message.objects.filter(conversation=conversation, direction="note").count() == 1
