"""`balie apply` sets the archivist's retention terms: validated, idempotent, by scope."""

from __future__ import annotations

import pytest

from balie.organisations.apply import ApplyError, apply_config
from balie.privacy.retention.models import RetentionTerm

pytestmark = pytest.mark.django_db

CONFIG = """
[organisation]
slug = "klein"
name = "Gemeente Klein"

[[topics]]
code = "bezwaar"
name = "Bezwaar"

[[retention]]
days = 365

[[retention]]
data = "performance"
days = 180

[[retention]]
topic = "bezwaar"
days = 3650
disposal = "keep"
basis = "Selectielijst gemeenten 2020, 1.1.2"
"""


def test_apply_creates_the_terms_and_a_second_apply_changes_nothing():
    """Three terms by scope; the same file again reports no change."""
    assert "retention terms created" in apply_config(CONFIG)
    terms = {(t.data, t.topic.code if t.topic else "", t.days, t.disposal) for t in
             RetentionTerm.objects.select_related("topic")}  # fmt: skip
    assert terms == {
        ("contacts", "", 365, "destroy"),
        ("performance", "", 180, "destroy"),
        ("contacts", "bezwaar", 3650, "keep"),
    }
    assert "retention" not in apply_config(CONFIG)
    assert "retention terms updated" in apply_config(CONFIG.replace("days = 180", "days = 90"))
    assert RetentionTerm.objects.get(data="performance").days == 90


def test_bad_terms_are_refused_with_their_place_and_nothing_is_written():
    """An unknown topic, a zero term, a wrong disposal and a duplicate scope are all named."""
    bad = CONFIG.replace('topic = "bezwaar"', 'topic = "onbekend"').replace(
        "[[retention]]\ndays = 365\n",
        '[[retention]]\ndays = 0\n[[retention]]\ndays = 30\ndisposal = "bewaren"\n',
    )
    with pytest.raises(ApplyError) as caught:
        apply_config(bad)
    text = str(caught.value)
    assert "retention[0].days" in text
    assert "unknown topic 'onbekend'" in text
    assert "must be one of destroy, keep" in text
    assert "appears twice" in text
    assert not RetentionTerm.objects.exists()
