"""Field encryption for personal identifiers (ID numbers, phones, bank accounts).

Stored as AES-256-GCM ciphertext (`cryptography`), bound to its column by the associated data,
and found by a keyed hash (HMAC-SHA256 "blind index") so that equality look-ups and unique
constraints work without the plaintext. Keys come from settings.
"""

from __future__ import annotations

import base64
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.core.settings import get_settings

_VERSION = b"\x01"
_NONCE = 12


class FieldCipher:
    def __init__(self, encryption_key: bytes, hash_key: bytes) -> None:
        if len(encryption_key) != 32 or len(hash_key) < 32:
            raise ValueError("encryption and hash keys must be 32 bytes")
        self._aead = AESGCM(encryption_key)
        self._hash_key = hash_key

    def encrypt(self, plaintext: str, context: str) -> bytes:
        return self.encrypt_bytes(plaintext.encode(), context)

    def decrypt(self, blob: bytes, context: str) -> str:
        return self.decrypt_bytes(blob, context).decode()

    def encrypt_bytes(self, data: bytes, context: str) -> bytes:
        """A whole file (an uploaded import waiting for its job), sealed the same way."""
        nonce = os.urandom(_NONCE)
        return _VERSION + nonce + self._aead.encrypt(nonce, data, context.encode())

    def decrypt_bytes(self, blob: bytes, context: str) -> bytes:
        if blob[:1] != _VERSION:
            raise ValueError("unknown ciphertext version")
        nonce, ciphertext = blob[1 : 1 + _NONCE], blob[1 + _NONCE :]
        return self._aead.decrypt(nonce, ciphertext, context.encode())

    def blind_index(self, value: str, context: str) -> bytes:
        return hmac.digest(self._hash_key, f"{context}\0{value}".encode(), "sha256")


@lru_cache
def get_cipher() -> FieldCipher:
    settings = get_settings()
    return FieldCipher(
        base64.b64decode(settings.data_encryption_key), base64.b64decode(settings.data_hash_key)
    )


ID_NUMBER = "id_number"
PHONE = "phone"
ACCOUNT = "account"
