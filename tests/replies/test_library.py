"""Canned replies and greetings: variants per language and tone, variables, search, the
composer panel, the tone switch through the workspace, and GET /api/v1/replies/."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import transaction
from django.test import Client

from balie.conversations.actions import do_assign
from balie.conversations.actions.status import lock_conversation
from balie.conversations.models import ConversationChange
from balie.replies.library import check_choose_tone, greeting_for, search, suggestion, variants
from balie.replies.models import CannedReply, ConversationSpeech, Greeting
from balie.replies.variables import fill, unknown_variables, values_for
from tests import factories
from tests.helpers import receive

pytestmark = pytest.mark.django_db

HOURS = {d: [["08:30", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


@pytest.fixture(autouse=True)
def fresh_calendars() -> None:
    """Calendars are cached per process by organisation id; ids repeat across tests."""
    from balie.sla.calendars import forget_calendars

    forget_calendars()


@pytest.fixture
def org(db: None):  # type: ignore[no-untyped-def]
    return factories.OrganisationFactory(
        slug="gemeente", languages=["nl", "en"], business_hours=HOURS,
        signature="Met vriendelijke groet, Klantcontactcentrum",
    )  # fmt: skip


@pytest.fixture
def web(org):  # type: ignore[no-untyped-def]
    return factories.ChannelFactory(organisation=org, key="web", kind="webchat")


@pytest.fixture
def agent(org):  # type: ignore[no-untyped-def]
    return factories.AgentFactory(
        organisation=org, user__username="sanne", display_name="Sanne de Wit"
    )


@pytest.fixture
def library(org):  # type: ignore[no-untyped-def]
    def reply(shortcut: str, language: str, tone: str, body: str) -> CannedReply:
        return CannedReply.objects.create(
            organisation=org, shortcut=shortcut, title=f"{shortcut.title()} {language} {tone}",
            language=language, tone=tone, body=body,
        )  # fmt: skip

    return [
        reply("paspoort", "nl", "u", "Beste {naam}, u kunt uw paspoort ophalen. {openingstijden}"),
        reply("paspoort", "nl", "je", "Hoi {naam}, je kunt je paspoort ophalen."),
        reply("paspoort", "en", "", "Dear {naam}, your passport is ready."),
        reply("termijn", "nl", "", "U krijgt antwoord binnen {termijn}."),
    ]


def _conversation(web, agent, text="Goedemorgen, kunt u mij helpen?", **kw):  # type: ignore[no-untyped-def]
    conversation = receive(web, text, name="Maria Jansen", **kw).message.conversation
    with transaction.atomic():
        do_assign(lock_conversation(conversation.pk), agent, reason="test")
    return conversation


def test_fill_replaces_variables_and_marks_the_missing_ones() -> None:
    """Known variables are filled; one without a value shows [name]; other braces stay."""
    text = fill("Beste {naam}, binnen {termijn}. {onbekend}", {"naam": "Maria"})
    assert text == "Beste Maria, binnen [termijn]. {onbekend}"
    assert unknown_variables("{naam} {onbekend}") == ["onbekend"]


@time_machine.travel(datetime(2026, 12, 5, 10, 0, tzinfo=UTC), tick=False)  # a Saturday
def test_values_come_from_the_conversation_agent_and_calendar(web, agent) -> None:  # type: ignore[no-untyped-def]
    """Name, the agent's first name, opening hours and the next opening (Monday 08.30)."""
    conversation = _conversation(web, agent)
    values = values_for(conversation, agent)
    assert values["naam"] == "Maria Jansen"
    assert values["voornaam_medewerker"] == "Sanne"
    assert values["openingstijden"].startswith("ma 08.30–17.00; di 08.30–17.00")
    assert values["volgende_opening"] == "ma 7 dec 08.30"


def test_variants_pick_language_then_tone(library) -> None:  # type: ignore[no-untyped-def]
    """Per shortcut one variant: the language first (else Dutch), then the tone."""
    assert [r.body[:4] for r in variants(library, "nl", "je")] == ["Hoi ", "U kr"]
    assert [r.body[:4] for r in variants(library, "en", "u")] == ["Dear", "U kr"]
    assert [r.body[:4] for r in variants(library, "es", "u")] == ["Best", "U kr"]


