"""The daily retention job: what goes past the term, what stays, and what it reports."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from balie.audit.models import AuditEntry
from balie.audit.verify import verify
from balie.conversations.models import Attachment, Conversation, Klantcontact, Message
from balie.core.scheduler import run_due
from balie.parties.models import DigitalAddress, Party
from balie.privacy.retention import holdings
from balie.privacy.retention.job import apply_retention
from balie.privacy.retention.models import LegalHold, Removal, RetentionTerm
from tests import factories
from tests.retention.conftest import NOW, make_contact

pytestmark = pytest.mark.usefixtures("frozen")


def _gone(conversation: Conversation) -> bool:
    conversation.refresh_from_db()
    return not Message.objects.filter(conversation=conversation).exists()


def test_a_contact_past_one_year_is_destroyed_and_counted(
    organisation, media, django_capture_on_commit_callbacks
):
    """Past the default year: messages, attachment files, klantcontact content and the party
    go; the anonymous shell and the counts stay."""
    conversation = make_contact(organisation, resolved_days_ago=400)
    party_pk = conversation.party_id
    (stored,) = [a.file.name for a in Attachment.objects.all()]
    assert (media / stored).exists()

    with django_capture_on_commit_callbacks(execute=True):
        apply_retention(organisation)

    assert _gone(conversation)
    assert not Attachment.objects.exists()
    assert not (media / stored).exists()
    assert conversation.subject == ""
    assert conversation.address_id is None
    assert conversation.party_id != party_pk
    klantcontact = Klantcontact.objects.get()
    assert klantcontact.inhoud == ""
    assert klantcontact.party_id == conversation.party_id
    assert not Party.objects.filter(pk=party_pk).exists()
    assert not DigitalAddress.objects.exists()
    counts = dict(Removal.objects.values_list("kind", "count"))
    assert counts == {
        "attachments": 1,
        "conversations": 1,
        "klantcontacten": 1,
        "messages": 2,
        "parties": 1,
    }
    assert Removal.objects.filter(kind="messages", channel_kind="api").exists()


def test_a_contact_within_its_term_is_left_alone(organisation):
    """Resolved 300 days ago, within the year: nothing changes."""
    conversation = make_contact(organisation, resolved_days_ago=300)
    apply_retention(organisation)
    assert Message.objects.filter(conversation=conversation).count() == 2
    assert Party.objects.filter(pk=conversation.party_id).exists()
    assert not Removal.objects.exists()


def test_an_open_contact_is_never_destroyed(organisation):
    """A contact still in progress stays, however old."""
    conversation = make_contact(organisation, resolved_days_ago=900, status="pending")
    apply_retention(organisation)
    assert Message.objects.filter(conversation=conversation).count() == 2


def test_a_legal_hold_on_the_conversation_stops_deletion(organisation):
    """A hold on the conversation keeps it whole; once lifted, the next run destroys it."""
    conversation = make_contact(organisation, resolved_days_ago=400)
    hold = LegalHold.objects.create(
        organisation=organisation, conversation=conversation, reason="bezwaarzaak"
    )
    outcome = apply_retention(organisation)
    assert outcome.held == 1
    assert Message.objects.filter(conversation=conversation).count() == 2
    hold.lifted_at = NOW
    hold.save()
    apply_retention(organisation)
    assert _gone(conversation)


def test_a_legal_hold_on_the_party_keeps_all_its_contacts(organisation):
    """A hold on the party keeps every conversation of that party and the party itself."""
    conversation = make_contact(organisation, resolved_days_ago=400)
    LegalHold.objects.create(
        organisation=organisation, party=conversation.party, reason="rechtszaak"
    )
    apply_retention(organisation)
    assert Message.objects.filter(conversation=conversation).count() == 2
    assert Party.objects.filter(pk=conversation.party_id).exists()


def test_a_party_active_in_another_conversation_stays(organisation):
    """The old contact goes; the party, its addresses and its recent contact stay untouched."""
    old = make_contact(organisation, resolved_days_ago=500)
    party = old.party
    recent = make_contact(organisation, resolved_days_ago=10, party=party, status="assigned")
    apply_retention(organisation)
    assert _gone(old)
    assert old.party_id != party.pk
    assert Party.objects.filter(pk=party.pk).exists()
    assert DigitalAddress.objects.filter(party=party).count() == 2
    recent.refresh_from_db()
    assert recent.party_id == party.pk
    assert recent.subject == "Paspoort kwijt"
    assert Message.objects.filter(conversation=recent).count() == 2
    assert Removal.objects.filter(kind="parties").count() == 0


def test_the_most_specific_term_applies_and_keep_is_kept(organisation):
    """A topic's 30-day term beats the organisation's; a channel marked keep is not destroyed."""
    topic = factories.TopicFactory(organisation=organisation)
    kept_channel = factories.ChannelFactory(organisation=organisation, key="archief")
    RetentionTerm.objects.create(organisation=organisation, days=730)
    RetentionTerm.objects.create(organisation=organisation, topic=topic, days=30)
    RetentionTerm.objects.create(
        organisation=organisation, channel=kept_channel, days=30, disposal="keep"
    )
    short = make_contact(organisation, resolved_days_ago=40, topic=topic)
    year = make_contact(organisation, resolved_days_ago=400)
    kept = make_contact(organisation, resolved_days_ago=4000, channel=kept_channel)
    outcome = apply_retention(organisation)
    assert _gone(short)
    assert not _gone(year)
    assert not _gone(kept)
    assert outcome.kept == 1


def test_past_the_performance_term_the_agent_is_forgotten(organisation, agent):
    """With a 90-day performance term and a year for contacts, the agent's name goes first."""
    RetentionTerm.objects.create(organisation=organisation, data="performance", days=90)
    conversation = make_contact(organisation, resolved_days_ago=100, agent=agent)
    apply_retention(organisation)
    conversation.refresh_from_db()
    assert conversation.assignee_id is None
    assert Klantcontact.objects.get().agent_id is None
    assert not Message.objects.filter(author__isnull=False).exists()
    assert Message.objects.filter(conversation=conversation).count() == 2


