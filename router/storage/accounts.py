"""Sora accounts: tokens encrypted at rest, plan and quota facts, pool settings and health."""

from __future__ import annotations

import builtins
import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypedDict, Unpack

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from router.errors import ConflictError, NotFoundError
from router.storage.crypto import TokenCipher
from router.storage.db import Database
from router.storage.tables import accounts
from router.storage.timestamps import utcnow

AccountStatus = Literal["active", "disabled"]
DisabledReason = Literal["manual", "token_invalid", "error_limit", "expired", "quota"]

STATUSES: frozenset[str] = frozenset({"active", "disabled"})
DISABLED_REASONS: frozenset[str] = frozenset({"manual", "token_invalid", "error_limit", "expired", "quota"})
#: longest ``last_error`` kept
MAX_ERROR_LENGTH = 4000

_TOKENS = ("access_token", "session_token", "refresh_token")
_MASK = "'***'"


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountRecord:
    """One account as stored, tokens decrypted; ``repr()`` masks the tokens."""

    id: int
    email: str
    name: str | None
    username: str | None
    access_token: str
    session_token: str | None
    refresh_token: str | None
    #: sha256 hex of the access token
    token_hash: str
    client_id: str | None
    proxy_url: str | None
    remark: str | None
    plan_type: str | None
    plan_title: str | None
    subscription_end: datetime | None
    sora2_supported: bool | None
    invite_code: str | None
    remaining_videos: int | None
    quota_resets_at: datetime | None
    #: the access token's ``exp``
    expires_at: datetime | None
    image_enabled: bool
    video_enabled: bool
    image_concurrency: int
    video_concurrency: int
    total_concurrency: int | None
    status: AccountStatus
    disabled_reason: DisabledReason | None
    cooldown_until: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    success_count: int
    failure_count: int
    consecutive_errors: int
    last_used_at: datetime | None
    created_at: datetime
    updated_at: datetime
    #: when the access token was last renewed or a renewal was tried
    last_refresh_at: datetime | None = None
    #: ``ok: <how>`` or ``failed: <reason>`` of that renewal
    last_refresh_result: str | None = None

    def __repr__(self) -> str:
        shown = []
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            masked = item.name in _TOKENS and value is not None
            shown.append(f"{item.name}={_MASK if masked else repr(value)}")
        return f"AccountRecord({', '.join(shown)})"


class _AccountProfile(TypedDict, total=False):
    session_token: str | None
    refresh_token: str | None
    email: str
    name: str | None
    username: str | None
    client_id: str | None
    proxy_url: str | None
    remark: str | None
    plan_type: str | None
    plan_title: str | None
    subscription_end: datetime | None
    sora2_supported: bool | None
    invite_code: str | None
    remaining_videos: int | None
    quota_resets_at: datetime | None
    expires_at: datetime | None
    image_enabled: bool
    video_enabled: bool
    image_concurrency: int
    video_concurrency: int
    total_concurrency: int | None
    status: AccountStatus
    disabled_reason: DisabledReason | None
    cooldown_until: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    success_count: int
    failure_count: int
    consecutive_errors: int
    last_used_at: datetime | None
    last_refresh_at: datetime | None
    last_refresh_result: str | None


class NewAccountFields(_AccountProfile):
    """What :meth:`AccountRepository.add` takes: an access token plus any other field."""

    access_token: str


#: every field ``update`` accepts (the record's fields minus the ones the repository owns)
UPDATABLE: frozenset[str] = NewAccountFields.__required_keys__ | NewAccountFields.__optional_keys__


def token_hash(access_token: str) -> str:
    """The fingerprint that recognises an access token without decrypting stored ones."""
    return hashlib.sha256(access_token.encode()).hexdigest()


