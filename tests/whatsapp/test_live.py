"""End to end over real HTTP both ways: simulated citizens post signed webhooks to a live
Balie, Balie's outbox calls the simulated Graph API, reports come back as webhooks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from balie.channels.simulators.whatsapp import WhatsAppSimulator
from balie.conversations.actions import check_send_reply
from balie.conversations.models import Attachment, Direction, Message
from balie.core.worker import run_ready_tasks
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live(live_server, organisation) -> Iterator[tuple[WhatsAppSimulator, object]]:  # type: ignore[no-untyped-def]
    """A simulator aimed at the live server's webhook, and its channel."""
    channel = factories.ChannelFactory(organisation=organisation, key="wa-live", kind="whatsapp")
    sim = WhatsAppSimulator(webhook_url=f"{live_server.url}/webhooks/whatsapp/wa-live/").start()
    sim.configure(channel)
    yield sim, channel
    sim.stop()


def test_citizen_conversation_round_trip(live, agent):
    """Text, photo and a retried duplicate arrive once; the reply and its read report return."""
    sim, _ = live
    fatima = sim.citizen("31612345678", "Fatima el Amrani")
    wamid = fatima.text("Mijn paspoort is gestolen, wat nu?")
    assert fatima.last_response.status_code == 200
    fatima.media("image", b"\xff\xd8\xff proces-verbaal", "image/jpeg", caption="Aangifte")
    fatima.send(fatima.build("text", {"body": "Mijn paspoort is gestolen, wat nu?"}, wamid=wamid))
    run_ready_tasks()
    inbound = Message.objects.filter(direction=Direction.INBOUND).order_by("pk")
    assert [m.body for m in inbound] == ["Mijn paspoort is gestolen, wat nu?", "Aangifte"]
    assert Attachment.objects.get().size == len(b"\xff\xd8\xff proces-verbaal")
    question = inbound[0]
    reply = check_send_reply(
        question.conversation_id, agent, "Doe aangifte.", reply_to_id=question.pk
    )
    run_ready_tasks()
    sent = next(s for s in sim.sent if s.get("text", {}).get("body") == "Doe aangifte.")
    assert sent["context"] == {"message_id": wamid}
    assert sim.status(sent["_wamid"], "31612345678", "read").status_code == 200
    run_ready_tasks()
    reply.refresh_from_db()
    assert reply.delivery_status == "read"


def test_bad_requests_over_http_are_never_5xx(live):
    """Unsigned, wrongly signed, malformed and wrongly typed posts get 401/403/400/415."""
    import httpx

    sim, _ = live
    url = sim.webhook_url
    json_type = {"Content-Type": "application/json"}
    assert httpx.post(url, content=b"{}", headers=json_type).status_code == 401
    bad = {**json_type, "X-Hub-Signature-256": "sha256=00"}
    assert httpx.post(url, content=b"{}", headers=bad).status_code == 403
    assert sim.post_webhook({}, body=b"{not json").status_code == 400
    form = {"Content-Type": "text/plain", "X-Hub-Signature-256": "sha256=00"}
    assert httpx.post(url, content=b"{}", headers=form).status_code == 415
    assert not Message.objects.exists()