def test_a_dry_run_lists_what_would_go_and_touches_nothing(organisation, capsys):
    """--dry-run prints the counts and the conversations; every row stays as it was."""
    conversation = make_contact(organisation, resolved_days_ago=400)
    before = AuditEntry.objects.count()
    call_command("retention", "--dry-run", "--json")
    (line,) = capsys.readouterr().out.splitlines()
    report = json.loads(line)
    assert report["dry_run"] is True
    assert report["conversations"] == [conversation.pk]
    assert report["totals"] == {
        "attachments": 1,
        "conversations": 1,
        "klantcontacten": 1,
        "messages": 2,
        "parties": 1,
    }
    assert Message.objects.filter(conversation=conversation).count() == 2
    assert Party.objects.filter(pk=conversation.party_id).exists()
    assert not Removal.objects.exists()
    assert AuditEntry.objects.count() == before


def test_the_command_prints_what_it_removed(organisation, capsys):
    """Without --dry-run the command destroys and says how much, per kind and scope."""
    make_contact(organisation, resolved_days_ago=400)
    call_command("retention")
    out = capsys.readouterr().out
    assert "testgemeente: removed 1 attachments" in out
    assert "messages" in out


def test_a_run_is_an_audit_entry_on_an_intact_chain(organisation):
    """Each run appends one entry with the counts; the chain still verifies."""
    make_contact(organisation, resolved_days_ago=400)
    apply_retention(organisation)
    entry = AuditEntry.objects.get(action="retention_run")
    assert entry.detail["messages"] == 2
    assert verify().ok


def test_queries_stay_the_same_for_many_contacts(organisation):
    """Destroying 12 contacts on one channel takes as many queries as destroying 3."""
    other = factories.OrganisationFactory()
    mine = factories.ChannelFactory(organisation=organisation)
    theirs = factories.ChannelFactory(organisation=other)

    def contacts(n: int, org, channel) -> None:  # type: ignore[no-untyped-def]
        for _ in range(n):
            make_contact(org, resolved_days_ago=400, channel=channel)

    contacts(1, organisation, mine)
    contacts(1, other, theirs)
    apply_retention(organisation)  # the anonymous parties exist from here on
    apply_retention(other)
    contacts(3, organisation, mine)
    contacts(12, other, theirs)
    with CaptureQueriesContext(connection) as few:
        apply_retention(organisation)
    with CaptureQueriesContext(connection) as many:
        apply_retention(other)
    assert len(many) == len(few)
    # the job's own and one statement per table of other capabilities (holdings.ON_DESTROY)
    assert len(few) < 60 + len(holdings.ON_DESTROY)
    removed = Removal.objects.filter(organisation=other, kind="messages")
    assert sorted(removed.values_list("count", flat=True)) == [2, 24]


def test_the_scheduler_runs_the_job_once_a_day(organisation):
    """The periodic job runs once however often workers poll, and again a day later."""
    make_contact(organisation, resolved_days_ago=400)
    assert "retention" in run_due()
    assert "retention" not in run_due()
    with time_machine.travel(NOW + timedelta(days=1, minutes=1), tick=False):
        assert "retention" in run_due()
    assert AuditEntry.objects.filter(action="retention_run").count() == 2
