"""The calendar cache follows changes to an organisation's own opening hours."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from balie.sla.businesstime import is_open
from balie.sla.calendars import calendar_for
from tests import factories

pytestmark = pytest.mark.django_db(transaction=False)

SATURDAY_NOON = datetime(2026, 3, 7, 12, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))


def test_changed_business_hours_are_read_at_the_next_call() -> None:
    """Saving the organisation's business hours makes calendar_for read them afresh."""
    org = factories.OrganisationFactory()
    org.business_hours = {"sat": [["10:00", "14:00"]]}
    org.save()
    assert is_open(calendar_for(org), SATURDAY_NOON)
    org.business_hours = {"mon": [["08:30", "17:00"]]}
    org.save()
    assert not is_open(calendar_for(org), SATURDAY_NOON)