def test_search_finds_by_shortcut_title_or_text(org, library) -> None:  # type: ignore[no-untyped-def]
    """'/pasp', 'ophalen' and a language filter find the right variants."""
    assert {r.pk for r in search(org.pk, "/pasp")} == {r.pk for r in library[:3]}
    assert {r.pk for r in search(org.pk, "ophalen")} == {library[0].pk, library[1].pk}
    assert [r.pk for r in search(org.pk, "", language="en")] == [library[2].pk]


def test_the_suggested_tone_follows_the_citizen_and_the_agent_can_switch(
    web, agent, run_tasks
) -> None:  # type: ignore[no-untyped-def]
    """'kunt u' suggests u; the agent's je sticks (a history row) and wins."""
    conversation = _conversation(web, agent, "Geachte heer, kunt u mij helpen?")
    run_tasks()
    assert suggestion(conversation).suggested == "u"
    check_choose_tone(conversation.pk, "je", actor=agent)
    assert suggestion(conversation).effective == "je"
    change = ConversationChange.objects.get(conversation=conversation, field="tone")
    assert (change.new_value, change.actor) == ("je", agent)
    assert ConversationSpeech.objects.get(conversation=conversation).tone_chosen_by == agent


def test_a_bad_tone_is_refused(web, agent) -> None:  # type: ignore[no-untyped-def]
    """Only u, je or '' are tones; nothing is written otherwise."""
    from balie.core.errors import InvalidInput

    conversation = _conversation(web, agent)
    with pytest.raises(InvalidInput):
        check_choose_tone(conversation.pk, "jij", actor=agent)
    assert not ConversationSpeech.objects.filter(tone="jij").exists()


def test_the_most_specific_greeting_wins(org, web, agent) -> None:  # type: ignore[no-untyped-def]
    """Channel before team before organisation; the tone's variant before the tone-less."""
    conversation = _conversation(web, agent)
    Greeting.objects.create(organisation=org, language="nl", opening="Org")
    assert greeting_for(conversation, "u").opening == "Org"
    Greeting.objects.create(organisation=org, channel=web, language="nl", opening="Kanaal")
    Greeting.objects.create(organisation=org, channel=web, language="nl", tone="je", opening="Hoi")
    assert greeting_for(conversation, "u").opening == "Kanaal"
    assert greeting_for(conversation, "je").opening == "Hoi"


