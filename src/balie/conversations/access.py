"""Who may see and do what inside an organisation: the one place the rules live.

The REST API, the routing views, the attachment download, the admin and the WebSocket all ask
here (``docs/authorisation.md`` has the table). Two questions, always in this order:

1. **Visible?** :func:`visible_conversations` scopes a queryset. What is not visible does not
   exist for the caller: a foreign id and an absent id both raise :class:`NotFound` (404), so
   ids cannot be probed.
2. **Permitted?** :func:`require` checks the action on a visible conversation and raises
   :class:`Forbidden` (403) with a stable code when the caller may read but not do it.

Plain Django; no DRF. ``actor`` is a user (``request.user``) or an agent.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from balie.conversations.models import Attachment, Conversation
from balie.conversations.ports import routing, special_categories
from balie.conversations.workflow import Status
from balie.core.converters import MAX_ID
from balie.core.errors import Forbidden, NotFound
from balie.organisations.models import Agent, AgentRole

#: Statuses in which a conversation waits for an agent and may be taken.
WAITING = frozenset({Status.NEW, Status.QUEUED})


class Action(StrEnum):
    """What a caller wants to do with a conversation."""

    READ = "read"  # the conversation, its messages, attachments and reply options
    NOTE = "note"  # add an internal note
    REPLY = "reply"  # reply, send a file, a template or an interactive message
    STATUS = "status"  # move it along the workflow
    SUPERVISE = "supervise"  # assign by hand, reprioritise, move to another topic


def agent_of(actor: Any) -> Agent | None:
    """The agent behind a user (or the agent itself); None for staff without a profile."""
    if isinstance(actor, Agent):
        return actor
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return getattr(actor, "agent", None)


def _is_superuser(actor: Any) -> bool:
    user = actor.user if isinstance(actor, Agent) else actor
    return bool(getattr(user, "is_superuser", False))


def is_supervisor(actor: Any) -> bool:
    """Supervisors (``Agent.is_supervisor``) and superusers act on every visible conversation."""
    agent = agent_of(actor)
    return _is_superuser(actor) or bool(agent is not None and agent.is_supervisor)


def visible_conversations(actor: Any) -> QuerySet[Conversation]:
    """The conversations ``actor`` may read.

    Superusers: all. Staff without an agent profile: none. An agent, within their
    organisation: those assigned to them or offered to them now; those of their teams; those
    of no team; and, for supervisors, every one. A conversation of a *restricted* topic is
    the exception: besides its assignee and the agent it is offered to, only members of the
    topic's team see it, supervisors included. Back office agents (``Agent.role``) see only
    what is forwarded to them: conversations on hold of their teams. A conversation with
    medical or criminal data (the privacy port) is seen by the organisation's designated team
    only, whoever else would see it.
    """
    if _is_superuser(actor):
        return Conversation.objects.all()
    agent = agent_of(actor)
    if agent is None:
        return Conversation.objects.none()
    my_teams = Agent.teams.through.objects.filter(agent_id=agent.pk).values("team_id")
    offered = routing().offered_to(agent.pk)  # routing builds on conversations: a port
    open_topic = Q(topic__isnull=True) | Q(topic__restricted=False)
    serving = Q(topic__restricted=True, topic__team_id__in=my_teams)
    special = special_categories()  # medical or criminal data: the designated team only
    if agent.role == AgentRole.BACKOFFICE:
        # back office: only what is forwarded to their teams (on hold), restricted or not
        forwarded = Conversation.objects.filter(
            organisation_id=agent.organisation_id,
            status=Status.ON_HOLD,
            team_id__in=my_teams,
        ).filter(open_topic | serving)
        return forwarded if special is None else forwarded.exclude(special.hidden(my_teams))
    if agent.is_supervisor:
        general = open_topic
    else:
        general = open_topic & (Q(team__isnull=True) | Q(team_id__in=my_teams))
    if special is None:
        return Conversation.objects.filter(organisation_id=agent.organisation_id).filter(
            Q(assignee_id=agent.pk) | offered | serving | general
        )
    return (
        Conversation.objects.filter(organisation_id=agent.organisation_id)
        .filter(Q(assignee_id=agent.pk) | offered | serving | general | special.shown(my_teams))
        .exclude(special.hidden(my_teams))
    )


def require(actor: Any, conversation: Conversation, action: Action) -> None:
    """Raise Forbidden unless ``actor`` may do ``action`` on the (visible) ``conversation``.

    Reading is allowed to whoever sees it. Notes: any agent who sees it. Replies (text,
    files, templates): its assignee, a supervisor, or, while it waits in the queue, an agent
    the router would give it to (skill, training, language, capacity). Status changes: its
    assignee or a supervisor. Assigning, reprioritising and moving by hand: supervisors.
    """
    if action == Action.READ:
        return
    agent = agent_of(actor)
    if agent is None:
        raise Forbidden("only agents can answer or change conversations", code="not_an_agent")
    if agent.role == AgentRole.BACKOFFICE and action != Action.NOTE:
        raise Forbidden("the back office reads and notes only", code="back_office")
    supervisor = is_supervisor(actor)
    if action == Action.NOTE or supervisor:
        return
    if action == Action.SUPERVISE:
        raise Forbidden("only a supervisor may do this", code="not_a_supervisor")
    if conversation.assignee_id == agent.pk:
        return
    if (
        action == Action.REPLY
        and conversation.assignee_id is None
        and (Status(conversation.status) in WAITING)
    ):
        if routing().may_take(agent, conversation):
            return
        raise Forbidden(
            "this contact needs a skill, training, language or free capacity you do not have",
            code="not_eligible",
        )
    raise Forbidden("only the assigned agent or a supervisor may do this", code="not_assigned")


def _checked_id(object_id: Any) -> int:
    """An id from a URL as an int, or NotFound (text and out-of-range ids cannot exist)."""
    try:
        value = int(object_id)
    except (TypeError, ValueError) as exc:
        raise NotFound("not found") from exc
    if not 0 < value <= MAX_ID:
        raise NotFound("not found")
    return value


def access_conversation(
    actor: Any, conversation_id: Any, *, for_action: Action = Action.READ
) -> Conversation:
    """The conversation if ``actor`` may do ``for_action`` on it.

    NotFound (404) when it is absent or not visible to ``actor`` (the same answer, so ids
    cannot be probed); Forbidden (403, with a code) when visible but not permitted.
    """
    found = (
        visible_conversations(actor)
        .select_related("channel", "topic", "organisation")
        .filter(pk=_checked_id(conversation_id))
        .first()
    )
    if found is None:
        raise NotFound("not found")
    require(actor, found, for_action)
    return found


def access_attachment(actor: Any, attachment_id: Any) -> Attachment:
    """The attachment if ``actor`` may read its conversation and it has a file; else NotFound."""
    attachment = (
        Attachment.objects.filter(
            pk=_checked_id(attachment_id),
            message__conversation__in=visible_conversations(actor).values("pk"),
        )
        .exclude(file="")
        .first()
    )
    if attachment is None:
        raise NotFound("not found")
    return attachment


def visible_parties(actor: Any) -> QuerySet[Any]:
    """The parties ``actor`` may read: superusers all; supervisors their organisation's; an
    agent those with a conversation visible to them (so a restricted contact's citizen stays
    hidden from colleagues outside the serving team)."""
    from balie.parties.models import Party  # parties do not depend on conversations

    if _is_superuser(actor):
        return Party.objects.all()
    agent = agent_of(actor)
    if agent is None:
        return Party.objects.none()
    mine = Party.objects.filter(organisation_id=agent.organisation_id)
    if agent.is_supervisor:
        return mine
    return mine.filter(Exists(visible_conversations(agent).filter(party_id=OuterRef("pk"))))


def access_offer(actor: Any, offer_id: Any) -> int:
    """The id of an offer made to ``actor``; NotFound for anyone else's or an absent one."""
    agent = agent_of(actor)
    offer_id = _checked_id(offer_id)
    if agent is None or not routing().is_offer_of(offer_id, agent.pk):
        raise NotFound("not found")
    return offer_id
