"""API keys and the admin account: config keys, hashed database keys, first-start bootstrap."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TextIO

from router.config import AuthSettings
from router.storage.credentials import AdminRepository, ApiKeyRepository

CACHE_LIMIT = 1024


@dataclass(frozen=True)
class Principal:
    """Who is calling: a database key (``key_id``) or a key from the config file (``key_id`` None).

    ``owner_id`` owns the tasks the caller creates: the key id of a database key, a stable id
    derived from the key itself for a config key (see :func:`config_owner_id`). ``is_admin``
    (keys in ``auth.admin_api_keys``) sees every owner's tasks.
    """

    key_id: int | None
    name: str
    is_admin: bool = False
    owner_id: int | None = None


def config_owner_id(key: str) -> int:
    """The owner id of a config-file key, derived from a hash of the key.

    Negative (database key ids are positive); it survives restarts and reordering the list, and a
    rotated key is a new owner.
    """
    digest = hashlib.sha256(b"sora2api:config-key:" + key.encode()).digest()
    return -(int.from_bytes(digest[:4], "big") & 0x3FFFFFFF) - 1


@dataclass(frozen=True)
class FirstStartSecrets:
    """Secrets generated on first start; shown once, stored only as hashes."""

    api_key: str | None
    admin_username: str
    admin_password: str | None


class Authenticator:
    def __init__(self, settings: AuthSettings, keys: ApiKeyRepository, admins: AdminRepository) -> None:
        self._settings = settings
        self._keys = keys
        self._admins = admins
        self._verified: dict[str, Principal] = {}

    async def verify_api_key(self, presented: str) -> Principal | None:
        for configured in self._settings.api_keys:
            if hmac.compare_digest(configured.encode(), presented.encode()):
                return Principal(key_id=None, name="config", owner_id=config_owner_id(configured))
        for configured in self._settings.admin_api_keys:
            if hmac.compare_digest(configured.encode(), presented.encode()):
                return Principal(
                    key_id=None, name="config-admin", is_admin=True, owner_id=config_owner_id(configured)
                )
        digest = hashlib.sha256(presented.encode()).hexdigest()
        cached = self._verified.get(digest)
        if cached is not None:
            return cached
        record = await self._keys.verify(presented)
        if record is None:
            return None
        principal = Principal(key_id=record.id, name=record.name, owner_id=record.id)
        if len(self._verified) >= CACHE_LIMIT:
            self._verified.clear()
        self._verified[digest] = principal
        return principal

    async def bootstrap(self) -> FirstStartSecrets:
        """Generate an API key and an admin password when none are configured or stored."""
        api_key = None
        configured = self._settings.api_keys or self._settings.admin_api_keys
        if not configured and await self._keys.count() == 0:
            _, api_key = await self._keys.create("default")
        password = None
        username = self._settings.admin_username
        if self._settings.admin_password:
            await self._admins.set_password(username, self._settings.admin_password)
        elif not await self._admins.exists(username):
            password = secrets.token_urlsafe(18)
            await self._admins.set_password(username, password)
        return FirstStartSecrets(api_key=api_key, admin_username=username, admin_password=password)


def announce(secrets_: FirstStartSecrets, stream: TextIO) -> None:
    """Show generated secrets once on the console (never through logging); only hashes are kept."""
    lines = []
    if secrets_.api_key:
        lines.append(f"  API key:     {secrets_.api_key}")
    if secrets_.admin_password:
        lines.append(f"  Admin login: {secrets_.admin_username} / {secrets_.admin_password}")
    if lines:
        banner = "\n".join(
            ["", "First start: generated credentials (shown once, stored hashed):", *lines, ""]
        )
        stream.write(banner + "\n")
        stream.flush()
