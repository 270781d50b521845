"""The Graph API side of the WhatsApp simulator: what it holds, the HTTP handler that serves
Balie's adapter (bearer token, sends, media uploads and downloads), and Meta's refusals.

The citizen side and the simulator's life cycle are in :mod:`.whatsapp`.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

from balie.channels.simulators.whatsapp_payloads import new_wamid

if TYPE_CHECKING:
    from balie.channels.simulators.whatsapp import WhatsAppSimulator


@dataclass
class StoredMedia:
    """A file held by the simulated Graph API (uploaded by Balie or sent by a citizen)."""

    data: bytes
    mime_type: str
    filename: str = ""
    #: the hash as Meta reported it when the file arrived (tests may then damage ``data``)
    sha256: str = ""

    def __post_init__(self) -> None:
        self.sha256 = self.sha256 or hashlib.sha256(self.data).hexdigest()


@dataclass
class Failure:
    """An injected answer for the next sends: HTTP status and Meta error code."""

    http_status: int
    code: int
    message: str
    times: int = 1


@dataclass
class GraphState:
    """What the simulated Graph API holds: sends, read receipts, media, injected failures."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    read_receipts: list[str] = field(default_factory=list)
    media: dict[str, StoredMedia] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    lock: threading.Condition = field(default_factory=threading.Condition)


def interactive_problem(payload: dict[str, Any]) -> str:
    """What Meta would refuse in an interactive send (reply buttons, list), or ''."""
    interactive = payload.get("interactive") or {}
    body = (interactive.get("body") or {}).get("text") or ""
    action = interactive.get("action") or {}
    if not body or len(body) > 1024:
        return "body"
    if interactive.get("type") == "button":
        buttons = [b.get("reply") or {} for b in action.get("buttons") or []]
        if not 1 <= len(buttons) <= 3:
            return "buttons"
        if any(not b.get("id") or not 1 <= len(b.get("title") or "") <= 20 for b in buttons):
            return "button title"
        return ""
    if interactive.get("type") == "list":
        rows = [r for section in action.get("sections") or [] for r in section.get("rows") or []]
        if not 1 <= len(rows) <= 10 or not 1 <= len(action.get("button") or "") <= 20:
            return "rows or button"
        if any(
            len(r.get("title") or "") > 24 or len(r.get("description") or "") > 72 for r in rows
        ):
            return "row"
        return ""
    return "type"


def graph_error(code: int, message: str) -> dict[str, Any]:
    """A Graph API error body, as Meta answers a refused request."""
    return {
        "error": {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": message},
            "fbtrace_id": "Asim" + new_wamid()[-12:],
        }
    }


def handler_for(sim: WhatsAppSimulator) -> type[BaseHTTPRequestHandler]:
    """The HTTP handler class of ``sim``'s server: bearer token, sends, uploads, media."""
    messages_path = re.compile(r"^/[^/]+/([^/]+)/messages$")
    media_upload_path = re.compile(r"^/[^/]+/([^/]+)/media$")
    media_info_path = re.compile(r"^/[^/]+/(\d+)$")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # keep-alive + delayed ACK would add 40 ms a request

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests and the demo have their own logs."""

        def _reply(self, code: int, payload: Any, content_type: str = "application/json") -> None:
            body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _authorised(self) -> bool:
            if self.headers.get("Authorization") == f"Bearer {sim.access_token}":
                return True
            self._reply(401, graph_error(190, "Invalid OAuth access token."))
            return False

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_POST(self) -> None:
            body = self._body()
            if not self._authorised():
                return
            if (match := messages_path.match(self.path)) is not None:
                if match.group(1) != sim.phone_number_id:
                    self._reply(400, graph_error(100, "Unsupported post request."))
                    return
                try:
                    payload = json.loads(body)
                except ValueError:
                    self._reply(400, graph_error(100, "Invalid parameter"))
                    return
                self._reply(*sim._accept_send(payload))
            elif media_upload_path.match(self.path):
                self._reply(200, {"id": self._store_upload(body)})
            else:
                self._reply(404, graph_error(100, "Unknown path"))

        def _store_upload(self, body: bytes) -> str:
            head = f"Content-Type: {self.headers.get('Content-Type')}\r\n\r\n".encode()
            parsed = BytesParser(policy=HTTP).parsebytes(head + body)
            for part in parsed.iter_parts():
                if part.get_param("name", header="content-disposition") == "file":
                    payload = part.get_payload(decode=True)
                    data = payload if isinstance(payload, bytes) else b""
                    return sim.add_media(data, part.get_content_type(), part.get_filename() or "")
            return ""

        def do_GET(self) -> None:
            if not self._authorised():
                return
            if self.path.startswith("/download/"):
                media = sim.state.media.get(self.path.rsplit("/", 1)[-1])
                if media is None:
                    self._reply(404, graph_error(100, "Unknown media"))
                else:
                    self._reply(200, media.data, media.mime_type)
                return
            match = media_info_path.match(self.path)
            media = sim.state.media.get(match.group(1)) if match else None
            if media is None:
                self._reply(404, graph_error(100, "Unsupported get request."))
                return
            self._reply(
                200,
                {
                    "messaging_product": "whatsapp",
                    "url": f"{sim.root_url}/download/{match.group(1)}",  # type: ignore[union-attr]
                    "mime_type": media.mime_type,
                    "sha256": media.sha256,
                    "file_size": len(media.data),
                    "id": match.group(1),  # type: ignore[union-attr]
                },
            )

    return Handler
