"""TaskRepository: public ids, idempotency, updates, resumable tasks and cursor pagination."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from router.errors import ConflictError, NotFoundError
from router.storage.db import Database
from router.storage.tables import tasks as tasks_table
from router.storage.tasks import TaskRecord, TaskRepository

MODEL = "sora2-landscape-10s"


@pytest.fixture
def tasks(db: Database) -> TaskRepository:
    return TaskRepository(db)


async def test_create_and_get(tasks: TaskRepository) -> None:
    params = {"prompt": "a cat", "n": 1, "nested": {"ok": True, "list": [1, 2]}}
    record = await tasks.create(prefix="video", kind="video", model=MODEL, params=params, owner_key_id=7)
    assert re.fullmatch(r"video_[0-9a-f]{32}", record.id)
    assert (record.kind, record.model, record.owner_key_id, record.account_id) == ("video", MODEL, 7, None)
    assert (record.status, record.progress, record.params, record.result) == ("queued", 0, params, None)
    assert record.created_at.tzinfo is UTC and record.completed_at is None and not record.finished
    assert await tasks.get(record.id) == record


async def test_missing_tasks_are_not_found(tasks: TaskRepository) -> None:
    for call in (tasks.get("video_x"), tasks.update("video_x", progress=5), tasks.delete("video_x")):
        with pytest.raises(NotFoundError) as raised:
            await call
        assert raised.value.code == "task_not_found"


async def test_update_lifecycle(db: Database, tasks: TaskRepository) -> None:
    record = await tasks.create(prefix="image", kind="image", model="gpt-image", params={"prompt": "p"})
    running = await tasks.update(record.id, status="in_progress", upstream_task_id="task_01", progress=40)
    assert (running.status, running.upstream_task_id, running.progress) == ("in_progress", "task_01", 40)
    assert running.updated_at >= record.updated_at and running.completed_at is None
    done = await tasks.update(
        record.id,
        status="completed",
        progress=100,
        result={"urls": ["https://x/1.png"]},
        generation_id="gen_1",
    )
    assert done.finished and done.completed_at is not None and done.completed_at.tzinfo is UTC
    assert (done.result, done.generation_id) == ({"urls": ["https://x/1.png"]}, "gen_1")
    assert await tasks.get(record.id) == done
    async with db.connect() as conn:
        assert await conn.scalar(sa.select(tasks_table.c.upstream_task_id)) == "task_01"


async def test_find_by_generation(tasks: TaskRepository) -> None:
    record = await tasks.create(prefix="video", kind="video", model=MODEL, params={})
    assert await tasks.find_by_generation("gen_1") is None
    done = await tasks.update(record.id, status="completed", generation_id="gen_1", account_id=None)
    assert await tasks.find_by_generation("gen_1") == done


async def test_failure_keeps_an_explicit_completed_at(tasks: TaskRepository) -> None:
    record = await tasks.create(prefix="video", kind="video", model=MODEL, params={})
    when = datetime(2030, 1, 1, tzinfo=UTC)
    failed = await tasks.update(
        record.id,
        status="failed",
        error_code="content_policy_violation",
        error_message="no",
        completed_at=when,
    )
    assert (failed.status, failed.error_code, failed.error_message, failed.completed_at) == (
        "failed",
        "content_policy_violation",
        "no",
        when,
    )


async def test_result_none_is_sql_null(db: Database, tasks: TaskRepository) -> None:
    record = await tasks.create(prefix="video", kind="video", model=MODEL, params={})
    await tasks.update(record.id, result={"a": 1})
    await tasks.update(record.id, result=None)
    async with db.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).where(tasks_table.c.result.is_(None))) == 1


async def test_update_checks_fields(tasks: TaskRepository) -> None:
    record = await tasks.create(prefix="video", kind="video", model=MODEL, params={})
    with pytest.raises(TypeError, match="owner_key_id"):
        await tasks.update(record.id, owner_key_id=3)
    with pytest.raises(ValueError, match="status"):
        await tasks.update(record.id, status="done")
    with pytest.raises(ValueError, match="progress"):
        await tasks.update(record.id, progress=101)
    with pytest.raises(ValueError, match="kind"):
        await tasks.create(prefix="x", kind="audio", model=MODEL, params={})  # type: ignore[arg-type]


async def test_idempotency_keys(tasks: TaskRepository) -> None:
    first = await tasks.create(
        prefix="video", kind="video", model=MODEL, params={}, owner_key_id=1, idempotency_key="k"
    )
    assert await tasks.find_by_idempotency(1, "k") == first
    assert await tasks.find_by_idempotency(2, "k") is None
    assert await tasks.find_by_idempotency(None, "k") is None
    with pytest.raises(ConflictError) as raised:
        await tasks.create(
            prefix="video", kind="video", model=MODEL, params={}, owner_key_id=1, idempotency_key="k"
        )
    assert raised.value.code == "duplicate_idempotency_key"
    other = await tasks.create(
        prefix="video", kind="video", model=MODEL, params={}, owner_key_id=2, idempotency_key="k"
    )
    assert other.id != first.id
    keyless = await tasks.create(prefix="video", kind="video", model=MODEL, params={}, idempotency_key="k")
    assert await tasks.find_by_idempotency(None, "k") == keyless
    with pytest.raises(ConflictError):  # config keys (no owner id) are deduplicated too
        await tasks.create(prefix="video", kind="video", model=MODEL, params={}, idempotency_key="k")
    await tasks.create(prefix="video", kind="video", model=MODEL, params={}, owner_key_id=1)
    await tasks.create(prefix="video", kind="video", model=MODEL, params={}, owner_key_id=1)


async def test_list_unfinished(tasks: TaskRepository) -> None:
    queued = await tasks.create(prefix="video", kind="video", model=MODEL, params={})
    running = await tasks.create(prefix="video", kind="video", model=MODEL, params={})
    done = await tasks.create(prefix="video", kind="video", model=MODEL, params={})
    failed = await tasks.create(prefix="video", kind="video", model=MODEL, params={})
    await tasks.update(running.id, status="in_progress")
    await tasks.update(done.id, status="completed")
    await tasks.update(failed.id, status="failed")
    assert [record.id for record in await tasks.list_unfinished()] == [queued.id, running.id]


async def test_delete(tasks: TaskRepository) -> None:
    record = await tasks.create(prefix="video", kind="video", model=MODEL, params={})
    await tasks.delete(record.id)
    with pytest.raises(NotFoundError):
        await tasks.get(record.id)


async def make_page_fixture(db: Database, tasks: TaskRepository) -> list[TaskRecord]:
    """Seven tasks of owner 1 (three sharing one created_at), plus noise of other owners."""
    base = datetime(2030, 1, 1, tzinfo=UTC)
    owned = []
    for index, kind in enumerate(["video", "image", "video", "video", "image", "video", "video"]):
        record = await tasks.create(prefix=kind, kind=kind, model=MODEL, params={}, owner_key_id=1)  # type: ignore[arg-type]
        created = base + timedelta(seconds=min(index, 3))  # tasks 3..6 share a timestamp
        async with db.begin() as conn:
            await conn.execute(
                sa.update(tasks_table).where(tasks_table.c.id == record.id).values(created_at=created)
            )
        owned.append(await tasks.get(record.id))
    await tasks.create(prefix="video", kind="video", model=MODEL, params={}, owner_key_id=2)
    await tasks.create(prefix="video", kind="video", model=MODEL, params={})
    return sorted(owned, key=lambda record: (record.created_at, record.id))


async def collect(tasks: TaskRepository, owner: int | None, **options: object) -> list[list[str]]:
    pages: list[list[str]] = []
    after = None
    while True:
        page = await tasks.list_for_owner(owner, after=after, **options)  # type: ignore[arg-type]
        if not page:
            return pages
        pages.append([record.id for record in page])
        after = page[-1].id


async def test_cursor_pagination(db: Database, tasks: TaskRepository) -> None:
    owned = await make_page_fixture(db, tasks)
    ids = [record.id for record in owned]
    ascending = await collect(tasks, 1, limit=3, order="asc")
    assert ascending == [ids[0:3], ids[3:6], ids[6:7]]
    descending = await collect(tasks, 1, limit=2, order="desc")
    assert [task_id for page in descending for task_id in page] == ids[::-1]
    assert [len(page) for page in descending] == [2, 2, 2, 1]
    assert await tasks.list_for_owner(1, limit=2) == owned[::-1][:2]  # newest first by default


async def test_pagination_filters(db: Database, tasks: TaskRepository) -> None:
    owned = await make_page_fixture(db, tasks)
    images = [record.id for record in owned if record.kind == "image"]
    assert [r.id for r in await tasks.list_for_owner(1, limit=50, order="asc", kind="image")] == images
    assert len(await tasks.list_for_owner(None, limit=50)) == 9
    assert len(await tasks.list_for_owner(2, limit=50)) == 1
    everyone = await collect(tasks, None, limit=4, order="asc")
    assert sum(len(page) for page in everyone) == 9


async def test_bad_cursors(db: Database, tasks: TaskRepository) -> None:
    owned = await make_page_fixture(db, tasks)
    with pytest.raises(NotFoundError) as raised:
        await tasks.list_for_owner(1, after="video_unknown", limit=5)
    assert raised.value.param == "after"
    with pytest.raises(NotFoundError):
        await tasks.list_for_owner(2, after=owned[0].id, limit=5)
    with pytest.raises(ValueError, match="limit"):
        await tasks.list_for_owner(1, limit=0)
