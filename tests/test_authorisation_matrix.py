"""Every API endpoint × every role × every scope → the status ``docs/authorisation.md``
promises. The endpoint list is read from the URL resolver (everything under ``api/``,
``routing/`` and ``attachments/``): a new endpoint without a row here fails
:func:`test_every_endpoint_is_in_the_matrix`.

Expected statuses are written out as tables (who sees what, who may do what), not computed
with the code under test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import URLResolver, get_resolver
from rest_framework.test import APIClient

from balie.conversations.actions import do_assign
from balie.conversations.actions.status import lock_conversation
from balie.conversations.models import Attachment, Conversation
from tests import factories
from tests.helpers import receive

pytestmark = pytest.mark.django_db

ROLES = ["agent", "no_team", "social", "supervisor", "superuser", "staff"]
SCOPES = ["own", "team", "other_team", "restricted", "pool", "other_org", "absent"]
ALL = set(SCOPES) - {"absent"}

#: Conversations each role sees (reads: detail, messages, reply options, attachments).
VISIBLE: dict[str, set[str]] = {
    "agent": {"own", "team", "pool"},  # kcc member, assignee of "own"
    "no_team": {"pool"},  # in no team: only what belongs to no team
    "social": {"restricted", "pool"},  # sociaal-domein member: the restricted topic's team
    "supervisor": {"own", "team", "other_team", "pool"},  # not in sociaal-domein
    "superuser": ALL,
    "staff": set(),  # staff without an agent profile
}
#: Parties each role sees: supervisors see their organisation's, agents those of visible ones.
PARTY_VISIBLE = {**VISIBLE, "supervisor": ALL - {"other_org"}}
#: Who may reply (text, file, template): the assignee; supervisors; for a waiting contact an
#: agent the router would give it to ("agent" qualifies for "pool", "no_team" does not).
MAY_REPLY = {"agent": {"own", "pool"}, "supervisor": VISIBLE["supervisor"]}
#: Who may change the status: the assignee and supervisors.
MAY_CHANGE_STATUS = {"agent": {"own"}, "supervisor": VISIBLE["supervisor"]}
#: Who may assign, reprioritise or move by hand: supervisors.
MAY_SUPERVISE = {"supervisor": VISIBLE["supervisor"]}
AGENT_ROLES = {"agent", "no_team", "social", "supervisor"}


@dataclass(frozen=True)
class Endpoint:
    """One request to an object endpoint, and what the rules say about it."""

    method: str
    path: str  # with {id} for the object's id
    ok: int  # the answer when permitted (409: the workflow refuses after the check)
    rule: str  # read | note | reply | status | supervise | party
    body: Any = None
    multipart: bool = False


ENDPOINTS: dict[str, Endpoint] = {
    "conversation-detail": Endpoint("get", "/api/v1/conversations/{id}/", 200, "read"),
    "conversation-messages/get": Endpoint(
        "get", "/api/v1/conversations/{id}/messages/", 200, "read"
    ),
    "conversation-messages/note": Endpoint(
        "post", "/api/v1/conversations/{id}/messages/", 201, "note", {"kind": "note", "body": "x"}
    ),
    "conversation-messages/reply": Endpoint(
        "post", "/api/v1/conversations/{id}/messages/", 201, "reply", {"body": "Goedemiddag"}
    ),
    # The API channel takes no files: 400 once permitted, so 403/404 mean the rules spoke.
    "conversation-files": Endpoint(
        "post", "/api/v1/conversations/{id}/files/", 400, "reply", multipart=True
    ),
    "conversation-reply-options": Endpoint(
        "get", "/api/v1/conversations/{id}/reply-options/", 200, "read"
    ),
    "conversation-change-status": Endpoint(
        "post", "/api/v1/conversations/{id}/status/", 200, "status", {"status": "resolved"}
    ),
    "routing-assign": Endpoint(
        "post", "/routing/conversations/{id}/assign/", 200, "supervise", "assign"
    ),
    # Not queued (routing did not run): the supervisor gets past the rules to a 409.
    "routing-reprioritise": Endpoint(
        "post",
        "/routing/conversations/{id}/reprioritise/",
        409,
        "supervise",
        {"priority": 1, "reason": "spoed"},
    ),
    "routing-move": Endpoint(
        "post",
        "/routing/conversations/{id}/move/",
        409,
        "supervise",
        {"topic": "paspoort", "reason": "verkeerd onderwerp"},
    ),
    "attachment-download": Endpoint("get", "/attachments/{id}/", 200, "read"),
    "party-detail": Endpoint("get", "/api/v1/parties/{id}/", 200, "party"),
    "conduct-party": Endpoint("get", "/api/v1/conduct/parties/{id}/", 200, "party"),
    "conduct-step": Endpoint(
        "post", "/api/v1/conduct/conversations/{id}/steps/", 201, "reply", {"step": "name"}
    ),
}

#: Endpoints without a conversation scope, and the test that covers them.
OTHER = {
    "conversation-list": "test_lists_show_only_what_is_visible",
    "party-list": "test_lists_show_only_what_is_visible",
    "agent-list": "test_agents_and_channels_are_scoped_to_the_organisation",
    "agent-detail": "test_agents_and_channels_are_scoped_to_the_organisation",
    "agent-presence": "test_presence_is_ones_own_or_a_supervisors",
    "channel-list": "test_agents_and_channels_are_scoped_to_the_organisation",
    "channel-detail": "test_agents_and_channels_are_scoped_to_the_organisation",
    "routing-offer-accept": "test_an_offer_exists_only_for_its_agent",
    "routing-offer-decline": "test_an_offer_exists_only_for_its_agent",
    "routing-feed": "test_agents_and_channels_are_scoped_to_the_organisation",
    "schema": "test_agents_and_channels_are_scoped_to_the_organisation",
    "api-root": "test_agents_and_channels_are_scoped_to_the_organisation",
    "auth-token": "login with a password, no object: the hardening tests (lockout)",
    "conduct-blocks": "tests/conduct/test_api.py",
    "conduct-block-confirm": "tests/conduct/test_api.py (four eyes, another organisation: 404)",
    "conduct-block-decline": "tests/conduct/test_blocking.py",
    "conduct-block-lift": "tests/conduct/test_api.py (supervisors only)",
    "privacy-party-export": "tests/retention/test_rights.py (supervisors; 403, 404)",
    "privacy-message-unseal": "tests/privacy/test_unseal.py (supervisors; 400, 403 audited, 404)",
    "backoffice-tasks": "tests/backoffice/test_api.py (lists what access.visible_tasks shows)",
    "backoffice-task": "tests/backoffice/test_api.py::test_access_through_the_api",
    "backoffice-answer": "tests/backoffice/test_api.py::test_access_through_the_api",
    "backoffice-extend": "tests/backoffice/test_api.py (the task's team only)",
    "backoffice-withdraw": "tests/backoffice/test_web.py::test_who_may_see_and_work_a_task",
    "phone-tasks": "tests/phone/test_app.py (the channel's PBX token, no user: 401 otherwise)",
    "phone-events": "tests/phone/test_app.py (the channel's PBX token, no user: 401 otherwise)",
    "replies": "tests/replies/test_library.py (the organisation's own library only)",
    "parties-merge-suggestions": "tests/parties/test_api.py (supervisors; agents 403)",
    "parties-merges": "tests/parties/test_api.py (supervisors; another organisation 404)",
    "parties-merge-undo": "tests/parties/test_api.py (supervisors; another organisation 404)",
}
#: The URL prefixes whose every route must have a row.
API_PREFIXES = ("api/", "routing/", "attachments/")


def _route_names() -> set[str]:
    def walk(patterns: list[Any], prefix: str) -> Any:
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern), p.name

    routes = walk(get_resolver().url_patterns, "")
    return {name for route, name in routes if route.startswith(API_PREFIXES)}


def test_every_endpoint_is_in_the_matrix():
    """Each API route has a matrix row or a named test (a new one must have one too)."""
    covered = {key.split("/")[0] for key in ENDPOINTS} | set(OTHER)
    assert _route_names() - covered == set()
    assert covered - _route_names() == set(), "a row for an endpoint that no longer exists"


@pytest.fixture
def world(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Two organisations; in A the teams kcc, backoffice and sociaal-domein (which serves the
    restricted topic wmo) and a conversation per scope, each with its own citizen."""
    settings.MEDIA_ROOT = tmp_path
    # Eight users per test: a fast hash (the default's slowness is for real passwords).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    org = factories.OrganisationFactory(slug="zuiderhaven", languages=["nl"])
    kcc, back, social = (
        factories.TeamFactory(organisation=org, slug=s) for s in ("kcc", "backoffice", "sociaal")
    )
    training = factories.TrainingFactory(organisation=org, code="wmo-gesprek")
    factories.TopicFactory(organisation=org, code="paspoort", team=kcc)
    factories.TopicFactory(organisation=org, code="parkeren", team=back)
    factories.TopicFactory(
        organisation=org, code="wmo", team=social, restricted=True, required_training=training
    )
    channel = factories.ChannelFactory(organisation=org, key="formulier")

    def agent(name: str, *teams: Any, **kw: Any) -> Any:
        made = factories.AgentFactory(organisation=org, user__username=name, **kw)
        made.teams.set(teams)
        return made

    users = {
        "agent": agent("agent", kcc),
        "no_team": agent("no_team"),
        "social": agent("social", social),
        "supervisor": agent("supervisor", kcc, is_supervisor=True),
        "superuser": factories.UserFactory(username="root", is_superuser=True, is_staff=True),
        "staff": factories.UserFactory(username="staff", is_staff=True),
    }
    # "agent" qualifies for a topic-less contact in Dutch on the API channel (router's rules).
    factories.AgentLanguageFactory(agent=users["agent"], language="nl", proficiency=5)
    factories.AgentChannelFactory(agent=users["agent"], channel_kind="api", capacity=5)
    colleague = agent("colleague", kcc, back, social)
    topics = {"own": "paspoort", "team": "paspoort", "other_team": "parkeren",
              "restricted": "wmo", "pool": ""}  # fmt: skip
    conversations: dict[str, Conversation] = {}
    for scope, topic in topics.items():
        conversations[scope] = receive(channel, email=f"{scope}@example.nl", topic_code=topic)
    foreign = factories.ChannelFactory(organisation=factories.OrganisationFactory(slug="elders"))
    conversations["other_org"] = receive(foreign, email="elders@example.nl")
    conversations = {s: r.message.conversation for s, r in conversations.items()}
    with transaction.atomic():
        for scope in ("own", "team", "other_team", "restricted"):
            owner = users["agent"] if scope == "own" else colleague
            do_assign(lock_conversation(conversations[scope].pk), owner, reason="set-up")
    attachments = {
        scope: Attachment.objects.create(
            message=c.messages.first(),
            file=ContentFile(b"%PDF-1.4", name="brief.pdf"),
            content_type="application/pdf",
        )
        for scope, c in conversations.items()
    }
    return {"users": users, "conversations": conversations, "attachments": attachments,
            "colleague": colleague}  # fmt: skip


