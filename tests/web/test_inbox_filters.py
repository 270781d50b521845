"""The inbox's filters, search, sort, counts and pages, through the Django test client."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from balie.conversations.actions.edit import check_set_labels
from balie.conversations.models import Message
from balie.conversations.workflow import Status
from balie.web.views.inbox import PAGE_SIZE
from tests import factories

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def supervisor(organisation):  # type: ignore[no-untyped-def]
    organisation.languages = ["nl", "en", "tr"]
    organisation.save()
    return factories.AgentFactory(
        organisation=organisation, user__username="teamleider", is_supervisor=True
    )


@pytest.fixture
def web(supervisor) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(supervisor.user)
    return client


def _conversation(organisation, *, minutes: int = 0, body: str = "Vraag", **fields):  # type: ignore[no-untyped-def]
    conversation = factories.ConversationFactory(
        organisation=organisation, last_inbound_at=T0 + dt.timedelta(minutes=minutes), **fields
    )
    Message.objects.create(
        conversation=conversation, channel=conversation.channel, direction="inbound", body=body
    )
    return conversation


def _rows(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'id="row-(\d+)"', html)]


def _list(web: Client, query: str) -> list[int]:
    response = web.get(f"/gesprekken/?view=all&{query}")
    assert response.status_code == 200
    return _rows(response.content.decode())


def test_channel_filter_keeps_one_channel(web, organisation) -> None:  # type: ignore[no-untyped-def]
    """``channel=whatsapp`` lists only WhatsApp conversations."""
    whatsapp = factories.ChannelFactory(organisation=organisation, kind="whatsapp")
    on_whatsapp = _conversation(organisation, channel=whatsapp)
    _conversation(organisation)
    assert _list(web, "channel=whatsapp") == [on_whatsapp.pk]


def test_topic_filter_keeps_one_topic(web, organisation) -> None:  # type: ignore[no-untyped-def]
    """``topic=paspoort`` lists only conversations about passports."""
    passport = factories.TopicFactory(organisation=organisation, code="paspoort", name="Paspoort")
    about = _conversation(organisation, topic=passport)
    _conversation(organisation)
    assert _list(web, "topic=paspoort") == [about.pk]


def test_language_filter_keeps_one_language(web, organisation) -> None:  # type: ignore[no-untyped-def]
    """``language=tr`` lists only Turkish conversations; the form offers the organisation's."""
    turkish = _conversation(organisation, language="tr")
    _conversation(organisation, language="nl")
    assert _list(web, "language=tr") == [turkish.pk]
    assert '<option value="tr"' in web.get("/gesprekken/?view=all").content.decode()


def test_status_filter_keeps_one_status(web, organisation) -> None:  # type: ignore[no-untyped-def]
    """``status=pending`` lists only pending conversations; a made-up status is ignored."""
    pending = _conversation(organisation, status=Status.PENDING)
    queued = _conversation(organisation, status=Status.QUEUED, minutes=1)
    assert _list(web, "status=pending") == [pending.pk]
    assert _list(web, "status=nonsense") == [pending.pk, queued.pk]


def test_label_filter_keeps_labelled_conversations(web, organisation, supervisor) -> None:  # type: ignore[no-untyped-def]
    """``label=spoed`` lists only conversations with that label, shown on the row."""
    urgent = _conversation(organisation)
    check_set_labels(urgent.pk, ["spoed", "terugbellen"], actor=supervisor)
    other = _conversation(organisation, minutes=1)
    check_set_labels(other.pk, ["terugbellen"], actor=supervisor)
    assert _list(web, "label=spoed") == [urgent.pk]
    assert _list(web, "label=terugbellen") == [urgent.pk, other.pk]
    html = web.get("/gesprekken/?view=all&label=spoed").content.decode()
    assert '<option value="spoed" selected>' in html
    assert '<span class="balie-chip">spoed</span>' in html


def test_search_finds_messages_and_names_and_never_breaks(web, organisation) -> None:  # type: ignore[no-untyped-def]
    """``q`` searches messages and party names; syntax characters answer a page, not a 500."""
    passport = _conversation(organisation, body="Mijn paspoort is verlopen")
    named = _conversation(organisation, minutes=1, party__display_name="Zeynep Çelik")
    assert _list(web, "q=paspo") == [passport.pk]
    assert _list(web, "q=celik") == [named.pk]
    for query in ("%22", "*", "NEAR(", "-", "'", "%22paspoort*"):
        assert web.get(f"/gesprekken/?view=all&q={query}").status_code == 200


