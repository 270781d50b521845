"""The conversations domain's ports: filled in at start-up by channels and routing."""

from __future__ import annotations

import pytest

from balie.channels.registry import adapter_for
from balie.conversations import ports
from balie.routing.access_port import RoutingAnswers


def test_start_up_registers_the_channel_adapters_and_routing():
    """After Django's start-up the reply policy is the channel's adapter; routing answers."""
    assert ports._ports.reply_policies is adapter_for
    assert isinstance(ports.routing(), RoutingAnswers)


def test_a_missing_registration_is_a_clear_error(monkeypatch):
    """Without the channels or routing app, asking the port raises RuntimeError naming it."""
    monkeypatch.setattr(ports._ports, "reply_policies", None)
    monkeypatch.setattr(ports._ports, "routing", None)
    with pytest.raises(RuntimeError, match=r"balie\.channels"):
        ports.reply_policy(object())  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match=r"balie\.routing"):
        ports.routing()
