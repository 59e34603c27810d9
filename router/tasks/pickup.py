"""A task as events, read from the database: for a client picking up a task this process is not running.

A finished task is its ``Started`` and terminal event; an unfinished one (running in another
gateway process on the same database) is followed by re-reading its row every interval, with a
``Progress`` event whenever its progress moves, until it ends or ``timeout`` passes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from router.errors import GatewayError, GenerationError, GenerationTimeoutError
from router.events import Completed, Event, Failed, Progress, Started
from router.storage.tasks import TaskRecord, TaskRepository
from router.tasks import narration


async def from_database(
    repo: TaskRepository, record: TaskRecord, *, interval: float, timeout: float
) -> AsyncIterator[Event]:
    """``record``'s events from its stored state, followed until it ends."""
    yield Started(task_id=record.id)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    shown = -1
    while not record.finished:
        if record.progress != shown and record.status == "in_progress":
            shown = record.progress
            yield Progress(percent=shown, status=record.status, text=_progress_text(record))
        if loop.time() >= deadline:
            yield Failed(GenerationTimeoutError(f"Task {record.id} did not finish in {timeout:g} s"))
            return
        await asyncio.sleep(interval)
        record = await repo.get(record.id)
    yield terminal_event(record)


def terminal_event(record: TaskRecord) -> Completed | Failed:
    """The ``Completed`` or ``Failed`` event a finished ``record`` stands for."""
    if record.status == "completed":
        result = dict(record.result or {})
        urls = tuple(str(url) for url in result.get("urls") or ())
        return Completed(kind="video" if record.kind == "video" else "image", urls=urls, data=result)
    return Failed(error_for(record.error_code, record.error_message or "The generation failed"))


def error_for(code: str | None, message: str) -> GatewayError:
    """The error class whose default code is ``code`` (so it renders as it did), else a generic one."""
    cls = _by_code().get(code or "")
    if cls is None:
        return GenerationError(message, code=code)
    return cls(message)


def _by_code() -> dict[str, type[GatewayError]]:
    found: dict[str, type[GatewayError]] = {}
    pending: list[type[GatewayError]] = [GatewayError]
    while pending:
        cls = pending.pop()
        if cls.default_code is not None:
            found.setdefault(cls.default_code, cls)
        pending.extend(cls.__subclasses__())
    return found


def _progress_text(record: TaskRecord) -> str:
    if record.kind == "video":
        return narration.video_progress(record.progress, "processing")
    return narration.image_progress(record.progress)
