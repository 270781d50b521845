"""Sending through the outbox to the Graph API simulator over real HTTP: replies, templates,
media, read receipts, and the 24-hour window with a frozen clock."""

from __future__ import annotations

import pytest

from balie.channels.whatsapp.templates import (
    check_send_media,
    check_send_template,
    register_template,
    reply_options,
)
from balie.conversations.actions import check_send_reply
from balie.core.errors import InvalidInput, WorkflowViolation
from tests.whatsapp.helpers import last_inbound

T0 = "2026-03-02 09:00:00+00:00"


def _assign(conversation, agent):  # type: ignore[no-untyped-def]
    """Give the conversation to ``agent``: files go out only from its assignee."""
    from django.db import transaction

    from balie.conversations.actions import do_assign
    from balie.conversations.actions.status import lock_conversation

    with transaction.atomic():
        do_assign(lock_conversation(conversation.pk), agent, reason="test")


@pytest.fixture
def conversation(deliver, time_machine):  # type: ignore[no-untyped-def]
    """A conversation opened by a citizen's text at T0 (the clock is frozen there)."""
    time_machine.move_to(T0, tick=False)
    deliver("text")
    return last_inbound().conversation


def test_reply_is_sent_with_context_and_recorded(conversation, agent, simulator, run_tasks):
    """An agent's reply to a specific message goes out with context and gets the wamid."""
    question = last_inbound()
    reply = check_send_reply(conversation.pk, agent, "Dat kan online.", reply_to_id=question.pk)
    run_tasks()
    sent = simulator.sent[-1]
    assert sent["to"] == "31612345678"
    assert sent["type"] == "text"
    assert sent["text"] == {"preview_url": False, "body": "Dat kan online."}
    assert sent["context"] == {"message_id": question.provider_id}
    assert sent["biz_opaque_callback_data"] == str(reply.uuid)
    reply.refresh_from_db()
    assert (reply.provider_id, reply.delivery_status) == (sent["_wamid"], "sent")


def test_window_open_until_24_hours_after_the_last_inbound(conversation, agent, time_machine):
    """A free-form reply is allowed 23h59m after the citizen wrote."""
    time_machine.shift(24 * 3600 - 60)
    check_send_reply(conversation.pk, agent, "Nog op tijd.")


def test_window_closed_after_24_hours_names_the_templates(conversation, agent, time_machine):
    """After 24 hours a free-form reply is refused with the reason and the approved templates."""
    register_template(
        conversation.channel, "afspraak_herinnering", "nl", body="x", status="APPROVED"
    )
    register_template(conversation.channel, "in_review", "nl", body="x")
    time_machine.shift(24 * 3600 + 1)
    with pytest.raises(WorkflowViolation) as refused:
        check_send_reply(conversation.pk, agent, "Te laat.")
    assert refused.value.code == "whatsapp_window_closed"
    assert "afspraak_herinnering" in refused.value.message
    assert "in_review" not in refused.value.message
    options = reply_options(conversation, conversation.last_inbound_at.replace(year=2027))
    assert not options.free_form
    assert [t.name for t in options.templates] == ["afspraak_herinnering"]


def test_citizen_writing_again_reopens_the_window(conversation, agent, time_machine, deliver):
    """A new inbound message resets the 24 hours."""
    time_machine.shift(30 * 3600)
    deliver("reply")
    check_send_reply(conversation.pk, agent, "Weer binnen het venster.")


def test_template_is_sent_outside_the_window(
    conversation, agent, simulator, time_machine, run_tasks
):
    """An approved template with parameters goes out outside the window, rendered for the agent."""
    template = register_template(
        conversation.channel,
        "afspraak_herinnering",
        "nl",
        body="Beste {{1}}, uw afspraak is op {{2}}.",
        status="APPROVED",
    )
    time_machine.shift(48 * 3600)
    message = check_send_template(conversation.pk, agent, template.pk, ["Fatima", "3 maart"])
    assert message.body == "Beste Fatima, uw afspraak is op 3 maart."
    run_tasks()
    sent = simulator.sent[-1]
    assert sent["type"] == "template"
    assert sent["template"] == {
        "name": "afspraak_herinnering",
        "language": {"code": "nl"},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "Fatima"},
                    {"type": "text", "text": "3 maart"},
                ],
            }
        ],
    }


