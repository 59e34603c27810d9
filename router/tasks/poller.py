"""One poller per account: one upstream poll per interval covers all of that account's tasks.

Videos follow ``/nf/pending/v2`` and, once a task has left that list, the drafts; images follow
``/v2/recent_tasks``. Each watched task gets progress callbacks and, at the end, an outcome.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from router.errors import (
    ContentPolicyError,
    GatewayError,
    GenerationError,
    GenerationTimeoutError,
    UpstreamAuthError,
    UpstreamError,
)
from router.sora.client import SoraSession
from router.tasks.job import Outcome

logger = logging.getLogger(__name__)

PollKind = Literal["video", "image"]


ProgressCallback = Callable[[int, str], Awaitable[None]]


@dataclass
class Watch:
    upstream_id: str
    kind: PollKind
    deadline: float
    on_progress: ProgressCallback
    future: asyncio.Future[Outcome]


#: seconds polls may keep failing before the account's watched tasks fail with the last error
FAILURE_GRACE = 300.0


class AccountPoller:
    """Polls one account while it has tasks in flight.

    A failed poll is retried on the next tick (the tasks run on upstream regardless). When the
    upstream rejects the account's token, ``on_auth_error`` hears it once per failing streak (the
    pool takes the account out and maintenance renews the token; the session factory then hands
    out the new one). Polls that keep failing for ``failure_grace`` seconds fail the tasks with the
    last error, instead of waiting for the generation timeout.
    """

    def __init__(
        self,
        session_factory: Callable[[], SoraSession],
        interval: float,
        *,
        on_auth_error: Callable[[UpstreamError], Awaitable[None]] | None = None,
        failure_grace: float = FAILURE_GRACE,
    ) -> None:
        self._session_factory = session_factory
        self._interval = interval
        self._on_auth_error = on_auth_error
        self._failure_grace = failure_grace
        self._watches: dict[str, Watch] = {}
        self._task: asyncio.Task[None] | None = None
        self._failing_since: float | None = None
        self._auth_reported = False

    @property
    def active(self) -> bool:
        return bool(self._watches)

    async def watch(
        self, upstream_id: str, kind: PollKind, *, timeout: float, on_progress: ProgressCallback
    ) -> Outcome:
        """Wait until the upstream task ends; raise its failure as a ``GatewayError``."""
        loop = asyncio.get_running_loop()
        watch = Watch(upstream_id, kind, loop.time() + timeout, on_progress, loop.create_future())
        self._watches[upstream_id] = watch
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name=f"poller-{upstream_id}")
        try:
            return await watch.future
        finally:
            self._watches.pop(upstream_id, None)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        self._failing_since = None
        self._auth_reported = False
        while self._watches:
            await asyncio.sleep(self._interval)
            watches = [w for w in self._watches.values() if not w.future.done()]
            try:
                session = self._session_factory()
                videos = [w for w in watches if w.kind == "video"]
                images = [w for w in watches if w.kind == "image"]
                if videos:
                    await self._poll_videos(session, videos)
                if images:
                    await self._poll_images(session, images)
            except UpstreamError as exc:  # a failed poll is retried on the next tick
                await self._poll_failed(exc, watches, loop.time())
            except GatewayError as exc:
                for watch in watches:
                    _settle(watch, exc)
            else:
                self._failing_since = None
                self._auth_reported = False
            now = loop.time()
            for watch in watches:
                if not watch.future.done() and now >= watch.deadline:
                    _settle(
                        watch,
                        GenerationTimeoutError("Upstream API timeout: generation exceeded its time limit"),
                    )

    async def _poll_failed(self, exc: UpstreamError, watches: list[Watch], now: float) -> None:
        logger.warning("poll failed: %s", exc.message)
        if self._failing_since is None:
            self._failing_since = now
        if isinstance(exc, UpstreamAuthError) and not self._auth_reported and self._on_auth_error is not None:
            self._auth_reported = True
            await self._on_auth_error(exc)
        if now - self._failing_since >= self._failure_grace:
            for watch in watches:
                _settle(watch, exc)

    async def _poll_videos(self, session: SoraSession, watches: list[Watch]) -> None:
        pending = {str(item.get("id")): item for item in await session.pending() if isinstance(item, dict)}
        missing = []
        for watch in watches:
            item = pending.get(watch.upstream_id)
            if item is None:
                missing.append(watch)
                continue
            percent = int(float(item.get("progress_pct") or 0) * 100)
            await watch.on_progress(percent, str(item.get("status") or "processing"))
        if not missing:
            return
        drafts = {str(item.get("task_id")): item for item in await session.drafts() if isinstance(item, dict)}
        for watch in missing:
            draft = drafts.get(watch.upstream_id)
            if draft is not None:
                _settle_video(watch, draft)

    async def _poll_images(self, session: SoraSession, watches: list[Watch]) -> None:
        tasks = {str(item.get("id")): item for item in await session.recent_tasks() if isinstance(item, dict)}
        for watch in watches:
            item = tasks.get(watch.upstream_id)
            if item is None:
                continue
            status = item.get("status")
            if status == "succeeded":
                urls = tuple(
                    str(gen["url"])
                    for gen in item.get("generations") or []
                    if isinstance(gen, dict) and gen.get("url")
                )
                if urls:
                    _settle(watch, Outcome(urls=urls, raw=item))
            elif status == "failed":
                message = item.get("error_message") or item.get("failure_reason") or "Generation failed"
                _settle(watch, GenerationError(f"Image generation failed: {message}"))
            elif status == "processing":
                percent = int(float(item.get("progress_pct") or 0) * 100)
                await watch.on_progress(percent, "processing")


def _settle_video(watch: Watch, draft: dict[str, Any]) -> None:
    reason = draft.get("reason_str") or draft.get("markdown_reason_str")
    url = draft.get("downloadable_url") or draft.get("url")
    if draft.get("kind") == "sora_content_violation" or reason or not url:
        _settle(watch, ContentPolicyError(f"Content policy violation: {reason or 'the video was blocked'}"))
        return
    _settle(watch, Outcome(urls=(str(url),), generation_id=draft.get("id"), raw=draft))


def _settle(watch: Watch, result: Outcome | GatewayError) -> None:
    if watch.future.done():
        return
    if isinstance(result, Outcome):
        watch.future.set_result(result)
    else:
        watch.future.set_exception(result)
