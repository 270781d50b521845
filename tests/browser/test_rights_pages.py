"""The privacy pages in a real browser: axe-core finds nothing serious or critical on the
rights page of a party (supervisor, administrator) nor on the register (administrator)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Person, log_in, wait_live
from tests.browser.test_accessibility import assert_accessible, conversation  # noqa: F401


@pytest.mark.parametrize("role", ["supervisor", "administrator"])
def test_the_rights_page_has_no_serious_accessibility_problems(
    page: Any,
    people: dict[str, Person],
    conversation: Any,  # noqa: F811 (the fixture imported above)
    role: str,
):
    """The party's page with its messages and the erasure form passes axe-core."""
    log_in(page, people[role])
    response = page.goto(f"/privacy/partijen/{conversation.party_id}/")
    assert response.status == 200
    page.wait_for_load_state("load")
    wait_live(page)
    assert page.locator("text=Mijn paspoort is gestolen").count() >= 1
    assert_accessible(page, f"rights page as {role}")


def test_the_register_page_has_no_serious_accessibility_problems(
    page: Any,
    people: dict[str, Person],
    conversation: Any,  # noqa: F811
):
    """The register of processing activities passes axe-core."""
    log_in(page, people["administrator"])
    response = page.goto("/privacy/register/")
    assert response.status == 200
    page.wait_for_load_state("load")
    assert_accessible(page, "register")
