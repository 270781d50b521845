"""Read receipts on WhatsApp follow the organisation's care policy (a real webhook into Balie,
the Graph API simulator on loopback receiving the "read" calls)."""

from __future__ import annotations

import pytest

from balie.backoffice.models import CarePolicy
from tests.whatsapp.conftest import (  # noqa: F401 (fixtures)
    deliver,
    post_webhook,
    simulator,
    wa_channel,
)

pytestmark = pytest.mark.django_db


def test_the_organisation_turns_receipts_off_for_a_channel_that_has_them(
    organisation,
    wa_channel,  # noqa: F811
    deliver,  # noqa: F811
    simulator,  # noqa: F811
):
    """Channel on, organisation off: no blue ticks."""
    wa_channel.settings = {**wa_channel.settings, "read_receipts": True}
    wa_channel.save()
    CarePolicy.objects.create(organisation=organisation, read_receipts=False)
    deliver("text")
    assert simulator.state.read_receipts == []
