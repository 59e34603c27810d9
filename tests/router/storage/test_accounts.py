"""AccountRepository: encrypted tokens, duplicates, updates, health counters, change tracking."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from router.errors import ConflictError, GatewayError, NotFoundError
from router.storage.accounts import AccountRecord, AccountRepository
from router.storage.crypto import TokenCipher
from router.storage.db import Database
from router.storage.tables import accounts as accounts_table
from router.storage.tasks import TaskRepository

from .conftest import ACCESS_TOKEN, REFRESH_TOKEN, SESSION_TOKEN

EXPIRES = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)


async def add_full(accounts: AccountRepository, access_token: str = ACCESS_TOKEN) -> AccountRecord:
    return await accounts.add(
        access_token=access_token,
        session_token=SESSION_TOKEN,
        refresh_token=REFRESH_TOKEN,
        email="a@example.com",
        name="Alice",
        username="alice",
        client_id="app_client",
        proxy_url="socks5://proxy.example:1080",
        remark="first",
        plan_type="chatgpt_pro",
        plan_title="ChatGPT Pro",
        subscription_end=EXPIRES,
        sora2_supported=True,
        invite_code="INV123",
        remaining_videos=30,
        expires_at=EXPIRES,
        video_concurrency=2,
        total_concurrency=4,
    )


async def test_add_round_trip_with_defaults(accounts: AccountRepository) -> None:
    before = datetime.now(UTC)
    record = await add_full(accounts)
    assert await accounts.get(record.id) == record
    fetched = await accounts.get(record.id)
    assert (fetched.access_token, fetched.session_token, fetched.refresh_token) == (
        ACCESS_TOKEN,
        SESSION_TOKEN,
        REFRESH_TOKEN,
    )
    assert fetched.token_hash == hashlib.sha256(ACCESS_TOKEN.encode()).hexdigest()
    assert (fetched.email, fetched.name, fetched.username, fetched.remark) == (
        "a@example.com",
        "Alice",
        "alice",
        "first",
    )
    assert (fetched.plan_type, fetched.sora2_supported, fetched.remaining_videos) == ("chatgpt_pro", True, 30)
    assert fetched.expires_at == EXPIRES and fetched.subscription_end == EXPIRES
    assert (fetched.image_enabled, fetched.video_enabled) == (True, True)
    assert (fetched.image_concurrency, fetched.video_concurrency, fetched.total_concurrency) == (1, 2, 4)
    assert (fetched.status, fetched.disabled_reason) == ("active", None)
    assert (fetched.success_count, fetched.failure_count, fetched.consecutive_errors) == (0, 0, 0)
    assert fetched.created_at == fetched.updated_at >= before
    assert fetched.created_at.tzinfo is UTC


async def test_minimal_add_takes_schema_defaults(accounts: AccountRepository) -> None:
    record = await accounts.add(access_token=ACCESS_TOKEN)
    assert (record.email, record.session_token, record.refresh_token) == ("", None, None)
    assert (record.image_concurrency, record.video_concurrency, record.total_concurrency) == (1, 3, None)
    assert record.sora2_supported is None and record.last_used_at is None


async def test_tokens_are_stored_only_encrypted(db: Database, accounts: AccountRepository) -> None:
    record = await add_full(accounts)
    async with db.connect() as conn:
        row = (await conn.execute(sa.select(accounts_table).where(accounts_table.c.id == record.id))).one()
        raw = " ".join(str(value) for value in row)
        encrypted = (await conn.execute(sa.select(accounts_table.c.access_token_enc))).scalar_one()
    for token in (ACCESS_TOKEN, SESSION_TOKEN, REFRESH_TOKEN):
        assert token not in raw
    assert ACCESS_TOKEN not in encrypted and encrypted.startswith("gAAAA")


async def test_repr_masks_tokens(accounts: AccountRepository) -> None:
    record = await add_full(accounts)
    text = repr(record)
    assert "access_token='***'" in text and "email='a@example.com'" in text
    for token in (ACCESS_TOKEN, SESSION_TOKEN, REFRESH_TOKEN):
        assert token not in text and token not in str(record)


async def test_duplicate_access_token_is_a_conflict(accounts: AccountRepository) -> None:
    first = await accounts.add(access_token=ACCESS_TOKEN, email="a@example.com")
    with pytest.raises(ConflictError) as raised:
        await accounts.add(access_token=ACCESS_TOKEN, email="other@example.com")
    assert raised.value.code == "duplicate_account" and str(first.id) in raised.value.message
    second = await accounts.add(access_token=ACCESS_TOKEN + "x", email="a@example.com")
    with pytest.raises(ConflictError):
        await accounts.update(second.id, access_token=ACCESS_TOKEN)
    assert [record.id for record in await accounts.list()] == [first.id, second.id]


async def test_wrong_key_cannot_read_accounts(db: Database, accounts: AccountRepository) -> None:
    await accounts.add(access_token=ACCESS_TOKEN)
    stranger = AccountRepository(db, TokenCipher(Fernet.generate_key().decode()))
    with pytest.raises(GatewayError, match="cannot be decrypted"):
        await stranger.list()


async def test_missing_accounts_are_not_found(accounts: AccountRepository) -> None:
    for call in (accounts.get(404), accounts.update(404, remark="x"), accounts.delete(404)):
        with pytest.raises(NotFoundError) as raised:
            await call
        assert raised.value.code == "account_not_found"


async def test_update_re_encrypts_and_bumps_updated_at(db: Database, accounts: AccountRepository) -> None:
    record = await add_full(accounts)
    updated = await accounts.update(
        record.id,
        access_token="eyJ-new-token",
        session_token=None,
        remark=None,
        cooldown_until=EXPIRES,
    )
    assert updated.access_token == "eyJ-new-token" and updated.session_token is None
    assert updated.refresh_token == REFRESH_TOKEN
    assert updated.token_hash == hashlib.sha256(b"eyJ-new-token").hexdigest()
    assert (updated.remark, updated.cooldown_until) == (None, EXPIRES)
    assert updated.updated_at > record.updated_at and updated.created_at == record.created_at
    async with db.connect() as conn:
        row = (await conn.execute(sa.select(accounts_table))).one()
    assert "eyJ-new-token" not in str(tuple(row)) and row.session_token_enc is None
    assert await accounts.get(updated.id) == updated


async def test_update_checks_fields(accounts: AccountRepository) -> None:
    record = await accounts.add(access_token=ACCESS_TOKEN)
    with pytest.raises(TypeError, match="token_hash"):
        await accounts.update(record.id, token_hash="forged")
    with pytest.raises(TypeError, match="created_at"):
        await accounts.add(access_token="eyJ-other", created_at=record.created_at)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="access_token"):
        await accounts.add(email="x@example.com")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="status"):
        await accounts.update(record.id, status="sleeping")
    with pytest.raises(ValueError, match="disabled_reason"):
        await accounts.update(record.id, disabled_reason="bored")


async def test_disable_and_reenable(accounts: AccountRepository) -> None:
    record = await accounts.add(access_token=ACCESS_TOKEN)
    disabled = await accounts.update(record.id, status="disabled", disabled_reason="token_invalid")
    assert (disabled.status, disabled.disabled_reason) == ("disabled", "token_invalid")
    enabled = await accounts.update(record.id, status="active")
    assert (enabled.status, enabled.disabled_reason) == ("active", None)


async def test_success_and_failure_counters(accounts: AccountRepository) -> None:
    record = await accounts.add(access_token=ACCESS_TOKEN)
    assert await accounts.record_failure(record.id, "first") == 1
    assert await accounts.record_failure(record.id, "second " + "x" * 5000) == 2
    failed = await accounts.get(record.id)
    assert (failed.failure_count, failed.consecutive_errors) == (2, 2)
    assert (
        failed.last_error is not None
        and failed.last_error.startswith("second")
        and len(failed.last_error) == 4000
    )
    assert failed.last_error_at is not None and failed.last_error_at.tzinfo is UTC
    await accounts.record_success(record.id)
    ok = await accounts.get(record.id)
    assert (ok.success_count, ok.failure_count, ok.consecutive_errors) == (1, 2, 0)
    assert ok.last_used_at is not None and ok.updated_at >= failed.updated_at
    assert await accounts.record_failure(record.id, "again") == 1


async def test_counters_on_a_deleted_account_are_no_ops(accounts: AccountRepository) -> None:
    record = await accounts.add(access_token=ACCESS_TOKEN)
    await accounts.delete(record.id)
    await accounts.record_success(record.id)
    assert await accounts.record_failure(record.id, "gone") == 0
    assert await accounts.list() == []


async def test_change_tracking(db: Database, accounts: AccountRepository) -> None:
    assert await accounts.max_updated_at() is None
    first = await accounts.add(access_token="eyJ-first")
    second = await accounts.add(access_token="eyJ-second")
    latest = await accounts.max_updated_at()
    assert latest == second.updated_at and latest is not None and latest.tzinfo is UTC
    assert [record.id for record in await accounts.list_changed_since(first.updated_at)] == [
        first.id,
        second.id,
    ]
    changed = await accounts.update(first.id, remark="touched")
    assert [
        record.id for record in await accounts.list_changed_since(latest + timedelta(microseconds=1))
    ] == [first.id]
    assert await accounts.max_updated_at() == changed.updated_at
    assert await accounts.list_changed_since(changed.updated_at + timedelta(seconds=1)) == []


async def test_upsert_by_email(accounts: AccountRepository) -> None:
    created, was_created = await accounts.upsert_by_email(access_token="eyJ-one", email="u@example.com")
    assert was_created and created.email == "u@example.com"
    updated, was_created = await accounts.upsert_by_email(
        access_token="eyJ-two", email="u@example.com", plan_type="free"
    )
    assert not was_created and updated.id == created.id
    assert (updated.access_token, updated.plan_type) == ("eyJ-two", "free")
    with pytest.raises(ValueError, match="email"):
        await accounts.upsert_by_email(access_token="eyJ-three")


async def test_email_is_not_unique(accounts: AccountRepository) -> None:
    await accounts.add(access_token="eyJ-one", email="same@example.com")
    await accounts.add(access_token="eyJ-two", email="same@example.com")
    assert len(await accounts.list()) == 2


async def test_deleting_an_account_keeps_its_tasks(db: Database, accounts: AccountRepository) -> None:
    record = await accounts.add(access_token=ACCESS_TOKEN)
    tasks = TaskRepository(db)
    task = await tasks.create(prefix="video", kind="video", model="sora2-landscape-10s", params={})
    await tasks.update(task.id, account_id=record.id)
    await accounts.delete(record.id)
    assert (await tasks.get(task.id)).account_id is None
    with pytest.raises(sa.exc.IntegrityError):
        await tasks.update(task.id, account_id=record.id)


async def test_concurrent_writers_on_one_database(database_url: str, cipher: TokenCipher) -> None:
    """Two engines (as the gateway and the CLI would be) increment the same row without losses."""
    first, second = Database(database_url), Database(database_url)
    try:
        await asyncio.gather(first.start(), second.start())
        repos = [AccountRepository(first, cipher), AccountRepository(second, cipher)]
        record = await repos[0].add(access_token=ACCESS_TOKEN)
        await asyncio.gather(*(repos[index % 2].record_failure(record.id, "x") for index in range(20)))
        assert (await repos[1].get(record.id)).failure_count == 20
    finally:
        await first.close()
        await second.close()
