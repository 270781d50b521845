"""Accessibility in a real browser: axe-core on every workspace page for every role allowed
there (no serious or critical violation), screenshots of the main pages, and the keyboard
alone: logging in, opening a conversation with ``j``, a visible focus all along."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from balie.conversations.actions import check_add_note, check_send_reply, do_assign
from balie.conversations.actions.status import lock_conversation
from tests import factories
from tests.browser.conftest import HERE, PASSWORD, Person, log_in, screenshot, wait_live
from tests.helpers import receive

AXE = (HERE / "vendor" / "axe.min.js").read_text(encoding="utf-8")
#: what fails a page: axe's two highest impacts
BLOCKING = ("serious", "critical")
#: the pages each role may open (back office joins when Agent.role exists)
PAGES = {
    "agent": ["inbox", "conversation"],
    "supervisor": ["inbox", "conversation", "supervisor"],
    "backoffice": ["inbox"],  # the conversation fixture is not forwarded to the back office
    "administrator": ["inbox", "conversation", "supervisor"],
}


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core (vendored) on the page as it is now; its violations, all impacts.

    Injected through the DevTools protocol, so the page's Content-Security-Policy (no inline
    scripts) stays in force for Balie's own code.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE + "\n;undefined")
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ["violations"]});
            return r.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map((n) => ({
                    target: n.target.join(" "), html: n.html, summary: n.failureSummary,
                })),
            }));
        }"""
    )
    return list(result)


def describe(violations: list[dict[str, Any]]) -> str:
    """Violations as a reader needs them: the rule, why, where, and how to fix it."""
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(f"    at {node['target']}: {node['html'][:160]}")
            lines.extend(f"      {s}" for s in (node["summary"] or "").splitlines())
        if len(v["nodes"]) > 5:
            lines.append(f"    … and {len(v['nodes']) - 5} more elements")
    return "\n".join(lines)


def assert_accessible(page: Any, name: str) -> None:
    """No serious or critical axe violation on the page; the others are printed."""
    violations = axe_violations(page)
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    minor = [v for v in violations if v["impact"] not in BLOCKING]
    if minor:
        print(f"\naxe on {name}, minor:\n{describe(minor)}")
    assert not blocking, f"axe on {name}:\n{describe(blocking)}"


@pytest.fixture
def conversation(organisation: Any, people: dict[str, Person]) -> Any:
    """A conversation assigned to the agent, with a question, a reply and a note (through the
    actions: received, assigned, answered, noted)."""
    channel = factories.ChannelFactory(organisation=organisation, key="formulier", kind="api")
    question = receive(
        channel, "Mijn paspoort is gestolen, wat nu?", name="Fatima el Amrani"
    ).message
    agent = people["agent"].agent
    with transaction.atomic():
        do_assign(lock_conversation(question.conversation_id), agent)
    check_send_reply(question.conversation_id, agent, "Doe eerst aangifte bij de politie.")
    check_add_note(question.conversation_id, agent, "Verwezen naar de politie.")
    return question.conversation


def _open(page: Any, name: str, conversation: Any) -> None:
    url = {
        "inbox": "/gesprekken/?view=mine",
        "conversation": f"/gesprekken/{conversation.pk}/",
        "supervisor": "/supervisie/",
    }[name]
    response = page.goto(url)
    assert response.status == 200, f"{url}: {response.status}"
    page.wait_for_load_state("load")


def test_the_login_page_has_no_serious_accessibility_problems(page: Any, live_app: Any):
    """axe-core finds nothing serious or critical on the login form, empty and with an error."""
    page.goto("/accounts/login/")
    screenshot(page, "login")
    assert_accessible(page, "login")
    page.fill("#id_username", "niemand")
    page.fill("#id_password", "fout")
    page.click("main form button[type=submit]")
    page.locator("#login-error").wait_for()
    assert_accessible(page, "login with an error")


