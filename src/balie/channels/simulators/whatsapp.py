"""A WhatsApp Cloud API stand-in: a real HTTP server for the Graph API subset Balie uses,
and citizens who write to Balie through signed webhooks.

Graph API side (what Balie's adapter calls; bearer token checked):

- ``POST /<version>/<phone_number_id>/messages`` — sends (text, template, media, interactive
  reply buttons and lists, checked against Meta's limits, with context) and read receipts
  (``status: read``); answers ``{"messages":[{"id":"wamid…"}]}``.
- ``POST /<version>/<phone_number_id>/media`` — multipart upload; answers ``{"id": …}``.
- ``GET /<version>/<media_id>`` — media info with a download URL; ``GET /download/<id>``.

Citizen side: :meth:`WhatsAppSimulator.citizen` returns a :class:`Citizen` whose methods POST
signed webhooks (every message type) to Balie; :meth:`status` and :meth:`template_status` send
reports. With ``auto_status=True`` each message Balie sends is reported delivered, then read.
The Graph API's state and HTTP handler are in :mod:`.whatsapp_graph`.

How ``balie demo`` starts it (the channel points at the simulator; only the base URL differs
from production)::

    from balie.channels.simulators.whatsapp import WhatsAppSimulator

    sim = WhatsAppSimulator(
        webhook_url=f"http://127.0.0.1:8000/webhooks/whatsapp/{channel.key}/", auto_status=True
    ).start()
    sim.configure(channel)          # graph_base_url, phone_number_id, app_secret, tokens
    sim.autoplay(every_seconds=20)  # citizens ask questions now and then (optional)
    ...
    sim.stop()
"""

from __future__ import annotations

import random
import threading
import time
from http.server import ThreadingHTTPServer
from typing import Any

import httpx

from balie.channels.simulators.whatsapp_citizen import Citizen
from balie.channels.simulators.whatsapp_graph import (
    Failure,
    GraphState,
    StoredMedia,
    graph_error,
    handler_for,
    interactive_problem,
)
from balie.channels.simulators.whatsapp_payloads import (
    encode,
    envelope,
    new_wamid,
    signature,
    status,
    template_update,
)

QUESTIONS = [
    "Hoe vraag ik een nieuw paspoort aan?",
    "Wanneer wordt het grofvuil opgehaald in mijn straat?",
    "Ik wil een verhuizing doorgeven, kan dat via WhatsApp?",
    "Mijn parkeervergunning is verlopen, wat moet ik doen?",
    "Is het gemeentehuis morgen open?",
]
CITIZENS = [("31612345678", "Fatima el Amrani"), ("31687654321", "Jan de Vries"),
            ("32470123456", "Lotte Peeters"), ("4915112345678", "Jonas Weber")]  # fmt: skip


