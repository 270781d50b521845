"""Secrets at rest: a model field that stores JSON encrypted with Fernet (MultiFernet).

The key is derived from ``BALIE_FIELD_ENCRYPTION_KEY``; listing an old key after a comma
keeps old values readable during rotation.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


def _fernet() -> MultiFernet:
    return _fernet_for(str(settings.FIELD_ENCRYPTION_KEY))


@functools.cache
def _fernet_for(setting: str) -> MultiFernet:
    keys = [k.strip() for k in setting.split(",") if k.strip()]
    return MultiFernet(
        [Fernet(base64.urlsafe_b64encode(hashlib.sha256(k.encode()).digest())) for k in keys]
    )


@functools.lru_cache(maxsize=1024)
def _plaintext(token: str, setting: str) -> bytes:
    """The decrypted bytes of ``token`` (remembered: every row that loads a channel, e.g. a
    message with its conversation's channel, would otherwise pay an AES and HMAC round for
    the same unchanged secrets; a failure is not remembered)."""
    return _fernet_for(setting).decrypt(token.encode())


def encrypt(value: Any) -> str:
    """Encrypt a JSON value to a token string."""
    return _fernet().encrypt(json.dumps(value).encode()).decode()


def decrypt(token: str) -> Any:
    """Decrypt a token from :func:`encrypt`; raises ValueError on a wrong key or tampering."""
    try:
        return json.loads(_plaintext(token, str(settings.FIELD_ENCRYPTION_KEY)))
    except InvalidToken as exc:
        raise ValueError("secret cannot be decrypted with the configured key") from exc


class EncryptedJSONField(models.TextField):  # type: ignore[type-arg]
    """A dict of secrets, encrypted in the database, plain in Python."""

    def from_db_value(self, value: str | None, expression: object, connection: object) -> Any:
        if value in (None, ""):
            return {}
        return decrypt(value)  # type: ignore[arg-type]

    def to_python(self, value: Any) -> Any:
        if isinstance(value, dict):
            return value
        if value in (None, ""):
            return {}
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        return encrypt(value or {})
