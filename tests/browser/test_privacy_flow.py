"""The privacy guard in a real browser: a citizen sends a BSN and an address over WhatsApp;
the scan on receipt masks them; the agent sees the warning with the items masked and the
suggested reply, sends it with a call back; the supervisor finds the call-back request on
/privacy/terugbellen/. axe-core on the conversation page with the warning and on the list."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import transaction

from balie.conversations.actions import do_assign
from balie.conversations.actions.status import lock_conversation
from balie.conversations.models import Conversation, Direction, Message
from balie.privacy.models import Advice, CallbackRequest
from tests.browser.conftest import Person, log_in, screenshot, wait_live
from tests.browser.test_accessibility import assert_accessible

NUMBER = "31612399077"
TEXT = "Goedemiddag, mijn BSN is 111222333 en ik woon op Kerkstraat 12a, 3512 AB Utrecht"


def _wait_for(check: Any, what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"{what} after {timeout} s")


@pytest.mark.slow
def test_warning_then_suggested_reply_with_call_back(
    browser: Any, live_app: Any, page: Any, people: dict[str, Person], wa_simulator: Any
):
    """Masked on receipt, warned, answered with the suggested reply, call back listed."""
    wa_simulator.citizen(NUMBER, "Anouk Visser").text(TEXT)
    conversation = _wait_for(
        lambda: Conversation.objects.filter(party__addresses__value__contains=NUMBER).first(),
        "no conversation",
    )
    _wait_for(lambda: Advice.objects.filter(conversation=conversation).exists(), "not scanned")
    stored = Message.objects.get(conversation=conversation, direction=Direction.INBOUND)
    assert "111222333" not in stored.body
    with transaction.atomic():
        do_assign(lock_conversation(conversation.pk), people["agent"].agent, reason="test")

    log_in(page, people["agent"])
    page.goto(f"/gesprekken/{conversation.pk}/")
    wait_live(page)
    warning = page.locator("#privacy-warning")
    assert warning.count() == 1
    text = warning.inner_text()
    assert "BSN" in text
    assert "Adres" in text
    assert "111222333" not in page.content()
    assert "Kerkstraat" not in page.content()
    assert "burgerservicenummer" in page.locator("#privacy-reply").input_value()
    assert_accessible(page, "conversation with the privacy warning")
    screenshot(page, "privacy-warning")

    page.locator("#privacy-call-back").check()
    page.locator("#privacy-send").click()
    page.wait_for_selector("#privacy-sent", timeout=20_000)
    assert page.locator("#privacy-warning").count() == 0
    _wait_for(lambda: CallbackRequest.objects.filter(conversation=conversation).exists(), "no cb")
    sent = Message.objects.get(
        conversation=conversation, direction=Direction.OUTBOUND, author=people["agent"].agent
    )
    assert sent.body.startswith("Dank u voor uw bericht.")

    boss = browser.new_context(
        base_url=live_app.url, locale="nl-NL", viewport={"width": 1366, "height": 768}
    )
    try:
        second = boss.new_page()
        log_in(second, people["supervisor"])
        second.goto("/privacy/terugbellen/")
        assert second.locator("#callback-list tbody tr").count() == 1
        assert_accessible(second, "call-back requests")
    finally:
        boss.close()
