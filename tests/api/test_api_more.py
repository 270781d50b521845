"""The REST API at its edges: the one error shape for every status, pagination limits,
filters, CSRF on session calls, the party export, and query counts that stay flat as rows
grow on every list endpoint."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from balie.api.auth import do_create_token
from balie.api.models import ApiToken
from balie.audit.models import AuditEntry
from balie.conversations.actions import do_assign
from balie.conversations.actions.status import lock_conversation
from balie.conversations.workflow import Status
from balie.parties.models import Party
from tests import factories
from tests.helpers import receive

pytestmark = pytest.mark.django_db


def _client(agent) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {do_create_token(agent.user)}")
    return client


def _queries(client: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries)


# --- query counts ---------------------------------------------------------------------------


LISTS = (
    "/api/v1/conversations/",
    "/api/v1/parties/",
    "/api/v1/agents/",
    "/api/v1/channels/",
    "/api/v1/conversations/?status=new&unassigned=true",
)


def test_every_list_endpoint_answers_in_the_same_queries_for_3_or_15_rows(
    api_client, channel, organisation, settings
):
    """Twelve more conversations, parties, agents and channels add no query to any list."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast users

    def grow(start: int, stop: int) -> None:
        for n in range(start, stop):
            receive(channel, email=f"p{n}@example.nl")
            factories.AgentFactory(organisation=organisation).teams.set(
                [factories.TeamFactory(organisation=organisation)]
            )
            factories.ChannelFactory(organisation=organisation)

    grow(0, 3)
    api_client.get(LISTS[0])  # the token's first use is stamped once (last_used_at)
    few = {url: _queries(api_client, url) for url in LISTS}
    grow(3, 15)
    many = {url: _queries(api_client, url) for url in LISTS}
    assert few == many
    # the party list writes its audit entry (3 statements and a savepoint pair)
    assert max(many.values()) <= 10, many


def test_the_message_list_and_a_detail_are_flat_too(api_client, channel, agent):
    """A conversation's messages (with attachments) and its detail (with status history)
    cost the same queries with 2 or 12 messages and status changes."""
    conversation = receive(channel, email="m@example.nl").message.conversation
    base = f"/api/v1/conversations/{conversation.pk}"
    with transaction.atomic():
        do_assign(lock_conversation(conversation.pk), agent, reason="test")
    receive(channel, "tweede", email="m@example.nl")
    api_client.get(f"{base}/")  # the token's first use is stamped once (last_used_at)
    few = (_queries(api_client, f"{base}/messages/"), _queries(api_client, f"{base}/"))
    for n in range(10):
        receive(channel, f"bericht {n}", email="m@example.nl")
    many = (_queries(api_client, f"{base}/messages/"), _queries(api_client, f"{base}/"))
    assert few == many


# --- pagination ------------------------------------------------------------------------------


def test_page_size_is_capped_at_200(api_client, organisation):
    """Asking for 1000 per page gets 200, with a link to the next page."""
    channel = factories.ChannelFactory(organisation=organisation)
    factories.ConversationFactory.create_batch(205, organisation=organisation, channel=channel)
    page = api_client.get("/api/v1/conversations/?page_size=1000").json()
    assert (page["count"], len(page["results"])) == (205, 200)
    assert "page=2" in page["next"]
    last = api_client.get(page["next"]).json()
    assert (len(last["results"]), last["next"]) == (5, None)
    assert "page_size=1000" in last["previous"]


@pytest.mark.parametrize("page", ["3", "0", "abc", "-1"])
def test_a_page_that_does_not_exist_is_a_404_in_the_error_shape(api_client, channel, page):
    """Beyond the last page or not a number: 404 'not_found' with a message, never a 500."""
    receive(channel)
    response = api_client.get(f"/api/v1/conversations/?page={page}&page_size=1")
    assert response.status_code == 404
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == "not_found"
    assert body["error"]["message"]


def test_pages_are_stable_and_ordered_by_priority_then_newest(api_client, organisation):
    """Walking the pages visits every conversation once, highest priority first."""
    channel = factories.ChannelFactory(organisation=organisation)
    made = [
        factories.ConversationFactory(organisation=organisation, channel=channel, priority=p)
        for p in (0, 3, 0, 5, 1)
    ]
    seen: list[tuple[int, int]] = []
    url: str | None = "/api/v1/conversations/?page_size=2"
    while url:
        page = api_client.get(url).json()
        seen += [(c["priority"], c["id"]) for c in page["results"]]
        url = page["next"]
    assert sorted(i for _, i in seen) == sorted(c.pk for c in made)
    assert [p for p, _ in seen] == [5, 3, 1, 0, 0]


