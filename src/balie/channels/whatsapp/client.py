"""The Graph API subset Balie uses: send, mark read, upload and fetch media.

The base URL is channel configuration (``graph_base_url``), so tests and the demo point this
very code at the simulator on loopback; nothing else differs from talking to Meta.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx

from balie.channels.base import SendError
from balie.channels.models import Channel

DEFAULT_GRAPH_BASE_URL = "https://graph.facebook.com/v21.0"
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
#: Meta error codes that mean "slow down", not "no": retry them with backoff
RETRYABLE_CODES = {"4", "80007", "130429", "131016", "131056", "133004"}


_local = threading.local()


def _http() -> httpx.Client:
    """One pooled HTTP client per thread: a new client per call costs a TLS context and a
    connection each time (tens of milliseconds), which would dominate the outbox's work."""
    client = getattr(_local, "client", None)
    if client is None:
        client = _local.client = httpx.Client(timeout=TIMEOUT)
    return client


class GraphClient:
    """A thin, synchronous Graph API client for one channel."""

    def __init__(self, channel: Channel) -> None:
        self.base_url = str(channel.settings.get("graph_base_url") or DEFAULT_GRAPH_BASE_URL)
        self.phone_number_id = str(channel.settings.get("phone_number_id", ""))
        self.token = str(channel.secrets.get("access_token", ""))
        if not self.phone_number_id or not self.token:
            raise SendError(
                "not_configured",
                "the channel needs phone_number_id and access_token",
                retryable=False,
            )

    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def _url(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}/{path.lstrip('/')}"

    def send_message(self, payload: dict[str, Any]) -> dict[str, Any]:
        """POST /{phone-number-id}/messages."""
        return self._request("POST", f"{self.phone_number_id}/messages", json=payload)

    def upload_media(self, data: bytes, filename: str, content_type: str) -> str:
        """POST /{phone-number-id}/media (multipart); returns the media id."""
        result = self._request(
            "POST",
            f"{self.phone_number_id}/media",
            data={"messaging_product": "whatsapp", "type": content_type},
            files={"file": (filename or "file", data, content_type)},
        )
        return str(result.get("id", ""))

    def media_info(self, media_id: str) -> dict[str, Any]:
        """GET /{media-id}: the short-lived download URL, type, size and hash."""
        return self._request("GET", media_id)

    def download(self, url: str, limit: int) -> bytes:
        """Fetch a media URL with the bearer token, refusing more than ``limit`` bytes."""
        try:
            with _http().stream("GET", url, headers=self._headers) as response:
                if response.status_code >= 400:
                    raise SendError(
                        str(response.status_code),
                        "media download refused",
                        retryable=response.status_code >= 500 or response.status_code == 429,
                    )
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise SendError("media_too_large", f"over {limit} bytes", retryable=False)
                    chunks.append(chunk)
                return b"".join(chunks)
        except httpx.HTTPError as exc:
            raise SendError("unreachable", type(exc).__name__, retryable=True) from exc

    def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = _http().request(method, self._url(path), headers=self._headers, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            # Nothing reached Meta: safe to try again.
            raise SendError("unreachable", type(exc).__name__, retryable=True) from exc
        except httpx.HTTPError as exc:
            # The request may have arrived: retrying could send twice.
            raise SendError("outcome_unknown", type(exc).__name__, retryable=False) from exc
        if response.status_code >= 400:
            raise graph_error(response)
        try:
            result = response.json()
        except ValueError as exc:
            raise SendError(
                "bad_response", "the Graph API answered non-JSON", retryable=False
            ) from exc
        return result if isinstance(result, dict) else {}


def graph_error(response: httpx.Response) -> SendError:
    """Map a Graph API error answer onto a SendError: retry rate limits and 5xx only."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    code = str(error.get("code") or response.status_code)
    details = (error.get("error_data") or {}).get("details") if isinstance(error, dict) else ""
    text = str(error.get("message") or response.reason_phrase or "error")
    if details and details != text:
        text = f"{text}: {details}"
    retryable = response.status_code in {429} or response.status_code >= 500
    retryable = retryable or code in RETRYABLE_CODES
    return SendError(code, text[:500], retryable=retryable)
