"""Errors of ``balie apply``, each naming where in the file it was found."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One defect: the key path, the line (0 when unknown) and what is wrong."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.path}: {self.message}"


class ApplyError(Exception):
    """The configuration was refused; nothing was written."""

    def __init__(self, filename: str, problems: list[Problem]) -> None:
        self.filename = filename
        self.problems = problems
        lines = [f"{filename}:{p.line}: {p.path}: {p.message}" for p in problems]
        super().__init__("nothing was applied:\n" + "\n".join(lines))