def test_the_page_shows_tone_reasons_and_offers_the_filled_replies(
    client: Client, org, web, agent, library, run_tasks, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    """Header: the suggested u and why; composer: the u variant filled, greeting prefilled."""
    Greeting.objects.create(
        organisation=org, language="nl", tone="u",
        opening="Goedemorgen {naam},", signature="Met vriendelijke groet, {voornaam_medewerker}",
    )  # fmt: skip
    conversation = _conversation(web, agent, "Geachte heer, kunt u mij helpen? <b>x</b>")
    run_tasks()
    client.force_login(agent.user)
    page = client.get(f"/gesprekken/{conversation.pk}/").content.decode()
    assert "kunt u" in page
    assert "verb form with u" in page or "werkwoordsvorm met u" in page
    assert 'data-text="Beste Maria Jansen, u kunt uw paspoort ophalen.' in page
    assert "Hoi Maria" not in page
    assert 'data-opening="Goedemorgen Maria Jansen,"' in page
    assert 'data-signature="Met vriendelijke groet, Sanne"' in page
    assert "<b>x</b>" not in page
    assert "web/replies.js" in page
    from django.test import RequestFactory

    from balie.conversations.models import Conversation
    from balie.web.panels.replies import composer_context, header_context

    conversation = Conversation.objects.select_related("organisation", "party", "channel").get(
        pk=conversation.pk
    )
    request = RequestFactory().get("/")
    request.user = agent.user
    with django_assert_max_num_queries(4):  # the panels' own reads, whatever the library's size
        header_context(request, conversation)
        composer_context(request, conversation)


def test_the_tone_switch_through_the_workspace(client: Client, web, agent, library) -> None:  # type: ignore[no-untyped-def]
    """POST je: stored; the page then offers the je variant."""
    conversation = _conversation(web, agent)
    client.force_login(agent.user)
    response = client.post(
        f"/gesprekken/{conversation.pk}/aanspreekvorm/", {"tone": "je"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code in (200, 204)
    assert ConversationSpeech.objects.get(conversation=conversation).tone == "je"
    page = client.get(f"/gesprekken/{conversation.pk}/").content.decode()
    assert 'data-text="Hoi Maria Jansen, je kunt je paspoort ophalen."' in page


def test_another_organisations_agent_cannot_switch_the_tone(client: Client, web, agent) -> None:  # type: ignore[no-untyped-def]
    """Authorisation through conversations.access: not visible means 404, nothing stored."""
    conversation = _conversation(web, agent)
    other = factories.AgentFactory(organisation=factories.OrganisationFactory(slug="elders"))
    client.force_login(other.user)
    response = client.post(f"/gesprekken/{conversation.pk}/aanspreekvorm/", {"tone": "je"})
    assert response.status_code == 404
    assert not ConversationSpeech.objects.filter(tone="je").exists()


def test_api_lists_and_searches_the_organisations_replies(org, library, agent) -> None:  # type: ignore[no-untyped-def]
    """GET /api/v1/replies/?q=&language=&tone=: own organisation only, tone-less matches."""
    from rest_framework.test import APIClient

    CannedReply.objects.create(
        organisation=factories.OrganisationFactory(slug="elders"), shortcut="paspoort",
        title="x", language="nl", body="Niet van ons",
    )  # fmt: skip
    api = APIClient()
    api.force_authenticate(agent.user)
    body = api.get("/api/v1/replies/", {"q": "paspoort"}).json()
    assert body["count"] == 3
    assert {r["body"][:4] for r in body["results"]} == {"Best", "Hoi ", "Dear"}
    body = api.get("/api/v1/replies/", {"language": "nl", "tone": "je"}).json()
    assert [r["shortcut"] for r in body["results"]] == ["paspoort", "termijn"]
    assert api.get("/api/v1/replies/", {"tone": "jij"}).status_code == 400
    assert APIClient().get("/api/v1/replies/").status_code in (401, 403)


def test_whatsapp_takes_plain_text_up_to_4096_characters() -> None:
    """No HTML part for WhatsApp; 4,097 characters are too long, 4,096 are not."""
    from balie.replies.formatting import for_channel

    assert for_channel("a" * 4096, "whatsapp").too_long is False
    prepared = for_channel("a" * 4097, "whatsapp")
    assert prepared.too_long
    assert prepared.html is None


def test_email_gets_a_plain_and_an_escaped_html_part() -> None:
    """Paragraphs and line breaks become <p> and <br>; markup typed in the text is escaped."""
    from balie.replies.formatting import for_channel

    prepared = for_channel("Beste <b>Maria</b>,\n\nUw paspoort\nligt klaar.", "email")
    assert prepared.plain.startswith("Beste <b>Maria</b>")
    assert (
        prepared.html
        == "<p>Beste &lt;b&gt;Maria&lt;/b&gt;,</p>\n<p>Uw paspoort<br>\nligt klaar.</p>"
    )
    assert not prepared.too_long


def test_the_openapi_document_describes_the_replies_list(agent) -> None:  # type: ignore[no-untyped-def]
    """/api/v1/schema/ lists GET /api/v1/replies/ with its q, language and tone parameters."""
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(agent.user)
    schema = api.get("/api/v1/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/replies/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"q", "language", "tone"}


def test_the_header_shows_the_flag_and_who_set_the_language(
    client: Client, web, agent, run_tasks
) -> None:  # type: ignore[no-untyped-def]
    """An abusive message is marked with its words; an agent's language shows as theirs."""
    from balie.conversations.actions.edit import check_set_language

    conversation = _conversation(web, agent, "Goedemorgen, ik wil graag een nieuw paspoort")
    receive(web, "Jullie zijn een stelletje klootzakken", name="Maria Jansen")
    run_tasks()
    check_set_language(conversation.pk, "en", actor=agent)
    receive(web, "Ik wacht nog steeds op een antwoord van jullie", name="Maria Jansen")
    run_tasks()
    client.force_login(agent.user)
    page = client.get(f"/gesprekken/{conversation.pk}/").content.decode()
    assert 'id="replies-flag"' in page
    assert "belediging: klootzakken" in page
    assert "door een medewerker ingesteld" in page
