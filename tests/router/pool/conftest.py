"""Fixtures: an accounts table on a temporary SQLite file, and a factory for accounts in it."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from router.config import PoolSettings
from router.pool.pool import AccountPool
from router.storage.accounts import AccountRecord, AccountRepository
from router.storage.crypto import TokenCipher
from router.storage.db import Database

MakeAccount = Callable[..., Awaitable[AccountRecord]]


@pytest.fixture
async def repo(tmp_path: Path) -> AsyncIterator[AccountRepository]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}")
    await db.start()
    try:
        yield AccountRepository(db, TokenCipher(Fernet.generate_key().decode()))
    finally:
        await db.close()


@pytest.fixture
def make_account(repo: AccountRepository) -> MakeAccount:
    """``await make_account(email=..., **fields)``: an active, Sora-2-enabled Plus account."""

    async def make(**fields: Any) -> AccountRecord:
        values: dict[str, Any] = {
            "access_token": f"at-{secrets.token_hex(8)}",
            "email": f"{secrets.token_hex(3)}@example.com",
            "plan_type": "chatgpt_plus",
            "sora2_supported": True,
            "expires_at": datetime.now(UTC) + timedelta(days=5),
            "video_concurrency": 3,
            "image_concurrency": 1,
        }
        values.update(fields)
        return await repo.add(**values)

    return make


@pytest.fixture
async def pool_factory(repo: AccountRepository) -> AsyncIterator[Callable[..., Awaitable[AccountPool]]]:
    """``await pool_factory(**pool_settings)``: a started pool over ``repo`` (closed afterwards)."""
    pools: list[AccountPool] = []

    async def build(**settings: Any) -> AccountPool:
        values: dict[str, Any] = {"wait_timeout": 5.0, "reload_interval": 60.0}
        values.update(settings)
        pool = AccountPool(repo, PoolSettings(**values))
        await pool.start()
        pools.append(pool)
        return pool

    yield build
    for pool in pools:
        await pool.close()
