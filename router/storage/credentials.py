"""Gateway credentials: API keys and admin users, both stored only as argon2 hashes.

Hashing and verifying run in a worker thread (argon2 is deliberately slow), and a lookup that
finds nothing still verifies against a dummy hash so timing does not tell which keys exist.
"""

from __future__ import annotations

import asyncio
import builtins
import dataclasses
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError

from router.errors import NotFoundError
from router.storage.db import Database
from router.storage.tables import admin_users, api_keys
from router.storage.timestamps import utcnow

KEY_PREFIX = "sk-s2a-"
#: url-safe random characters after :data:`KEY_PREFIX`
KEY_RANDOM_LENGTH = 40
#: leading characters of a key stored in clear for lookup
PREFIX_LENGTH = 12
#: ``last_used_at`` is written at most this often per key
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiKeyRecord:
    """A stored API key (never the key itself)."""

    id: int
    name: str
    #: the key's first :data:`PREFIX_LENGTH` characters
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


class _Hasher:
    """argon2 off the event loop, with a dummy hash for lookups that find nothing."""

    def __init__(self, hasher: PasswordHasher | None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._dummy: str | None = None

    async def hash(self, secret: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, secret)

    async def verify(self, hashed: str, secret: str) -> bool:
        return await asyncio.to_thread(self._verify, hashed, secret)

    async def burn(self, secret: str) -> None:
        """Spend the time a real verification would take."""
        if self._dummy is None:
            self._dummy = await self.hash(secrets.token_urlsafe(16))
        await self.verify(self._dummy, secret)

    def needs_rehash(self, hashed: str) -> bool:
        return self._hasher.check_needs_rehash(hashed)

    def _verify(self, hashed: str, secret: str) -> bool:
        try:
            return self._hasher.verify(hashed, secret)
        except (VerificationError, InvalidHashError):
            return False


class ApiKeyRepository:
    def __init__(self, db: Database, *, hasher: PasswordHasher | None = None) -> None:
        self._db = db
        self._hasher = _Hasher(hasher)

    async def create(self, name: str) -> tuple[ApiKeyRecord, str]:
        """A new key: its record and the plaintext ``sk-s2a-…``, which is never stored."""
        plaintext = KEY_PREFIX + secrets.token_urlsafe(KEY_RANDOM_LENGTH * 3 // 4)
        values = {
            "name": name,
            "prefix": plaintext[:PREFIX_LENGTH],
            "key_hash": await self._hasher.hash(plaintext),
            "created_at": utcnow(),
        }
        statement = sa.insert(api_keys).values(values).returning(*_PUBLIC_COLUMNS)
        async with self._db.begin() as conn:
            row = (await conn.execute(statement)).one()
        return ApiKeyRecord(**row._mapping), plaintext

    async def verify(self, plaintext: str) -> ApiKeyRecord | None:
        """The record of a valid, unrevoked key, else ``None``; notes ``last_used_at``."""
        if not plaintext.startswith(KEY_PREFIX) or len(plaintext) != len(KEY_PREFIX) + KEY_RANDOM_LENGTH:
            return None
        query = sa.select(api_keys).where(
            api_keys.c.prefix == plaintext[:PREFIX_LENGTH], api_keys.c.revoked == sa.false()
        )
        async with self._db.connect() as conn:
            rows = (await conn.execute(query)).all()
        if not rows:
            await self._hasher.burn(plaintext)
            return None
        for row in rows:
            if await self._hasher.verify(row.key_hash, plaintext):
                return await self._used(row._mapping, plaintext)
        return None

    async def count(self, *, include_revoked: bool = False) -> int:
        """How many keys there are (unrevoked ones unless ``include_revoked``)."""
        query = sa.select(sa.func.count()).select_from(api_keys)
        if not include_revoked:
            query = query.where(api_keys.c.revoked == sa.false())
        async with self._db.connect() as conn:
            return int(await conn.scalar(query) or 0)

    async def list(self) -> builtins.list[ApiKeyRecord]:
        """Every key, revoked ones too, by id."""
        async with self._db.connect() as conn:
            rows = (await conn.execute(sa.select(*_PUBLIC_COLUMNS).order_by(api_keys.c.id))).all()
        return [ApiKeyRecord(**row._mapping) for row in rows]

    async def revoke(self, key_id: int) -> ApiKeyRecord:
        statement = (
            sa.update(api_keys)
            .where(api_keys.c.id == key_id)
            .values(revoked=True)
            .returning(*_PUBLIC_COLUMNS)
        )
        async with self._db.begin() as conn:
            row = (await conn.execute(statement)).one_or_none()
        if row is None:
            raise NotFoundError(f"No API key with id {key_id}", code="api_key_not_found")
        return ApiKeyRecord(**row._mapping)

    async def _used(self, row: Any, plaintext: str) -> ApiKeyRecord:
        """Record the use (at most once per :data:`LAST_USED_RESOLUTION`) and upgrade the hash."""
        record = ApiKeyRecord(**{column.name: row[column.name] for column in _PUBLIC_COLUMNS})
        now = utcnow()
        values: dict[str, Any] = {}
        if record.last_used_at is None or now - record.last_used_at >= LAST_USED_RESOLUTION:
            values["last_used_at"] = now
        if self._hasher.needs_rehash(row["key_hash"]):
            values["key_hash"] = await self._hasher.hash(plaintext)
        if not values:
            return record
        async with self._db.begin() as conn:
            await conn.execute(sa.update(api_keys).where(api_keys.c.id == record.id).values(values))
        if "last_used_at" in values:
            record = dataclasses.replace(record, last_used_at=now)
        return record


class AdminRepository:
    def __init__(self, db: Database, *, hasher: PasswordHasher | None = None) -> None:
        self._db = db
        self._hasher = _Hasher(hasher)

    async def exists(self, username: str | None = None) -> bool:
        """Whether an admin user exists (``username``, or any when ``None``)."""
        query = sa.select(admin_users.c.id).limit(1)
        if username is not None:
            query = query.where(admin_users.c.username == username)
        async with self._db.connect() as conn:
            return await conn.scalar(query) is not None

    async def set_password(self, username: str, password: str) -> None:
        """Create the admin user or replace its password."""
        if not username or not password:
            raise ValueError("an admin user needs a username and a password")
        hashed = await self._hasher.hash(password)
        change = sa.update(admin_users).where(admin_users.c.username == username)
        async with self._db.begin() as conn:
            result = await conn.execute(change.values(password_hash=hashed))
            if result.rowcount:
                return
        try:
            async with self._db.begin() as conn:
                await conn.execute(
                    sa.insert(admin_users).values(
                        username=username, password_hash=hashed, created_at=utcnow()
                    )
                )
        except IntegrityError:  # created meanwhile by another process: update it instead
            async with self._db.begin() as conn:
                await conn.execute(change.values(password_hash=hashed))

    async def verify(self, username: str, password: str) -> bool:
        query = sa.select(admin_users.c.password_hash).where(admin_users.c.username == username)
        async with self._db.connect() as conn:
            hashed = await conn.scalar(query)
        if hashed is None:
            await self._hasher.burn(password)
            return False
        if not await self._hasher.verify(hashed, password):
            return False
        if self._hasher.needs_rehash(hashed):
            await self.set_password(username, password)
        return True


_PUBLIC_COLUMNS = tuple(column for column in api_keys.c if column.name != "key_hash")
