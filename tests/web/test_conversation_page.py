"""The conversation page: timeline with history, context, paging upwards, live fragments,
transfer, topic/language/labels, resolve and reopen, the after-call form."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from balie.conversations.actions import check_change_status, check_send_reply
from balie.conversations.models import ConversationChange, Direction, Klantcontact, Message
from balie.conversations.workflow import Status
from balie.core import clock
from balie.web import labels
from tests import factories

pytestmark = pytest.mark.django_db


def _agent(organisation, username: str = "sanne", **kwargs):  # type: ignore[no-untyped-def]
    return factories.AgentFactory(
        organisation=organisation, user__username=username, display_name=username.title(), **kwargs
    )


def _mine(organisation, agent, **kwargs):  # type: ignore[no-untyped-def]
    kwargs.setdefault("status", Status.ASSIGNED)
    return factories.ConversationFactory(organisation=organisation, assignee=agent, **kwargs)


def _messages(conversation, count: int) -> None:  # type: ignore[no-untyped-def]
    Message.objects.bulk_create(
        Message(
            conversation=conversation,
            channel_id=conversation.channel_id,
            direction=Direction.INBOUND,
            body=f"bericht {n}",
        )
        for n in range(count)
    )


def test_page_shows_messages_history_and_context(client: Client, organisation) -> None:  # type: ignore[no-untyped-def]
    """Messages, a note, the assignment in words and the party's other conversations appear."""
    agent = _agent(organisation)
    conversation = factories.ConversationFactory(organisation=organisation, status=Status.QUEUED)
    other = factories.ConversationFactory(
        organisation=organisation, party=conversation.party, status=Status.RESOLVED
    )
    factories.DigitalAddressFactory(party=conversation.party, value="burger@example.nl")
    _messages(conversation, 1)
    check_send_reply(conversation.pk, agent, "Wij kijken ernaar")  # assigns it to Sanne
    client.force_login(agent.user)
    html = client.get(f"/gesprekken/{conversation.pk}/").content.decode()
    assert "bericht 0" in html
    assert "Wij kijken ernaar" in html
    assert "wordt verstuurd" in html  # the reply still in the outbox, in Dutch
    assert "balie-msg--system" in html  # the status change, small
    assert f"/gesprekken/{other.pk}/" in html
    assert "burger@example.nl" in html
    assert 'id="composer"' in html


def test_older_messages_load_upwards(client: Client, organisation) -> None:  # type: ignore[no-untyped-def]
    """Beyond one page of messages the page offers the older ones, loaded before the oldest
    shown."""
    from balie.web.views.timeline import PAGE

    agent = _agent(organisation)
    conversation = _mine(organisation, agent)
    _messages(conversation, PAGE + 30)
    client.force_login(agent.user)
    page = client.get(f"/gesprekken/{conversation.pk}/")
    html = page.content.decode()
    assert f"bericht {PAGE + 29}" in html
    assert "bericht 29<" not in html
    assert 'id="older-messages"' in html
    oldest = page.context["timeline"].oldest_id
    older = client.get(f"/gesprekken/{conversation.pk}/ouder/?before={oldest}").content.decode()
    assert "bericht 29<" in older
    assert "bericht 0<" in older
    assert "bericht 30<" not in older
    assert 'id="older-messages"' not in older  # nothing older left
    assert 'id="timeline-from"' in older


def test_live_fragment_keeps_loaded_older_messages_and_no_composer(
    client: Client, organisation
) -> None:  # type: ignore[no-untyped-def]
    """The live refresh swaps header, timeline and sidebar from the oldest loaded message on,
    and never sends the composer (the draft stays)."""
    agent = _agent(organisation)
    conversation = _mine(organisation, agent)
    _messages(conversation, 130)
    first = Message.objects.filter(conversation=conversation).order_by("pk").first()
    client.force_login(agent.user)
    html = client.get(f"/gesprekken/{conversation.pk}/live/?from={first.pk}").content.decode()
    assert "bericht 0<" in html
    assert "bericht 129<" in html
    assert 'hx-swap-oob="innerHTML"' in html
    assert 'id="composer"' not in html


def test_conversation_page_query_count_is_bounded(client: Client, organisation) -> None:  # type: ignore[no-untyped-def]
    """The page costs the same number of queries with 10 messages as with 500."""
    agent = _agent(organisation)
    small, large = _mine(organisation, agent), _mine(organisation, agent)
    _messages(small, 10)
    _messages(large, 500)
    client.force_login(agent.user)
    for warm in (small, large):  # per-process caches (each channel's calendar) filled once
        client.get(f"/gesprekken/{warm.pk}/")
    counts = []
    for conversation in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/gesprekken/{conversation.pk}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[1] < 60


