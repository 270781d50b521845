"""The conduct procedure in a real browser with two people: the agent names, warns, announces
and asks to block a citizen who writes abusively on WhatsApp; the supervisor, in their own
browser context, confirms (four eyes); the citizen's next message is closed unanswered; the
supervisor lifts the block on /gedrag/ and the citizen is routed again. axe-core on each page."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import transaction
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from balie.conduct.models import Block, BlockState
from balie.conversations.actions import do_assign
from balie.conversations.actions.status import lock_conversation
from balie.conversations.models import Conversation
from tests.browser.conftest import Person, log_in, screenshot, wait_live
from tests.browser.test_accessibility import assert_accessible

NUMBER = "31612399001"


def _wait_for(check: Any, what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"{what} after {timeout} s")


def _conversations() -> list[Conversation]:
    return list(
        Conversation.objects.filter(party__addresses__value__contains=NUMBER).order_by("pk")
    )


def _open_step(page: Any, step: str) -> None:
    """Open the panel and the step's part (a live refresh may have closed them)."""
    page.evaluate(
        """(s) => {
          document.querySelector('#conduct').open = true;
          document.querySelector('#conduct-step-' + s).open = true;
        }""",
        step,
    )


def _click(page: Any, step: str, selector: str, fill: dict[str, str] | None = None) -> None:
    """Fill and click in the step's part; a live refresh of the sidebar may swap it away
    meanwhile (and empty what was filled): then again."""
    for _ in range(5):
        _open_step(page, step)
        try:
            for field, value in (fill or {}).items():
                page.fill(field, value, timeout=3000)
            page.locator(selector).click(timeout=3000)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"could not click {selector}")


def _step(page: Any, step: str) -> None:
    """Take the step from the panel; wait for it in the history."""
    before = page.locator("#conduct-history li").count()
    _click(page, step, f"#conduct-do-{step}")
    page.wait_for_function(
        "([n]) => document.querySelectorAll('#conduct-history li').length > n", arg=[before]
    )


@pytest.mark.slow
def test_the_whole_procedure_with_four_eyes(
    browser: Any, live_app: Any, page: Any, people: dict[str, Person], wa_simulator: Any
):
    """Name, warn, announce, ask; the asker has no confirm button; the supervisor confirms in a
    second context; blocked messages close unanswered; lifted, the citizen routes again."""
    citizen = wa_simulator.citizen(NUMBER, "Boze Burger")
    citizen.text("Jullie zijn een stelletje idioten, ik maak jullie kapot!")
    conversation = _wait_for(_conversations, "no conversation")[0]
    with transaction.atomic():
        do_assign(lock_conversation(conversation.pk), people["agent"].agent, reason="test")

    log_in(page, people["agent"])
    page.goto(f"/gesprekken/{conversation.pk}/")
    wait_live(page)
    # the text analysis flags the message (a handler on receipt): it shows with its words
    for _ in range(50):
        if page.locator("#conduct-flagged input[type=checkbox]").count():
            break
        time.sleep(0.3)
        page.reload()
    assert page.locator("#conduct-flagged input[type=checkbox]").count() == 1
    assert "idioten" in page.locator("#conduct-flagged").inner_text()
    assert_accessible(page, "conversation with the conduct panel")

    for step in ("name", "warn", "announce"):
        _step(page, step)
    assert "blokkeren" in page.locator(".balie-msg--out").last.inner_text()  # the announcement
    reason = {"#conduct-reason": "Bleef schelden en dreigen na de waarschuwing"}
    for _ in range(3):  # a refresh between filling and clicking empties the reason: again
        page.wait_for_timeout(1000)  # let the last step's live refreshes settle
        _click(page, "request_block", "#conduct-do-request_block", reason)
        try:
            page.wait_for_selector("#conduct-block", timeout=5000)
            break
        except PlaywrightTimeout:
            continue
    page.wait_for_selector("#conduct-block")
    assert page.locator("#conduct-confirm").count() == 0  # four eyes: not the asker
    screenshot(page, "conduct-asked")

    boss = browser.new_context(
        base_url=live_app.url, locale="nl-NL", viewport={"width": 1366, "height": 768}
    )
    try:
        second = boss.new_page()
        log_in(second, people["supervisor"])
        second.goto("/gedrag/")
        assert second.locator("#conduct-pending tbody tr").count() == 1
        assert_accessible(second, "blocks page, one awaiting confirmation")
        second.goto(f"/gesprekken/{conversation.pk}/")
        wait_live(second)
        second.locator("#conduct").evaluate("el => { el.open = true; }")
        second.locator("#conduct-confirm").click()
        second.wait_for_selector("#conduct-state:has-text('·')")
        block = Block.objects.get()
        assert block.state == BlockState.ACTIVE
        assert block.decided_by_id == people["supervisor"].agent.pk

        # the party's state in the agent's page too (header)
        page.reload()
        assert page.locator("#conduct-state").count() == 1

        citizen.text("Ik blijf jullie lastigvallen")
        blocked = _wait_for(lambda: len(_conversations()) == 2 and _conversations()[1], "no 2nd")
        _wait_for(lambda: Conversation.objects.get(pk=blocked.pk).status == "closed", "not closed")
        assert not blocked.messages.exclude(direction="inbound").exists()

        second.goto("/gedrag/")
        second.fill(f"#lift-reason-{block.pk}", "Excuses aangeboden aan de balie")
        second.locator(f"#lift-{block.pk}").click()
        second.wait_for_selector(f"#active-{block.pk}", state="detached")
        assert_accessible(second, "blocks page after lifting")
        block.refresh_from_db()
        assert block.state == BlockState.LIFTED
    finally:
        boss.close()

    citizen.text("Sorry voor eerder. Wanneer is het gemeentehuis open?")
    _wait_for(
        lambda: (
            Conversation.objects.filter(pk=conversation.pk, last_inbound_at__isnull=False)
            .exclude(status="closed")
            .exists()
            and conversation.messages.filter(body__startswith="Sorry voor eerder").exists()
        ),
        "the unblocked citizen's message did not join their open conversation",
    )
