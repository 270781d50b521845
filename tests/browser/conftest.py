"""Browser tests: the real ASGI application served by uvicorn on loopback, driven by Debian's
Chromium through Playwright (``scripts/ensure-browser.sh`` installs both; nothing is downloaded).

One browser for the package's tests, a fresh context (cookies, storage) per test. The server
runs the whole stack as ``balie serve`` does (Django, Channels' WebSocket, the lean WhatsApp
ingress and the in-process task worker) against the test database; a WhatsApp Graph API
simulator sends citizens' messages as signed webhooks. The tests are marked ``browser``.

Fixtures: ``live_app`` (the server; ``.url``, ``.stop()``/``.start()`` on the same port),
``page`` (in its own context, base URL set), ``people`` (``"agent"``, ``"supervisor"``,
``"administrator"`` → :class:`Person`), ``wa_simulator`` (``.citizen(wa_id, name).text(…)``,
``.channel``), ``organisation``. Helpers: :func:`log_in` (the real form), :func:`wait_live`
(the socket is open), :func:`screenshot` (``var/artifacts/<name>.png``).

When Chromium or Playwright is missing the tests FAIL with a message saying what to install;
they skip only when ``BALIE_SKIP_BROWSER=1`` is set explicitly, and never in CI (``CI`` set).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from balie.channels.simulators.whatsapp import WhatsAppSimulator
from balie.organisations.models import Presence
from tests import factories

CHROMIUM = Path(os.environ.get("BALIE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "wachtwoord-test-123"  # tests.factories.UserFactory's
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "artifacts"
HERE = Path(__file__).parent
#: how long the page may take to show what a push announced (2 slow shared cores)
LIVE_TIMEOUT_MS = 15_000

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test in tests/browser carries the ``browser`` marker (``-m 'not browser'``)."""
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            # whitenoise's static files go out as sync iterators under ASGI: harmless here
            item.add_marker(pytest.mark.filterwarnings("ignore:StreamingHttpResponse must"))


def _unavailable(why: str) -> None:
    """Skip when explicitly allowed (BALIE_SKIP_BROWSER=1, never in CI), otherwise fail."""
    if os.environ.get("BALIE_SKIP_BROWSER") == "1" and not os.environ.get("CI"):
        pytest.skip(f"browser tests skipped (BALIE_SKIP_BROWSER=1): {why}")
    pytest.fail(
        f"browser tests cannot run: {why}. Run `bash scripts/ensure-browser.sh` as root "
        "(apt-get install chromium; pip install -e '.[dev]'), or set BALIE_SKIP_BROWSER=1 "
        "to skip them locally.",
        pytrace=False,
    )


