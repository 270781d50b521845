"""Interactive messages (reply buttons, list messages): WhatsApp's limits, checked (pure).

An agent's interactive message is a plain spec, validated here before it enters the outbox and
turned into the Graph API's ``interactive`` object when sent::

    {"type": "button", "body": "Nog nodig?", "footer": "…",
     "buttons": [{"id": "ja", "title": "Ja"}, {"id": "nee", "title": "Nee"}]}
    {"type": "list", "body": "Waarover gaat uw vraag?", "button": "Kies",
     "sections": [{"title": "…", "rows": [{"id": "paspoort", "title": "Paspoort",
                                          "description": "Aanvragen of verlengen"}]}]}

The limits are Meta's (Cloud API, interactive reply-button and list messages); a spec that
breaks one is refused with the path of the offending field (``interactive.buttons[1].title``).
"""

from __future__ import annotations

from typing import Any

from balie.core.errors import InvalidInput

BODY, HEADER, FOOTER = 1024, 60, 60
MAX_BUTTONS, BUTTON_TITLE, BUTTON_ID = 3, 20, 256
LIST_BUTTON, MAX_SECTIONS, MAX_ROWS = 20, 10, 10
SECTION_TITLE, ROW_TITLE, ROW_DESCRIPTION, ROW_ID = 24, 24, 72, 200


class InteractiveInvalid(InvalidInput):
    """An interactive spec breaks one of WhatsApp's rules; ``field`` is the path to it."""

    code = "interactive_invalid"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message


def check_interactive(spec: Any, where: str = "interactive") -> dict[str, Any]:
    """The spec, normalised (text stripped, only known keys), or InteractiveInvalid."""
    spec = _object(spec, where)
    kind = spec.get("type")
    if kind == "button":
        allowed, out = {"type", "body", "header", "footer", "buttons"}, _common(spec, where)
        out["buttons"] = _buttons(spec.get("buttons"), f"{where}.buttons")
    elif kind == "list":
        allowed, out = (
            {"type", "body", "header", "footer", "button", "sections"},
            _common(spec, where),
        )
        out["button"] = _text(spec.get("button"), f"{where}.button", LIST_BUTTON)
        out["sections"] = _sections(spec.get("sections"), f"{where}.sections")
    else:
        raise InteractiveInvalid(f"{where}.type", "must be 'button' or 'list'")
    _known(spec, allowed, where)
    return {"type": kind, **out}


def graph_interactive(spec: dict[str, Any]) -> dict[str, Any]:
    """The Graph API's ``interactive`` object for a checked spec."""
    body: dict[str, Any] = {"type": spec["type"], "body": {"text": spec["body"]}}
    if spec.get("header"):
        body["header"] = {"type": "text", "text": spec["header"]}
    if spec.get("footer"):
        body["footer"] = {"text": spec["footer"]}
    if spec["type"] == "button":
        buttons = [{"type": "reply", "reply": dict(b)} for b in spec["buttons"]]
        body["action"] = {"buttons": buttons}
    else:
        body["action"] = {"button": spec["button"], "sections": spec["sections"]}
    return body


def _common(spec: dict[str, Any], where: str) -> dict[str, Any]:
    out = {"body": _text(spec.get("body"), f"{where}.body", BODY)}
    for key, limit in (("header", HEADER), ("footer", FOOTER)):
        if spec.get(key) not in (None, ""):
            out[key] = _text(spec.get(key), f"{where}.{key}", limit)
    return out


def _buttons(value: Any, where: str) -> list[dict[str, str]]:
    items = _list(value, where, MAX_BUTTONS)
    buttons = []
    for n, raw in enumerate(items):
        item = _object(raw, f"{where}[{n}]")
        _known(item, {"id", "title"}, f"{where}[{n}]")
        buttons.append(
            {
                "id": _text(item.get("id"), f"{where}[{n}].id", BUTTON_ID),
                "title": _text(item.get("title"), f"{where}[{n}].title", BUTTON_TITLE),
            }
        )
    _unique(buttons, "id", where)
    _unique(buttons, "title", where)
    return buttons


def _sections(value: Any, where: str) -> list[dict[str, Any]]:
    items = _list(value, where, MAX_SECTIONS)
    sections, rows = [], []
    for n, raw in enumerate(items):
        item = _object(raw, f"{where}[{n}]")
        _known(item, {"title", "rows"}, f"{where}[{n}]")
        section: dict[str, Any] = {}
        if len(items) > 1 or item.get("title") not in (None, ""):
            section["title"] = _text(item.get("title"), f"{where}[{n}].title", SECTION_TITLE)
        section["rows"] = [
            _row(row, f"{where}[{n}].rows[{m}]")
            for m, row in enumerate(_list(item.get("rows"), f"{where}[{n}].rows", MAX_ROWS))
        ]
        rows.extend(section["rows"])
        sections.append(section)
    if len(rows) > MAX_ROWS:
        raise InteractiveInvalid(where, f"at most {MAX_ROWS} rows in all sections together")
    ids = [row["id"] for row in rows]
    if len(set(ids)) < len(ids):
        raise InteractiveInvalid(where, "every row id must be unique in the message")
    return sections


def _row(value: Any, where: str) -> dict[str, str]:
    item = _object(value, where)
    _known(item, {"id", "title", "description"}, where)
    row = {
        "id": _text(item.get("id"), f"{where}.id", ROW_ID),
        "title": _text(item.get("title"), f"{where}.title", ROW_TITLE),
    }
    if item.get("description") not in (None, ""):
        row["description"] = _text(item.get("description"), f"{where}.description", ROW_DESCRIPTION)
    return row


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InteractiveInvalid(where, "must be an object")
    return value


def _list(value: Any, where: str, most: int) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise InteractiveInvalid(where, "must be a non-empty list")
    if len(value) > most:
        raise InteractiveInvalid(where, f"at most {most} items")
    return value


def _text(value: Any, where: str, most: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InteractiveInvalid(where, "must be non-empty text")
    text = value.strip()
    if len(text) > most:
        raise InteractiveInvalid(where, f"at most {most} characters")
    return text


def _known(value: dict[str, Any], allowed: set[str], where: str) -> None:
    for key in value:
        if key not in allowed:
            raise InteractiveInvalid(f"{where}.{key}", "is not a known field")


def _unique(items: list[dict[str, str]], key: str, where: str) -> None:
    seen: set[str] = set()
    for n, item in enumerate(items):
        if item[key] in seen:
            raise InteractiveInvalid(f"{where}[{n}].{key}", "must be unique in the message")
        seen.add(item[key])