def test_transfer_to_a_team_puts_it_back_in_the_queue(client: Client, organisation) -> None:  # type: ignore[no-untyped-def]
    """An agent hands their conversation to a team: queued, unassigned, history with reason."""
    agent = _agent(organisation)
    team = factories.TeamFactory(organisation=organisation, name="Burgerzaken")
    conversation = _mine(organisation, agent)
    client.force_login(agent.user)
    response = client.post(
        f"/gesprekken/{conversation.pk}/overdragen/",
        {"to": f"team-{team.pk}", "reason": "vraag over paspoort"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/gesprekken/"  # another team's now: back to the list
    conversation.refresh_from_db()
    assert conversation.status == Status.QUEUED
    assert conversation.assignee_id is None
    assert conversation.team_id == team.pk
    change = ConversationChange.objects.get(conversation=conversation, field="team")
    assert change.actor_id == agent.pk
    assert change.reason == "vraag over paspoort"


def test_transfer_needs_a_reason_and_says_so_in_dutch(client: Client, organisation) -> None:  # type: ignore[no-untyped-def]
    """Without a reason the transfer is refused with a Dutch alert; nothing changes."""
    agent = _agent(organisation)
    team = factories.TeamFactory(organisation=organisation)
    conversation = _mine(organisation, agent)
    client.force_login(agent.user)
    response = client.post(
        f"/gesprekken/{conversation.pk}/overdragen/",
        {"to": f"team-{team.pk}", "reason": " "},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert response["HX-Retarget"] == "#transfer-feedback"
    assert "Geef een reden" in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.status == Status.ASSIGNED


def test_supervisor_transfers_to_a_colleague(client: Client, organisation) -> None:  # type: ignore[no-untyped-def]
    """A supervisor gives a colleague's conversation to another agent; the history says so."""
    supervisor = _agent(organisation, "teamleider", is_supervisor=True)
    agent, colleague = _agent(organisation), _agent(organisation, "joost")
    conversation = _mine(organisation, agent)
    client.force_login(supervisor.user)
    response = client.post(
        f"/gesprekken/{conversation.pk}/overdragen/",
        {"to": f"agent-{colleague.pk}", "reason": "Sanne is ziek"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    conversation.refresh_from_db()
    assert conversation.assignee_id == colleague.pk
    html = client.get(f"/gesprekken/{conversation.pk}/").content.decode()
    assert "Joost" in html
    assert "Sanne is ziek" in html


def test_agent_cannot_transfer_someone_elses_conversation(client: Client, organisation) -> None:  # type: ignore[no-untyped-def]
    """An agent who is not its assignee gets 403 with a Dutch alert."""
    agent, owner = _agent(organisation), _agent(organisation, "joost")
    team = factories.TeamFactory(organisation=organisation)
    conversation = _mine(organisation, owner)
    client.force_login(agent.user)
    response = client.post(
        f"/gesprekken/{conversation.pk}/overdragen/",
        {"to": f"team-{team.pk}", "reason": "x"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code in (403, 404)


def test_topic_language_and_labels_are_edited_with_history(client: Client, organisation) -> None:  # type: ignore[no-untyped-def]
    """One form sets topic, language and labels; each change is a history row shown in words."""
    organisation.languages = ["nl", "en"]
    organisation.save()
    agent = _agent(organisation)
    topic = factories.TopicFactory(organisation=organisation, code="paspoort", name="Paspoort")
    conversation = _mine(organisation, agent)
    client.force_login(agent.user)
    response = client.post(
        f"/gesprekken/{conversation.pk}/gegevens/",
        {"topic": "paspoort", "language": "en", "labels": [""], "new_labels": "spoed, Terugbellen"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    conversation.refresh_from_db()
    assert conversation.topic_id == topic.pk
    assert conversation.language == "en"
    names = conversation.labels.values_list("name", flat=True)
    assert sorted(names, key=str.casefold) == ["spoed", "Terugbellen"]
    fields = set(
        ConversationChange.objects.filter(conversation=conversation).values_list("field", flat=True)
    )
    assert fields == {"topic", "language", "labels"}
    html = client.get(f"/gesprekken/{conversation.pk}/").content.decode()
    assert "onderwerp: — → paspoort" in html
    assert "Terugbellen" in html


def test_unserved_language_is_refused(client: Client, organisation) -> None:  # type: ignore[no-untyped-def]
    """A language the organisation does not serve is refused in Dutch."""
    organisation.languages = ["nl"]
    organisation.save()
    agent = _agent(organisation)
    conversation = _mine(organisation, agent)
    client.force_login(agent.user)
    response = client.post(
        f"/gesprekken/{conversation.pk}/gegevens/", {"language": "de"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert "bedient deze taal niet" in response.content.decode()


def test_resolve_and_reopen_follow_the_workflow(client: Client, organisation) -> None:  # type: ignore[no-untyped-def]
    """Resolve moves assigned → resolved (a klantcontact is recorded); reopen moves it back."""
    agent = _agent(organisation)
    conversation = _mine(organisation, agent)
    client.force_login(agent.user)
    assert client.post(f"/gesprekken/{conversation.pk}/status/resolve/").status_code == 302
    conversation.refresh_from_db()
    assert conversation.status == Status.RESOLVED
    assert Klantcontact.objects.filter(conversation=conversation).count() == 1
    response = client.post(f"/gesprekken/{conversation.pk}/status/reopen/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    conversation.refresh_from_db()
    assert conversation.status == Status.ASSIGNED
    assert conversation.assignee_id == agent.pk
    html = client.get(f"/gesprekken/{conversation.pk}/").content.decode()
    resolved = labels.status_label("resolved")
    assert f"→ {resolved}</span> · door Sanne" in html  # who and when, in the history


def test_resolving_a_waiting_conversation_is_refused(client: Client, organisation) -> None:  # type: ignore[no-untyped-def]
    """Reopening a conversation that is not resolved is not in the workflow table: 409."""
    agent = _agent(organisation)
    conversation = _mine(organisation, agent)
    client.force_login(agent.user)
    response = client.post(f"/gesprekken/{conversation.pk}/status/reopen/", HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert response["HX-Retarget"] == "#status-feedback"


def test_after_call_form_records_the_klantcontact(client: Client, organisation) -> None:  # type: ignore[no-untyped-def]
    """Topic, note and outcome of a phone call become the klantcontact."""
    agent = _agent(organisation)
    factories.TopicFactory(organisation=organisation, code="afval", name="Afval")
    phone = factories.ChannelFactory(organisation=organisation, kind="phone")
    conversation = _mine(organisation, agent, channel=phone)
    client.force_login(agent.user)
    assert "balie-wrapup" in client.get(f"/gesprekken/{conversation.pk}/").content.decode()
    response = client.post(
        f"/gesprekken/{conversation.pk}/nawerk/",
        {"topic": "afval", "note": "Container niet geleegd", "outcome": "succeeded"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    record = Klantcontact.objects.get(conversation=conversation)
    assert record.onderwerp == "Afval"
    assert record.inhoud == "Container niet geleegd"
    assert record.indicatie_contact_gelukt is True


def test_after_call_form_after_the_call_ended(client: Client, organisation) -> None:  # type: ignore[no-untyped-def]
    """A call whose end resolved it gets the agent's own klantcontact from the form."""
    agent = _agent(organisation)
    phone = factories.ChannelFactory(organisation=organisation, kind="phone")
    conversation = _mine(organisation, agent, channel=phone)
    check_change_status(conversation.pk, Status.RESOLVED, actor=agent, reason="the call ended")
    client.force_login(agent.user)
    response = client.post(
        f"/gesprekken/{conversation.pk}/nawerk/",
        {"note": "Geen antwoord kunnen geven", "outcome": "failed"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    latest = Klantcontact.objects.filter(conversation=conversation).latest("pk")
    assert latest.inhoud == "Geen antwoord kunnen geven"
    assert latest.indicatie_contact_gelukt is False


def test_shortcuts_overlay_and_buttons_are_on_the_page(client: Client, organisation) -> None:  # type: ignore[no-untyped-def]
    """The help overlay and the elements the shortcuts press are on the page."""
    agent = _agent(organisation)
    conversation = _mine(organisation, agent)
    client.force_login(agent.user)
    html = client.get(f"/gesprekken/{conversation.pk}/").content.decode()
    for marker in (
        'dialog id="shortcuts"',
        'data-dialog="shortcuts"',
        "data-shortcut-reply",
        "data-shortcut-note",
        "data-shortcut-transfer",
        "data-shortcut-resolve",
        'dialog id="transfer-dialog"',
    ):
        assert marker in html, marker


def test_history_shows_times_in_the_organisations_zone(client: Client, organisation) -> None:  # type: ignore[no-untyped-def]
    """A system event's time is in Dutch format ("10.42"), not ISO."""
    agent = _agent(organisation)
    conversation = _mine(organisation, agent)
    ConversationChange.objects.create(
        conversation=conversation, field="language", old_value="", new_value="nl",
        actor=agent, at=clock.now() - timedelta(minutes=5),
    )  # fmt: skip
    client.force_login(agent.user)
    html = client.get(f"/gesprekken/{conversation.pk}/").content.decode()
    assert "taal: — → nl" in html
    assert "door Sanne" in html
