"""Domain errors with machine-readable codes; the API maps them onto HTTP statuses."""

from __future__ import annotations


class BalieError(Exception):
    """Base of the errors an action raises on purpose. ``code`` is stable and machine-readable."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class InvalidInput(BalieError):
    """The request is well-formed but its values are not acceptable."""

    code = "invalid"
    status = 400


class NotFound(BalieError):
    """The object does not exist or the caller may not know it exists."""

    code = "not_found"
    status = 404


class Forbidden(BalieError):
    """The caller is known but may not do this."""

    code = "forbidden"
    status = 403


class WorkflowViolation(BalieError):
    """The change is not allowed in the object's current state (HTTP 409)."""

    code = "workflow_violation"
    status = 409
