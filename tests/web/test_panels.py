"""Panels: a capability shows itself on the conversation page through ``balie.web.panels``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.template import engines
from django.test import Client

from balie.conversations.workflow import Status
from balie.web import panels
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def probe_template(settings, tmp_path):  # type: ignore[no-untyped-def]
    """A template directory with the probe panel's template."""
    (tmp_path / "probe.html").write_text(
        '<p class="probe" data-place="{{ panel.place }}">{{ panel.text }}</p>'
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0].get("DIRS", []), tmp_path]}
    ]
    engines._templates = None  # type: ignore[attr-defined]
    engines.__dict__.pop("templates", None)
    engines._engines = {}  # type: ignore[attr-defined]
    return "probe.html"


@pytest.fixture
def registered_probes(probe_template: str) -> Iterator[None]:
    """Three probe panels, one per place, and one that shows nothing; removed afterwards."""
    before = dict(panels._PANELS)
    for place in ("header", "sidebar", "composer"):
        panels.register(
            panels.Panel(
                key=f"probe-{place}",
                place=place,  # type: ignore[arg-type]
                template=probe_template,
                context=lambda request, conv, place=place: {
                    "place": place,
                    "text": f"probe for {conv.pk} <b>not bold</b>",
                },
            )
        )
    panels.register(
        panels.Panel(
            key="probe-none",
            place="sidebar",
            template=probe_template,
            context=lambda request, conv: None,
        )
    )
    yield
    panels._PANELS.clear()
    panels._PANELS.update(before)


def test_every_place_renders_its_panels_escaped(
    client: Client, organisation, registered_probes
) -> None:  # type: ignore[no-untyped-def]
    """Header, sidebar and composer panels appear on the page, their text escaped."""
    agent = factories.AgentFactory(organisation=organisation)
    conversation = factories.ConversationFactory(
        organisation=organisation, assignee=agent, status=Status.ASSIGNED
    )
    client.force_login(agent.user)
    html = client.get(f"/gesprekken/{conversation.pk}/").content.decode()
    for place in ("header", "sidebar", "composer"):
        assert f'data-place="{place}"' in html
    assert "&lt;b&gt;not bold&lt;/b&gt;" in html
    assert html.count('class="probe"') == 3  # the panel that returned None shows nothing


def test_live_refresh_keeps_header_and_sidebar_panels(
    client: Client, organisation, registered_probes
) -> None:  # type: ignore[no-untyped-def]
    """The live fragment carries the header and sidebar panels, never the composer's."""
    agent = factories.AgentFactory(organisation=organisation)
    conversation = factories.ConversationFactory(
        organisation=organisation, assignee=agent, status=Status.ASSIGNED
    )
    client.force_login(agent.user)
    html = client.get(f"/gesprekken/{conversation.pk}/live/").content.decode()
    assert 'data-place="header"' in html
    assert 'data-place="sidebar"' in html
    assert 'data-place="composer"' not in html


def test_registered_orders_by_order_then_key() -> None:
    """Render order is the panel's ``order``, then its key."""
    before = dict(panels._PANELS)
    try:
        panels._PANELS.clear()

        def nothing(request, conversation):  # type: ignore[no-untyped-def]
            return None

        late = panels.register(panels.Panel("b", "sidebar", "x.html", nothing, order=200))
        early_b = panels.register(panels.Panel("z", "sidebar", "x.html", nothing, order=10))
        early_a = panels.register(panels.Panel("a", "sidebar", "x.html", nothing, order=10))
        assert panels.registered() == [early_a, early_b, late]
    finally:
        panels._PANELS.clear()
        panels._PANELS.update(before)