def client_for(user: Any) -> APIClient:
    """An API client logged in as ``user`` (an agent's user or a plain user)."""
    client = APIClient()
    client.force_authenticate(getattr(user, "user", user))
    return client


def _object_id(world: dict[str, Any], name: str, scope: str) -> int:
    if scope == "absent":
        return 987654
    conversation = world["conversations"][scope]
    if name == "attachment-download":
        return int(world["attachments"][scope].pk)
    if name in ("party-detail", "conduct-party"):
        return int(conversation.party_id)
    return int(conversation.pk)


def expected(role: str, endpoint: Endpoint, scope: str) -> int:
    """The status the documented table gives ``role`` on ``scope`` through ``endpoint``."""
    if endpoint.path.startswith("/routing/") and role not in AGENT_ROLES:
        return 403  # agent-only endpoints refuse before any lookup: nothing to probe
    visible = (PARTY_VISIBLE if endpoint.rule == "party" else VISIBLE)[role]
    if scope not in visible:
        return 404
    if endpoint.rule in ("read", "party"):
        return endpoint.ok
    if role not in AGENT_ROLES:
        return 403  # reads only, without an agent profile
    allowed = {
        "note": VISIBLE[role],
        "reply": MAY_REPLY.get(role, set()),
        "status": MAY_CHANGE_STATUS.get(role, set()),
        "supervise": MAY_SUPERVISE.get(role, set()),
    }[endpoint.rule]
    return endpoint.ok if scope in allowed else 403


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_matrix(world, name, role):
    """Every role on every scope gets the table's status: 404 when hidden, 403 when not allowed."""
    endpoint = ENDPOINTS[name]
    client = client_for(world["users"][role])
    got, want = {}, {}
    for scope in SCOPES:
        path = endpoint.path.format(id=_object_id(world, name, scope))
        if endpoint.multipart:
            upload = SimpleUploadedFile("brief.pdf", b"%PDF-1.4", content_type="application/pdf")
            response = getattr(client, endpoint.method)(path, {"file": upload}, format="multipart")
        else:
            body = endpoint.body
            if body == "assign":
                body = {"agent_id": world["colleague"].pk, "reason": "vakantie"}
            response = getattr(client, endpoint.method)(path, body, format="json")
        got[scope] = response.status_code
        want[scope] = expected(role, endpoint, scope)
        if response.status_code in (403, 404):
            assert "error" in response.json(), path
    assert got == want