class WhatsAppSimulator:
    """The Graph API subset plus citizens; ``start()`` binds 127.0.0.1 on a free port."""

    def __init__(
        self,
        *,
        webhook_url: str = "",
        app_secret: str = "sim-app-secret",  # noqa: S107
        access_token: str = "sim-access-token",  # noqa: S107
        verify_token: str = "sim-verify-token",  # noqa: S107
        phone_number_id: str = "106540352242922",
        display_phone_number: str = "31201234567",
        api_version: str = "v21.0",
        auto_status: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.webhook_url = webhook_url
        self.app_secret = app_secret
        self.access_token = access_token
        self.verify_token = verify_token
        self.phone_number_id = phone_number_id
        self.display_phone_number = display_phone_number
        self.api_version = api_version
        self.auto_status = auto_status
        self.state = GraphState()
        self._server = ThreadingHTTPServer((host, port), handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._http = httpx.Client(timeout=10)

    # --- lifecycle -----------------------------------------------------------------------
    def start(self) -> WhatsAppSimulator:
        """Serve in a daemon thread; returns self."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and playing."""
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._http.close()

    @property
    def root_url(self) -> str:
        host, port = self._server.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{port}"

    @property
    def base_url(self) -> str:
        """What Balie's channel setting ``graph_base_url`` must be."""
        return f"{self.root_url}/{self.api_version}"

    def configure(self, channel: Any) -> None:
        """Point a WhatsApp channel at this simulator and give it the matching secrets."""
        channel.settings = {
            **(channel.settings or {}),
            "graph_base_url": self.base_url,
            "phone_number_id": self.phone_number_id,
            "display_phone_number": self.display_phone_number,
        }
        channel.secrets = {
            **(channel.secrets or {}),
            "app_secret": self.app_secret,
            "access_token": self.access_token,
            "verify_token": self.verify_token,
        }
        channel.save(update_fields=["settings", "secrets"])

    # --- Graph API state -----------------------------------------------------------------
    @property
    def sent(self) -> list[dict[str, Any]]:
        """Messages Balie sent (request bodies), in arrival order."""
        with self.state.lock:
            return list(self.state.sent)

    def wait_for_sent(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Block until Balie has sent ``count`` messages; return them (AssertionError on time)."""
        deadline = time.monotonic() + timeout
        with self.state.lock:
            while len(self.state.sent) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.state.sent)} of {count} messages arrived")
                self.state.lock.wait(left)
            return list(self.state.sent)

    def fail_next(self, http_status: int, code: int, message: str = "", times: int = 1) -> None:
        """Answer the next ``times`` sends with a Graph API error."""
        with self.state.lock:
            self.state.failures.append(Failure(http_status, code, message or "error", times))

    def add_media(self, data: bytes, mime_type: str, filename: str = "") -> str:
        """Hold a file as if a citizen had sent it; returns its media id."""
        media_id = str(random.randint(10**14, 10**15 - 1))  # noqa: S311
        with self.state.lock:
            self.state.media[media_id] = StoredMedia(data, mime_type, filename)
        return media_id

    # --- citizens and reports ------------------------------------------------------------
    def citizen(self, wa_id: str, name: str, user_id: str = "") -> Citizen:
        """A person with WhatsApp who writes to the organisation."""
        return Citizen(self, wa_id, name, user_id)

    def post_webhook(self, payload: dict[str, Any], *, body: bytes | None = None) -> httpx.Response:
        """Sign and POST a webhook payload to Balie, as Meta does."""
        raw = body if body is not None else encode(payload)
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": signature(self.app_secret, raw),
        }
        return self._http.post(self.webhook_url, content=raw, headers=headers)

    def status(self, wamid: str, recipient: str, state: str, **kwargs: Any) -> httpx.Response:
        """Report a delivery status for a message Balie sent."""
        value = {"statuses": [status(wamid, recipient, state, **kwargs)]}
        return self.post_webhook(self._envelope("messages", value))

    def template_status(self, name: str, language: str, event: str) -> httpx.Response:
        """Report a template review result (APPROVED, REJECTED, PAUSED …)."""
        return self.post_webhook(
            self._envelope("message_template_status_update", template_update(name, language, event))
        )

    def _envelope(self, field_name: str, value: dict[str, Any]) -> dict[str, Any]:
        return envelope(self.phone_number_id, self.display_phone_number, field_name, value)

    def autoplay(self, every_seconds: float = 20.0) -> None:
        """Let demo citizens ask a question every so often (daemon thread)."""

        def play() -> None:
            people = [self.citizen(wa_id, name) for wa_id, name in CITIZENS]
            while not self._stop.wait(every_seconds):
                try:
                    random.choice(people).text(random.choice(QUESTIONS))  # noqa: S311
                except httpx.HTTPError:
                    continue

        threading.Thread(target=play, daemon=True, name="wa-sim-autoplay").start()

    # --- request handling (called by the HTTP handler) ----------------------------------
    def _accept_send(self, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.state.lock:
            if self.state.failures:
                failure = self.state.failures[0]
                failure.times -= 1
                if failure.times <= 0:
                    self.state.failures.pop(0)
                return failure.http_status, graph_error(failure.code, failure.message)
            if payload.get("status") == "read":
                self.state.read_receipts.append(str(payload.get("message_id")))
                self.state.lock.notify_all()
                return 200, {"success": True}
            problem = interactive_problem(payload) if payload.get("type") == "interactive" else ""
            if problem:
                return 400, graph_error(131009, f"Parameter value is not valid: {problem}")
            wamid = new_wamid()
            self.state.sent.append({**payload, "_wamid": wamid})
            self.state.lock.notify_all()
        to = str(payload.get("to") or payload.get("recipient") or "")
        if self.auto_status and self.webhook_url:
            self._report_later(wamid, to, str(payload.get("biz_opaque_callback_data", "")))
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": wamid}],
        }

    def _report_later(self, wamid: str, to: str, callback: str) -> None:
        def report() -> None:
            for state, pause in (("sent", 0.2), ("delivered", 0.5), ("read", 2.0)):
                if self._stop.wait(pause):
                    return
                try:
                    self.status(wamid, to, state, callback_data=callback)
                except httpx.HTTPError:
                    return

        threading.Thread(target=report, daemon=True).start()
