"""Reading a sealed original in a real browser: a citizen sends a BSN over WhatsApp (a signed
webhook from the Graph simulator); the scan masks it; the supervisor opens "Origineel tonen"
with the keyboard, gives a reason and sees the original in place; the agent sees no button.
axe-core finds nothing serious with the form open and with the original shown."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import transaction

from balie.audit.models import AuditEntry
from balie.conversations.actions import do_assign
from balie.conversations.actions.status import lock_conversation
from balie.conversations.models import Conversation, Direction, Message
from balie.privacy.models import SealedOriginal
from tests.browser.conftest import (  # the browser tests' fixtures, reused
    Person,
    browser,
    context,
    live_app,
    log_in,
    organisation,
    page,
    people,
    wa_simulator,
    wait_live,
)
from tests.browser.test_accessibility import assert_accessible

__all__ = ["browser", "context", "live_app", "organisation", "page", "people", "wa_simulator"]

NUMBER = "31612399078"
TEXT = "Goedemiddag, mijn BSN is 111222333. Groet, Anouk"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must"),  # whitenoise under ASGI
]


def _wait_for(check: Any, what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"{what} after {timeout} s")


def test_supervisor_reads_the_original_in_place_and_the_agent_cannot(
    browser: Any, live_app: Any, page: Any, people: dict[str, Person], wa_simulator: Any
) -> None:
    """Masked on receipt; the supervisor's reason goes to the audit trail and the original
    replaces the button; the agent's page has no button; axe finds nothing serious."""
    wa_simulator.citizen(NUMBER, "Anouk Visser").text(TEXT)
    conversation = _wait_for(
        lambda: Conversation.objects.filter(party__addresses__value__contains=NUMBER).first(),
        "no conversation",
    )
    message = _wait_for(
        lambda: Message.objects.filter(
            conversation=conversation, direction=Direction.INBOUND, body__contains="•"
        ).first(),
        "not masked",
    )
    assert SealedOriginal.objects.filter(message=message).exists()

    log_in(page, people["supervisor"])
    page.goto(f"/gesprekken/{conversation.pk}/")
    wait_live(page)
    assert "111222333" not in page.content()
    summary = page.locator(f"#message-{message.pk}-unseal summary")
    summary.focus()
    page.keyboard.press("Enter")  # a <details> opens with the keyboard
    reason = page.locator(f"#message-{message.pk}-unseal-reason")
    reason.wait_for(state="visible")
    assert_accessible(page, "privacy-unseal-form")
    reason.fill("Burger maakt bezwaar tegen de behandeling")
    reason.press("Enter")
    original = page.locator(f"#message-{message.pk}-original")
    original.wait_for()
    assert "111222333" in original.inner_text()
    assert_accessible(page, "privacy-unseal-shown")
    # a live refresh of the timeline (any event) keeps what the supervisor opened
    with page.expect_response(lambda r: "/live/" in r.url):
        page.evaluate("document.body.dispatchEvent(new CustomEvent('balie:conversation'))")
    page.wait_for_timeout(300)
    assert "111222333" in page.locator(f"#message-{message.pk}-original").inner_text()
    entry = AuditEntry.objects.get(action="privacy.unseal", result="success")
    assert entry.detail == {"reason": "Burger maakt bezwaar tegen de behandeling"}

    with transaction.atomic():
        do_assign(lock_conversation(conversation.pk), people["agent"].agent, reason="test")
    page.context.clear_cookies()
    log_in(page, people["agent"])
    page.goto(f"/gesprekken/{conversation.pk}/")
    assert page.locator(f"#message-{message.pk}-body").count() == 1
    assert page.locator(".balie-unseal").count() == 0
    assert "111222333" not in page.content()
