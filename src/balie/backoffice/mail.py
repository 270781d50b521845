"""Tasks by e-mail: the notification to the team over SMTP (Django's e-mail backend, host in
``EMAIL_HOST``/``EMAIL_PORT``) and its reply coming back as the task's answer.

A reply is matched to its task by ``In-Reply-To``/``References`` (the notification's
Message-ID) or the reference in the subject (``[T-12-3f9a1c]``); its sender must be a member of
the task's team (the login's e-mail address). Automatic mail (RFC 3834) is never an answer.
The e-mail channel's intake (or ``balie manage backoffice_mail_reply``) calls
:func:`receive_task_reply` with the raw RFC 822 bytes.
"""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage as ParsedMessage
from email.utils import getaddresses, make_msgid

import structlog
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from balie.backoffice.actions import check_answer
from balie.backoffice.events import TaskChanged, TaskOverdue
from balie.backoffice.models import CarePolicy, Task
from balie.backoffice.overdue import team_leads
from balie.backoffice.terms import calendar_of, written_due
from balie.core.errors import InvalidInput, NotFound
from balie.organisations.models import Agent, AgentRole

log = structlog.get_logger(__name__)
REFERENCE = re.compile(r"\[T-(\d{1,18})-([0-9a-f]{6})\]")
MESSAGE_ID = re.compile(r"<[^>]+>")
#: a line that starts the quoted original in common mail clients
QUOTE_START = re.compile(r"^(On .+ wrote:|Op .+ schreef .+:|-----Original Message-----|>)")
MAX_RAW = 10 << 20


def _sender(task: Task) -> str:
    policy = CarePolicy.objects.filter(organisation_id=task.organisation_id).first()
    return (policy.task_mail_from if policy else "") or settings.DEFAULT_FROM_EMAIL


def _recipients(agents: list[Agent]) -> list[str]:
    return sorted({a.user.email for a in agents if a.user.email})


def _due_text(task: Task) -> str:
    zone = calendar_of(task.organisation, team=task.team).zone
    return written_due(task.due_at.astimezone(zone), "nl")


def send_task_mail(event: TaskChanged) -> None:
    """Mail a newly forwarded task to its team (handler of ``backoffice_task_changed``)."""
    task = Task.objects.select_related("team", "organisation").filter(pk=event.task_id).first()
    if task is None or task.mail_message_id:
        return  # gone, or already mailed (a handler may run twice)
    members = list(
        Agent.objects.filter(teams=task.team_id, role=AgentRole.BACKOFFICE).select_related("user")
    )
    to = _recipients(members)
    if not to:
        log.info("backoffice_task_mail_skipped", task_id=task.pk, reason="no addresses")
        return
    sender = _sender(task)
    message_id = make_msgid(domain=sender.rpartition("@")[2] or None)
    lines = [m.message.body for m in task.task_messages.select_related("message").order_by("pk")]
    with translation.override("nl"):
        body = "\n".join(
            [
                _("Requested action: %(action)s") % {"action": task.requested_action},
                _("Answer by: %(due)s") % {"due": _due_text(task)},
                "",
                _("Messages sent along:"),
                *[f"- {line}" for line in lines],
                "",
                _("Reply to this e-mail to answer; your reply goes to the contact centre."),
            ]
        )
        subject = f"[{task.reference}] {task.requested_action}"
    mail = EmailMessage(subject, body, sender, to, headers={"Message-ID": message_id})
    mail.send()
    Task.objects.filter(pk=task.pk).update(mail_message_id=message_id)
    log.info("backoffice_task_mailed", task_id=task.pk, recipients=len(to))


def send_escalation_mail(event: TaskOverdue) -> None:
    """Tell the team lead a task's term passed (handler of ``backoffice_task_overdue``)."""
    task = Task.objects.select_related("team", "organisation").filter(pk=event.task_id).first()
    if task is None:
        return
    to = _recipients(team_leads(task))
    if not to:
        return
    with translation.override("nl"):
        subject = _("[%(ref)s] term passed: %(action)s") % {
            "ref": task.reference, "action": task.requested_action,
        }  # fmt: skip
        body = _("The task for %(team)s was due %(due)s and has not been answered.") % {
            "team": task.team.name, "due": _due_text(task),
        }  # fmt: skip
    EmailMessage(subject, body, _sender(task), to).send()
    log.info("backoffice_task_escalated", task_id=task.pk, recipients=len(to))


def _is_automatic(parsed: ParsedMessage) -> bool:
    auto = str(parsed.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(parsed.get("Precedence", "")).strip().lower()
    return (
        auto != "no"
        or precedence in {"bulk", "junk", "list"}
        or any(key.lower().startswith("list-") for key in parsed)
        or str(parsed.get("Return-Path", "")).strip() == "<>"
    )


def reply_text(parsed: ParsedMessage) -> str:
    """The reply's own words: the plain-text body without the quoted original."""
    part = parsed.get_body(preferencelist=("plain",))
    if part is None:
        raise InvalidInput("the reply has no plain-text part", code="mail_body")
    text = part.get_content() if isinstance(part, ParsedMessage) else ""
    kept: list[str] = []
    for line in str(text).splitlines():
        if QUOTE_START.match(line.strip()):
            break
        kept.append(line)
    return "\n".join(kept).strip()


def _task_of(parsed: ParsedMessage) -> Task:
    ids = MESSAGE_ID.findall(f"{parsed.get('In-Reply-To', '')} {parsed.get('References', '')}")
    task = Task.objects.filter(mail_message_id__in=ids).first() if ids else None
    if task is None and (found := REFERENCE.search(str(parsed.get("Subject", "")))):
        candidate = Task.objects.filter(pk=int(found.group(1))).first()
        if candidate is not None and candidate.uuid.hex[:6] == found.group(2):
            task = candidate
    if task is None:
        raise NotFound("no task matches this reply")
    return task


def receive_task_reply(raw: bytes) -> Task:
    """Take a reply to a task's notification e-mail as the task's answer.

    InvalidInput for automatic mail, a missing body or a sender outside the task's team;
    NotFound when no task matches. Nothing is written then.
    """
    if len(raw) > MAX_RAW:
        raise InvalidInput("the e-mail is too large", code="mail_size")
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, ParsedMessage)
    if _is_automatic(parsed):
        raise InvalidInput("an automatic e-mail is not an answer", code="mail_automatic")
    task = _task_of(parsed)
    senders = [address.lower() for _name, address in getaddresses([str(parsed.get("From", ""))])]
    agent = (
        Agent.objects.filter(
            organisation_id=task.organisation_id, teams=task.team_id, user__email__iexact=senders[0]
        ).first()
        if senders and senders[0]
        else None
    )
    if agent is None:
        raise InvalidInput("the sender is not a member of the task's team", code="mail_sender")
    with transaction.atomic():
        return check_answer(task.pk, agent, reply_text(parsed))
