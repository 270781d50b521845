"""Recording audit entries for views of and changes to personal data (BIO 8.15).

Every entry names who (the user, or ``system``), did what (``action``), to which object, when,
from where (the client address as :mod:`balie.core.clientip` trusts it, or ``cli``/``system``)
and with what result (``success``, ``refused``, ``failed``). ``detail`` holds ids and counts,
never personal data.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from balie.audit.models import AuditEntry
from balie.core.clientip import client_ip


def origin_of(request: HttpRequest | None) -> str:
    """The client address of a request as far as Balie trusts it; ``system`` without one."""
    if request is None:
        return "system"
    return client_ip(request)[:64]


def record(
    *,
    request: HttpRequest | None,
    action: str,
    obj: Any,
    result: str = "success",
    detail: dict[str, Any] | None = None,
    origin: str | None = None,
) -> AuditEntry:
    """Append an entry for ``action`` on ``obj`` by the request's user (or the system)."""
    user = getattr(request, "user", None) if request is not None else None
    authenticated = bool(user is not None and user.is_authenticated)
    return AuditEntry.objects.create(
        actor=user if authenticated else None,
        actor_label=user.get_username() if authenticated and user is not None else "system",
        action=action,
        object_type=type(obj)._meta.label_lower,
        object_id=str(obj.pk),
        result=result,
        origin=origin if origin is not None else origin_of(request),
        detail=detail or {},
    )
