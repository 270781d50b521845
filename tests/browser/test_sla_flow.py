"""Service levels in the browser: the inbox row's due time and state, accessible, and a breach
pushed live by the sweep (the row turns to "te laat" without a reload)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from balie.core import clock
from balie.sla.handlers import sweep
from balie.sla.models import Clock, Policy
from tests import factories
from tests.browser.conftest import Person, log_in, screenshot, wait_live
from tests.browser.test_accessibility import assert_accessible
from tests.helpers import receive


def test_a_breach_reaches_the_open_inbox_live(
    page: Any, people: dict[str, Person], organisation: Any
) -> None:
    """On time first (icon and words), overdue after the sweep; axe finds nothing serious."""
    Policy.objects.create(
        organisation=organisation, name="Chat", first_response={"wall_minutes": 30}
    )
    channel = factories.ChannelFactory(organisation=organisation, key="formulier", kind="api")
    conversation_id = receive(channel, "Wanneer is het gemeentehuis open?").message.conversation_id
    for _ in range(50):  # the worker starts the clock
        if Clock.objects.filter(conversation_id=conversation_id, due_at__isnull=False).exists():
            break
        time.sleep(0.1)
    log_in(page, people["supervisor"])
    page.goto("/gesprekken/?view=all&sort=due")
    wait_live(page)
    row = page.locator(f"#row-{conversation_id}")
    row.get_by_text("uiterlijk").wait_for()
    assert_accessible(page, "inbox with due times")
    # thirty minutes later, as far as the clock is concerned
    later = clock.now() - timedelta(minutes=1)
    Clock.objects.filter(conversation_id=conversation_id).update(
        due_at=later, warn_at=later - timedelta(minutes=6)
    )
    assert sweep() == 1
    page.locator(f"#row-{conversation_id}").get_by_text("te laat sinds").wait_for()
    screenshot(page, "inbox-sla-breached")
    assert_accessible(page, "inbox with an overdue conversation")