# --- filters ---------------------------------------------------------------------------------


def test_conversation_filters_combine(api_client, channel, organisation, agent):
    """Several statuses at once, unassigned, language, priority and party filter together."""
    new = receive(channel, email="a@example.nl", language="en").message.conversation
    mine = receive(channel, email="b@example.nl").message.conversation
    with transaction.atomic():
        do_assign(lock_conversation(mine.pk), agent, reason="test")
    other = factories.ConversationFactory(
        organisation=organisation, channel=channel, status=Status.QUEUED, priority=4
    )

    def ids(query: str) -> set[int]:
        response = api_client.get(f"/api/v1/conversations/?{query}")
        assert response.status_code == 200, response.content
        return {c["id"] for c in response.json()["results"]}

    assert ids("status=new&status=queued") == {new.pk, other.pk}
    assert ids("unassigned=false") == {mine.pk}
    assert ids("unassigned=true") == {new.pk, other.pk}
    assert ids("language=en") == {new.pk}
    assert ids("priority=4") == {other.pk}
    assert ids(f"party={new.party_id}") == {new.pk}
    assert ids(f"assignee={agent.pk}&status=assigned") == {mine.pk}


def test_an_unknown_status_filter_is_a_400_naming_the_field(api_client, channel):
    """?status=lost is refused with the field in the error, not silently ignored."""
    response = api_client.get("/api/v1/conversations/?status=lost")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "status" in error["fields"]


def test_agent_and_channel_filters(api_client, organisation, agent):
    """Agents filter by presence and supervisor flag; channels by kind and activity."""
    boss = factories.AgentFactory(organisation=organisation, is_supervisor=True, presence="away")
    factories.ChannelFactory(organisation=organisation, kind="email", is_active=False)
    live = factories.ChannelFactory(organisation=organisation, kind="webchat")

    def ids(url: str) -> set[int]:
        response = api_client.get(url)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids("/api/v1/agents/?is_supervisor=true") == {boss.pk}
    assert ids("/api/v1/agents/?presence=away") == {boss.pk}
    assert agent.pk in ids("/api/v1/agents/?presence=available")
    assert ids("/api/v1/channels/?kind=webchat&is_active=true") == {live.pk}


def test_a_superuser_sees_every_organisation_and_an_agent_only_their_own(api_client, organisation):
    """Agents and channels of another organisation are listed for a superuser only."""
    other = factories.ChannelFactory()
    factories.AgentFactory(organisation=other.organisation)
    admin = APIClient()
    admin.force_authenticate(factories.UserFactory(is_superuser=True, is_staff=True))
    admin_channels = {c["id"] for c in admin.get("/api/v1/channels/").json()["results"]}
    agent_channels = {c["id"] for c in api_client.get("/api/v1/channels/").json()["results"]}
    assert other.pk in admin_channels
    assert other.pk not in agent_channels
    orgs = {a["id"] for a in api_client.get("/api/v1/agents/").json()["results"]}
    assert orgs == set(organisation.agents.values_list("pk", flat=True))


def test_staff_without_an_agent_profile_reads_but_cannot_act(channel):
    """A staff user without an agent sees no organisation's rows and no conversation (404)."""
    conversation = receive(channel).message.conversation
    client = APIClient()
    client.force_authenticate(factories.UserFactory(is_staff=True))
    assert client.get("/api/v1/channels/").json()["count"] == 0
    response = client.post(
        f"/api/v1/conversations/{conversation.pk}/status/", {"status": "queued"}, format="json"
    )
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    conversation.refresh_from_db()
    assert conversation.status == Status.NEW


# --- error shapes ----------------------------------------------------------------------------


def test_a_method_the_endpoint_does_not_take_is_405_in_the_error_shape(api_client):
    """POST on a read-only list answers 405 'method_not_allowed'."""
    response = api_client.post("/api/v1/channels/", {}, format="json")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_an_unsupported_media_type_is_415(api_client, channel, agent):
    """A reply sent as text/plain is refused with 415 and nothing is written."""
    conversation = receive(channel).message.conversation
    response = api_client.post(
        f"/api/v1/conversations/{conversation.pk}/messages/",
        "hallo",
        content_type="text/plain",
    )
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert conversation.messages.count() == 1


def test_an_unacceptable_accept_header_is_406(api_client):
    """Asking for XML answers 406 (in JSON: the one error shape is all the API speaks)."""
    response = api_client.get("/api/v1/channels/", HTTP_ACCEPT="application/xml")
    assert response.status_code == 406


