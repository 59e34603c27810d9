"""Upstream tokens at rest: Fernet encryption and the key it uses.

The key comes from ``database.encryption_key`` or, when that is empty, from
``<data_dir>/secret.key`` (generated on first start with mode 0600). Losing the key makes every
stored token unreadable; changing it needs the accounts re-added.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from router.errors import GatewayError

KEY_FILE = "secret.key"


class TokenCipher:
    """Encrypts and decrypts token strings with one Fernet key."""

    def __init__(self, key: str) -> None:
        self._fernet = _fernet(key)

    def __repr__(self) -> str:
        return "TokenCipher(key='***')"

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise GatewayError(
                "A stored token cannot be decrypted: the encryption key differs from the one it was "
                "stored with",
                code="token_decryption_failed",
            ) from exc


def load_or_create_key(data_dir: Path, configured: str) -> str:
    """The configured key if set, else ``<data_dir>/secret.key``, generated there if missing."""
    if configured.strip():
        key = configured.strip()
        _fernet(key)
        return key
    path = data_dir / KEY_FILE
    if not path.exists():
        _create_key_file(path)
    key = path.read_text().strip()
    _fernet(key)
    return key


def _fernet(key: str) -> Fernet:
    try:
        return Fernet(key.encode())
    except ValueError as exc:
        raise ValueError(
            "The encryption key must be 32 url-safe base64-encoded bytes (Fernet.generate_key())"
        ) from exc


def _create_key_file(path: Path) -> None:
    """Write a new key atomically; if another process wins the race, its key is kept."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(Fernet.generate_key().decode() + "\n")
        with contextlib.suppress(FileExistsError):  # another process was first: keep its key
            os.link(temporary, path)
    finally:
        temporary.unlink()
