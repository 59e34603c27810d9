"""Fixtures: a started Database on SQLite and on PostgreSQL, a token cipher, cheap argon2.

The PostgreSQL parameter uses a throwaway database per test run (its ``public`` schema emptied
before each test) on the server named by ``$S2A_TEST_POSTGRES_DSN`` (default: trust auth on
127.0.0.1:5432); it is skipped only when nothing listens there.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from cryptography.fernet import Fernet

from router.storage.accounts import AccountRepository
from router.storage.crypto import TokenCipher
from router.storage.db import Database

POSTGRES_DSN_ENV = "S2A_TEST_POSTGRES_DSN"
DEFAULT_POSTGRES_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"

#: a JWT-shaped access token (the repository does not parse it)
ACCESS_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJlbWFpbCI6ImFAZXhhbXBsZS5jb20ifQ.c2lnbmF0dXJlLWEtbG9uZy1vbmU"
SESSION_TOKEN = "st-session-secret-0123456789"
REFRESH_TOKEN = "rt-refresh-secret-9876543210"


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A throwaway PostgreSQL database for this test run (skips when no server listens)."""
    dsn = os.environ.get(POSTGRES_DSN_ENV, DEFAULT_POSTGRES_DSN)
    url = sa.make_url(dsn)
    host, port = url.host or "127.0.0.1", url.port or 5432
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as exc:
        pytest.skip(f"PostgreSQL is not reachable at {host}:{port} ({exc}); set {POSTGRES_DSN_ENV}")
    name = f"s2a_test_{secrets.token_hex(6)}"
    _in_thread(_execute(dsn, f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        _in_thread(_execute(dsn, f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database: a new SQLite file, or the run's PostgreSQL database emptied."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'sora2api.db'}"
    dsn: str = request.getfixturevalue("postgres_database")
    await _execute(dsn, "DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    return sa.make_url(dsn).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


async def _execute(dsn: str, statement: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _in_thread(work: Coroutine[Any, Any, None]) -> None:
    """Run ``work`` on its own event loop (session fixtures run outside the tests' loops)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, work).result()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await database.start()
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def cipher() -> TokenCipher:
    return TokenCipher(Fernet.generate_key().decode())


@pytest.fixture
def accounts(db: Database, cipher: TokenCipher) -> AccountRepository:
    return AccountRepository(db, cipher)


@pytest.fixture
def hasher() -> PasswordHasher:
    """argon2 at its cheapest, so the tests stay fast."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
