"""Masking of personal identifiers: ID numbers, phone numbers and bearer tokens.

Used for every response field that shows one and as the last step of every log line.
"""

from __future__ import annotations

import re

# 18-character resident IDs (17 digits + digit/X) and 15-digit legacy ones, not inside longer runs.
_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8}|\d{6})(\d{3})([0-9Xx])(?![0-9A-Za-z])")
_PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_BEARER_RE = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
_JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def mask_id_number(id_number: str) -> str:
    """Keep the first 4 and last 4: '520102199001011234' → '5201**********1234'."""
    value = id_number.strip()
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(phone: str) -> str:
    """'13812345678' → '138****5678'."""
    value = phone.strip()
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_text(text: str) -> str:
    """Mask every ID number, phone number and token that appears in free text."""
    text = _BEARER_RE.sub(r"\1***", text)
    text = _JWT_RE.sub("***", text)
    text = _ID_RE.sub(lambda m: mask_id_number(m.group(0)), text)
    return _PHONE_RE.sub(lambda m: mask_phone(m.group(0)), text)


def mask_name(name: str) -> str:
    """The family name and a star per other character: '张三丰' → '张**'."""
    value = name.strip()
    return value[:1] + "*" * (len(value) - 1)


def mask_account(account: str) -> str:
    """Bank account: first 4 and last 4 digits."""
    return mask_id_number(account)
