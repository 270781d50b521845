"""The admin's audit hook: opening, changing and deleting personal data leaves entries."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from balie.audit.models import AuditEntry
from balie.audit.verify import verify
from balie.parties.models import Party
from tests import factories


@pytest.fixture
def admin_client(db: None) -> Client:
    client = Client(REMOTE_ADDR="192.0.2.7")
    client.force_login(factories.UserFactory(is_superuser=True, is_staff=True, username="beheer"))
    return client


def test_changing_a_party_records_the_fields_not_the_values(admin_client, organisation):
    """A change names the changed fields; the new name is nowhere in the entry."""
    party = factories.PartyFactory(organisation=organisation, display_name="Jan Jansen")
    url = reverse("admin:parties_party_change", args=[party.pk])
    admin_client.get(url)
    response = admin_client.post(
        url,
        {
            "organisation": organisation.pk,
            "kind": "persoon",
            "display_name": "Jan de Vries",
            "preferred_language": "",
            "country": "",
            "addresses-TOTAL_FORMS": "0",
            "addresses-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    actions = list(AuditEntry.objects.order_by("seq").values_list("action", flat=True))
    assert actions == ["admin_view", "admin_change"]
    change = AuditEntry.objects.get(action="admin_change")
    assert change.detail == {"fields": ["display_name"]}
    assert (change.actor_label, change.origin) == ("beheer", "192.0.2.7")
    assert "de Vries" not in str(change.detail)


def test_deleting_a_party_and_an_address_is_recorded(admin_client, organisation):
    """Deleting an inline address and then the party each leave an entry with its id."""
    address = factories.DigitalAddressFactory(party__organisation=organisation)
    party = address.party
    url = reverse("admin:parties_party_change", args=[party.pk])
    admin_client.post(
        url,
        {
            "organisation": organisation.pk,
            "kind": "persoon",
            "display_name": party.display_name,
            "preferred_language": "",
            "country": "",
            "addresses-TOTAL_FORMS": "1",
            "addresses-INITIAL_FORMS": "1",
            "addresses-0-id": address.pk,
            "addresses-0-party": party.pk,
            "addresses-0-kind": address.kind,
            "addresses-0-value": address.value,
            "addresses-0-DELETE": "on",
        },
    )
    gone = AuditEntry.objects.get(action="admin_delete", object_type="parties.digitaladdress")
    assert gone.object_id == str(address.pk)
    admin_client.post(reverse("admin:parties_party_delete", args=[party.pk]), {"post": "yes"})
    assert not Party.objects.filter(pk=party.pk).exists()
    assert AuditEntry.objects.filter(
        action="admin_delete", object_type="parties.party", object_id=str(party.pk)
    ).exists()
    assert verify().ok
