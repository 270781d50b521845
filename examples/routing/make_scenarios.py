"""Regenerate the routing scenarios in this folder: ``python examples/routing/make_scenarios.py``.

The JSON files are the deliverable (``balie routing simulate FILE.json``); this script only
keeps their agent rosters readable and consistent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
VOICE = {"aht_s": 360, "concurrency": 1, "patience_s": 180, "target_s": 20}
WHATSAPP = {"aht_s": 480, "concurrency": 3, "patience_s": None, "target_s": 300}
EMAIL = {"aht_s": 600, "concurrency": 4, "patience_s": None, "target_s": 3600}


def agents(prefix: str, n: int, shift: list[float], **profile: Any) -> list[dict[str, Any]]:
    base = {"languages": {"nl": 5}, "skills": {}, "trainings": [], "channels": ["voice"]}
    return [{"id": f"{prefix}{i}", **base, **profile, "shift": shift} for i in range(n)]


def write(name: str, scenario: dict[str, Any]) -> None:
    (HERE / name).write_text(json.dumps(scenario, indent=1) + "\n", encoding="utf-8")


def pooled() -> None:
    write(
        "pooled_single_skill.json",
        {
            "seed": 11,
            "hours": 200,
            "channels": {"voice": {**VOICE, "patience_s": None}},
            "agents": agents("a", 12, [0, 200], skills={"general": 3}),
            "arrivals": [
                {
                    "channel": "voice",
                    "topic": "general",
                    "language": "nl",
                    "per_hour": 100,
                    "priority": 0,
                }
            ],
        },
    )


CONSULAR_SKILLS = {"passport": 4, "visa": 3, "travel": 3}


def consular_roster(scale: float) -> list[dict[str, Any]]:
    def n(x: int) -> int:
        return max(1, round(x * scale))

    roster: list[dict[str, Any]] = []
    for label, shift in (("d", [0, 9]), ("l", [8, 17]), ("e", [15, 24]), ("n", [22, 24])):
        big = {"d": 1, "l": 1, "e": 1, "n": 0.4}[label]
        roster += agents(
            f"{label}nl",
            n(round(9 * big)),
            shift,
            skills=CONSULAR_SKILLS,
            languages={"nl": 5, "en": 3},
            channels=["voice", "whatsapp", "email"],
        )
        roster += agents(
            f"{label}es",
            n(round(2 * big)),
            shift,
            skills=CONSULAR_SKILLS,
            languages={"nl": 4, "en": 4, "es": 5},
            channels=["voice", "whatsapp"],
        )
        roster += agents(
            f"{label}en",
            n(round(3 * big)),
            shift,
            skills=CONSULAR_SKILLS,
            languages={"nl": 5, "en": 5, "fr": 3},
            channels=["voice", "email"],
        )
        roster += agents(
            f"{label}cr",
            n(round(2 * big)),
            shift,
            skills={**CONSULAR_SKILLS, "emergency": 4},
            trainings=["emergency"],
            languages={"nl": 5, "en": 4},
            channels=["voice", "whatsapp"],
        )
    return roster


def consular_arrivals(volume: float) -> list[dict[str, Any]]:
    rows = []
    # Daytime in Europe 7-19 h, then the other side of the world at night.
    for window, factor in (([0, 7], 0.35), ([7, 19], 1.0), ([19, 24], 0.5)):
        for channel, topic, language, per_hour, priority in (
            ("voice", "passport", "nl", 16, 0),
            ("voice", "visa", "en", 6, 0),
            ("voice", "travel", "es", 3, 0),
            ("voice", "emergency", "nl", 1.5, 5),
            ("whatsapp", "passport", "nl", 12, 0),
            ("whatsapp", "travel", "es", 3, 0),
            ("email", "visa", "en", 5, 0),
            ("email", "passport", "fr", 1, 0),
        ):
            rows.append(
                {
                    "channel": channel,
                    "topic": topic,
                    "language": language,
                    "per_hour": round(per_hour * factor * volume, 2),
                    "priority": priority,
                    "hours": window,
                }
            )
    return rows


def consular() -> None:
    channels = {"voice": VOICE, "whatsapp": WHATSAPP, "email": EMAIL}
    write(
        "consular_day.json",
        {
            "seed": 21,
            "hours": 24,
            "channels": channels,
            "agents": consular_roster(0.6),
            "arrivals": consular_arrivals(1.0),
        },
    )
    write(
        "summer_peak.json",
        {
            "seed": 22,
            "hours": 24,
            "channels": channels,
            "agents": consular_roster(1.1),
            "arrivals": consular_arrivals(2.0),
        },
    )


def crisis() -> None:
    roster = agents(
        "nl",
        14,
        [0, 12],
        skills={"travel": 3, "passport": 3},
        languages={"nl": 5, "en": 3},
        channels=["voice", "whatsapp"],
    )
    roster += agents(
        "cr",
        6,
        [0, 12],
        skills={"travel": 4, "passport": 3, "emergency": 4},
        trainings=["emergency"],
        languages={"nl": 5, "en": 4},
        channels=["voice", "whatsapp"],
    )
    roster += agents(
        "sv",
        2,
        [0, 12],
        skills={"emergency": 5, "travel": 4},
        trainings=["emergency"],
        languages={"nl": 5, "en": 5},
        channels=["voice"],
        supervisor=True,
    )
    arrivals = [
        {"channel": "voice", "topic": "travel", "language": "nl", "per_hour": 70, "priority": 0},
        {"channel": "voice", "topic": "passport", "language": "nl", "per_hour": 25, "priority": 0},
        {"channel": "whatsapp", "topic": "travel", "language": "nl", "per_hour": 40, "priority": 0},
        {
            "channel": "voice",
            "topic": "emergency",
            "language": "nl",
            "per_hour": 15,
            "priority": 5,
            "hours": [2, 8],
        },
        {
            "channel": "voice",
            "topic": "emergency",
            "language": "en",
            "per_hour": 6,
            "priority": 5,
            "hours": [2, 8],
        },
    ]
    write(
        "crisis_surge.json",
        {
            "seed": 31,
            "hours": 12,
            "channels": {"voice": VOICE, "whatsapp": WHATSAPP},
            "agents": roster,
            "arrivals": arrivals,
        },
    )


def municipal() -> None:
    skills = {"afval": 4, "paspoort": 3, "belasting": 2, "parkeren": 3}
    roster = agents(
        "kcc",
        10,
        [0, 8],
        skills=skills,
        languages={"nl": 5},
        channels=["voice", "whatsapp", "email"],
    )
    roster += agents(
        "bel",
        3,
        [0, 8],
        skills={"belasting": 5, "parkeren": 4},
        languages={"nl": 5, "en": 3},
        channels=["voice", "email"],
    )
    roster += agents(
        "en",
        2,
        [0, 8],
        skills=skills,
        languages={"nl": 5, "en": 5, "pl": 3},
        channels=["voice", "whatsapp"],
    )
    arrivals = [
        {"channel": "voice", "topic": "afval", "language": "nl", "per_hour": 30, "priority": 0},
        {"channel": "voice", "topic": "paspoort", "language": "nl", "per_hour": 25, "priority": 0},
        {"channel": "voice", "topic": "belasting", "language": "nl", "per_hour": 20, "priority": 0},
        {"channel": "voice", "topic": "parkeren", "language": "en", "per_hour": 4, "priority": 0},
        {"channel": "voice", "topic": "paspoort", "language": "pl", "per_hour": 2, "priority": 0},
        {"channel": "whatsapp", "topic": "afval", "language": "nl", "per_hour": 20, "priority": 0},
        {"channel": "email", "topic": "belasting", "language": "nl", "per_hour": 10, "priority": 0},
    ]
    write(
        "municipal_day.json",
        {
            "seed": 41,
            "hours": 8,
            "channels": {"voice": VOICE, "whatsapp": WHATSAPP, "email": EMAIL},
            "agents": roster,
            "arrivals": arrivals,
        },
    )


def scarce_language() -> None:
    roster = agents("nl", 10, [0, 8], skills={"general": 3}, languages={"nl": 5})
    roster += agents(
        "ar",
        1,
        [0, 8],
        skills={"general": 4},
        languages={"nl": 5, "ar": 5},
        channels=["voice", "voice_ar"],
    )
    roster += agents(
        "ti",
        1,
        [0, 8],
        skills={"general": 3},
        languages={"nl": 4, "ti": 4, "ar": 3},
        channels=["voice", "voice_ar", "voice_ti"],
    )
    arrivals = [
        {"channel": "voice", "topic": "general", "language": "nl", "per_hour": 85, "priority": 0},
        {"channel": "voice_ar", "topic": "general", "language": "ar", "per_hour": 6, "priority": 0},
        {"channel": "voice_ti", "topic": "general", "language": "ti", "per_hour": 2, "priority": 0},
    ]
    # Separate channel labels with the same parameters show the scarce callers' service level.
    channels = {"voice": VOICE, "voice_ar": VOICE, "voice_ti": VOICE}
    write(
        "scarce_language.json",
        {"seed": 51, "hours": 8, "channels": channels, "agents": roster, "arrivals": arrivals},
    )


if __name__ == "__main__":
    pooled()
    consular()
    crisis()
    municipal()
    scarce_language()
