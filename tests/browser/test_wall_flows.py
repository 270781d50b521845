"""Offers and the supervisor wall in a real browser: an offer arrives live and is accepted with
the keyboard alone; the wall's tables update live without taking the focus away."""

from __future__ import annotations

import time
from typing import Any

from balie.conversations.models import Conversation
from balie.routing.models import RoutingSettings
from tests import factories
from tests.browser.conftest import Person, log_in, screenshot, wait_live

ACTIVE_ID = "() => document.activeElement && document.activeElement.id"


def _conversation_of(wa_id: str, timeout: float = 15.0) -> Conversation:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = Conversation.objects.filter(party__addresses__value__contains=wa_id).first()
        if found is not None:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no conversation for {wa_id} after {timeout} s")


def _tab_to(page: Any, element_id: str, limit: int = 60) -> None:
    """Press Tab until ``element_id`` has the focus (as a keyboard user would)."""
    for _ in range(limit):
        if page.evaluate(ACTIVE_ID) == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} not reached with Tab in {limit} presses")


def test_an_offer_arrives_live_and_is_accepted_with_the_keyboard(
    page: Any, people: dict[str, Person], wa_simulator: Any, organisation: Any
):
    """The agent goes available with the switch, a WhatsApp contact is offered live (read out
    once in the assertive region), and Tab + Enter on Accepteren opens the conversation."""
    RoutingSettings.objects.create(  # WhatsApp contacts are offered, not given outright
        organisation=organisation, auto_accept_kinds=["email"], offer_timeout_s=120
    )
    agent = people["agent"].agent
    factories.AgentLanguageFactory(agent=agent, language="nl", proficiency=5)
    factories.AgentChannelFactory(agent=agent, channel_kind="whatsapp", capacity=2)

    log_in(page, people["agent"])
    wait_live(page)
    _tab_to(page, "presence-select")
    page.keyboard.press("Home")  # Beschikbaar is the first choice
    _tab_to(page, "presence-submit")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.getElementById('announcer').textContent.includes('Je status is nu "
        "Beschikbaar')"
    )
    assert "WhatsApp 0 van 2" in page.locator("#presence-load").inner_text()

    wa_simulator.citizen("31687654321", "Priya Sharma").text("Mijn visum is verlopen")
    conversation = _conversation_of("31687654321")
    offer = page.locator("#offers .balie-offer")
    offer.wait_for(state="visible")
    assert "WhatsApp" in offer.inner_text()
    page.wait_for_function(
        "() => document.getElementById('offer-announcer').textContent.includes('Nieuw contact')"
    )
    assert page.locator("#offer-announcer").get_attribute("aria-live") == "assertive"
    screenshot(page, "offer-banner")

    accept_id = offer.locator("button.utrecht-button--primary-action").get_attribute("id")
    _tab_to(page, accept_id)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/gesprekken/{conversation.pk}/")
    conversation.refresh_from_db()
    assert (conversation.status, conversation.assignee_id) == ("assigned", agent.pk)


def test_the_wall_updates_live_and_keeps_the_focus(
    page: Any, people: dict[str, Person], wa_simulator: Any
):
    """A contact arriving shows in the queue table without a reload; a second one updates
    the numbers while the focus stays on the link the supervisor was on; assigning by
    hand with the keyboard says so and takes the contact off the table."""
    log_in(page, people["supervisor"])
    page.goto("/supervisie/")
    wait_live(page)
    page.evaluate("window.__notReloaded = true")

    wa_simulator.citizen("31611112222", "Jan Jansen").text("Waar blijft mijn pas?")
    first = _conversation_of("31611112222")
    link = page.locator(f"#steer-{first.pk}")
    link.wait_for(state="visible")
    assert page.locator("#queue-whatsapp [data-waiting]").inner_text() == "1"
    link.focus()

    wa_simulator.citizen("31633334444", "Anna de Vries").text("Ik wil een afspraak")
    second = _conversation_of("31633334444")
    page.locator(f"#steer-{second.pk}").wait_for(state="visible")
    page.wait_for_function(
        "() => document.querySelector('#queue-whatsapp [data-waiting]').textContent.trim() == '2'"
    )
    assert page.evaluate(ACTIVE_ID) == f"steer-{first.pk}"
    assert page.evaluate("window.__notReloaded") is True
    screenshot(page, "supervisor-wall")

    page.keyboard.press("Enter")  # "Toewijzen aan…": the panel opens with the focus on it
    page.wait_for_function(f"() => ({ACTIVE_ID})() === 'steer-heading'")
    _tab_to(page, "steer-agent")
    page.select_option("#steer-agent", str(people["agent"].agent.pk))
    page.keyboard.press("Tab")
    page.keyboard.type("Sanne kent deze burger")
    page.keyboard.press("Enter")
    page.locator("#steer-done").wait_for(state="visible")
    assert "toegewezen aan Sanne de Boer" in page.locator("#steer-done").inner_text()
    # the response triggers the refresh; the 15-s poll backs it up on a loaded machine
    page.locator(f"#waiting-{first.pk}").wait_for(state="detached", timeout=35_000)
    first.refresh_from_db()
    assert first.assignee_id == people["agent"].agent.pk