def test_a_template_message_without_a_template_names_the_field(api_client, channel, agent):
    """kind=template without its template id is a 400 with fields.template."""
    conversation = receive(channel).message.conversation
    response = api_client.post(
        f"/api/v1/conversations/{conversation.pk}/messages/", {"kind": "template"}, format="json"
    )
    assert response.status_code == 400
    assert "template" in response.json()["error"]["fields"]


def test_files_on_a_channel_that_sends_none_are_refused(api_client, channel, agent):
    """A file for a conversation on the API channel: 400 'files_not_supported', nothing sent."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    conversation = receive(channel).message.conversation
    with transaction.atomic():
        do_assign(lock_conversation(conversation.pk), agent, reason="test")
    response = api_client.post(
        f"/api/v1/conversations/{conversation.pk}/files/",
        {"file": SimpleUploadedFile("a.pdf", b"%PDF-1.4", content_type="application/pdf")},
        format="multipart",
    )
    assert (response.status_code, response.json()["error"]["code"]) == (
        400,
        "files_not_supported",
    )
    assert conversation.messages.filter(direction="outbound").count() == 0


# --- sessions, CSRF and tokens ---------------------------------------------------------------


def test_a_session_call_that_writes_needs_the_csrf_token(channel, agent):
    """Logged in by session, a POST without the CSRF token is refused (403); reading is fine."""
    conversation = receive(channel).message.conversation
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(agent.user)
    assert client.get("/api/v1/conversations/").status_code == 200
    response = client.post(
        f"/api/v1/conversations/{conversation.pk}/messages/",
        {"kind": "note", "body": "zonder token"},
        format="json",
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]
    assert conversation.messages.count() == 1


def test_a_token_call_needs_no_csrf_token(channel, agent):
    """With a token (no cookie) the same POST goes through: CSRF guards cookies only."""
    conversation = receive(channel).message.conversation
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {do_create_token(agent.user)}")
    response = client.post(
        f"/api/v1/conversations/{conversation.pk}/messages/",
        {"kind": "note", "body": "met token"},
        format="json",
    )
    assert response.status_code == 201


def test_using_a_token_records_when_it_was_last_used(agent, time_machine):
    """A call with a token stamps last_used_at; the token shows as its prefix only."""
    time_machine.move_to("2026-11-24 10:00:00 +0000", tick=False)
    client = _client(agent)
    token = ApiToken.objects.get(user=agent.user)
    assert token.last_used_at is None
    assert client.get("/api/v1/agents/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at.isoformat() == "2026-11-24T10:00:00+00:00"
    assert str(token) == f"{token.prefix}… ({agent.user})"


@pytest.mark.parametrize(
    "header", ["Token", "Token a b", "Bearer abc", "token abc", "Token " + "x" * 500]
)
def test_malformed_authorization_headers_are_401_in_the_error_shape(db, header):
    """Odd Authorization headers are refused as unauthenticated, never a 500."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/conversations/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] in ("not_authenticated", "authentication_failed")


# --- the party export (right of access) ----------------------------------------------------


def test_a_supervisor_exports_a_party_and_the_export_is_audited(channel, organisation):
    """The export holds the party and its conversations; a rights request and an audit
    entry record it."""
    from balie.privacy.retention.models import RightsRequest

    conversation = receive(channel, "Mijn vraag", email="inzage@example.nl").message.conversation
    boss = factories.AgentFactory(organisation=organisation, is_supervisor=True)
    response = _client(boss).get(f"/api/v1/privacy/parties/{conversation.party_id}/export/")
    assert response.status_code == 200
    assert "Mijn vraag" in response.content.decode()
    request = RightsRequest.objects.get()
    assert (request.kind, request.outcome) == ("access", "granted")
    assert AuditEntry.objects.filter(action="export_party").count() == 1


def test_an_agent_may_not_export_and_another_organisations_party_is_not_found(
    api_client, channel, organisation
):
    """An agent gets 403; a supervisor asking for another organisation's party gets 404."""
    party = receive(channel, email="inzage@example.nl").message.conversation.party
    response = api_client.get(f"/api/v1/privacy/parties/{party.pk}/export/")
    assert response.status_code == 403
    stranger = factories.AgentFactory(is_supervisor=True)
    response = _client(stranger).get(f"/api/v1/privacy/parties/{party.pk}/export/")
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="export_party").exists()
    assert Party.objects.filter(pk=party.pk).exists()
