"""The workspace in a real browser: logging in, a WhatsApp message arriving live in the open
inbox, the offline notice when the socket drops, and the keyboard alone."""

from __future__ import annotations

import time
from typing import Any

from balie.conversations.models import Conversation
from tests.browser.conftest import LiveApp, Person, log_in, screenshot, wait_live

#: the text of an element, without surrounding whitespace
TEXT = "(el) => el.textContent.trim()"


def _wait_for_row(page: Any, conversation_id: int) -> Any:
    row = page.locator(f"#row-{conversation_id}")
    row.wait_for(state="visible")
    return row


def _conversation_of(wa_id: str, timeout: float = 15.0) -> Conversation:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = Conversation.objects.filter(party__addresses__value__contains=wa_id).first()
        if found is not None:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no conversation for {wa_id} after {timeout} s")


def test_logging_in_through_the_form_leads_to_the_inbox(page: Any, people: dict[str, Person]):
    """The login form takes a username and password and opens the agent's inbox in Dutch."""
    page.goto("/")
    assert "/accounts/login/" in page.url
    log_in(page, people["agent"])
    assert page.url.endswith("/gesprekken/")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.locator(".balie-user").inner_text().startswith("Sanne de Boer")
    wait_live(page)
    screenshot(page, "inbox-empty")


def test_wrong_password_keeps_the_person_on_the_form(page: Any, people: dict[str, Person]):
    """A wrong password shows the error on the form, tied to the fields, without logging in."""
    page.goto("/accounts/login/")
    page.fill("#id_username", people["agent"].username)
    page.fill("#id_password", "niet-het-wachtwoord")
    page.click("main form button[type=submit]")
    page.locator("#login-error").wait_for()
    assert "/accounts/login/" in page.url
    assert page.locator("#id_password").get_attribute("aria-invalid") == "true"
    assert page.locator("#id_username").get_attribute("aria-describedby") == "login-error"


def test_a_whatsapp_message_appears_live_in_the_open_inbox(
    page: Any, people: dict[str, Person], wa_simulator: Any
):
    """A citizen's WhatsApp message, posted as a signed webhook, shows up in the open list
    without a reload: the row appears, the view's count goes up, the polite region says so."""
    log_in(page, people["agent"])
    page.goto("/gesprekken/?view=unassigned")
    wait_live(page)
    count = page.locator("#count-unassigned")
    assert count.evaluate(TEXT) == "0"
    page.evaluate("window.__notReloaded = true")

    fatima = wa_simulator.citizen("31612345678", "Fatima el Amrani")
    fatima.text("Mijn paspoort is gestolen, wat nu?")
    assert fatima.last_response.status_code == 200
    conversation = _conversation_of("31612345678")

    row = _wait_for_row(page, conversation.pk)
    assert "Fatima el Amrani" in row.inner_text()
    assert "WhatsApp" in row.inner_text()
    page.wait_for_function(
        "() => document.getElementById('count-unassigned').textContent.trim() == '1'"
    )
    page.wait_for_function(
        "() => document.getElementById('announcer').textContent.includes('Nieuw bericht ontvangen')"
    )
    assert page.locator("#announcer").get_attribute("aria-live") == "polite"
    assert page.evaluate("window.__notReloaded") is True, "the page was reloaded"
    screenshot(page, "inbox-live-arrival")

    jan = wa_simulator.citizen("31687654321", "Jan de Vries")
    jan.text("Wanneer wordt het grofvuil opgehaald?")
    second = _conversation_of("31687654321")
    _wait_for_row(page, second.pk)
    page.wait_for_function(
        "() => document.getElementById('count-unassigned').textContent.trim() == '2'"
    )
    assert page.evaluate("window.__notReloaded") is True


def test_the_offline_notice_shows_while_the_socket_is_down(
    page: Any, people: dict[str, Person], live_app: LiveApp
):
    """When the server goes away the page says it is reconnecting; when it is back the notice
    goes, without a reload, and what was missed is fetched again."""
    log_in(page, people["agent"])
    wait_live(page)
    notice = page.locator("#connection-status")
    assert notice.evaluate(TEXT) == ""
    assert notice.get_attribute("role") == "status"
    page.evaluate("window.__notReloaded = true")

    live_app.stop()
    page.wait_for_selector("body[data-live='no']", state="attached")
    page.wait_for_function(
        "() => document.getElementById('connection-status').textContent"
        ".includes('opnieuw verbinden')"
    )
    screenshot(page, "inbox-offline")

    live_app.start()
    wait_live(page)
    page.wait_for_function("() => document.getElementById('connection-status').textContent === ''")
    page.wait_for_function(
        "() => document.getElementById('announcer').textContent.includes('Verbinding hersteld')"
    )
    assert page.evaluate("window.__notReloaded") is True
