"""Database: engine set-up, SQLite pragmas, migrations recorded once, concurrent starts."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from router.storage import tables
from router.storage.db import SQLITE_BUSY_TIMEOUT_MS, Database
from router.storage.migrations import MIGRATIONS, applied_migrations


async def ledger(db: Database) -> list[tuple[str, object]]:
    async with db.connect() as conn:
        rows = await conn.execute(sa.text("SELECT name, applied_at FROM _migrations ORDER BY name"))
        return [(row.name, row.applied_at) for row in rows]


async def test_migrations_run_once_and_are_recorded(database_url: str) -> None:
    async with Database(database_url) as first:
        recorded = await ledger(first)
        assert [name for name, _ in recorded] == [migration.__name__ for migration in MIGRATIONS]
        assert await first.migrate() == []
        async with first.connect() as conn:
            assert await conn.run_sync(applied_migrations) == [migration.__name__ for migration in MIGRATIONS]
    async with Database(database_url) as second:
        assert await second.migrate() == []
        assert await ledger(second) == recorded


async def test_two_databases_on_one_file_start_at_once(database_url: str) -> None:
    first, second = Database(database_url), Database(database_url)
    try:
        await asyncio.gather(first.start(), second.start())
        assert len(await ledger(first)) == len(MIGRATIONS)
        async with second.begin() as conn:
            await conn.execute(sa.insert(tables.admin_users).values(_admin("second")))
        async with first.begin() as conn:
            await conn.execute(sa.insert(tables.admin_users).values(_admin("first")))
        async with second.connect() as conn:
            assert await conn.scalar(sa.select(sa.func.count()).select_from(tables.admin_users)) == 2
    finally:
        await first.close()
        await second.close()


async def test_processes_starting_at_once_migrate_once(database_url: str) -> None:
    script = (
        "import asyncio, sys\n"
        "from router.storage.db import Database\n"
        "async def main():\n"
        "    async with Database(sys.argv[1]) as db:\n"
        "        print(','.join(await db.migrate()))\n"
        "asyncio.run(main())\n"
    )
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", script, database_url, stdout=asyncio.subprocess.PIPE
        )
        for _ in range(3)
    ]
    for process in processes:
        await process.communicate()
        assert process.returncode == 0
    async with Database(database_url) as db:
        assert [name for name, _ in await ledger(db)] == [migration.__name__ for migration in MIGRATIONS]


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
async def test_migrated_schema_matches_tables(db: Database) -> None:
    """Columns, nullability and column indexes (expression indexes are tested by behaviour)."""

    def describe(conn: sa.Connection) -> dict[str, tuple[dict[str, bool], set[str | None]]]:
        inspector = sa.inspect(conn)
        return {
            name: (
                {column["name"]: column["nullable"] for column in inspector.get_columns(name)},
                {index["name"] for index in inspector.get_indexes(name)},
            )
            for name in tables.metadata.tables
        }

    async with db.connect() as conn:
        migrated = await conn.run_sync(describe)
    for table in tables.metadata.tables.values():
        columns, indexes = migrated[table.name]
        assert columns == {column.name: column.nullable for column in table.columns}, table.name
        plain = {
            index.name for index in table.indexes if all(isinstance(e, sa.Column) for e in index.expressions)
        }
        assert plain <= indexes, table.name


async def test_begin_rolls_back_on_error(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.begin() as conn:
            await conn.execute(sa.insert(tables.admin_users).values(_admin("ghost")))
            raise RuntimeError("boom")
    async with db.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(tables.admin_users)) == 0


async def test_sqlite_default_url_creates_its_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    async with Database("sqlite+aiosqlite:///data/sora2api.db") as db:
        assert db.dialect == "sqlite"
    assert (tmp_path / "data" / "sora2api.db").is_file()


async def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    async with Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}") as db, db.connect() as conn:
        assert await conn.scalar(sa.text("PRAGMA journal_mode")) == "wal"
        assert await conn.scalar(sa.text("PRAGMA foreign_keys")) == 1
        assert await conn.scalar(sa.text("PRAGMA busy_timeout")) == SQLITE_BUSY_TIMEOUT_MS


async def test_engine_needs_start_and_close_is_idempotent(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(RuntimeError, match="start"):
        _ = db.engine
    await db.start()
    with pytest.raises(RuntimeError, match="already"):
        await db.start()
    await db.close()
    await db.close()


def test_repr_hides_the_password() -> None:
    assert "secret" not in repr(Database("postgresql+asyncpg://user:secret@db.example/sora2api"))


def _admin(username: str) -> dict[str, object]:
    from router.storage.timestamps import utcnow

    return {"username": username, "password_hash": "x", "created_at": utcnow()}
