"""The OpenAPI document's error answers: every operation documents the statuses it can give.

A drf-spectacular post-processing hook adds the one error shape of :mod:`balie.api.errors`
(``{"error": {"code", "message", "fields"?}}``) as the ``Error`` component and documents it for
the error statuses each operation can answer, so clients (and schemathesis) find every status.
"""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "stable, machine-readable"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": "per invalid field, what is wrong with it",
                },
            },
        }
    },
}

#: status → description, for every operation
ALWAYS = {
    "400": "Invalid parameters or body; ``fields`` names each invalid field.",
    "401": "Not authenticated.",
    "403": "Authenticated, but not allowed to do this.",
    "404": "No such object (or not visible to the caller), or no such page.",
    "406": "The Accept header asks for a format the API does not give.",
    "413": "The request body is larger than the configured limit.",
    "429": "Too many requests.",
}
#: and for operations that change something
WRITES = {
    "409": "The workflow does not allow this change now.",
    "415": "The body's media type is not accepted.",
}


def add_error_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Post-processing hook: the ``Error`` component and the error statuses of every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            statuses = dict(ALWAYS)
            if method in ("post", "put", "patch", "delete"):
                statuses.update(WRITES)
            for status, description in statuses.items():
                operation["responses"].setdefault(
                    status,
                    {"description": description, "content": {"application/json": {"schema": ref}}},
                )
    return result