@pytest.fixture(scope="package")
def browser(django_db_setup: None) -> Iterator[Any]:
    """Debian's Chromium, headless, launched once for the tests of this package (a fresh
    temporary profile of its own), after the test database exists.

    Playwright's sync API keeps an event loop running on the main thread while it is open, so
    Django would take every ORM call of the test (factories, the flush) for one made from
    async code: DJANGO_ALLOW_ASYNC_UNSAFE is set for as long as the browser is open, and the
    browser is closed when the package's tests are done, so no other test runs beside it.
    """
    if not (CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"{CHROMIUM} is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the Python package playwright is not installed")
    with pytest.MonkeyPatch.context() as env, sync_playwright() as playwright:
        env.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        # launch() gives the browser a new temporary user-data-dir, removed on close
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def _loopback_socket(port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


class LiveApp:
    """``balie.conf.asgi.application`` under uvicorn in a thread, with the in-process worker."""

    def __init__(self) -> None:
        from balie.core.worker import InProcessWorker

        self.port = 0
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._ingress: Any = None
        self.worker = InProcessWorker(poll_seconds=0.1)

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveApp:
        """Serve (on the same port as before, after a :meth:`stop`); returns when listening."""
        import uvicorn

        from balie.conf.asgi import application

        sock = _loopback_socket(self.port)
        self.port = sock.getsockname()[1]
        self._fresh_ingress(application)
        config = uvicorn.Config(
            application,
            log_level="warning",
            lifespan="off",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="uvicorn", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """Stop serving: open WebSockets are closed (1012), the port is freed, the ingress's
        writer and lookup threads let go of their database connections."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        if self._ingress is not None:
            self._ingress.close()

    def _fresh_ingress(self, application: Any) -> None:
        """The lean WhatsApp ingress lives as long as the process and caches channels by key:
        give it a new cache and writer per start, as a new process would have."""
        from balie.channels.whatsapp.groupcommit import GroupCommitter
        from balie.channels.whatsapp.ingress import ChannelCache, WhatsAppIngress

        ingress = application.application_mapping["http"]
        while not isinstance(ingress, WhatsAppIngress):
            ingress = ingress.app  # through BodyLimit
        ingress.channels = ChannelCache()
        ingress.committer = GroupCommitter()
        self._ingress = ingress

    def start_worker(self) -> None:
        """Run the task worker (event handlers, routing, deliveries) as ``balie serve`` does."""
        self.worker.start()


@pytest.fixture
def live_app(transactional_db: None, settings: Any) -> Iterator[LiveApp]:
    """The application served on a free loopback port, the worker running, for one test.

    Connections made by the server's threads are closed after each request and task
    (CONN_MAX_AGE 0), so none outlives the test and PostgreSQL can drop the test database.
    Passwords are hashed with a fast hasher: PBKDF2 costs seconds per login on shared cores.
    """
    from django.db import connections

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    db = connections.settings["default"]  # the dict every thread's connection is made from
    max_age = db.get("CONN_MAX_AGE", 0)
    db["CONN_MAX_AGE"] = 0
    app = LiveApp().start()
    app.start_worker()
    try:
        yield app
    finally:
        app.stop()
        app.worker.stop()
        db["CONN_MAX_AGE"] = max_age


@pytest.fixture
def organisation(live_app: LiveApp) -> Any:
    """The organisation the people of these tests work for (made once the server runs)."""
    return factories.OrganisationFactory(slug="testgemeente", name="Gemeente Testdam")


@pytest.fixture
def wa_simulator(live_app: LiveApp, organisation: Any) -> Iterator[WhatsAppSimulator]:
    """The WhatsApp Graph API simulator, aimed at the live server's webhook, and its channel
    (``wa_simulator.channel``)."""
    channel = factories.ChannelFactory(organisation=organisation, key="whatsapp", kind="whatsapp")
    sim = WhatsAppSimulator(
        webhook_url=f"{live_app.url}/webhooks/whatsapp/{channel.key}/", auto_status=True
    ).start()
    sim.configure(channel)
    sim.channel = channel  # type: ignore[attr-defined]
    yield sim
    sim.stop()


@dataclass
class Person:
    """Someone who logs in: the username, the password and their role in the workspace."""

    username: str
    role: str
    user: Any
    agent: Any = None


def _person(organisation: Any, username: str, role: str) -> Person:
    if role == "administrator":
        user = factories.UserFactory(username=username, is_superuser=True, is_staff=True)
        agent = factories.AgentFactory(
            organisation=organisation, user=user, display_name="Beheerder Bakker"
        )
        return Person(username, role, user, agent)
    extra: dict[str, Any] = {}
    if role == "supervisor":
        extra["is_supervisor"] = True
    if role == "backoffice":
        extra["role"] = "backoffice"
    agent = factories.AgentFactory(
        organisation=organisation,
        user__username=username,
        display_name={"agent": "Sanne de Boer", "supervisor": "Teamleider Tijn"}.get(
            role, username
        ),
        presence=Presence.OFFLINE,  # no offers interfere unless a test asks for them
        **extra,
    )
    return Person(username, role, agent.user, agent)


#: roles with a login in the workspace
ROLES = ("agent", "supervisor", "backoffice", "administrator")


@pytest.fixture
def people(organisation: Any) -> dict[str, Person]:
    """One person per role: agent, supervisor, administrator (a superuser with an agent)."""
    return {role: _person(organisation, f"w1-{role}", role) for role in ROLES}


@pytest.fixture
def context(browser: Any, live_app: LiveApp) -> Iterator[Any]:
    """A fresh browser context (no cookies, no storage) on the live server, Dutch, 1366×768."""
    ctx = browser.new_context(
        base_url=live_app.url,
        locale="nl-NL",
        timezone_id="Europe/Amsterdam",
        viewport={"width": 1366, "height": 768},
    )
    ctx.set_default_timeout(LIVE_TIMEOUT_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    """A page in the test's own context."""
    return context.new_page()


Login = Callable[[Any, Person], None]


def log_in(page: Any, person: Person) -> None:
    """Log in through the real form, as a person would, and wait for the page it leads to."""
    page.goto("/accounts/login/")
    page.fill("#id_username", person.username)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.fixture
def login() -> Login:
    """``login(page, person)``: the real login form."""
    return log_in


def wait_live(page: Any) -> None:
    """Wait until the page's WebSocket is open (``body[data-live=yes]``)."""
    page.wait_for_selector("body[data-live='yes']", state="attached")


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under var/artifacts/ (kept by CI as a test artefact)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
