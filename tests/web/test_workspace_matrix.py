"""Every workspace URL × role × scope → status: a page added without an entry here fails.

Roles: visitor (not logged in), agent, supervisor, back office, administrator (a superuser
with an agent profile). Scopes for URLs with a conversation id: a conversation of the own
organisation that every role may see (assigned to the agent, on hold in the back office's
team), one of another organisation, and an id that does not exist. Other organisations'
ids answer exactly as absent ones (404) to everyone but the administrator, who sees all.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse

from balie.conversations.workflow import Status
from balie.organisations.models import AgentRole
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = ("visitor", "agent", "supervisor", "backoffice", "administrator")
SCOPES = ("own", "other", "absent")
ABSENT = 987654321

# name: (method, extra kwargs, {role: status on the own organisation's conversation}).
# Ids ("pk") are added for the patterns that take one. For other/absent scopes a role that
# passes the role check gets 404 (administrator: the same as own for other).
V, A, S, B, D = ROLES
LOGIN = 302  # a visitor is sent to the login
ANSWERING = {V: LOGIN, A: 200, S: 200, B: 403, D: 200}
STEERING = {V: LOGIN, A: 403, S: 200, B: 403, D: 200}
EVERYONE = {V: LOGIN, A: 200, S: 200, B: 200, D: 200}
POSTED = {V: LOGIN, A: 302, S: 302, B: 403, D: 302}
SPEC: dict[str, tuple[str, dict[str, Any], dict[str, int]]] = {
    "home": ("GET", {}, {V: 302, A: 302, S: 302, B: 302, D: 302}),
    "login": ("GET", {}, {V: 200, A: 302, S: 302, B: 302, D: 302}),
    "logout": ("GET", {}, {V: 405, A: 405, S: 405, B: 405, D: 405}),
    "login_otp": ("GET", {}, {V: 302, A: 302, S: 302, B: 302, D: 302}),
    "otp_setup": ("GET", {}, {V: 302, A: 302, S: 302, B: 302, D: 302}),
    "oidc_start": ("GET", {}, {V: 404, A: 404, S: 404, B: 404, D: 404}),
    "oidc_callback": ("GET", {}, {V: 404, A: 404, S: 404, B: 404, D: 404}),
    "set_language": ("GET", {}, {V: 405, A: 405, S: 405, B: 405, D: 405}),
    "inbox": ("GET", {}, EVERYONE),
    "conversation": ("GET", {}, EVERYONE),
    "conversation_live": ("GET", {}, EVERYONE),
    # without ``?before=<a message id>`` there is no page to show
    "conversation_older": ("GET", {}, {**EVERYONE, A: 404, S: 404, B: 404, D: 404}),
    # forms posted without htmx answer by redirecting back to the conversation (done or refused)
    "reply": ("POST", {}, POSTED),
    "note": ("POST", {}, {**POSTED, B: 302}),
    "template": ("POST", {}, POSTED),
    "upload": ("POST", {}, POSTED),
    "retry": ("POST", {"message_pk": ABSENT}, POSTED),
    "transfer": ("POST", {}, POSTED),
    "facts": ("POST", {}, POSTED),
    "wrap_up": ("POST", {}, POSTED),
    "status": ("POST", {"move": "resolve"}, POSTED),
    "replies_tone": ("POST", {}, POSTED),
    "offers": ("GET", {}, ANSWERING),
    "offer_answer": ("POST", {"answer": "accept"}, {**ANSWERING, A: 404, S: 404, D: 404}),
    "supervisor": ("GET", {}, STEERING),
    "supervisor_tables": ("GET", {}, STEERING),
    "supervisor_steer": ("GET", {}, STEERING),
    "supervisor_act": ("POST", {"action": "assign"}, {**STEERING, S: 302, D: 302}),
    "presence": ("POST", {}, POSTED),
    "conduct_step": ("POST", {}, POSTED),
    "conduct_block": ("POST", {"block_pk": ABSENT, "action": "confirm"}, POSTED),
    "conduct_blocks": ("GET", {}, STEERING),
    "conduct_block_action": (
        "POST",
        {"block_pk": ABSENT, "action": "confirm"},
        {**ANSWERING, A: 404, S: 404, D: 404},
    ),
    "privacy_accept": ("POST", {}, POSTED),
    "privacy_callbacks": ("GET", {}, STEERING),
    "privacy_callback_done": ("POST", {}, {**STEERING, S: 404, D: 404}),
    # no such message in the conversation: refused like any form (unseal checks the role)
    "privacy_unseal": ("POST", {"message_id": ABSENT}, {**POSTED, B: 302}),
    # back office: the list for everyone; a task's pages take a task id (none in this world)
    "backoffice_tasks": ("GET", {}, EVERYONE),
    "backoffice_task": ("GET", {}, {**EVERYONE, A: 404, S: 404, B: 404, D: 404}),
    "backoffice_answer": ("POST", {}, {**EVERYONE, A: 404, S: 404, B: 404, D: 404}),
    "backoffice_extend": ("POST", {}, {**EVERYONE, A: 404, S: 404, B: 404, D: 404}),
    "backoffice_withdraw": ("POST", {}, {**EVERYONE, A: 404, S: 404, B: 404, D: 404}),
    "backoffice_forward": ("POST", {}, POSTED),
    # a person's data (access and erasure requests): their id is the conversation's party's
    "rights_party": ("GET", {}, STEERING),
    "rights_party_json": ("GET", {}, STEERING),
    "rights_erase": ("POST", {}, {**STEERING, S: 302, D: 302}),
    "rights_register": ("GET", {}, {V: LOGIN, A: 403, S: 403, B: 403, D: 200}),
    "still_needed": ("POST", {}, POSTED),
    # merging parties (supervisors): without two parties there is nothing to confirm
    "parties_merge": ("GET", {}, STEERING),
    "parties_merge_confirm": ("GET", {}, {**STEERING, S: 404, D: 404}),
    "parties_merge_do": ("POST", {}, {**STEERING, S: 302, D: 302}),
    "parties_dismiss": ("POST", {}, {**STEERING, S: 302, D: 302}),
    "parties_undo": ("POST", {"merge_pk": ABSENT}, {**STEERING, S: 404, D: 404}),
}
# their id is an offer's, a call-back request's or a task's: own scope has none to show
NOT_A_CONVERSATION = {
    "offer_answer", "privacy_callback_done",
    "backoffice_task", "backoffice_answer", "backoffice_extend", "backoffice_withdraw",
}  # fmt: skip
# their id is a party's: the own and the other organisation's conversation's party
PARTY_URLS = {"rights_party", "rights_party_json", "rights_erase"}


def _web_patterns() -> dict[str, URLPattern]:
    resolver = get_resolver()
    found: dict[str, URLPattern] = {}
    for entry in resolver.url_patterns:
        if getattr(entry, "namespace", None) == "web":
            for pattern in entry.url_patterns:
                found[pattern.name] = pattern
    return found


def test_every_workspace_url_has_an_entry() -> None:
    """Each ``web:`` URL pattern is in the matrix, and the matrix names no pattern that is gone."""
    assert set(_web_patterns()) == set(SPEC)


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    """Two organisations, each with a conversation on hold of a team; the five roles in one."""
    own, other = factories.OrganisationFactory(), factories.OrganisationFactory()
    team = factories.TeamFactory(organisation=own)
    people: dict[str, Any] = {"visitor": None}
    for role in (AgentRole.AGENT, AgentRole.SUPERVISOR, AgentRole.BACKOFFICE):
        people[str(role)] = factories.AgentFactory(organisation=own, role=role)
    admin = factories.AgentFactory(organisation=own, user__is_superuser=True)
    admin.user.is_staff = True
    admin.user.save()
    people["administrator"] = admin
    for agent in list(people.values())[1:]:
        agent.teams.add(team)
    conversations = {
        "own": factories.ConversationFactory(
            organisation=own, team=team, assignee=people["agent"], status=Status.ON_HOLD
        ).pk,
        "other": factories.ConversationFactory(
            organisation=other,
            team=factories.TeamFactory(organisation=other),
            status=Status.ON_HOLD,
        ).pk,
        "absent": ABSENT,
    }
    from balie.conversations.models import Conversation

    for scope in ("own", "other"):
        conversations[f"{scope}_party"] = Conversation.objects.get(pk=conversations[scope]).party_id
    conversations["absent_party"] = ABSENT
    return people, conversations


def _expected(name: str, role: str, scope: str, takes_id: bool) -> int:
    own = SPEC[name][2][role]
    if not takes_id or scope == "own" or role == "visitor" or own in (403, 405):
        return own
    if role == "administrator" and scope == "other" and name not in NOT_A_CONVERSATION:
        return own  # a superuser sees every organisation
    return 404


@pytest.mark.parametrize("role", ROLES)
def test_every_url_and_scope_answers_the_role_as_the_matrix_says(world, role) -> None:  # type: ignore[no-untyped-def]
    """Each URL answers the role in each scope with the status in SPEC (403 role, 404 scope)."""
    people, conversations = world
    patterns = _web_patterns()
    wrong = []
    client = Client()
    if people[role] is not None:
        client.force_login(people[role].user)
    if True:
        for name, (method, extra, _statuses) in SPEC.items():
            takes_id = "pk" in patterns[name].pattern.converters
            for scope in SCOPES if takes_id else ("-",):
                kwargs = dict(extra)
                if takes_id:
                    key = f"{scope}_party" if name in PARTY_URLS else scope
                    kwargs["pk"] = conversations[key]
                url = reverse(f"web:{name}", kwargs=kwargs)
                answer = client.get(url) if method == "GET" else client.post(url, {})
                expected = _expected(name, role, scope, takes_id)
                if answer.status_code != expected:
                    wrong.append((name, role, scope, answer.status_code, expected))
    assert wrong == []
