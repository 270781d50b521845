"""The access export's sections of other capabilities, readable (the workspace's page)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from balie.privacy.retention.holdings import SECTIONS

register = template.Library()


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


@register.filter
def export_sections(data: dict[str, Any]) -> dict[str, Any]:
    """``{"shown": [{key, title, columns, rows}], "empty": [titles]}`` for the sections of
    :data:`~balie.privacy.retention.holdings.SECTIONS` in an export."""
    shown, empty = [], []
    for section in SECTIONS:
        rows = data.get(section.key) or []
        if not rows:
            empty.append(str(section.title))
            continue
        names = [name for name, _title in section.fields]
        shown.append(
            {
                "key": section.key,
                "title": str(section.title),
                "columns": [str(title) for _name, title in section.fields],
                "rows": [[_cell(row.get(name)) for name in names] for row in rows],
            }
        )
    return {"shown": shown, "empty": empty}
