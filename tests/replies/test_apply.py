"""`balie apply` keeps the replies' library and greetings: idempotent, checked with place."""

from __future__ import annotations

from datetime import date

import pytest

from balie.organisations.apply import ApplyError, apply_config
from balie.replies.models import CannedReply, Greeting

pytestmark = pytest.mark.django_db

CONFIG = """
[organisation]
slug = "klein"
name = "Gemeente Klein"

[[teams]]
slug = "kcc"
name = "KCC"

[[agents]]
username = "sanne"
name = "Sanne de Wit"
teams = ["kcc"]
languages = { nl = 5 }

[[channels]]
key = "chat"
kind = "api"
name = "Chat"

[[replies]]
shortcut = "paspoort-klaar"
title = "Paspoort ligt klaar"
tone = "u"
text = "Beste {naam}, uw paspoort ligt klaar."
team = "kcc"
owner = "sanne"
review_on = 2027-06-01

[[replies]]
shortcut = "paspoort-klaar"
title = "Paspoort ligt klaar"
tone = "je"
text = "Hoi {naam}, je paspoort ligt klaar."

[[greetings]]
opening = "Goedemiddag {naam},"
signature = "Met vriendelijke groet, {voornaam_medewerker}"

[[greetings]]
channel = "chat"
tone = "je"
opening = "Hoi {naam}!"
"""


def test_apply_writes_replies_and_greetings_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Two variants with owner, team and review date, two greetings; a second run: no change."""
    path = tmp_path / "org.toml"
    path.write_text(CONFIG)
    first = apply_config(path.read_text(), filename=str(path))
    formal = CannedReply.objects.get(shortcut="paspoort-klaar", tone="u")
    assert formal.owner.display_name == "Sanne de Wit"
    assert formal.team.slug == "kcc"
    assert formal.review_on == date(2027, 6, 1)
    assert CannedReply.objects.count() == 2
    assert Greeting.objects.get(channel__key="chat").opening == "Hoi {naam}!"
    assert Greeting.objects.get(channel=None).signature.endswith("{voornaam_medewerker}")
    second = apply_config(path.read_text(), filename=str(path))
    assert "canned replies created" in str(first)
    assert "canned replies" not in str(second)
    assert "greetings" not in str(second)


@pytest.mark.parametrize(
    ("extra", "where"),
    [
        ('[[replies]]\nshortcut = "x"\ntitle = "X"\ntext = "Dag {nam}"\n', "replies"),
        ('[[replies]]\nshortcut = "x"\ntitle = "X"\ntone = "jij"\ntext = "Dag"\n', "tone"),
        ('[[replies]]\nshortcut = "x"\ntitle = "X"\ntext = "Dag"\nowner = "piet"\n', "owner"),
        ('[[greetings]]\nteam = "onbekend"\nopening = "Dag"\n', "team"),
        (
            '[[replies]]\nshortcut = "paspoort-klaar"\ntitle = "X"\ntone = "u"\ntext = "Dag"\n',
            "twice",
        ),
    ],
)
def test_bad_entries_are_refused_with_their_place_and_nothing_is_written(
    extra: str, where: str
) -> None:
    """An unknown variable, tone, owner or team, or a repeated variant: no partial write."""
    with pytest.raises(ApplyError) as refused:
        apply_config(CONFIG + extra, filename="org.toml")
    assert where in str(refused.value)
    assert not CannedReply.objects.exists()
