"""The REST API's JSON parser: DRF's, decoding through :mod:`balie.core.safejson`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from balie.core import safejson


class SafeJSONParser(JSONParser):
    """JSON bodies with bounded nesting and database-safe strings; anything else is a 400."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        """Decode the request body (UTF-8 JSON) or raise ``ParseError`` (400)."""
        try:
            return safejson.loads(stream.read())
        except safejson.MalformedJSON as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
