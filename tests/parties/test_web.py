"""The merge page, its confirmation, dismissing and undoing, and the sidebar hint (Django
test client, real HTTP through the workspace's views)."""

from __future__ import annotations

import pytest
from django.test import Client

from balie.audit.models import AuditEntry
from balie.parties.models import MergeDismissal, Party, PartyMerge
from tests.parties.conftest import call, whatsapp

pytestmark = pytest.mark.django_db

PAGE = "/partijen/samenvoegen/"


def _client(agent) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(agent.user)
    return client


@pytest.fixture
def pair(world):  # type: ignore[no-untyped-def]
    """A WhatsApp party and a caller with one number."""
    return whatsapp(world.wa, "31612345678", name="Jan WhatsApp"), call(world.pbx, "0612345678")


def test_the_page_lists_the_suggestion_masked_with_both_parties(world, pair) -> None:  # type: ignore[no-untyped-def]
    """Both names, their channels and counts, the number masked, the two buttons."""
    chat, caller = pair
    html = _client(world.supervisor).get(PAGE, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "+316*****678" in html
    assert "0612345678" not in html
    assert "612345678" not in html.replace("*****678", "")
    assert "Jan WhatsApp" in html
    assert f'id="merge-{chat.pk}-{caller.pk}"' in html
    assert f'id="dismiss-{chat.pk}-{caller.pk}"' in html
    assert AuditEntry.objects.filter(action="view_merge_suggestions").count() == 1


def test_confirm_merge_and_undo_through_the_forms(world, pair) -> None:  # type: ignore[no-untyped-def]
    """The confirmation names both; merging keeps the chosen party; undo brings back."""
    chat, caller = pair
    client = _client(world.supervisor)
    page = client.get(f"{PAGE}bevestigen/?eerste={chat.pk}&tweede={caller.pk}")
    assert page.status_code == 200
    assert b"+316*****678" in page.content
    done = client.post(
        f"{PAGE}samenvoegen/",
        {"first": chat.pk, "second": caller.pk, "keep": caller.pk, "reason": "belde na app"},
    )
    assert done.status_code == 302
    assert Party.objects.get(pk=chat.pk).merged_into_id == caller.pk  # the one not kept
    merge = PartyMerge.objects.get()
    listed = client.get(PAGE).content.decode()
    assert f'id="undo-{merge.pk}"' in listed
    undone = client.post(f"{PAGE}{merge.pk}/ongedaan/", {"reason": "twee mensen"})
    assert undone.status_code == 302
    assert Party.objects.get(pk=chat.pk).merged_into_id is None
    actions = list(
        AuditEntry.objects.filter(action__startswith="party_merge")
        .order_by("pk")
        .values_list("action", "result")
    )
    assert actions == [("party_merge", "success"), ("party_merge_undo", "success")]


def test_a_refused_merge_shows_why_and_keeps_the_reason(world, pair) -> None:  # type: ignore[no-untyped-def]
    """Without a reason: 400, the confirmation again with the error; a reason too long is
    refused and kept as typed; the refusal is audited."""
    chat, caller = pair
    client = _client(world.supervisor)
    answer = client.post(
        f"{PAGE}samenvoegen/",
        {"first": chat.pk, "second": caller.pk, "keep": chat.pk, "reason": " "},
        HTTP_ACCEPT_LANGUAGE="nl",
    )
    assert answer.status_code == 400
    assert b'role="alert"' in answer.content
    long = "x" * 2001
    again = client.post(
        f"{PAGE}samenvoegen/",
        {"first": chat.pk, "second": caller.pk, "keep": chat.pk, "reason": long},
    )
    assert again.status_code == 400
    assert long.encode() in again.content
    assert not PartyMerge.objects.exists()
    refused = AuditEntry.objects.filter(action="party_merge", result="refused").order_by("pk")
    assert [e.detail["error"] for e in refused] == ["reason_required", "reason_too_long"]


def test_not_the_same_person_removes_the_suggestion(world, pair) -> None:  # type: ignore[no-untyped-def]
    """The dismiss button records the pair; the page no longer lists it."""
    chat, caller = pair
    client = _client(world.supervisor)
    assert (
        client.post(f"{PAGE}afwijzen/", {"first": chat.pk, "second": caller.pk}).status_code == 302
    )
    assert MergeDismissal.objects.filter(first=chat, second=caller).exists()
    assert f"merge-{chat.pk}-{caller.pk}" not in client.get(PAGE).content.decode()
    assert AuditEntry.objects.filter(action="party_merge_dismiss", result="success").exists()


def test_agents_get_403_on_every_merge_page(world, pair) -> None:  # type: ignore[no-untyped-def]
    """Agents neither see suggestions nor merge."""
    chat, caller = pair
    client = _client(world.agent)
    assert client.get(PAGE).status_code == 403
    assert client.get(f"{PAGE}bevestigen/?eerste={chat.pk}&tweede={caller.pk}").status_code == 403
    body = {"first": chat.pk, "second": caller.pk, "keep": chat.pk, "reason": "x"}
    assert client.post(f"{PAGE}samenvoegen/", body).status_code == 403
    assert not PartyMerge.objects.exists()


def test_the_sidebar_hints_at_the_other_party_for_supervisors_only(world, pair) -> None:  # type: ignore[no-untyped-def]
    """The caller's conversation names the WhatsApp party for a supervisor, not an agent."""
    _chat, caller = pair
    conversation = caller.conversations.get()
    url = f"/gesprekken/{conversation.pk}/"
    html = _client(world.supervisor).get(url, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert 'id="merge-hint"' in html
    assert "Jan WhatsApp" in html
    conversation.assignee = world.agent
    conversation.save(update_fields=["assignee"])
    seen = _client(world.agent).get(url)
    assert seen.status_code == 200
    assert b'id="merge-hint"' not in seen.content