def test_hidden_and_absent_answer_alike(world):
    """A foreign id and an absent id get the very same body, so ids cannot be probed."""
    client = client_for(world["users"]["agent"])
    foreign = world["conversations"]["other_team"].pk
    hidden = client.post(f"/api/v1/conversations/{foreign}/messages/", {"body": "x"})
    absent = client.post("/api/v1/conversations/987654/messages/", {"body": "x"})
    assert (hidden.status_code, hidden.json()) == (absent.status_code, absent.json())


def test_lists_show_only_what_is_visible(world):
    """The conversation and party lists hold exactly the visible rows of each role."""
    conversations, ids = world["conversations"], {}
    for role in ROLES:
        client = client_for(world["users"][role])
        listed = client.get("/api/v1/conversations/?page_size=100")
        parties = client.get("/api/v1/parties/?page_size=100")
        if role == "staff":
            ids[role] = (listed.json()["count"], parties.json()["count"])
            continue
        ids[role] = (
            {c["id"] for c in listed.json()["results"]},
            {p["id"] for p in parties.json()["results"]},
        )
        assert ids[role][0] == {conversations[s].pk for s in VISIBLE[role]}, role
        assert ids[role][1] == {conversations[s].party_id for s in PARTY_VISIBLE[role]}, role
    assert ids["staff"] == (0, 0)


