"""Fixtures of the privacy tests."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def whatsapp(organisation):  # type: ignore[no-untyped-def]
    """A WhatsApp channel: unsafe for personal data by default."""
    return factories.ChannelFactory(organisation=organisation, key="wa", kind="whatsapp")
