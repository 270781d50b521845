"""Validation of the channels of a configuration file (and WhatsApp templates)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from balie.channels.whatsapp.models import TemplateCategory
from balie.organisations.apply.validator import CHANNEL_KINDS, ENV, SLUG, Path, Validator


@dataclass
class ChannelConfig:
    key: str
    kind: str
    name: str
    team: str
    settings: dict[str, Any]
    secrets: dict[str, dict[str, str]]
    active: bool
    templates: list[dict[str, str]] = field(default_factory=list)


def validate_channel(v: Validator, raw: Any, path: Path, teams: set[str]) -> ChannelConfig:
    allowed = {"key", "kind", "name", "team", "settings", "secrets", "active", "templates"}
    t = v.table(raw, path, allowed, {"key", "kind", "name"})
    kind = v.string(t, "kind", path)
    if kind not in CHANNEL_KINDS:
        v.problem((*path, "kind"), f"unknown kind {kind!r} (use {', '.join(CHANNEL_KINDS)})")
    team = v.string(t, "team", path)
    if team and team not in teams:
        v.problem((*path, "team"), f"unknown team {team!r}")
    settings = t.get("settings", {})
    if not isinstance(settings, dict):
        v.problem((*path, "settings"), "must be a table")
        settings = {}
    secrets: dict[str, dict[str, str]] = {}
    raw_secrets = t.get("secrets", {})
    if not isinstance(raw_secrets, dict):
        v.problem((*path, "secrets"), 'must be a table of name = { env = "VAR" }')
        raw_secrets = {}
    for name, ref in raw_secrets.items():
        spath = (*path, "secrets", name)
        if not isinstance(ref, dict) or set(ref) not in ({"env"}, {"file"}):
            v.problem(spath, 'must reference the environment: { env = "VAR" } or { file = "…" }')
            continue
        if "env" in ref and not (isinstance(ref["env"], str) and ENV.match(ref["env"])):
            v.problem(spath, "env must name an environment variable (A-Z, 0-9, _)")
            continue
        secrets[name] = {k: str(val) for k, val in ref.items()}
    if kind == "email":
        _email_settings(v, settings, (*path, "settings"))
    if kind == "webchat":
        _webchat_settings(v, settings, (*path, "settings"))
    templates = _templates(v, t.get("templates", []), (*path, "templates"))
    if templates and kind != "whatsapp":
        v.problem((*path, "templates"), "only WhatsApp channels have message templates")
    return ChannelConfig(
        templates=templates,
        key=v.string(t, "key", path, pattern=SLUG),
        kind=kind,
        name=v.string(t, "name", path),
        team=team,
        settings=settings,
        secrets=secrets,
        active=v.boolean(t, "active", path, True),
    )


SECURITY = ("ssl", "starttls", "none")


def _email_settings(v: Validator, settings: dict[str, Any], path: Path) -> None:
    """An e-mail channel's settings (docs/channels.md): its address, IMAP and SMTP."""
    if "@" not in str(settings.get("address", "")):
        v.problem((*path, "address"), "an e-mail channel needs its address (name@domain)")
    for key in ("imap_security", "smtp_security"):
        if key in settings and settings[key] not in SECURITY:
            v.problem((*path, key), f"use one of {', '.join(SECURITY)}")
    for key in ("imap_port", "smtp_port", "poll_seconds"):
        if key in settings and not (isinstance(settings[key], int) and settings[key] > 0):
            v.problem((*path, key), "must be a positive whole number")
    boxes = settings.get("imap_mailboxes", ["INBOX"])
    if not (isinstance(boxes, list) and boxes and all(isinstance(b, str) and b for b in boxes)):
        v.problem((*path, "imap_mailboxes"), 'must be a list of mailbox names, e.g. ["INBOX"]')


def _webchat_settings(v: Validator, settings: dict[str, Any], path: Path) -> None:
    """A web chat's settings (docs/channels.md, "Web chat"): origins, topics, limits."""
    origins = settings.get("allowed_origins", [])
    if not (
        isinstance(origins, list)
        and all(
            isinstance(o, str) and (o == "*" or re.match(r"^https?://[^/]+$", o)) for o in origins
        )
    ):
        v.problem(
            (*path, "allowed_origins"), 'must be a list like ["https://www.gemeente.example"]'
        )
    topics = settings.get("topics", [])
    if not (
        isinstance(topics, list)
        and all(isinstance(t, dict) and isinstance(t.get("code"), str) for t in topics)
    ):
        v.problem(
            (*path, "topics"), 'must be a list like [{ code = "paspoort", nl = "…", en = "…" }]'
        )
    for key in (
        "max_upload_bytes",
        "messages_per_minute",
        "ip_messages_per_minute",
        "ip_connections_per_minute",
        "max_message_chars",
    ):
        value = settings.get(key, 1)
        if not (isinstance(value, int) and not isinstance(value, bool) and value > 0):
            v.problem((*path, key), "must be a positive whole number")


_TEMPLATE_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
TEMPLATE_CATEGORIES = tuple(TemplateCategory.values)


def _templates(v: Validator, raw: Any, path: Path) -> list[dict[str, str]]:
    """WhatsApp message templates as submitted to Meta (their review status comes from Meta)."""
    if not isinstance(raw, list):
        v.problem(
            path, 'must be a list like [{ name = "antwoord_klaar", language = "nl", body = "…" }]'
        )
        return []
    templates = []
    for i, item in enumerate(raw):
        t = v.table(
            item, (*path, i), {"name", "language", "category", "body"}, {"name", "language", "body"}
        )
        category = v.string(t, "category", (*path, i), default="UTILITY")
        if category not in TEMPLATE_CATEGORIES:
            v.problem((*path, i, "category"), f"must be one of {', '.join(TEMPLATE_CATEGORIES)}")
        templates.append(
            {
                "name": v.string(t, "name", (*path, i), pattern=_TEMPLATE_NAME),
                "language": v.string(
                    t, "language", (*path, i), pattern=re.compile(r"^[a-z]{2}(_[A-Z]{2})?$")
                ),
                "category": category,
                "body": v.string(t, "body", (*path, i), limit=1024),
            }
        )
    return templates