def test_agents_and_channels_are_scoped_to_the_organisation(world):
    """Agents, channels and the queue feed are the organisation's; another's answer 404."""
    client = client_for(world["users"]["agent"])
    outsider = factories.AgentFactory(organisation=world["conversations"]["other_org"].organisation)
    channel = world["conversations"]["other_org"].channel
    assert client.get(f"/api/v1/agents/{outsider.pk}/").status_code == 404
    assert client.get(f"/api/v1/channels/{channel.pk}/").status_code == 404
    assert outsider.pk not in {a["id"] for a in client.get("/api/v1/agents/").json()["results"]}
    own = world["conversations"]["own"].channel
    assert [c["id"] for c in client.get("/api/v1/channels/").json()["results"]] == [own.pk]
    assert client.get("/routing/feed/").status_code == 200
    assert client.get("/api/v1/").status_code == 200
    assert client.get("/api/v1/schema/").status_code == 200
    assert client_for(world["users"]["staff"]).get("/routing/feed/").status_code == 403


def test_presence_is_ones_own_or_a_supervisors(world):
    """An agent sets their own presence (403 for a colleague's); a supervisor anyone's in the
    organisation; another organisation's agent is not found."""
    users = world["users"]
    outsider = factories.AgentFactory(organisation=world["conversations"]["other_org"].organisation)

    def post(role: str, target: Any) -> int:
        path = f"/api/v1/agents/{target.pk}/presence/"
        return client_for(users[role]).post(path, {"presence": "away"}, format="json").status_code

    assert [post("agent", t) for t in (users["agent"], users["no_team"], outsider)] == [
        200, 403, 404
    ]  # fmt: skip
    assert [post("supervisor", t) for t in (users["agent"], outsider)] == [200, 404]


def test_an_offer_exists_only_for_its_agent(world):
    """Accepting or declining someone else's offer, another organisation's or none: 404."""
    from balie.core import clock
    from balie.routing.models import Offer, QueueEntry

    def offer(scope: str, agent: Any) -> Offer:
        conversation = world["conversations"][scope]
        entry = QueueEntry.objects.create(
            conversation=conversation, organisation_id=conversation.organisation_id,
            channel_kind="api", enqueued_at=clock.now(),
        )  # fmt: skip
        return Offer.objects.create(
            entry=entry, agent=agent, created_at=clock.now(), expires_at=clock.now()
        )

    users = world["users"]
    mine = offer("pool", users["agent"])
    theirs = offer("team", users["no_team"])
    foreign = offer("other_org", factories.AgentFactory())
    client = client_for(users["agent"])
    for answer in ("accept", "decline"):
        for offer_id in (theirs.pk, foreign.pk, 987654):
            response = client.post(f"/routing/offers/{offer_id}/{answer}/")
            assert response.status_code == 404, (answer, offer_id)
    # The agent's own (lapsed) offer gets past the rules to the workflow's answer.
    assert client.post(f"/routing/offers/{mine.pk}/accept/").status_code == 409
