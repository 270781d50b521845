"""Reading configuration from the environment, with every variable declared once.

Each call to :func:`env` declares a variable with its default and meaning; the declarations
are collected in ``DECLARED`` so ``docs/configuration.md`` can be checked against them.
A secret may also be read from a file: ``NAME_FILE=/run/secrets/name`` wins over ``NAME``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Declared:
    """One environment variable Balie reads."""

    name: str
    default: str
    meaning: str
    secret: bool


DECLARED: dict[str, Declared] = {}


def env(name: str, default: str, meaning: str, *, secret: bool = False) -> str:
    """Return the value of ``name`` (or of the file named by ``name_FILE``), else ``default``."""
    DECLARED[name] = Declared(name, default, meaning, secret)
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool, meaning: str) -> bool:
    """Return a boolean variable: 1/true/yes/on are true."""
    raw = env(name, "1" if default else "0", meaning)
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str, meaning: str) -> list[str]:
    """Return a comma-separated variable as a list of non-empty items."""
    return [item.strip() for item in env(name, default, meaning).split(",") if item.strip()]
