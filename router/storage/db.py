"""The database engine: one code path for SQLite (the default) and PostgreSQL.

Use :meth:`Database.connect` to read and :meth:`Database.begin` to write (it commits on success).
On SQLite every connection gets WAL, foreign keys and a busy timeout, and ``begin()`` takes the
write lock up front (``BEGIN IMMEDIATE``) so several processes — the gateway and the
``sora2api tokens`` CLI — can share one file without "database is locked" surprises.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from router.storage.migrations import apply_pending

#: how long a SQLite connection waits for another process's write lock
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: execution option read by the SQLite ``begin`` listener
_BEGIN_MODE = "sora2api_sqlite_begin"


class Database:
    """Owns the async engine; ``start()`` creates it and brings the schema up to date."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = sa.make_url(url)
        self._echo = echo
        self._engine: AsyncEngine | None = None
        self._writer: AsyncEngine | None = None

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.url.get_backend_name()

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("Database.start() has not been called")
        return self._engine

    async def start(self) -> None:
        """Create the engine and apply pending migrations."""
        if self._engine is not None:
            raise RuntimeError("Database already started")
        if self.dialect == "sqlite":
            _make_parent_folder(self.url)
            engine = create_async_engine(self.url, echo=self._echo)
            _configure_sqlite(engine)
        else:
            engine = create_async_engine(self.url, echo=self._echo, pool_pre_ping=True)
        self._engine = engine
        self._writer = engine.execution_options(**{_BEGIN_MODE: "IMMEDIATE"})
        try:
            await self.migrate()
        except BaseException:
            await self.close()
            raise

    async def migrate(self) -> list[str]:
        """Apply pending migrations; the names applied ([] when the schema is current)."""
        async with self.begin() as conn:
            return await conn.run_sync(apply_pending)

    async def close(self) -> None:
        """Dispose of the engine and its pooled connections (safe to call twice)."""
        engine, self._engine, self._writer = self._engine, None, None
        if engine is not None:
            await engine.dispose()

    async def __aenter__(self) -> Database:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads; anything written is rolled back unless committed explicitly."""
        async with self.engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        """A connection in a write transaction: committed on exit, rolled back on error."""
        if self._writer is None:
            raise RuntimeError("Database.start() has not been called")
        async with self._writer.begin() as conn:
            yield conn


def _make_parent_folder(url: sa.URL) -> None:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return
    Path(database).parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: AsyncEngine) -> None:
    """Pragmas on connect, and SQLAlchemy (not the driver) issuing BEGIN, so DDL is transactional."""
    event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
    event.listen(engine.sync_engine, "begin", _on_sqlite_begin)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        # busy_timeout first: switching to WAL needs a lock another process may hold
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _on_sqlite_begin(conn: sa.Connection) -> None:
    mode = conn.get_execution_options().get(_BEGIN_MODE, "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")
