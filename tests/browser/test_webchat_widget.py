"""The widget on the example page and the agent workspace side by side in Chromium: the
visitor asks, the agent answers, the visitor sees it; the visitor's network drops and comes
back and the answer sent meanwhile arrives; axe-core finds nothing serious in the open widget."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import transaction

from balie.conversations.actions import do_assign
from balie.conversations.actions.status import lock_conversation
from balie.conversations.delivery import DeliveryStatus
from balie.conversations.models import Direction, Message
from tests import factories
from tests.browser.conftest import LIVE_TIMEOUT_MS, Person, log_in, screenshot, wait_live
from tests.browser.test_accessibility import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _wait_for(what: Any, timeout: float = LIVE_TIMEOUT_MS / 1000) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_visitor_and_agent_chat_through_a_network_drop(
    browser: Any, live_app: Any, page: Any, organisation: Any, people: dict[str, Person]
) -> None:
    """Ask in the widget, answer in the workspace, read it in the widget; offline, an answer
    meanwhile, online again: it arrives; the open widget passes axe; typing shows both ways."""
    factories.ChannelFactory(
        organisation=organisation,
        kind="webchat",
        key="chat",
        name="Webchat",
        settings={"example_page": True, "topics": [{"code": "paspoort", "nl": "Paspoort"}]},
    )
    visitor_context = browser.new_context(base_url=live_app.url, locale="nl-NL")
    visitor_context.set_default_timeout(LIVE_TIMEOUT_MS)
    visitor = visitor_context.new_page()
    try:
        visitor.goto("/webchat/example/chat/")
        launcher = visitor.get_by_role("button", name="Chat met ons")
        launcher.focus()
        visitor.keyboard.press("Enter")
        dialog = visitor.get_by_role("dialog")
        dialog.get_by_role("radio", name="Paspoort").wait_for()
        assert visitor.evaluate("document.activeElement.value") == "paspoort"  # focus moved in
        dialog.get_by_role("button", name="Start de chat").click()
        box = dialog.get_by_label("Uw bericht")
        box.fill("Mijn paspoort is verlopen, wat nu?")
        box.press("Enter")
        visitor.wait_for_selector(".balie-chat__message--visitor[data-id]")
        question = _wait_for(lambda: Message.objects.filter(direction=Direction.INBOUND).first())
        assert question.body == "Mijn paspoort is verlopen, wat nu?"
        with transaction.atomic():
            do_assign(lock_conversation(question.conversation_id), people["agent"].agent)

        log_in(page, people["agent"])
        page.goto(f"/gesprekken/{question.conversation_id}/")
        wait_live(page)
        box.press_sequentially("Nog iets", delay=30)  # the visitor types: the agent sees it
        page.wait_for_selector("#visitor-typing:has-text('De bezoeker typt')")
        page.fill("#reply-body", "Vraag een nieuw paspoort aan via de website.")
        page.wait_for_function("() => true")
        visitor.wait_for_selector(".balie-chat__typing:has-text('typt')")  # and the other way
        page.locator("#reply-body").press("Control+Enter")
        visitor.wait_for_selector(
            ".balie-chat__message--organisation:has-text('Vraag een nieuw paspoort aan')"
        )
        assert_accessible(visitor, "web chat widget, open")
        screenshot(visitor, "webchat-widget")

        visitor_context.set_offline(True)
        visitor.wait_for_selector(".balie-chat[data-live='no']", state="attached")
        page.fill("#reply-body", "Heeft u nog een vraag?")
        page.locator("#reply-body").press("Control+Enter")
        answer = _wait_for(
            lambda: (
                Message.objects.filter(body="Heeft u nog een vraag?")
                .exclude(delivery_status=DeliveryStatus.PENDING)
                .first()
            )
        )
        assert answer.delivery_status == DeliveryStatus.SENT  # sent, not yet on the screen
        visitor_context.set_offline(False)
        visitor.wait_for_selector(
            ".balie-chat__message--organisation:has-text('Heeft u nog een vraag?')"
        )
        _wait_for(
            lambda: Message.objects.get(pk=answer.pk).delivery_status == DeliveryStatus.DELIVERED
        )
        assert visitor.locator(".balie-chat__message--visitor").count() == 1
        visitor.keyboard.press("Escape")
        assert visitor.evaluate("document.activeElement.textContent") == "Chat met ons"
        assert dialog.is_hidden()
    finally:
        visitor_context.close()
