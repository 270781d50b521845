"""The docs stay honest: every environment variable is documented; README starts right."""

from __future__ import annotations

from pathlib import Path

from balie.conf.env import DECLARED

ROOT = Path(__file__).resolve().parents[1]


def test_every_declared_variable_is_in_the_configuration_doc():
    """docs/configuration.md lists each variable the settings read."""
    text = (ROOT / "docs" / "configuration.md").read_text()
    missing = [name for name in DECLARED if f"`{name}`" not in text]
    assert missing == []


def test_the_readme_starts_with_the_two_commands():
    """The README's first code block holds `make demo` and `make test`."""
    text = (ROOT / "README.md").read_text()
    first_block = text.split("```")[1]
    assert "make demo" in first_block
    assert "make test" in first_block
