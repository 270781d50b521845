"""Simulated citizens writing through the API / web-form channel — the real inbound path.

A thread posts signed form submissions to ``/webhooks/api/<key>/``; a small HTTP server takes
the channel's outbound callbacks (Balie's replies), checks their signature, and sometimes has
the citizen answer back. Used by ``balie demo`` and by tests.
"""

from __future__ import annotations

import json
import random
import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import structlog

from balie.channels.base import WebhookRejected, sign, verify_signature

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Persona:
    name: str
    email: str
    language: str


PERSONAS = [
    Persona("Jan de Boer", "jan.deboer@example.nl", "nl"),
    Persona("Fatima Ouali", "f.ouali@example.nl", "nl"),
    Persona("Henk Willems", "henkw@example.nl", "nl"),
    Persona("Emily Carter", "emily.carter@example.com", "en"),
    Persona("Sevda Kaya", "sevda.kaya@example.nl", "nl"),
    Persona("Piotr Zielinski", "piotr.z@example.pl", "en"),
    Persona("Ria van Dam", "ria.vandam@example.nl", "nl"),
    Persona("Mark Hoekstra", "m.hoekstra@example.nl", "nl"),
]

QUESTIONS: dict[str, list[tuple[str, str]]] = {
    "nl": [
        ("afval", "Mijn grofvuil is vanochtend niet opgehaald. Wanneer komen jullie alsnog?"),
        ("paspoort-id", "Hoe lang duurt het voordat mijn nieuwe paspoort klaar is?"),
        ("verhuizing", "Ik ga volgende maand verhuizen binnen de gemeente. Hoe geef ik dat door?"),
        ("parkeren", "Kan ik een parkeervergunning aanvragen voor een tweede auto?"),
        ("openbare-ruimte", "Er ligt al een week een kapotte lantaarnpaal bij de speeltuin."),
        ("belastingen", "Ik ben het niet eens met de WOZ-waarde van mijn huis. Wat kan ik doen?"),
        ("rijbewijs", "Mijn rijbewijs verloopt over twee weken, kan ik nog op tijd verlengen?"),
        ("klacht", "Ik heb drie keer gebeld maar niemand belt terug. Dit vind ik niet netjes."),
        ("wmo", "Mijn moeder heeft hulp nodig in huis. Hoe vragen we ondersteuning aan?"),
    ],
    "en": [
        ("paspoort-id", "I lost my Dutch ID card. How do I get a new one?"),
        ("afval", "Which day is the paper waste collected in my street?"),
        ("verhuizing", "I just moved here from abroad. How do I register my address?"),
    ],
}
FOLLOW_UPS = {"nl": "Dank u wel voor het antwoord!", "en": "Thank you, that helps!"}


class _CallbackHandler(BaseHTTPRequestHandler):
    citizens: WebFormCitizens

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        try:
            verify_signature(self.citizens.secret, body, self.headers.get("X-Balie-Signature"))
        except WebhookRejected as rejected:
            self.send_response(rejected.status)
            self.end_headers()
            return
        self.citizens.on_reply(json.loads(body))
        answer = json.dumps({"id": f"sim-{uuid.uuid4().hex[:12]}"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        return


class WebFormCitizens:
    """Citizens who fill in the web form at ``rate_per_minute`` and read Balie's replies."""

    def __init__(
        self,
        base_url: str,
        channel_key: str,
        secret: str,
        *,
        rate_per_minute: float = 6.0,
        seed: int | None = None,
    ) -> None:
        self.url = f"{base_url.rstrip('/')}/webhooks/api/{channel_key}/"
        self.secret = secret
        self.rate = rate_per_minute
        self.random = random.Random(seed)  # noqa: S311 -- simulation, not security
        self.sent = 0
        self.replies: list[dict[str, Any]] = []
        self._stop = threading.Event()
        handler = type("Handler", (_CallbackHandler,), {"citizens": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._threads = [
            threading.Thread(target=self._server.serve_forever, daemon=True, name="sim-callback"),
            threading.Thread(target=self._write_loop, daemon=True, name="sim-citizens"),
        ]

    @property
    def callback_url(self) -> str:
        """Where Balie should POST replies for these citizens."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/replies"

    def start(self, *, writing: bool = True) -> None:
        """Start the callback server and (optionally) the writing citizens."""
        self._threads[0].start()
        if writing:
            self.start_writing()

    def start_writing(self) -> None:
        """Let the citizens start writing."""
        self._threads[1].start()

    def stop(self) -> None:
        """Stop writing and close the callback server."""
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()

    def write_once(self, persona: Persona | None = None, text: str | None = None) -> httpx.Response:
        """One citizen submits the form once (signed, as the website's back end would)."""
        persona = persona or self.random.choice(PERSONAS)
        topic, question = self.random.choice(QUESTIONS[persona.language])
        payload = {
            "id": f"form-{uuid.uuid4()}",
            "sender": {"name": persona.name, "email": persona.email},
            "text": text or question,
            "topic": topic,
            "language": persona.language,
        }
        body = json.dumps(payload).encode()
        response = httpx.post(
            self.url,
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Balie-Signature": sign(self.secret, body),
            },
            timeout=10,
        )
        self.sent += 1
        return response

    def on_reply(self, payload: dict[str, Any]) -> None:
        """A reply from Balie reached the citizen; sometimes they thank the agent."""
        self.replies.append(payload)
        log.info("simulated_citizen_got_reply", conversation=payload.get("conversation"))
        to = payload.get("to") or {}
        persona = next((p for p in PERSONAS if p.email == to.get("value")), None)
        if persona is not None and self.random.random() < 0.5 and not self._stop.is_set():
            threading.Timer(
                2.0,
                self.write_once,
                kwargs={"persona": persona, "text": FOLLOW_UPS[persona.language]},
            ).start()

    def _write_loop(self) -> None:
        while not self._stop.wait(self.random.expovariate(self.rate / 60.0)):
            try:
                response = self.write_once()
                log.info("simulated_citizen_wrote", status=response.status_code)
            except httpx.HTTPError as exc:
                log.warning("simulated_citizen_failed", error=type(exc).__name__)
