"""The validator that collects every problem of a configuration file, and shared patterns."""

from __future__ import annotations

import re
from typing import Any

from balie.channels.models import ChannelKind

CHANNEL_KINDS = tuple(ChannelKind.values)
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
LANG = re.compile(r"^[a-z]{2,3}$")
TIME = re.compile(r"^([01][0-9]|2[0-4]):[0-5][0-9]$")
ENV = re.compile(r"^[A-Z_][A-Z0-9_]*$")

Path = tuple[str | int, ...]


class Validator:
    """Collects problems while reading a parsed TOML document."""

    def __init__(self) -> None:
        self.problems: list[tuple[Path, str]] = []

    def problem(self, path: Path, message: str) -> None:
        self.problems.append((path, message))

    def table(
        self, value: Any, path: Path, allowed: set[str], required: set[str]
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.problem(path, "must be a table")
            return {}
        for key in sorted(set(value) - allowed):
            self.problem((*path, key), f"unknown key (allowed: {', '.join(sorted(allowed))})")
        for key in sorted(required - set(value)):
            self.problem((*path, key), "is required")
        return value

    def string(
        self,
        table: dict[str, Any],
        key: str,
        path: Path,
        *,
        default: str = "",
        pattern: re.Pattern[str] | None = None,
        limit: int = 200,
    ) -> str:
        value = table.get(key, default)
        if not isinstance(value, str):
            self.problem((*path, key), "must be a string")
            return default
        if pattern is not None and not pattern.match(value):
            self.problem((*path, key), f"{value!r} is not valid here")
        if len(value) > limit:
            self.problem((*path, key), f"is longer than {limit} characters")
        return value

    def integer(self, value: Any, path: Path, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.problem(path, f"must be a whole number from {low} to {high}")
            return low
        return int(value)

    def boolean(self, table: dict[str, Any], key: str, path: Path, default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            self.problem((*path, key), "must be true or false")
            return default
        return value

    def levels(self, value: Any, path: Path, key_pattern: re.Pattern[str]) -> dict[str, int]:
        if not isinstance(value, dict):
            self.problem(path, "must be a table of name = level (1-5)")
            return {}
        result: dict[str, int] = {}
        for name, level in value.items():
            if not key_pattern.match(name):
                self.problem((*path, name), f"{name!r} is not a valid code")
            result[name] = self.integer(level, (*path, name), 1, 5)
        return result

    def string_list(self, value: Any, path: Path) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(path, "must be a list of strings")
            return []
        return list(value)

    def hours(self, value: Any, path: Path) -> list[list[str]]:
        """A list of ["HH:MM", "HH:MM"] periods."""
        if not isinstance(value, list):
            self.problem(path, 'must be a list like [["08:30", "17:00"]]')
            return []
        periods: list[list[str]] = []
        for i, period in enumerate(value):
            ok = (
                isinstance(period, list)
                and len(period) == 2
                and all(isinstance(t, str) and TIME.match(t) for t in period)
                and period[0] < period[1]
            )
            if not ok:
                self.problem((*path, i), 'must be ["HH:MM", "HH:MM"] with start before end')
                continue
            periods.append([str(period[0]), str(period[1])])
        return periods
