"""One klantcontact per call: the call's end records it, the after-call form completes it."""

from __future__ import annotations

import pytest

from balie.channels.phone.models import Call
from balie.channels.phone.wrapup import check_wrap_up_call
from balie.conversations.models import Conversation, Klantcontact, Message
from balie.core.errors import WorkflowViolation
from tests import factories
from tests.phone.conftest import CALLER, EVENTS, TASKS, pbx_post

pytestmark = pytest.mark.django_db
FORM = {"topic": "paspoort", "note": "Paspoort verlopen, afspraak gemaakt", "outcome": "succeeded"}


@pytest.fixture
def piet(phone, passport, make_agent):  # type: ignore[no-untyped-def]
    """The one agent who takes phone calls about passports."""
    return make_agent("piet", skills={passport: 3}, channels={"phone": 1})


def _call(client, call_id: str, *events: str) -> Conversation:  # type: ignore[no-untyped-def]
    """A call from the PBX, then its events; the call's conversation."""
    task = {"call_id": call_id, "caller": CALLER, "language": "nl", "topic": "paspoort"}
    assert pbx_post(client, TASKS, task).status_code == 200
    for event in events:
        assert pbx_post(client, EVENTS, {"call_id": call_id, "event": event}).status_code == 200
    return Call.objects.get(call_id=call_id).conversation


def _form(client, agent, conversation, **fields: str):  # type: ignore[no-untyped-def]
    """The after-call form through the workspace, as the agent."""
    client.force_login(agent.user)
    return client.post(
        f"/gesprekken/{conversation.pk}/nawerk/", {**FORM, **fields}, HTTP_HX_REQUEST="true"
    )


def test_the_form_completes_the_klantcontact_the_call_end_recorded(piet, client, events):
    """Answered, ended, then the form: one klantcontact, with the agent's note and outcome."""
    conversation = _call(client, "c1", "answered", "ended")
    recorded = Klantcontact.objects.get(conversation=conversation)
    assert (recorded.inhoud, recorded.indicatie_contact_gelukt) == ("", False)
    assert Call.objects.get().klantcontact == recorded
    response = _form(client, piet, conversation)
    assert response.status_code == 200
    record = Klantcontact.objects.get(conversation=conversation)
    assert record.pk == recorded.pk
    assert (record.inhoud, record.indicatie_contact_gelukt, record.agent) == (
        FORM["note"],
        True,
        piet,
    )
    assert record.onderwerp == conversation.topic.name
    assert Call.objects.get().wrapped_up_at is not None
    (completed,) = events.named("klantcontact_completed")
    assert completed.to_payload() == {
        "klantcontact_id": record.pk,
        "conversation_id": conversation.pk,
    }
    assert Message.objects.filter(conversation=conversation, direction="note").count() == 1


def test_the_form_during_the_call_records_it_and_the_end_records_none(piet, client):
    """A form sent before the caller hangs up resolves with its content; the end adds none."""
    conversation = _call(client, "c1", "answered")
    assert _form(client, piet, conversation, outcome="failed").status_code == 200
    record = Klantcontact.objects.get(conversation=conversation)
    assert (record.inhoud, record.indicatie_contact_gelukt) == (FORM["note"], False)
    pbx_post(client, EVENTS, {"call_id": "c1", "event": "ended"})
    assert Klantcontact.objects.filter(conversation=conversation).count() == 1
    call = Call.objects.get()
    assert (call.klantcontact, call.talk_s is not None) == (record, True)


def test_a_second_form_for_the_same_call_is_refused(piet, client):
    """The form completes a call's klantcontact once; a second one is a 409 and changes nothing."""
    conversation = _call(client, "c1", "answered", "ended")
    assert _form(client, piet, conversation).status_code == 200
    again = _form(client, piet, conversation, note="Toch iets anders", outcome="failed")
    assert again.status_code == 409
    assert "al verstuurd" in again.content.decode()
    record = Klantcontact.objects.get(conversation=conversation)
    assert (record.inhoud, record.indicatie_contact_gelukt) == (FORM["note"], True)
    assert Message.objects.filter(conversation=conversation, direction="note").count() == 1


def test_each_call_of_a_conversation_has_its_own_klantcontact(piet, client, run_tasks):
    """A repeat caller's second call gets its own klantcontact; the first one is left alone."""
    conversation = _call(client, "c1", "answered", "ended")
    _form(client, piet, conversation, note="Eerste gesprek")
    run_tasks()
    assert _call(client, "c2", "answered", "ended") == conversation
    assert _form(client, piet, conversation, note="Tweede gesprek").status_code == 200
    notes = dict(Call.objects.values_list("call_id", "klantcontact__inhoud"))
    assert notes == {"c1": "Eerste gesprek", "c2": "Tweede gesprek"}
    assert Klantcontact.objects.filter(conversation=conversation).count() == 2
    run_tasks()


def test_an_abandoned_repeat_call_does_not_overwrite_the_earlier_klantcontact(piet, client):
    """The form on a call that recorded nothing records its own, not the earlier call's."""
    conversation = _call(client, "c1", "answered", "ended")
    _form(client, piet, conversation, note="Eerste gesprek")
    _call(client, "c2", "abandoned")
    record = check_wrap_up_call(
        conversation.pk, piet, topic_code="", note="Opgehangen", succeeded=False
    )
    first, second = (Call.objects.get(call_id=c).klantcontact for c in ("c1", "c2"))
    assert second == record
    assert (first.inhoud, second.inhoud) == ("Eerste gesprek", "Opgehangen")  # type: ignore[union-attr]
    assert Klantcontact.objects.filter(conversation=conversation).count() == 2


def test_a_conversation_that_is_no_call_has_no_form(org, make_agent):
    """Only a phone conversation takes the after-call form."""
    agent = make_agent("kees")
    conversation = factories.ConversationFactory(
        organisation=org, assignee=agent, status="assigned"
    )
    with pytest.raises(WorkflowViolation) as refused:
        check_wrap_up_call(conversation.pk, agent, topic_code="", note="x", succeeded=True)
    assert refused.value.code == "not_phone"
    assert not Klantcontact.objects.exists()


def test_the_form_takes_few_queries(piet, client, django_assert_max_num_queries):
    """Completing a call's klantcontact is a handful of queries, however long the call."""
    conversation = _call(client, "c1", "answered", "ended")
    with django_assert_max_num_queries(40):
        check_wrap_up_call(
            conversation.pk, piet, topic_code="paspoort", note="Kort", succeeded=True
        )


def test_an_unknown_topic_or_empty_note_changes_nothing(piet, client):
    """A form with an unknown topic or without a note is refused whole: no note, no record."""
    conversation = _call(client, "c1", "answered", "ended")
    assert _form(client, piet, conversation, topic="onbekend").status_code == 400
    assert _form(client, piet, conversation, note="   ").status_code == 400
    record = Klantcontact.objects.get(conversation=conversation)
    assert (record.inhoud, record.agent) == ("", piet)
    assert Call.objects.get().wrapped_up_at is None
    assert not Message.objects.filter(conversation=conversation, direction="note").exists()
