"""An e-mail conversation in a real browser: the folded quote, signature and formatted e-mail
open with the keyboard, the composer names the reply's subject; axe-core finds nothing serious."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from balie.channels.email.intake import RawMail, ingest_batch
from balie.channels.email.samples import build
from balie.conversations.actions import do_assign
from balie.conversations.actions.status import lock_conversation
from balie.conversations.models import Message
from tests import factories
from tests.browser.conftest import Person, log_in, wait_live
from tests.browser.test_accessibility import assert_accessible


def test_email_message_reads_and_passes_axe(page: Any, people: dict[str, Person], organisation):
    """The citizen's words first; quote and signature folded and opened with Enter; no serious
    axe violation with everything open."""
    channel = factories.ChannelFactory(
        organisation=organisation, key="post", kind="email", settings={"address": "b@g.example"}
    )
    ingest_batch(
        channel,
        [
            RawMail(
                build(
                    message_id="<br1@burger.example>",
                    subject="Verhuizing",
                    body="Ik ben verhuisd, hoe geef ik dat door?\n\n-- \nJan de Vries\n\n"
                    "Op 2 nov. 2026 schreef Gemeente:\n> Eerdere vraag",
                    html="<p>Ik ben <b>verhuisd</b>, hoe geef ik dat door?</p>",
                )
            )
        ],
    )
    message = Message.objects.get(provider_id="<br1@burger.example>")
    with transaction.atomic():
        do_assign(lock_conversation(message.conversation_id), people["agent"].agent)
    log_in(page, people["agent"])
    page.goto(f"/gesprekken/{message.conversation_id}/")
    wait_live(page)
    quote = page.locator(".balie-mail__part summary", has_text="Geciteerde tekst tonen")
    quote.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.balie-mail__part')].some((d) => d.open)"
    )
    closed = page.locator(".balie-mail__part:not([open]) > summary")
    while closed.count():
        closed.first.click()
    assert "Eerdere vraag" in page.inner_text(".balie-mail")
    assert f"Re: Verhuizing [#B-{message.conversation_id}]" in page.content()
    assert_accessible(page, "e-mail conversation")