class AccountRepository:
    def __init__(self, db: Database, cipher: TokenCipher) -> None:
        self._db = db
        self._cipher = cipher

    async def add(self, **fields: Unpack[NewAccountFields]) -> AccountRecord:
        """Store a new account; ConflictError ``duplicate_account`` if its access token is known."""
        if "access_token" not in fields:
            raise TypeError("add() needs an access_token")
        now = utcnow()
        values = {**self._values(fields), "created_at": now, "updated_at": now}
        try:
            async with self._db.begin() as conn:
                row = (await conn.execute(sa.insert(accounts).values(values).returning(*accounts.c))).one()
        except IntegrityError as exc:
            conflict = await self._conflict(values["token_hash"], None)
            if conflict is None:
                raise
            raise conflict from exc
        return self._record(row._mapping)

    async def upsert_by_email(self, **fields: Unpack[NewAccountFields]) -> tuple[AccountRecord, bool]:
        """Update the oldest account with ``fields["email"]``, or add one; ``(record, created)``."""
        email = fields.get("email")
        if not email:
            raise ValueError("upsert_by_email needs a non-empty email")
        query = sa.select(accounts.c.id).where(accounts.c.email == email).order_by(accounts.c.id).limit(1)
        async with self._db.connect() as conn:
            account_id = await conn.scalar(query)
        if account_id is None:
            return await self.add(**fields), True
        return await self.update(account_id, **fields), False

    async def get(self, account_id: int) -> AccountRecord:
        async with self._db.connect() as conn:
            row = (await conn.execute(sa.select(accounts).where(accounts.c.id == account_id))).one_or_none()
        if row is None:
            raise NotFoundError(f"No account with id {account_id}", code="account_not_found")
        return self._record(row._mapping)

    async def list(self) -> builtins.list[AccountRecord]:
        """Every account, by id."""
        return await self._select(sa.select(accounts).order_by(accounts.c.id))

    async def list_changed_since(self, since: datetime) -> builtins.list[AccountRecord]:
        """Accounts updated at or after ``since`` (inclusive), oldest change first; not deletions."""
        query = (
            sa.select(accounts)
            .where(accounts.c.updated_at >= since)
            .order_by(accounts.c.updated_at, accounts.c.id)
        )
        return await self._select(query)

    async def max_updated_at(self) -> datetime | None:
        """The latest ``updated_at`` of any account (``None`` when there are none)."""
        async with self._db.connect() as conn:
            latest: datetime | None = await conn.scalar(sa.select(sa.func.max(accounts.c.updated_at)))
        return latest

    async def update(self, account_id: int, **fields: object) -> AccountRecord:
        """Change any field of :data:`UPDATABLE` (tokens are re-encrypted); bumps ``updated_at``."""
        values = {**self._values(fields), "updated_at": utcnow()}
        statement = (
            sa.update(accounts).where(accounts.c.id == account_id).values(values).returning(*accounts.c)
        )
        try:
            async with self._db.begin() as conn:
                row = (await conn.execute(statement)).one_or_none()
        except IntegrityError as exc:
            conflict = await self._conflict(values.get("token_hash"), account_id)
            if conflict is None:
                raise
            raise conflict from exc
        if row is None:
            raise NotFoundError(f"No account with id {account_id}", code="account_not_found")
        return self._record(row._mapping)

    async def delete(self, account_id: int) -> None:
        """Remove the account; its tasks keep their history with ``account_id`` set to NULL."""
        async with self._db.begin() as conn:
            result = await conn.execute(sa.delete(accounts).where(accounts.c.id == account_id))
        if result.rowcount == 0:
            raise NotFoundError(f"No account with id {account_id}", code="account_not_found")

    async def record_success(self, account_id: int) -> None:
        """Count a success and clear the error streak (a no-op if the account was deleted)."""
        now = utcnow()
        statement = (
            sa.update(accounts)
            .where(accounts.c.id == account_id)
            .values(
                success_count=accounts.c.success_count + 1,
                consecutive_errors=0,
                last_used_at=now,
                updated_at=now,
            )
        )
        async with self._db.begin() as conn:
            await conn.execute(statement)

    async def record_failure(self, account_id: int, message: str, *, consecutive: bool = True) -> int:
        """Count a failure; the new consecutive-error count (0 if the account was deleted).

        ``consecutive=False`` counts it without lengthening the error streak (causes handled otherwise).
        """
        now = utcnow()
        streak = accounts.c.consecutive_errors + 1 if consecutive else accounts.c.consecutive_errors
        statement = (
            sa.update(accounts)
            .where(accounts.c.id == account_id)
            .values(
                failure_count=accounts.c.failure_count + 1,
                consecutive_errors=streak,
                last_error=message[:MAX_ERROR_LENGTH],
                last_error_at=now,
                updated_at=now,
            )
            .returning(accounts.c.consecutive_errors)
        )
        async with self._db.begin() as conn:
            consecutive = (await conn.execute(statement)).scalar_one_or_none()
        return consecutive or 0

    # -- helpers ---------------------------------------------------------------------------
    async def _select(self, query: sa.Select[Any]) -> builtins.list[AccountRecord]:
        async with self._db.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [self._record(row._mapping) for row in rows]

    async def _conflict(self, fingerprint: str | None, account_id: int | None) -> ConflictError | None:
        """The duplicate-account error if another account has this token, else ``None``."""
        if fingerprint is None:
            return None
        query = sa.select(accounts.c.id).where(accounts.c.token_hash == fingerprint)
        if account_id is not None:
            query = query.where(accounts.c.id != account_id)
        async with self._db.connect() as conn:
            existing = await conn.scalar(query)
        if existing is None:
            return None
        return ConflictError(
            f"This access token already belongs to account {existing}", code="duplicate_account"
        )

    def _values(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Column values for ``fields``: names and enums checked, tokens encrypted and fingerprinted."""
        unknown = set(fields) - UPDATABLE
        if unknown:
            raise TypeError(f"unknown account field(s): {', '.join(sorted(unknown))}")
        values = {name: value for name, value in fields.items() if name not in _TOKENS}
        if "status" in values:
            if values["status"] not in STATUSES:
                raise ValueError(f"unknown account status {values['status']!r}")
            if values["status"] == "active":
                values.setdefault("disabled_reason", None)
        reason = values.get("disabled_reason")
        if reason is not None and reason not in DISABLED_REASONS:
            raise ValueError(f"unknown disabled_reason {reason!r}")
        if "last_error" in values and values["last_error"] is not None:
            values["last_error"] = str(values["last_error"])[:MAX_ERROR_LENGTH]
        if "access_token" in fields:
            access_token = str(fields["access_token"])
            if not access_token:
                raise ValueError("access_token must not be empty")
            values["access_token_enc"] = self._cipher.encrypt(access_token)
            values["token_hash"] = token_hash(access_token)
        for name in ("session_token", "refresh_token"):
            if name in fields:
                token = fields[name]
                values[f"{name}_enc"] = self._cipher.encrypt(str(token)) if token else None
        return values

    def _record(self, row: sa.RowMapping) -> AccountRecord:
        values = dict(row)
        values["access_token"] = self._cipher.decrypt(values.pop("access_token_enc"))
        for name in ("session_token", "refresh_token"):
            encrypted = values.pop(f"{name}_enc")
            values[name] = self._cipher.decrypt(encrypted) if encrypted else None
        return AccountRecord(**values)
