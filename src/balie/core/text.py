"""Text that every database accepts: no NUL characters, no lone surrogates.

PostgreSQL refuses NUL in text and SQLite's driver refuses lone surrogates (they cannot be
encoded as UTF-8); both reach Balie through JSON escapes (``\\u0000``, ``\\ud800``) from any
channel. Pure: no Django.
"""

from __future__ import annotations

REPLACEMENT = "\ufffd"


def clean_text(text: str) -> str:
    """``text`` without NUL characters and with each lone surrogate replaced by U+FFFD.

    A high and a low surrogate that stand next to each other become the one character they
    encode. Ordinary text is returned as is, after two scans in C.
    """
    if "\x00" in text:
        text = text.replace("\x00", "")
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # surrogates: pairs are joined, lone ones replaced
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text
