"""The forwarding flow in a real browser: the KCC agent forwards a WhatsApp question to the
back office (the citizen is told the term), the back office asks for more time (the citizen
is told again) and answers, the agent answers the citizen and resolves; axe-core on the
conversation page with the forward form, the task list and the task page."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import transaction

from balie.backoffice.models import Task
from balie.conversations.actions import do_assign
from balie.conversations.actions.status import lock_conversation
from balie.conversations.models import Conversation
from tests import factories
from tests.browser.conftest import LIVE_TIMEOUT_MS, Person, log_in, screenshot, wait_live
from tests.browser.test_accessibility import assert_accessible


def _conversation_of(wa_id: str, timeout: float = 15.0) -> Conversation:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = Conversation.objects.filter(party__addresses__value__contains=wa_id).first()
        if found is not None:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no conversation for {wa_id} after {timeout} s")


def _texts(wa_simulator: Any) -> list[str]:
    return [m.get("text", {}).get("body", "") for m in wa_simulator.sent]


def _wait_sent(wa_simulator: Any, fragment: str, count: int = 1) -> None:
    deadline = time.monotonic() + LIVE_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        if sum(fragment in t for t in _texts(wa_simulator)) >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"{fragment!r} not sent {count}x: {_texts(wa_simulator)}")


@pytest.mark.slow
def test_forward_extend_answer_and_resolve(
    page: Any, context: Any, people: dict[str, Person], wa_simulator: Any, organisation: Any
) -> None:
    """Forward, told; more time, told again; answered; the agent answers and resolves."""
    vergunningen = factories.TeamFactory(organisation=organisation, name="Vergunningen")
    people["backoffice"].agent.teams.add(vergunningen)
    wa_simulator.citizen("31612345077", "Fatima el Amrani").text("Mag ik de eik kappen?")
    conversation = _conversation_of("31612345077")
    with transaction.atomic():
        do_assign(lock_conversation(conversation.pk), people["agent"].agent, reason="test")

    # the agent forwards from the conversation page
    log_in(page, people["agent"])
    page.goto(f"/gesprekken/{conversation.pk}/")
    wait_live(page)
    page.get_by_text("Doorsturen naar vakafdeling").click()
    page.locator("#forward-team").select_option(label="Vergunningen")
    page.locator("#forward-action").fill("Beoordeel of de eik gekapt mag worden")
    assert_accessible(page, "conversation with the forward form")
    page.get_by_role("button", name="Doorsturen", exact=True).click()
    page.wait_for_selector("#conversation-status:has-text('bij de backoffice')")
    _wait_sent(wa_simulator, "doorgestuurd naar een collega van Vergunningen")
    task = Task.objects.get(conversation=conversation)

    # the back office works it in its own browser
    office_context = context.browser.new_context(
        base_url=page.url.split("/gesprekken/")[0], locale="nl-NL",
        timezone_id="Europe/Amsterdam", viewport={"width": 1366, "height": 768},
    )  # fmt: skip
    office_context.set_default_timeout(LIVE_TIMEOUT_MS)
    office = office_context.new_page()
    log_in(office, people["backoffice"])
    office.goto("/taken/")
    office.wait_for_selector(f"#task-{task.pk}")
    assert "op tijd" in office.locator(f"#task-{task.pk}").inner_text()
    assert_accessible(office, "task list")
    screenshot(office, "backoffice-tasks")
    office.get_by_role("link", name=task.reference).click()
    office.wait_for_selector("#task-messages:has-text('Mag ik de eik kappen?')")
    assert_accessible(office, "task page")
    office.get_by_label("Reden").first.fill("Boomdeskundige moet kijken")
    office.get_by_label("Nieuwe termijn: datum").fill("2027-03-05")
    office.get_by_label("Nieuwe termijn: tijd").fill("12:00")
    office.get_by_role("button", name="Meer tijd vragen").click()
    office.wait_for_selector("#task-state:has-text('verlengd')")
    _wait_sent(wa_simulator, "vrijdag 5 maart vóór 12.00 uur")
    office.get_by_label("Antwoord", exact=True).fill("De eik mag gekapt worden met herplantplicht.")
    office.get_by_role("button", name="Antwoord versturen").click()
    office.wait_for_selector("#task-state:has-text('beantwoord')")
    screenshot(office, "backoffice-task-answered")
    office_context.close()

    # the agent sees the answer as a note, answers the citizen and resolves
    page.reload()
    wait_live(page)
    page.wait_for_selector("text=De eik mag gekapt worden met herplantplicht.")
    page.fill("#reply-body", "U mag de eik kappen; plant wel een nieuwe boom.")
    page.get_by_role("button", name="Verstuur via WhatsApp").click()
    _wait_sent(wa_simulator, "U mag de eik kappen")
    page.get_by_role("button", name="Afhandelen").click()
    page.wait_for_selector("#conversation-status:has-text('afgehandeld')")
    conversation.refresh_from_db()
    assert conversation.status == "resolved"
    assert sum("U hoort uiterlijk" in t for t in _texts(wa_simulator)) == 2
