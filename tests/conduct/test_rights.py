"""A blocked citizen keeps their rights: their data can be exported (blocked messages included)
and erased (the procedure's rows go with the party)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from balie.conduct.models import Block, ConductState, ConductStep
from balie.conversations.actions import check_change_status
from balie.conversations.workflow import Status
from balie.parties.models import Party
from balie.privacy.retention.erasure import check_erase
from balie.privacy.retention.export import collect
from tests.conduct.conftest import CITIZEN, block
from tests.helpers import receive

pytestmark = pytest.mark.django_db


def test_a_blocked_party_can_see_and_erase_their_data(
    conversation, agent, colleague, channel, supervisor
):
    """Access lists the blocked message; erasure goes through and takes the conduct rows."""
    block(conversation, agent, colleague)
    receive(channel, "Geblokkeerd bericht", email=CITIZEN)
    party = Party.objects.get(pk=conversation.party_id)
    bodies = [m["text"] for c in collect(party)["conversations"] for m in c["messages"]]
    assert "Geblokkeerd bericht" in bodies
    check_change_status(conversation.pk, Status.RESOLVED, actor=agent)
    request = RequestFactory().post("/")
    request.user = supervisor.user
    decision = check_erase(request, party)
    assert decision.granted, decision
    assert not Party.objects.filter(pk=party.pk).exists()
    assert not ConductState.objects.exists()
    assert not ConductStep.objects.exists()
    assert not Block.objects.exists()
