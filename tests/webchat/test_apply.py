"""Web chat channels through `balie apply`: settings checked, the identity secret from the
environment, encrypted."""

from __future__ import annotations

import pytest

from balie.channels.models import Channel
from balie.channels.webchat.config import WebchatSettings
from balie.organisations.apply import ApplyError, apply_config

CONFIG = """
[organisation]
slug = "chatdam"
name = "Gemeente Chatdam"
languages = ["nl", "en"]

[[channels]]
key = "chatdam-chat"
kind = "webchat"
name = "Webchat"
secrets = { identity_secret = { env = "CHATDAM_CHAT_SECRET" } }

[channels.settings]
allowed_origins = ORIGINS
messages_per_minute = 10
topics = [{ code = "paspoort", nl = "Paspoort", en = "Passport" }]
theme = { "--balie-chat-accent" = "#00689e" }
"""


def test_a_webchat_channel_applies_with_its_secret(db, monkeypatch):
    """Origins, topics, limits and theme are stored; the identity secret is encrypted."""
    monkeypatch.setenv("CHATDAM_CHAT_SECRET", "geheim")
    apply_config(CONFIG.replace("ORIGINS", '["https://www.chatdam.example"]'))
    channel = Channel.objects.get(key="chatdam-chat")
    settings = WebchatSettings.of(channel.settings)
    assert settings.allowed_origins == ("https://www.chatdam.example",)
    assert settings.messages_per_minute == 10
    assert settings.topic("paspoort") == {"code": "paspoort", "nl": "Paspoort", "en": "Passport"}
    assert settings.theme == {"--balie-chat-accent": "#00689e"}
    assert channel.secrets["identity_secret"] == "geheim"
    assert settings.origin_allowed("https://www.chatdam.example:443", "balie.example")
    assert not settings.origin_allowed("https://evil.example", "balie.example")


def test_an_origin_with_a_path_is_refused(db, monkeypatch):
    """allowed_origins must be scheme://host; the problem is named with its path."""
    monkeypatch.setenv("CHATDAM_CHAT_SECRET", "geheim")
    with pytest.raises(ApplyError, match="allowed_origins"):
        apply_config(CONFIG.replace("ORIGINS", '["www.chatdam.example/contact"]'))
    assert not Channel.objects.filter(key="chatdam-chat").exists()
