"""One spelling per digital address, so "the same" address matches across channels (pure).

- Phone numbers (kinds ``phone`` and ``whatsapp`` when the value is a number) become E.164:
  a WhatsApp ``wa_id`` ``31612345678``, a PBX's ``+31 6 12345678`` and a signature's
  ``06-12345678`` all read ``+31612345678``. Digits without ``+`` or ``00`` and with 11 or more
  digits not starting with ``0`` are international already (WhatsApp's form); anything else
  is read in ``default_region`` (NL). A string that is not a valid number gives ``""``.
- E-mail addresses are trimmed (spaces, ``<>``, a ``mailto:``) and lower-cased as a whole.
  RFC 5321 lets a server treat the local part case-sensitively, but no mail service in
  practice does; we do not strip dots or ``+tags`` (those are one provider's rules).
- Platform user ids (Messenger, Instagram, X, web chat, WhatsApp's BSUID) are scoped to one
  platform and never match another channel's address: ``""``.

``""`` means "not comparable": such addresses are never suggested for a merge.
"""

from __future__ import annotations

import phonenumbers

PHONE_KINDS = frozenset({"phone", "whatsapp"})
EMAIL_KINDS = frozenset({"email"})
DEFAULT_REGION = "NL"
MAX_LENGTH = 320


def normalise_phone(value: str, default_region: str = DEFAULT_REGION) -> str:
    """The number in E.164 (``+31612345678``), or ``""`` when it is not a valid number."""
    raw = value.strip()
    if raw.lower().startswith("tel:"):
        raw = raw[4:]
    digits = "".join(ch for ch in raw if ch.isdigit())
    if not digits or len(digits) > 17:
        return ""
    if raw.startswith("+"):
        text, region = f"+{digits}", None
    elif raw.startswith("00"):
        text, region = f"+{digits[2:]}", None
    elif len(digits) >= 11 and not digits.startswith("0") and raw.isdigit():
        text, region = f"+{digits}", None  # WhatsApp's wa_id: country code without '+'
    else:
        text, region = raw, default_region
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(parsed):
        return ""
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(value: str) -> str:
    """The address trimmed and lower-cased, or ``""`` when it has no ``local@domain`` shape."""
    raw = value.strip().strip("<>").strip()
    if raw.lower().startswith("mailto:"):
        raw = raw[7:]
    local, at, domain = raw.rpartition("@")
    if not at or not local or "." not in domain or any(ch.isspace() for ch in raw):
        return ""
    return raw.lower()[:MAX_LENGTH]


def normalise(kind: str, value: str, default_region: str = DEFAULT_REGION) -> str:
    """The comparable form of an address of ``kind`` (see the module), ``""`` if none."""
    if kind in EMAIL_KINDS:
        return normalise_email(value)
    if kind in PHONE_KINDS:
        if kind == "whatsapp" and not value.strip().lstrip("+").isdigit():
            return ""  # a business-scoped user id (BSUID), not a number
        return normalise_phone(value, default_region)
    return ""


def mask(normalised: str) -> str:
    """The value partly hidden for a list on screen: ``+316*****678``, ``j***@example.nl``."""
    if "@" in normalised:
        local, _, domain = normalised.rpartition("@")
        return f"{local[:1]}***@{domain}"
    if len(normalised) <= 6:
        return "*" * len(normalised)
    return f"{normalised[:4]}{'*' * (len(normalised) - 7)}{normalised[-3:]}"