def test_search_combines_with_filters(web, organisation) -> None:  # type: ignore[no-untyped-def]
    """Search and filters narrow together."""
    whatsapp = factories.ChannelFactory(organisation=organisation, kind="whatsapp")
    on_whatsapp = _conversation(organisation, channel=whatsapp, body="paspoort kwijt")
    _conversation(organisation, body="paspoort kwijt")
    assert _list(web, "q=paspoort&channel=whatsapp") == [on_whatsapp.pk]


def test_sort_by_waiting_and_by_newest(web, organisation) -> None:  # type: ignore[no-untyped-def]
    """``sort=waiting`` puts the longest waiting first; ``sort=newest`` the latest activity."""
    early = _conversation(organisation, minutes=0)
    late = _conversation(organisation, minutes=30)
    assert _list(web, "sort=waiting") == [early.pk, late.pk]
    assert _list(web, "sort=newest") == [late.pk, early.pk]


def test_counts_per_view_and_for_the_filtered_list(web, organisation, supervisor) -> None:  # type: ignore[no-untyped-def]
    """Each view shows its count; the list says how many match its filters."""
    _conversation(organisation, assignee=supervisor, status=Status.ASSIGNED)
    _conversation(organisation, minutes=1)
    _conversation(organisation, minutes=2, status=Status.RESOLVED)
    html = web.get("/gesprekken/?view=all").content.decode()
    counts = dict(re.findall(r'id="count-(\w+)"[^>]*>(\d+)<', html))
    assert counts == {"mine": "1", "team": "0", "unassigned": "1", "all": "2"}
    assert "2 gesprekken" in html
    assert "1 gesprek<" in web.get("/gesprekken/?view=all&status=assigned").content.decode()


def test_pages_of_fifty_keep_the_filters(web, organisation) -> None:  # type: ignore[no-untyped-def]
    """The list pages by PAGE_SIZE; the next-page link keeps filters and sort."""
    created = [_conversation(organisation, minutes=i) for i in range(PAGE_SIZE + 3)]
    first = web.get("/gesprekken/?view=all&sort=waiting").content.decode()
    assert _rows(first) == [c.pk for c in created[:PAGE_SIZE]]
    assert "view=all&amp;sort=waiting&amp;page=2" in first
    second = _list(web, "sort=waiting&page=2")
    assert second == [c.pk for c in created[PAGE_SIZE:]]
    assert _list(web, "sort=waiting&page=999") == second  # past the end: the last page


def test_live_refresh_keeps_the_open_conversation_marked(web, organisation) -> None:  # type: ignore[no-untyped-def]
    """The conversation page asks for the list with ``current``; the fragment marks that row."""
    first = _conversation(organisation)
    second = _conversation(organisation, minutes=1)
    page = web.get(f"/gesprekken/{second.pk}/?view=all").content.decode()
    assert f'hx-vals=\'{{"current": "{second.pk}"}}\'' in page
    fragment = web.get(
        f"/gesprekken/?view=all&current={second.pk}", HTTP_HX_REQUEST="true"
    ).content.decode()
    row = re.search(rf'id="row-{second.pk}".*?</li>', fragment, re.S)
    assert row is not None
    assert 'aria-current="page"' in row.group(0)
    rows = fragment.split('id="conversation-rows"')[1].split("</ul>")[0]
    assert rows.count('aria-current="page"') == 1
    assert f'id="row-{first.pk}"' in fragment


def _queries(web: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert web.get(url).status_code == 200
    return len(captured)


def test_the_number_of_queries_does_not_grow_with_the_rows(web, organisation, supervisor) -> None:  # type: ignore[no-untyped-def]
    """The inbox, filtered and searched, takes as many queries for 3 rows as for 40."""
    urls = [
        "/gesprekken/?view=all",
        "/gesprekken/?view=all&q=vraag&sort=newest",
        "/gesprekken/?view=all&label=spoed&language=nl",
    ]
    for i in range(3):
        c = _conversation(organisation, minutes=i, language="nl")
        check_set_labels(c.pk, ["spoed"], actor=supervisor)
    few = [_queries(web, url) for url in urls]
    for i in range(37):
        c = _conversation(organisation, minutes=10 + i, language="nl", assignee=supervisor)
        check_set_labels(c.pk, ["spoed", f"extra-{i % 5}"], actor=supervisor)
    assert [_queries(web, url) for url in urls] == few
