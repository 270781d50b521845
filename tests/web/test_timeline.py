"""The conversation page's timeline: attachments with their download links, and a query count
that does not grow with the messages' attachments or the organisation's colleagues."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from balie.conversations.models import Attachment, Direction, Message
from balie.conversations.workflow import Status
from tests import factories

pytestmark = pytest.mark.django_db


def _with_attachments(organisation, agent, files: int):  # type: ignore[no-untyped-def]
    conversation = factories.ConversationFactory(
        organisation=organisation, assignee=agent, status=Status.ASSIGNED
    )
    messages = Message.objects.bulk_create(
        Message(
            conversation=conversation,
            channel_id=conversation.channel_id,
            direction=Direction.INBOUND,
            body=f"bijlage {n}",
        )
        for n in range(files)
    )
    Attachment.objects.bulk_create(
        Attachment(
            message=message,
            filename=f"brief-{n}.pdf",
            content_type="application/pdf",
            size=2048,
        )
        for n, message in enumerate(messages)
    )
    return conversation


def test_attachments_show_with_name_type_size_and_download_link(
    client: Client, organisation
) -> None:  # type: ignore[no-untyped-def]
    """Each message shows its own attachments: file name, type, size, authorised download."""
    agent = factories.AgentFactory(organisation=organisation)
    conversation = _with_attachments(organisation, agent, 2)
    client.force_login(agent.user)
    html = client.get(f"/gesprekken/{conversation.pk}/").content.decode()
    for attachment in Attachment.objects.filter(message__conversation=conversation):
        assert f'href="/attachments/{attachment.pk}/"' in html
        assert f"{attachment.filename} (application/pdf, 2,0\xa0KB)" in html
    first, second = html.index("bijlage 0"), html.index("bijlage 1")
    assert first < html.index("brief-0.pdf") < second < html.index("brief-1.pdf")


@pytest.mark.slow
def test_query_count_does_not_grow_with_attachments_or_colleagues(
    client: Client, organisation
) -> None:
    """One attachment or forty, five colleagues or fifty: the page costs the same queries."""
    agent = factories.AgentFactory(organisation=organisation)
    small = _with_attachments(organisation, agent, 1)
    large = _with_attachments(organisation, agent, 40)
    client.force_login(agent.user)
    counts = []
    for conversation, colleagues in ((small, 5), (large, 45)):
        factories.AgentFactory.create_batch(colleagues, organisation=organisation)
        # the same page once just before: per-process caches with a lifetime (the calendar,
        # routing's board) are filled then, so a slow machine's pause cannot count them
        client.get(f"/gesprekken/{conversation.pk}/")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/gesprekken/{conversation.pk}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