def test_template_needs_approval_and_all_parameters(conversation, agent):
    """A template not approved, or with missing parameters, is refused before queueing."""
    pending = register_template(conversation.channel, "nieuw", "nl", body="{{1}}")
    with pytest.raises(InvalidInput):
        check_send_template(conversation.pk, agent, pending.pk, ["x"])
    approved = register_template(
        conversation.channel, "ok", "nl", body="{{1}} {{2}}", status="APPROVED"
    )
    with pytest.raises(InvalidInput):
        check_send_template(conversation.pk, agent, approved.pk, ["alleen één"])


def test_media_is_uploaded_then_sent_by_id(conversation, agent, simulator, run_tasks):
    """A file goes to the Graph API media endpoint first and is then sent by its id."""
    pdf = b"%PDF-1.4 formulier"
    check_send_media(
        conversation.pk,
        agent,
        data=pdf,
        filename="formulier.pdf",
        content_type="application/pdf",
        caption="Het formulier",
    )
    run_tasks()
    sent = simulator.sent[-1]
    assert sent["type"] == "document"
    document = sent["document"]
    assert (document["filename"], document["caption"]) == ("formulier.pdf", "Het formulier")
    stored = simulator.state.media[document["id"]]
    assert (stored.data, stored.mime_type) == (pdf, "application/pdf")


def test_media_refuses_types_whatsapp_does_not_take(conversation, agent):
    """An executable is refused before it reaches the outbox."""
    with pytest.raises(InvalidInput):
        check_send_media(
            conversation.pk,
            agent,
            data=b"MZ",
            filename="x.exe",
            content_type="application/x-msdownload",
        )


def test_read_receipts_are_off_by_default(conversation, simulator):
    """Without the channel setting, Balie never marks a citizen's message read."""
    assert simulator.state.read_receipts == []


def test_read_receipts_when_the_channel_turns_them_on(wa_channel, deliver, simulator):
    """With read_receipts on, each new inbound message is marked read once."""
    wa_channel.settings = {**wa_channel.settings, "read_receipts": True}
    wa_channel.save()
    deliver("text")
    deliver("text")
    assert simulator.state.read_receipts == [last_inbound().provider_id]


def test_an_agent_sends_a_file_through_the_api(
    conversation, agent, api_client, simulator, run_tasks
):
    """POST …/files/ (multipart) queues the file; the outbox uploads it and sends it by id."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    _assign(conversation, agent)  # only the assignee (or a supervisor) sends files

    pdf = b"%PDF-1.4 aanvraagformulier"
    upload = SimpleUploadedFile("aanvraag.pdf", pdf, content_type="application/pdf")
    response = api_client.post(
        f"/api/v1/conversations/{conversation.pk}/files/",
        {"file": upload, "caption": "Het formulier"},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    run_tasks()
    sent = simulator.sent[-1]
    assert (sent["type"], sent["document"]["caption"]) == ("document", "Het formulier")
    assert simulator.state.media[sent["document"]["id"]].data == pdf


def test_the_api_refuses_files_whatsapp_does_not_take(conversation, agent, api_client):
    """An executable is answered 400 with the reason; nothing is queued."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from balie.conversations.models import Message

    _assign(conversation, agent)

    before = Message.objects.count()
    upload = SimpleUploadedFile("x.exe", b"MZ", content_type="application/x-msdownload")
    response = api_client.post(
        f"/api/v1/conversations/{conversation.pk}/files/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "media_type"
    assert Message.objects.count() == before
