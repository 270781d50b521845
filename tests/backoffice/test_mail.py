"""Task mail over real SMTP on loopback (aiosmtpd): the notification to the team, its reply
taken as the answer (threaded by In-Reply-To or the subject's reference), automatic mail and
strangers refused; overdue tasks escalated to the team lead by the periodic sweep."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
import time_machine
from aiosmtpd.controller import Controller

from balie.backoffice.actions import check_forward
from balie.backoffice.mail import receive_task_reply
from balie.backoffice.models import FactKind, Task, TaskFact
from balie.backoffice.overdue import sweep_overdue
from balie.conversations.models import Conversation, Direction, Message
from balie.core.errors import InvalidInput, NotFound
from tests.backoffice.conftest import assigned_conversation

AMS = ZoneInfo("Europe/Amsterdam")
pytestmark = pytest.mark.django_db


class Inbox:
    """Collects what the SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def smtp(settings) -> Iterator[Inbox]:  # type: ignore[no-untyped-def]
    """A real SMTP server on a free loopback port; Django's backend sends to it."""
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    yield inbox
    controller.stop()


def forwarded(desk) -> Task:  # type: ignore[no-untyped-def]
    message = assigned_conversation(desk)
    return check_forward(
        message.conversation_id, desk.agent, team_id=desk.vergunningen.pk,
        requested_action="Beoordeel de kap", message_ids=[message.pk],
    )  # fmt: skip


def reply_to(notice: EmailMessage, sender: str, text: str, **headers: str) -> bytes:
    answer = EmailMessage()
    answer["From"] = sender
    answer["To"] = notice["From"]
    answer["Subject"] = "Re: " + str(notice["Subject"])
    answer["In-Reply-To"] = notice["Message-ID"]
    for key, value in headers.items():
        answer[key.replace("_", "-")] = value
    answer.set_content(f"{text}\n\nOp 26 nov schreef Balie:\n> {notice.get_content()[:40]}")
    return bytes(answer)


def test_the_team_is_mailed_and_a_reply_answers_the_task(desk, smtp, run_tasks):
    """The notification reaches the team over SMTP; replying to it answers the task."""
    task = forwarded(desk)
    run_tasks()
    assert len(smtp.messages) == 1
    notice = smtp.messages[0]
    assert notice["To"] == "bram@dewaard.nl"
    assert f"[{task.reference}]" in notice["Subject"]
    assert "Mag ik de eik in mijn tuin kappen?" in notice.get_content()
    answered = receive_task_reply(reply_to(notice, "Bram <bram@dewaard.nl>", "Ja, dat mag."))
    assert answered.pk == task.pk
    task.refresh_from_db()
    assert task.state == "answered"
    assert task.answer == "Ja, dat mag."  # the quoted original is left out
    assert Conversation.objects.get(pk=task.conversation_id).status == "assigned"
    note = Message.objects.filter(conversation_id=task.conversation_id, direction=Direction.NOTE)
    assert note.filter(body__contains="Ja, dat mag.").exists()


def test_the_subject_reference_finds_the_task_without_threading_headers(desk, smtp, run_tasks):
    """A client that drops In-Reply-To still reaches the task by ``[T-…]`` in the subject."""
    task = forwarded(desk)
    run_tasks()
    answer = EmailMessage()
    answer["From"] = "bram@dewaard.nl"
    answer["Subject"] = f"Re: [{task.reference}] Beoordeel de kap"
    answer.set_content("Akkoord.")
    assert receive_task_reply(bytes(answer)).pk == task.pk


def test_automatic_mail_and_strangers_are_refused(desk, smtp, run_tasks):
    """An out-of-office reply and a sender outside the team answer nothing."""
    task = forwarded(desk)
    run_tasks()
    notice = smtp.messages[0]
    with pytest.raises(InvalidInput):
        receive_task_reply(
            reply_to(notice, "bram@dewaard.nl", "Ik ben afwezig", Auto_Submitted="auto-replied")
        )
    with pytest.raises(InvalidInput):
        receive_task_reply(reply_to(notice, "iemand@example.org", "Ja"))
    unknown = EmailMessage()
    unknown["From"] = "bram@dewaard.nl"
    unknown["Subject"] = "Re: iets anders"
    unknown.set_content("Ja")
    with pytest.raises(NotFound):
        receive_task_reply(bytes(unknown))
    task.refresh_from_db()
    assert task.state == "open"


def test_overdue_tasks_escalate_to_the_team_lead_once(desk, smtp, run_tasks):
    """Past the term the sweep marks the task overdue and mails the lead; a second sweep
    does nothing more."""
    with time_machine.travel(datetime(2026, 11, 26, 10, 0, tzinfo=AMS), tick=False):
        task = forwarded(desk)
        run_tasks()
    with time_machine.travel(task.due_at + timedelta(minutes=1), tick=False):
        assert sweep_overdue() == 1
        assert sweep_overdue() == 0
        run_tasks()
    task.refresh_from_db()
    assert task.state == "overdue"
    assert task.escalated_at is not None
    escalations = [m for m in smtp.messages if m["To"] == "lotte@dewaard.nl"]
    assert len(escalations) == 1
    assert "termijn verstreken" in escalations[0]["Subject"]
    fact = TaskFact.objects.get(task=task, kind=FactKind.OVERDUE)
    assert fact.met is False


def test_the_management_command_takes_a_reply_file(desk, smtp, run_tasks, tmp_path):
    """``backoffice_mail_reply FILE`` answers the task; a bad file fails with its code."""
    from django.core.management import CommandError, call_command

    task = forwarded(desk)
    run_tasks()
    path = tmp_path / "reply.eml"
    path.write_bytes(reply_to(smtp.messages[0], "bram@dewaard.nl", "Goedgekeurd."))
    call_command("backoffice_mail_reply", str(path))
    task.refresh_from_db()
    assert task.answer == "Goedgekeurd."
    path.write_bytes(b"From: bram@dewaard.nl\r\nSubject: los\r\n\r\nJa\r\n")
    with pytest.raises(CommandError, match="not_found"):
        call_command("backoffice_mail_reply", str(path))
