"""Secrets at rest: Fernet encryption with the keys from the configuration.

``ENCRYPTION_KEYS`` is a list: the first key encrypts, every key decrypts
(``MultiFernet``), so a new key is put first and the old ones stay until
``flask secrets rotate`` has re-encrypted every stored secret with the new one.
Plaintext never leaves this module except as a return value: nothing here logs.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class SecretUnreadable(RuntimeError):
    """A stored secret was encrypted with a key the configuration no longer has."""


def fernet_for(keys: list[str] | tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise RuntimeError("ENCRYPTION_KEYS is empty; configure PORTAL_ENCRYPTION_KEYS")
    return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in keys])


def _fernet() -> MultiFernet:
    return fernet_for(current_app.config["ENCRYPTION_KEYS"])


def encrypt(plaintext: str) -> str:
    """Ciphertext (URL-safe text) of ``plaintext`` with the newest key."""
    return _fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(ciphertext: str) -> str:
    """Plaintext of a stored secret; any configured key may have encrypted it."""
    try:
        return _fernet().decrypt(ciphertext.encode("ascii")).decode("utf-8")
    except InvalidToken:
        # The message says nothing about the secret itself, only that no key fits.
        raise SecretUnreadable("a stored secret cannot be decrypted with the configured keys") from None


def rotate(ciphertext: str) -> str:
    """The same secret re-encrypted with the newest key."""
    try:
        return _fernet().rotate(ciphertext.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise SecretUnreadable("a stored secret cannot be decrypted with the configured keys") from None

