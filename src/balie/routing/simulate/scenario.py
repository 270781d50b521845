"""Reading a simulation scenario (the JSON contract in DESIGN.md) into plain values."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ScenarioError(ValueError):
    """The scenario file does not follow the contract."""


@dataclass(frozen=True)
class ChannelSpec:
    """One channel label: handling time, contacts per agent, patience, answer target."""

    name: str
    aht_s: float
    concurrency: int
    patience_s: float | None
    target_s: float


@dataclass(frozen=True)
class AgentSpec:
    """One simulated agent; ``shift`` in hours from the start."""

    id: str
    languages: dict[str, int]
    skills: dict[str, int]
    trainings: frozenset[str]
    channels: tuple[str, ...]
    shift: tuple[float, float]
    is_supervisor: bool = False


@dataclass(frozen=True)
class ArrivalSpec:
    """A Poisson stream of contacts; ``window`` (optional ``hours``) limits when it flows."""

    channel: str
    topic: str
    language: str
    per_hour: float
    priority: int
    window: tuple[float, float]


@dataclass(frozen=True)
class Scenario:
    """A whole scenario. ``match_level``: the level counted as a strict language/skill match
    (``…_match_strict``; ``…_match`` counts any level)."""

    seed: int
    hours: float
    channels: dict[str, ChannelSpec]
    agents: tuple[AgentSpec, ...]
    arrivals: tuple[ArrivalSpec, ...]
    match_level: int = 3


def _require(data: dict[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise ScenarioError(f"{where}: missing {key!r}")
    return data[key]


def _levels(raw: Any, where: str) -> dict[str, int]:
    if not isinstance(raw, dict) or not all(
        isinstance(v, int) and 1 <= v <= 5 for v in raw.values()
    ):
        raise ScenarioError(f"{where}: levels must be integers 1-5")
    return {str(k): int(v) for k, v in raw.items()}


def parse(data: dict[str, Any]) -> Scenario:
    """Validate and convert a decoded scenario; raises ScenarioError naming the bad field."""
    hours = float(_require(data, "hours", "scenario"))
    channels: dict[str, ChannelSpec] = {}
    for name, raw in dict(_require(data, "channels", "scenario")).items():
        where = f"channels.{name}"
        patience = _require(raw, "patience_s", where)
        spec = ChannelSpec(
            name=name,
            aht_s=float(_require(raw, "aht_s", where)),
            concurrency=int(_require(raw, "concurrency", where)),
            patience_s=None if patience is None else float(patience),
            target_s=float(_require(raw, "target_s", where)),
        )
        if spec.aht_s <= 0 or spec.concurrency < 1:
            raise ScenarioError(f"{where}: aht_s must be > 0 and concurrency >= 1")
        channels[name] = spec
    agents = []
    for i, raw in enumerate(_require(data, "agents", "scenario")):
        where = f"agents[{i}]"
        shift = _require(raw, "shift", where)
        agent_channels = tuple(_require(raw, "channels", where))
        unknown = [c for c in agent_channels if c not in channels]
        if unknown:
            raise ScenarioError(f"{where}: unknown channel {unknown[0]!r}")
        agents.append(
            AgentSpec(
                id=str(_require(raw, "id", where)),
                languages=_levels(_require(raw, "languages", where), where),
                skills=_levels(_require(raw, "skills", where), where),
                trainings=frozenset(_require(raw, "trainings", where)),
                channels=agent_channels,
                shift=(float(shift[0]), float(shift[1])),
                is_supervisor=bool(raw.get("supervisor", False)),
            )
        )
    arrivals = []
    for i, raw in enumerate(_require(data, "arrivals", "scenario")):
        where = f"arrivals[{i}]"
        channel = str(_require(raw, "channel", where))
        if channel not in channels:
            raise ScenarioError(f"{where}: unknown channel {channel!r}")
        window = raw.get("hours", [0, hours])
        arrivals.append(
            ArrivalSpec(
                channel=channel,
                topic=str(_require(raw, "topic", where)),
                language=str(_require(raw, "language", where)),
                per_hour=float(_require(raw, "per_hour", where)),
                priority=int(_require(raw, "priority", where)),
                window=(float(window[0]), min(float(window[1]), hours)),
            )
        )
    return Scenario(
        seed=int(_require(data, "seed", "scenario")),
        hours=hours,
        channels=channels,
        agents=tuple(agents),
        arrivals=tuple(arrivals),
        match_level=int(data.get("match_level", 3)),
    )


def load(path: str | Path) -> Scenario:
    """Read and parse a scenario file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ScenarioError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ScenarioError("the scenario must be a JSON object")
    return parse(data)
