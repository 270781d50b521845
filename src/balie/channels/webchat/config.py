"""A web chat channel's settings, with their defaults (docs/channels.md, "Web chat").

``settings``: ``allowed_origins`` (list of ``https://site.example``; the sites that may open
the visitor socket; ``"*"`` allows any), ``topics`` (list of ``{"code", "nl", "en"}``; the
codes name the organisation's topics), ``max_upload_bytes`` (5 MB), ``upload_types`` (MIME
types), ``messages_per_minute`` (per visitor, 20), ``ip_messages_per_minute`` (60),
``ip_connections_per_minute`` (30), ``max_message_chars`` (4000), ``theme`` (CSS custom
properties the widget applies, e.g. ``{"--balie-chat-accent": "#01689b"}``).
``secrets``: ``identity_secret`` (the HMAC key for identity verification).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

DEFAULT_TOPICS: tuple[dict[str, str], ...] = (
    {"code": "general", "nl": "Algemene vraag", "en": "General question"},
    {"code": "documents", "nl": "Paspoort of ID-kaart", "en": "Passport or ID card"},
    {"code": "moving", "nl": "Verhuizen", "en": "Moving house"},
)
DEFAULT_UPLOAD_TYPES = (
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
)


@dataclass(frozen=True)
class WebchatSettings:
    """The settings a web chat channel runs with."""

    allowed_origins: tuple[str, ...]
    topics: tuple[dict[str, str], ...]
    max_upload_bytes: int
    upload_types: tuple[str, ...]
    messages_per_minute: int
    ip_messages_per_minute: int
    ip_connections_per_minute: int
    max_message_chars: int
    theme: dict[str, str]

    @classmethod
    def of(cls, raw: dict[str, Any]) -> WebchatSettings:
        """Read a channel's ``settings`` dict; absent or wrong-typed values get defaults."""
        topics = raw.get("topics")
        valid_topics = (
            tuple(
                {k: str(v) for k, v in t.items()}
                for t in topics
                if isinstance(t, dict) and t.get("code")
            )
            if isinstance(topics, list)
            else ()
        )
        types = raw.get("upload_types")
        return cls(
            allowed_origins=tuple(
                origin_of(str(o)) for o in raw.get("allowed_origins", []) if str(o)
            ),
            topics=valid_topics or DEFAULT_TOPICS,
            max_upload_bytes=_int(raw, "max_upload_bytes", 5 * 1024 * 1024),
            upload_types=tuple(str(t).lower() for t in types)
            if isinstance(types, list)
            else DEFAULT_UPLOAD_TYPES,
            messages_per_minute=_int(raw, "messages_per_minute", 20),
            ip_messages_per_minute=_int(raw, "ip_messages_per_minute", 60),
            ip_connections_per_minute=_int(raw, "ip_connections_per_minute", 30),
            max_message_chars=_int(raw, "max_message_chars", 4000),
            theme={
                str(k): str(v)
                for k, v in (raw.get("theme") or {}).items()
                if str(k).startswith("--balie-chat-")
            },
        )

    def origin_allowed(self, origin: str, own_host: str) -> bool:
        """Whether a socket from ``origin`` may open: a listed site, ``*``, or Balie itself
        (the example page it serves). Without an Origin header only ``*`` lets it in."""
        if "*" in self.allowed_origins:
            return True
        if not origin:
            return False
        normal = origin_of(origin)
        return normal in self.allowed_origins or urlsplit(normal).netloc == own_host.lower()

    def topic(self, code: str) -> dict[str, str] | None:
        """The topic offered under ``code``, or None."""
        return next((t for t in self.topics if t["code"] == code), None)


def origin_of(url: str) -> str:
    """``https://Site.Example:443/page`` → ``https://site.example`` (``*`` stays ``*``)."""
    if url.strip() == "*":
        return "*"
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        return url.strip().lower()
    host = parts.netloc.lower()
    default = {"https": ":443", "http": ":80"}.get(parts.scheme.lower())
    if default and host.endswith(default):
        host = host[: -len(default)]
    return f"{parts.scheme.lower()}://{host}"


def _int(raw: dict[str, Any], key: str, default: int) -> int:
    value = raw.get(key, default)
    return (
        value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default
    )
