"""API keys and admin users: argon2 hashes only, verification, revocation, throttled last use."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from router.errors import NotFoundError
from router.storage.credentials import KEY_PREFIX, AdminRepository, ApiKeyRepository
from router.storage.db import Database
from router.storage.tables import admin_users, api_keys


@pytest.fixture
def keys(db: Database, hasher: PasswordHasher) -> ApiKeyRepository:
    return ApiKeyRepository(db, hasher=hasher)


@pytest.fixture
def admins(db: Database, hasher: PasswordHasher) -> AdminRepository:
    return AdminRepository(db, hasher=hasher)


async def test_create_stores_only_a_hash(db: Database, keys: ApiKeyRepository) -> None:
    record, plaintext = await keys.create("ci")
    assert plaintext.startswith(KEY_PREFIX) and len(plaintext) == len(KEY_PREFIX) + 40
    assert (record.name, record.prefix, record.revoked, record.last_used_at) == (
        "ci",
        plaintext[:12],
        False,
        None,
    )
    async with db.connect() as conn:
        row = (await conn.execute(sa.select(api_keys))).one()
    assert plaintext not in str(tuple(row)) and row.key_hash.startswith("$argon2")
    assert not hasattr(record, "key_hash")


async def test_verify(keys: ApiKeyRepository) -> None:
    record, plaintext = await keys.create("ci")
    other, _ = await keys.create("other")
    verified = await keys.verify(plaintext)
    assert verified is not None and verified.id == record.id and verified.last_used_at is not None
    assert await keys.verify(plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")) is None
    assert await keys.verify(KEY_PREFIX + "x" * 40) is None
    assert await keys.verify("sk-other") is None
    assert await keys.verify("") is None
    assert other.id != record.id


async def test_revoked_keys_do_not_verify(keys: ApiKeyRepository) -> None:
    record, plaintext = await keys.create("ci")
    revoked = await keys.revoke(record.id)
    assert revoked.revoked
    assert await keys.verify(plaintext) is None
    with pytest.raises(NotFoundError):
        await keys.revoke(404)


async def test_last_used_is_written_at_most_once_a_minute(db: Database, keys: ApiKeyRepository) -> None:
    record, plaintext = await keys.create("ci")
    first = await keys.verify(plaintext)
    second = await keys.verify(plaintext)
    assert first is not None and second is not None and first.last_used_at == second.last_used_at
    assert first.last_used_at is not None
    stale = first.last_used_at - timedelta(minutes=2)
    async with db.begin() as conn:
        await conn.execute(sa.update(api_keys).values(last_used_at=stale))
    third = await keys.verify(plaintext)
    assert third is not None and third.last_used_at is not None and third.last_used_at > stale
    assert [key.last_used_at for key in await keys.list()] == [third.last_used_at]


async def test_count_and_list(keys: ApiKeyRepository) -> None:
    assert await keys.count() == 0
    first, _ = await keys.create("one")
    second, _ = await keys.create("two")
    await keys.revoke(first.id)
    assert await keys.count() == 1
    assert await keys.count(include_revoked=True) == 2
    listed = await keys.list()
    assert [(key.id, key.revoked) for key in listed] == [(first.id, True), (second.id, False)]


async def test_weak_hashes_are_upgraded_on_use(db: Database, keys: ApiKeyRepository) -> None:
    _, plaintext = await keys.create("ci")
    async with db.connect() as conn:
        weak = await conn.scalar(sa.select(api_keys.c.key_hash))
    stronger = ApiKeyRepository(db, hasher=PasswordHasher(time_cost=2, memory_cost=16, parallelism=1))
    assert await stronger.verify(plaintext) is not None
    async with db.connect() as conn:
        upgraded = await conn.scalar(sa.select(api_keys.c.key_hash))
    assert upgraded is not None and upgraded != weak and "t=2" in upgraded
    assert await stronger.verify(plaintext) is not None


async def test_admin_password(db: Database, admins: AdminRepository) -> None:
    assert not await admins.exists()
    await admins.set_password("admin", "correct horse")
    assert await admins.exists() and await admins.exists("admin") and not await admins.exists("root")
    assert await admins.verify("admin", "correct horse")
    assert not await admins.verify("admin", "wrong")
    assert not await admins.verify("root", "correct horse")
    await admins.set_password("admin", "battery staple")
    assert not await admins.verify("admin", "correct horse")
    assert await admins.verify("admin", "battery staple")
    async with db.connect() as conn:
        rows = (await conn.execute(sa.select(admin_users))).all()
    assert len(rows) == 1 and "battery staple" not in str(tuple(rows[0]))
    assert rows[0].created_at.tzinfo is not None


async def test_admin_needs_a_password(admins: AdminRepository) -> None:
    with pytest.raises(ValueError):
        await admins.set_password("admin", "")
