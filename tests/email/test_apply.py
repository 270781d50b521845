"""E-mail channels through `balie apply`: settings checked, secrets from the environment."""

from __future__ import annotations

import pytest

from balie.channels.models import Channel
from balie.organisations.apply import ApplyError, apply_config

CONFIG = """
[organisation]
slug = "postdam"
name = "Gemeente Postdam"
languages = ["nl"]

[[channels]]
key = "postdam-mail"
kind = "email"
name = "info@postdam.example"
secrets = { imap_password = { env = "POSTDAM_IMAP_PASSWORD" } }

[channels.settings]
address = "info@postdam.example"
imap_host = "imap.postdam.example"
imap_security = "SECURITY"
imap_mailboxes = ["INBOX", "Burgerzaken"]
"""


def test_email_channel_applies(db, monkeypatch):
    """Two mailboxes, IMAP over TLS and the password from the environment, encrypted."""
    monkeypatch.setenv("POSTDAM_IMAP_PASSWORD", "geheim")
    apply_config(CONFIG.replace("SECURITY", "ssl"))
    channel = Channel.objects.get(key="postdam-mail")
    assert channel.settings["imap_mailboxes"] == ["INBOX", "Burgerzaken"]
    assert channel.secrets["imap_password"] == "geheim"


def test_wrong_email_settings_are_refused(db, monkeypatch):
    """An unknown security mode is named with its path; nothing is written."""
    monkeypatch.setenv("POSTDAM_IMAP_PASSWORD", "geheim")
    with pytest.raises(ApplyError, match="imap_security"):
        apply_config(CONFIG.replace("SECURITY", "plain"))
    assert not Channel.objects.filter(key="postdam-mail").exists()