@pytest.mark.parametrize("role", sorted(PAGES))
def test_workspace_pages_have_no_serious_accessibility_problems(
    page: Any, people: dict[str, Person], conversation: Any, role: str
):
    """axe-core finds nothing serious or critical on each page the role may open."""
    log_in(page, people[role])
    for name in PAGES[role]:
        _open(page, name, conversation)
        wait_live(page)
        if role in ("agent", "supervisor"):
            screenshot(page, f"{name}-{role}")
        assert_accessible(page, f"{name} as {role}")


def _focused(page: Any) -> dict[str, Any]:
    return dict(
        page.evaluate(
            """() => {
                const el = document.activeElement;
                const style = getComputedStyle(el);
                return {
                    tag: el.tagName.toLowerCase(), id: el.id, cls: el.className,
                    text: (el.innerText || el.value || "").trim().slice(0, 60),
                    href: el.getAttribute("href") || "",
                    shortcuts: Object.keys(el.dataset).filter((k) => k.startsWith("shortcut")),
                    visible: (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
                        || style.boxShadow !== "none",
                };
            }"""
        )
    )


def _tab_through(page: Any, limit: int = 150) -> list[dict[str, Any]]:
    """Press Tab until the focus comes round again (or ``limit``); what was focused, in order."""
    seen: list[dict[str, Any]] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        here = _focused(page)
        if here["tag"] == "body" or (seen and here == seen[0]):
            break
        seen.append(here)
    return seen


def test_keyboard_alone_logs_in_and_opens_a_conversation(
    page: Any, people: dict[str, Person], conversation: Any
):
    """With Tab, typing and Enter the agent logs in; ``j`` opens the first conversation; Tab
    then reaches the skip link, the views, the search, the list and the conversation, each with
    a visible focus ring."""
    page.goto("/accounts/login/")
    assert _focused(page)["id"] == "id_username", "the username field has the focus first"
    page.keyboard.type(people["agent"].username)
    page.keyboard.press("Tab")
    assert _focused(page)["id"] == "id_password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    assert _focused(page)["tag"] == "button"
    assert _focused(page)["visible"], "the login button shows its focus"
    page.keyboard.press("Enter")
    page.wait_for_url("**/gesprekken/")
    wait_live(page)

    page.keyboard.press("j")
    page.wait_for_url(f"**/gesprekken/{conversation.pk}/**")
    wait_live(page)
    page.locator("#conversation-heading").wait_for()

    order = _tab_through(page)
    names = [f"{f['tag']}#{f['id']}.{f['cls']} {f['href']} {f['text']!r}" for f in order]
    assert order, "Tab moves the focus"
    assert "balie-skip-link" in order[0]["cls"], f"the skip link comes first: {names}"
    invisible = [n for f, n in zip(order, names, strict=True) if not f["visible"]]
    assert not invisible, f"focus not visible on: {invisible}"

    def index(predicate: Any, what: str) -> int:
        for i, f in enumerate(order):
            if predicate(f):
                return i
        raise AssertionError(f"Tab never reaches {what}: {names}")

    views = index(lambda f: "balie-nav__link" in f["cls"], "the views")
    search = index(lambda f: f["id"] == "filter-q", "the search box")
    row = index(lambda f: f["href"].startswith(f"/gesprekken/{conversation.pk}/"), "the row")
    timeline = index(lambda f: f["id"] == "timeline", "the timeline")
    assert views < search < row < timeline, f"focus order follows the layout: {names}"
    # the conversation's actions (reply, note, transfer, resolve), as far as the page has them
    actions = page.evaluate(
        """() => [...document.querySelectorAll("#conversation-pane *")]
            .filter((el) => el.checkVisibility())
            .flatMap((el) => Object.keys(el.dataset).filter((k) => k.startsWith("shortcut")))"""
    )
    reached = {k for f in order for k in f["shortcuts"]}
    assert set(actions) <= reached, f"Tab never reaches {set(actions) - reached}: {names}"

    page.keyboard.press("Escape")
    page.focus("body")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the skip link
    assert page.evaluate("document.activeElement.id") == "main"
    screenshot(page, "conversation-keyboard")
