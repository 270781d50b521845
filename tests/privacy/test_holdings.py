"""What other capabilities hold about a person: the access export shows it (JSON and the
readable page), and the retention job deletes or anonymises it with the conversation's
content (frozen clock; a legal hold and a party active elsewhere keep theirs). Two walks over
every installed model's relations prove no table is forgotten."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.db import models
from django.test import Client

from balie.conversations.models import Message
from balie.privacy.models import Advice, CallbackRequest, Finding, SealedOriginal
from balie.privacy.retention import holdings
from balie.privacy.retention.export import collect
from balie.privacy.retention.job import apply_retention
from balie.privacy.retention.models import LegalHold, Removal
from tests import factories
from tests.retention.conftest import NOW, make_contact

pytestmark = pytest.mark.django_db

BSN = "111222333"


def _relations(targets: frozenset[str]) -> dict[str, list[models.Field[Any, Any]]]:
    """Every installed model (not the targets' own auto-created tables) with a concrete
    relation (FK, one-to-one, many-to-many) to one of ``targets``, with those fields."""
    found: dict[str, list[models.Field[Any, Any]]] = {}
    for model in apps.get_models():
        for f in model._meta.get_fields():
            if not (f.is_relation and f.concrete and f.related_model):
                continue
            if f.related_model._meta.label_lower in targets:
                found.setdefault(model._meta.label_lower, []).append(f)  # type: ignore[arg-type]
    return found


def test_every_table_about_a_person_is_exported_or_listed_with_a_reason() -> None:
    """A new capability with a relation to a party, conversation, message, klantcontact or
    digital address must appear in the export or say why not."""
    exported = {s.model for s in holdings.SECTIONS} | holdings.EXPORTED_BY_COLLECT
    missing = set(_relations(holdings.PERSONAL)) - exported - set(holdings.NOT_EXPORTED)
    assert missing == set()
    assert all(reason.strip() for reason in holdings.NOT_EXPORTED.values())
    assert not exported & set(holdings.NOT_EXPORTED)


def test_every_relation_to_a_conversation_is_handled_by_retention() -> None:
    """Every table hanging on a conversation, message or klantcontact is deleted, anonymised,
    deleted with the messages (a CASCADE to the message, checked) or kept with a reason."""
    relations = _relations(holdings.PER_CONVERSATION)
    assert set(relations) - set(holdings.ON_DESTROY) == set()
    for label, rule in holdings.ON_DESTROY.items():
        assert rule.action in ("delete", "anonymise", "cascade", "keep"), label
        if rule.action == "keep":
            assert rule.reason.strip(), label
        if rule.action in ("delete", "anonymise"):
            assert rule.kind, label
        if rule.action == "cascade" and label in relations:
            to_message = [
                f for f in relations[label]
                if f.related_model._meta.label_lower == "conversations.message"  # type: ignore[union-attr]
            ]  # fmt: skip
            assert any(f.remote_field.on_delete is models.CASCADE for f in to_message), label


def _holdings_of(conversation: Any, agent: Any) -> dict[str, Any]:
    """A row in every other capability about ``conversation`` (created at its time)."""
    org, party = conversation.organisation, conversation.party
    get = apps.get_model
    at = conversation.created_at
    message = Message.objects.filter(conversation=conversation, direction="inbound").first()
    assert message is not None
    Message.objects.filter(pk=message.pk).update(
        body="Mijn BSN is •••••••••",
        metadata={"email": {"subject": "Paspoort", "from": "jan@example.nl", "to": ["kcc@x.nl"]}},
    )
    team = factories.TeamFactory(organisation=org)
    Finding.objects.create(message=message, conversation=conversation, kind="bsn", start=12, end=21)
    SealedOriginal.objects.create(
        message=message, content={"body": f"Mijn BSN is {BSN}"}, sealed_at=at
    )  # type: ignore[misc]
    Advice.objects.create(conversation=conversation, message=message, kinds=["bsn"], created_at=at)
    CallbackRequest.objects.create(organisation=org, conversation=conversation, created_at=at)
    get("privacy.SpecialConversation").objects.create(
        conversation=conversation, kinds=["medical"], found_at=at
    )
    block = get("conduct.Block").objects.create(
        organisation=org,
        party=party,
        conversation=conversation,
        state="ended",
        reason="scheldt de medewerker uit",
        requested_by=agent,
        requested_at=at,
        end_reason="verlopen",
    )
    get("conduct.ConductStep").objects.create(
        organisation=org,
        party=party,
        conversation=conversation,
        step="warn",
        from_state="none",
        to_state="warned",
        agent=agent,
        reason="scheldwoorden",
        body="U scheldt; bij herhaling volgt een blokkade.",
        created_at=at,
        block=block,
    )
    get("sla.Clock").objects.create(conversation=conversation, organisation=org, started_at=at)
    get("sla.Outcome").objects.create(
        organisation=org,
        conversation=conversation,
        target="first_response",
        kind="business_minutes",
        met=True,
        started_at=at,
        due_at=at + timedelta(hours=1),
        completed_at=at,
        business_minutes=12,
        wall_minutes=12,
    )
    task = get("backoffice.Task").objects.create(
        organisation=org,
        conversation=conversation,
        team=team,
        requested_action=f"Controleer BSN {BSN}",
        state="answered",
        due_at=at,
        first_due_at=at,
        answer="Klopt, Jan Jansen woont op Kerkstraat 12",
        created_at=at,
    )
    get("backoffice.TaskStep").objects.create(
        task=task, to_state="answered", reason="Jan gebeld", at=at
    )
    get("backoffice.OutOfHoursArrival").objects.create(
        conversation=conversation,
        organisation=org,
        arrived_at=at,
        opens_at=at + timedelta(hours=9),
    )
    get("phone.Call").objects.create(
        conversation=conversation,
        call_id="sip-0612345678@pbx",
        channel=conversation.channel,
        queued_at=at,
        answered_at=at,
        ended_at=at,
        talk_s=60,
        wait_s=5,
        agent=agent,
    )
    get("routing.RoutingRecord").objects.create(
        conversation=conversation,
        kind="assigned_by_hand",
        agent=agent,
        actor=agent,
        reason="Jan wil Sanne spreken",
        at=at,
    )
    get("replies.MessageAnalysis").objects.create(
        message=message,
        conversation=conversation,
        language="nl",
        tone="u",
        abusive=True,
        analysed_at=at,
    )
    get("replies.ConversationSpeech").objects.create(
        conversation=conversation,
        detected_language="nl",
        tone="u",
        updated_at=at,
    )
    return {"message": message, "task": task}


@pytest.fixture
def frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def supervisor(organisation):  # type: ignore[no-untyped-def]
    return factories.AgentFactory(organisation=organisation, is_supervisor=True)


def test_the_export_holds_every_capability_and_no_finding_text(organisation, supervisor) -> None:  # type: ignore[no-untyped-def]
    """Conduct steps and blocks, response times, findings (kinds and places, no text), call
    backs, back-office tasks, out-of-hours arrivals, calls, e-mail headers are in the JSON."""
    conversation = make_contact(organisation, resolved_days_ago=10)
    made = _holdings_of(conversation, supervisor)
    data = collect(conversation.party)
    assert [s["step"] for s in data["conduct_steps"]] == ["warn"]
    assert data["conduct_steps"][0]["body"].startswith("U scheldt")
    assert data["conduct_blocks"][0]["reason"] == "scheldt de medewerker uit"
    assert data["service_levels"][0]["met"] is True
    finding = data["privacy_findings"][0]
    assert finding == {
        "conversation_id": conversation.pk, "message_id": made["message"].pk,
        "kind": "bsn", "start": 12, "end": 21,
    }  # fmt: skip
    assert data["call_backs"][0]["state"] == "open"
    assert data["backoffice_tasks"][0]["answer"].startswith("Klopt")
    assert data["out_of_hours"][0]["conversation_id"] == conversation.pk
    assert data["calls"][0]["talk_s"] == 60
    assert data["text_analysis"][0]["abusive"] is True
    assert data["special_categories"][0]["kinds"] == ["medical"]
    messages = [m for c in data["conversations"] for m in c["messages"]]
    [message] = [m for m in messages if m["id"] == made["message"].pk]
    assert message["email"] == {
        "subject": "Paspoort", "from": "jan@example.nl", "to": ["kcc@x.nl"]
    }  # fmt: skip
    assert message["original_sealed"] is True
    assert BSN not in str(data["privacy_findings"])
    assert BSN not in str(data["conversations"])


def test_the_page_shows_the_sections_readably(organisation, supervisor) -> None:  # type: ignore[no-untyped-def]
    """The workspace's access page has a titled table per capability that holds something."""
    conversation = make_contact(organisation, resolved_days_ago=10)
    _holdings_of(conversation, supervisor)
    client = Client()
    client.force_login(supervisor.user)
    html = client.get(f"/privacy/partijen/{conversation.party_id}/").content.decode()
    assert 'id="rights-other"' in html
    for key in ("conduct_steps", "conduct_blocks", "service_levels", "privacy_findings",
                "backoffice_tasks", "out_of_hours", "calls", "call_backs"):  # fmt: skip
        assert f'id="rights-{key}"' in html, key
    assert "U scheldt; bij herhaling volgt een blokkade." in html
    analysis = html.split('id="rights-text_analysis"')[1].split("</table>")[0]
    assert '<td class="utrecht-table__cell">ja</td>' in analysis  # possibly abusive: a word
    assert BSN not in html.split('id="rights-other"')[1].split('id="rights-backoffice_tasks"')[0]


def test_retention_leaves_no_rows_of_other_apps_behind(organisation, supervisor, frozen) -> None:  # type: ignore[no-untyped-def]
    """Past the term (the party still in a recent conversation): findings, sealed originals,
    special marks, call backs, clocks, arrivals, tone go; conduct texts, task texts, routing
    reasons and the call's id are emptied; the anonymous service-level outcome stays; the
    counts are reported."""
    conversation = make_contact(organisation, resolved_days_ago=400)
    made = _holdings_of(conversation, supervisor)
    make_contact(organisation, resolved_days_ago=10, party=conversation.party)  # party stays
    get = apps.get_model
    apply_retention(organisation)
    for label in ("privacy.Finding", "privacy.Advice", "privacy.CallbackRequest",
                  "privacy.SpecialConversation", "sla.Clock", "backoffice.OutOfHoursArrival",
                  "replies.MessageAnalysis", "replies.ConversationSpeech"):  # fmt: skip
        assert not get(label).objects.filter(conversation=conversation).exists(), label
    assert not SealedOriginal.objects.exists()
    step = get("conduct.ConductStep").objects.get()
    assert (step.reason, step.body, step.message_id) == ("", "", None)
    assert step.step == "warn"  # the procedure's history stays for the party, without text
    block = get("conduct.Block").objects.get()
    assert (block.reason, block.end_reason) == ("", "")
    task = get("backoffice.Task").objects.get(pk=made["task"].pk)
    assert (task.requested_action, task.answer) == ("", "")
    assert get("backoffice.TaskStep").objects.get().reason == ""
    call = get("phone.Call").objects.get()
    assert call.call_id == f"removed-{call.pk}"
    assert call.talk_s == 60  # the anonymous durations stay for the reports
    assert get("routing.RoutingRecord").objects.get().reason == ""
    outcome = get("sla.Outcome").objects.get()
    assert outcome.conversation_id == conversation.pk
    assert outcome.met
    counts = dict(Removal.objects.values_list("kind", "count"))
    kinds = ("special_categories", "call_backs", "sla_clocks", "out_of_hours", "conduct_steps",
             "blocks", "backoffice_tasks", "calls", "routing_reasons")  # fmt: skip
    for kind in kinds:
        assert counts.get(kind) == 1, kind
    apply_retention(organisation)  # a second run finds nothing left to count
    assert dict(Removal.objects.values_list("kind", "count")) == counts


def test_a_held_conversation_and_another_active_one_keep_their_rows(  # type: ignore[no-untyped-def]
    organisation, supervisor, frozen
) -> None:
    """A legal hold keeps everything of its conversation; the same party's recent
    conversation keeps its conduct step while the old one's step loses its text."""
    held = make_contact(organisation, resolved_days_ago=400)
    _holdings_of(held, supervisor)
    LegalHold.objects.create(
        organisation=organisation, conversation=held, reason="bezwaar", placed_at=NOW
    )
    old = make_contact(organisation, resolved_days_ago=400)
    recent = make_contact(organisation, resolved_days_ago=10, party=old.party)
    get = apps.get_model
    for c, text in ((old, "oud"), (recent, "recent")):
        get("conduct.ConductStep").objects.create(
            organisation=organisation, party=old.party, conversation=c, step="warn",
            from_state="none", to_state="warned", reason=text, body=text, created_at=c.created_at,
        )  # fmt: skip
    apply_retention(organisation)
    assert get("conduct.ConductStep").objects.get(conversation=held).body.startswith("U scheldt")
    assert Finding.objects.filter(conversation=held).exists()
    assert get("backoffice.Task").objects.get(conversation=held).answer.startswith("Klopt")
    assert get("conduct.ConductStep").objects.get(conversation=old).body == ""
    assert get("conduct.ConductStep").objects.get(conversation=recent).body == "recent"


def test_quarantined_mail_goes_after_its_channels_term(organisation, frozen) -> None:  # type: ignore[no-untyped-def]
    """Raw mail the intake could not store goes after a year; younger mail stays."""
    quarantine = apps.get_model("email_channel.QuarantinedMail")
    mailbox = factories.ChannelFactory(organisation=organisation, kind="email", key="kcc")
    for days in (400, 30):
        quarantine.objects.create(
            channel=mailbox, raw=b"From: jan@example.nl\r\n\r\nBSN 111222333",
            reason="unparseable", received_at=NOW - timedelta(days=days),
        )  # fmt: skip
    apply_retention(organisation)
    kept = list(quarantine.objects.values_list("received_at", flat=True))
    assert kept == [NOW - timedelta(days=30)]
    assert dict(Removal.objects.values_list("kind", "count"))["quarantined_mail"] == 1


def test_a_party_that_goes_takes_its_conduct_history_along(  # type: ignore[no-untyped-def]
    organisation, supervisor, frozen
) -> None:
    """When the party is no longer referenced it goes, and its conduct state, steps and
    blocks with it (CASCADE on the party)."""
    conversation = make_contact(organisation, resolved_days_ago=400)
    _holdings_of(conversation, supervisor)
    apply_retention(organisation)
    for label in ("conduct.ConductStep", "conduct.Block"):
        assert not apps.get_model(label).objects.exists(), label


def test_past_the_performance_term_other_rows_forget_the_agent(
    organisation, supervisor, frozen
) -> None:  # type: ignore[no-untyped-def]
    """Routing records, calls, conduct steps, tasks and call backs stop naming the agent when
    the contact's performance term has passed (the contact's own term keeps it)."""
    from balie.privacy.retention.models import RetentionTerm

    RetentionTerm.objects.create(organisation=organisation, days=3650)  # contacts: ten years
    RetentionTerm.objects.create(organisation=organisation, data="performance", days=365)
    conversation = make_contact(organisation, resolved_days_ago=400)
    _holdings_of(conversation, supervisor)
    get = apps.get_model
    CallbackRequest.objects.update(requested_by=supervisor)
    apply_retention(organisation)
    assert Message.objects.filter(conversation=conversation).exists()  # content kept
    record = get("routing.RoutingRecord").objects.get()
    assert (record.agent_id, record.actor_id) == (None, None)
    assert record.reason == "Jan wil Sanne spreken"
    assert get("phone.Call").objects.get().agent_id is None
    assert get("conduct.ConductStep").objects.get().agent_id is None
    assert CallbackRequest.objects.get().requested_by_id is None
