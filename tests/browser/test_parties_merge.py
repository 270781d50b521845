"""The merge page in Chromium, by keyboard alone: from the suggestion to the confirmation,
choosing the party to keep, typing the reason, merging; axe-core finds nothing serious on the
list or the confirmation. (Here, not in tests/parties: the browser fixture is this package's,
closed when its tests are done.)"""

from __future__ import annotations

from typing import Any

import pytest

from tests import factories
from tests.browser.conftest import Person, log_in
from tests.browser.test_accessibility import assert_accessible
from tests.parties.conftest import call, whatsapp

pytestmark = pytest.mark.slow


def _tab_to(page: Any, element_id: str, limit: int = 60) -> None:
    """Press Tab until the element has the focus (fail after ``limit`` presses)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} never got the focus by Tab")


def test_a_supervisor_merges_by_keyboard_and_axe_finds_nothing_serious(
    page: Any,
    people: dict[str, Person],
    organisation: Any,
) -> None:
    """Tab to Samenvoegen, Enter; choose the caller to keep with the arrow key; type a
    reason; Enter merges; the merge is listed with its undo."""
    wa = factories.ChannelFactory(organisation=organisation, kind="whatsapp", key="wa")
    pbx = factories.ChannelFactory(organisation=organisation, kind="phone", key="pbx")
    chat = whatsapp(wa, "31612345678", name="Jan Appers")
    caller = call(pbx, "06-12345678")
    log_in(page, people["supervisor"])
    page.goto("/partijen/samenvoegen/")
    assert page.locator("#merge-suggestions").inner_text().count("+316*****678") == 1
    assert_accessible(page, "merge suggestions")
    _tab_to(page, f"merge-{chat.pk}-{caller.pk}")
    page.keyboard.press("Enter")
    page.wait_for_url("**/bevestigen/**")
    assert_accessible(page, "merge confirmation")
    _tab_to(page, f"keep-{chat.pk}")
    page.keyboard.press("ArrowDown")  # the radio group: the second party, the caller
    assert page.evaluate("document.activeElement.id") == f"keep-{caller.pk}"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "merge-reason"
    page.keyboard.type("Zelfde nummer; belde na het WhatsApp-bericht")
    _tab_to(page, "merge-submit", limit=3)
    page.keyboard.press("Enter")
    page.wait_for_url("**/partijen/samenvoegen/")
    status = page.locator("main [role=status]").first.inner_text()
    assert "samengevoegd" in status.lower()
    assert page.locator("#merge-history").inner_text().count("Zelfde nummer") == 1
    chat.refresh_from_db()
    assert chat.merged_into_id == caller.pk
    assert_accessible(page, "merge page after a merge")
