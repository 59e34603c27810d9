"""A task's events from the database, for a client picking up a task this process does not run."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import cast

from router.errors import ContentPolicyError, GenerationError, QuotaExhaustedError
from router.events import Completed, Failed, Progress, Started
from router.storage.tasks import TaskRecord, TaskRepository
from router.tasks.pickup import error_for, from_database, terminal_event


def _record(**fields: object) -> TaskRecord:
    now = datetime.now(UTC)
    values: dict[str, object] = {
        "id": "video_1",
        "kind": "video",
        "model": "m",
        "owner_key_id": None,
        "account_id": 1,
        "status": "in_progress",
        "progress": 10,
        "upstream_task_id": "task_1",
        "generation_id": None,
        "params": {},
        "result": None,
        "error_code": None,
        "error_message": None,
        "idempotency_key": None,
        "created_at": now,
        "updated_at": now,
        "completed_at": None,
        **fields,
    }
    return TaskRecord(**values)  # type: ignore[arg-type]


class Rows:
    """``get`` returns the given states in turn (another process moving the task on)."""

    def __init__(self, *states: TaskRecord) -> None:
        self.states = list(states)

    async def get(self, task_id: str) -> TaskRecord:
        return self.states.pop(0)


async def test_an_unfinished_task_is_followed_until_it_ends() -> None:
    start = _record()
    done = replace(start, status="completed", progress=100, result={"urls": ["https://cdn.test/v.mp4"]})
    rows = Rows(replace(start, progress=10), replace(start, progress=55), done)
    events = [e async for e in from_database(cast(TaskRepository, rows), start, interval=0.001, timeout=5)]
    assert events[0] == Started(task_id="video_1")
    assert [e.percent for e in events if isinstance(e, Progress)] == [10, 55]
    assert events[-1] == Completed(kind="video", urls=("https://cdn.test/v.mp4",), data=done.result or {})


async def test_a_task_that_never_ends_times_out() -> None:
    start = _record()
    rows = Rows(*[start] * 1000)
    events = [e async for e in from_database(cast(TaskRepository, rows), start, interval=0.01, timeout=0.05)]
    assert isinstance(events[-1], Failed) and events[-1].error.code == "generation_timeout"


def test_a_failed_task_keeps_its_error_class() -> None:
    failed = terminal_event(
        _record(status="failed", error_code="content_policy_violation", error_message="no")
    )
    assert isinstance(failed, Failed) and isinstance(failed.error, ContentPolicyError)
    assert isinstance(error_for("quota_exhausted", "later"), QuotaExhaustedError)
    unknown = error_for("something_new", "odd")
    assert type(unknown) is GenerationError and unknown.code == "something_new"
