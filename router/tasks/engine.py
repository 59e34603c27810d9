"""The task engine: a generation is a persisted task, submitted on a leased account and polled.

A task runs in a background asyncio task owned by the engine, so a client that goes away loses
nothing; surfaces subscribe to its events. Unfinished tasks resume at start-up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import cast

import httpx

from router.config import Settings
from router.errors import ConflictError, GatewayError, NoAccountError, NotFoundError, UpstreamError
from router.events import Completed, Event, Failed, Progress, Reasoning, Started
from router.media.cache import ResultCache, public_base_url
from router.media.store import MediaStore
from router.models import JobHandler
from router.pool.pool import AccountPool, Lease
from router.registry import ModelRegistry
from router.sora.client import SoraTransport
from router.storage.tasks import SortOrder, TaskRecord, TaskRepository
from router.tasks import narration, pickup
from router.tasks.job import JobContext, JobKind, JobSpec, Outcome
from router.tasks.poller import AccountPoller
from router.tasks.recovery import SubmitRecovery, interrupted_submit

logger = logging.getLogger(__name__)

#: hears every task that ends (completed or failed), after its row is stored; e.g. webhooks
FinishListener = Callable[[TaskRecord], Awaitable[None]]


@dataclass
class _Run:
    record: TaskRecord
    history: list[Event] = field(default_factory=list)
    listeners: list[asyncio.Queue[Event]] = field(default_factory=list)
    runner: asyncio.Task[None] | None = None
    last_percent: int = -1

    def publish(self, event: Event) -> None:
        self.history.append(event)
        for queue in self.listeners:
            queue.put_nowait(event)


class TaskEngine:
    def __init__(
        self,
        repo: TaskRepository,
        pool: AccountPool,
        transport: SoraTransport,
        registry: ModelRegistry,
        media: MediaStore,
        settings: Settings,
        *,
        cache: ResultCache,
    ) -> None:
        self._repo = repo
        self._pool = pool
        self._transport = transport
        self._registry = registry
        self._media = media
        self._cache = cache
        self._app_settings = settings
        self._settings = settings.tasks
        self._runs: dict[str, _Run] = {}
        self._pollers: dict[int, AccountPoller] = {}
        self._finish_listeners: list[FinishListener] = []
        self._recovery = SubmitRecovery(
            lambda account_id: self._transport.session(self._pool.credentials(account_id)),
            repo.known_upstream_ids,
            interval=self._settings.poll_interval,
            grace=self._settings.submit_grace,
        )

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """Resume every unfinished task."""
        for record in await self._repo.list_unfinished():
            self._launch(record)

    async def close(self) -> None:
        runners = [run.runner for run in self._runs.values() if run.runner is not None]
        for runner in runners:
            runner.cancel()
        await asyncio.gather(*runners, return_exceptions=True)
        for poller in self._pollers.values():
            await poller.close()
        await self._recovery.close()

    def add_finish_listener(self, listener: FinishListener) -> None:
        """``await listener(record)`` after every task ends (its final row); errors are logged."""
        self._finish_listeners.append(listener)

    # -- public API ------------------------------------------------------------------------
    async def submit(
        self, job: JobSpec, *, owner_key_id: int | None = None, idempotency_key: str | None = None
    ) -> TaskRecord:
        """Persist a task for ``job`` and start it in the background.

        ConflictError ``duplicate_idempotency_key`` if the owner already used ``idempotency_key``.
        """
        record = await self._repo.create(
            prefix=job.kind,
            kind=job.kind,
            model=job.model,
            owner_key_id=owner_key_id,
            idempotency_key=idempotency_key,
            params={
                **job.params,
                "requires_pro": job.requires_pro,
                "pinned_account": job.account_id,
                "base_url": job.base_url,
            },
        )
        self._launch(record)
        return record

    async def run(self, job: JobSpec, *, owner_key_id: int | None = None) -> AsyncIterator[Event]:
        """Submit ``job`` and follow its events until it ends."""
        record = await self.submit(job, owner_key_id=owner_key_id)
        async for event in self.follow(record.id):
            yield event

    async def account_for_generation(self, generation_id: str) -> int | None:
        """The account that produced ``generation_id`` (follow-ups must run there), if known."""
        record = await self._repo.find_by_generation(generation_id)
        return record.account_id if record is not None else None

    # -- tasks as resources (the Videos API): ``owner`` None means every owner's -----------
    async def get_task(self, task_id: str, *, owner: int | None = None) -> TaskRecord:
        """The task ``task_id``; NotFoundError also when ``owner`` is given and does not own it."""
        record = await self._repo.get(task_id)
        if owner is not None and record.owner_key_id != owner:
            raise NotFoundError(f"No task with id {task_id!r}", code="task_not_found")
        return record

    async def find_task(self, owner: int | None, idempotency_key: str) -> TaskRecord | None:
        """The task ``owner`` created with ``idempotency_key``, if any."""
        return await self._repo.find_by_idempotency(owner, idempotency_key)

    async def list_tasks(
        self,
        owner: int | None,
        *,
        kind: str | None = None,
        after: str | None = None,
        limit: int = 20,
        order: SortOrder = "desc",
    ) -> list[TaskRecord]:
        """One page of ``owner``'s tasks by creation time (``after``: the previous page's last id)."""
        return await self._repo.list_for_owner(owner, after=after, limit=limit, order=order, kind=kind)

    async def delete_task(self, task_id: str, *, owner: int | None = None) -> TaskRecord:
        """Delete a finished task (its row; upstream drafts stay); ConflictError while it runs."""
        record = await self.get_task(task_id, owner=owner)
        if not record.finished:
            raise ConflictError(
                f"Task {task_id} is still {record.status}; only a completed or failed task can be deleted",
                code="task_in_progress",
            )
        await self._repo.delete(task_id)
        return record

    def open_result(self, record: TaskRecord, url: str) -> AbstractAsyncContextManager[httpx.Response]:
        """``async with``: a task's result file at ``url``, fetched through the account that made it.

        (Its proxy; result URLs carry their own signature, no credentials are sent.) When that
        account has left the pool the global proxy is used.
        """
        if record.account_id is not None and self._pool.record(record.account_id) is not None:
            return self._transport.session(self._pool.credentials(record.account_id)).stream_download(url)
        return self._transport.stream_download(url)

    async def pickup(self, record: TaskRecord) -> AsyncIterator[Event]:
        """The events of ``record`` for a client picking it up again (e.g. after its stream dropped).

        A task running here: all its events, past ones first, then the live ones. Otherwise its state
        from the database: a finished task's result, or an unfinished one (another gateway process
        runs it) followed there until it ends.
        """
        if record.id in self._runs:
            async for event in self.follow(record.id):
                yield event
            return
        timeout = self._settings.video_timeout if record.kind == "video" else self._settings.image_timeout
        async for event in pickup.from_database(
            self._repo, record, interval=self._settings.poll_interval, timeout=timeout
        ):
            yield event

    async def follow(self, task_id: str) -> AsyncIterator[Event]:
        """Every event of a running task (past ones first); ends after the terminal event."""
        run = self._runs.get(task_id)
        if run is None:
            raise NoAccountError(f"task {task_id} is not running in this gateway")
        queue: asyncio.Queue[Event] = asyncio.Queue()
        for event in run.history:
            queue.put_nowait(event)
        run.listeners.append(queue)
        try:
            while True:
                event = await queue.get()
                yield event
                if isinstance(event, Completed | Failed):
                    return
        finally:
            run.listeners.remove(queue)

    # -- one task --------------------------------------------------------------------------
    def _launch(self, record: TaskRecord) -> None:
        run = _Run(record=record)
        run.publish(Started(task_id=record.id))
        self._runs[record.id] = run
        run.runner = asyncio.create_task(self._drive(run), name=f"task-{record.id}")

    async def _drive(self, run: _Run) -> None:
        lease: Lease | None = None
        record = run.record
        kind = cast(JobKind, record.kind)
        try:
            if record.upstream_task_id and record.account_id is not None:
                lease = self._pool.adopt(record.account_id, kind)
            elif interrupted_submit(record):
                lease = await self._recover(run)
            else:
                run.publish(Reasoning(narration.GENERATION_BEGINS))
                lease = await self._submit(run)
            outcome = await self._poller(lease.account_id).watch(
                run.record.upstream_task_id or "",
                kind,
                timeout=self._settings.video_timeout if kind == "video" else self._settings.image_timeout,
                on_progress=lambda percent, status: self._progress(run, percent, status),
            )
            outcome = await self._finish(run, lease.account_id, outcome)
            await self._complete(run, lease.account_id, outcome)
        except GatewayError as exc:
            await self._fail(run, exc)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug must still end the task visibly
            logger.exception("task %s crashed", record.id)
            await self._fail(run, GatewayError(f"internal error: {type(exc).__name__}"))
        finally:
            if lease is not None:
                lease.release()
            if not (run.runner and run.runner.cancelled()):
                self._runs.pop(record.id, None)

    def _handler(self, run: _Run) -> JobHandler:
        return cast(JobHandler, self._registry.get(run.record.model).handler)

    def _job_context(self, run: _Run, account_id: int) -> JobContext:
        return JobContext(
            session=self._transport.session(self._pool.credentials(account_id)),
            params=run.record.params,
            account_id=account_id,
            emit=lambda text: run.publish(Reasoning(text)),
            media=self._media,
            settings=self._app_settings,
            cache=self._cache,
            base_url=public_base_url(self._app_settings.server, str(run.record.params.get("base_url") or "")),
        )

    async def _finish(self, run: _Run, account_id: int, outcome: Outcome) -> Outcome:
        finish = getattr(self._handler(run), "finish", None)
        if finish is None:
            return outcome
        result: Outcome = await finish(self._job_context(run, account_id), outcome)
        return result

    async def _recover(self, run: _Run) -> Lease:
        """A task whose submission was interrupted by a restart: adopt its upstream task, if Sora has it.

        Only when the account's lists show nothing after ``tasks.submit_grace`` is it submitted again.
        """
        record = run.record
        if record.account_id is not None:
            lease = self._pool.adopt(record.account_id, cast(JobKind, record.kind))
            try:
                upstream_id = await self._recovery.find(record)
            except BaseException:
                lease.release()
                raise
            if upstream_id is not None:
                run.record = await self._repo.update(
                    record.id, upstream_task_id=upstream_id, status="in_progress"
                )
                return lease
            lease.release()
        run.publish(Reasoning(narration.GENERATION_BEGINS))
        return await self._submit(run)

    async def _mark_submitting(self, run: _Run, account_id: int) -> None:
        """Store that the job is about to be sent to ``account_id`` (see :mod:`router.tasks.recovery`)."""
        run.record = await self._repo.update(
            run.record.id, account_id=account_id, submit_started_at=datetime.now(UTC)
        )

    async def _submit(self, run: _Run) -> Lease:
        """Lease an account and submit the job there; on failure, by cause (see ``pool.report_failure``).

        A job the upstream surely did not accept (``retryable and not_accepted``: 401, 429, quota,
        sentinel, Cloudflare, heavy load, an HTTP 5xx refusal, a failed connection) is resubmitted on
        another account, up to ``tasks.max_submit_attempts`` accounts; one that may have been accepted
        (a timeout or a connection lost after sending) is never sent twice.
        """
        record = run.record
        kind = cast(JobKind, record.kind)
        handler = self._handler(run)
        requires_pro = bool(record.params.get("requires_pro"))
        pinned = record.params.get("pinned_account")
        tried: list[int] = []
        last_error: UpstreamError | None = None
        for attempt in range(1, max(1, self._settings.max_submit_attempts) + 1):
            try:
                lease = await self._pool.acquire(
                    kind, requires_pro=requires_pro, exclude=tried, account_id=pinned, model=record.model
                )
            except NoAccountError:
                if last_error is not None:
                    raise last_error from None
                raise
            try:
                await self._mark_submitting(run, lease.account_id)
                upstream_id = await handler.submit(self._job_context(run, lease.account_id))
            except UpstreamError as exc:
                lease.release()
                await self._pool.report_failure(lease.account_id, exc)
                if not (exc.retryable and exc.not_accepted):
                    raise
                tried.append(lease.account_id)
                last_error = exc
                run.publish(Reasoning(narration.RETRYING.format(attempt=attempt, reason=exc.message)))
                continue
            except BaseException:
                lease.release()
                raise
            run.record = await self._repo.update(
                record.id, upstream_task_id=upstream_id, account_id=lease.account_id, status="in_progress"
            )
            return lease
        assert last_error is not None
        raise last_error

    def _poller(self, account_id: int) -> AccountPoller:
        poller = self._pollers.get(account_id)
        if poller is None:
            poller = AccountPoller(
                lambda: self._transport.session(self._pool.credentials(account_id)),
                self._settings.poll_interval,
                on_auth_error=lambda exc: self._pool.report_failure(account_id, exc),
            )
            self._pollers[account_id] = poller
        return poller

    async def _progress(self, run: _Run, percent: int, status: str) -> None:
        if percent == run.last_percent:
            return
        run.last_percent = percent
        text = (
            narration.video_progress(percent, status)
            if run.record.kind == "video"
            else narration.image_progress(percent)
        )
        run.publish(Progress(percent=percent, status=status, text=text))
        run.record = await self._repo.update(run.record.id, progress=min(percent, 99))

    async def _complete(self, run: _Run, account_id: int, outcome: Outcome) -> None:
        result = {"urls": list(outcome.urls), "generation_id": outcome.generation_id, **outcome.extra}
        run.record = await self._repo.update(
            run.record.id,
            status="completed",
            progress=100,
            result=result,
            generation_id=outcome.generation_id,
            completed_at=datetime.now(UTC),
        )
        await self._pool.report_success(account_id, "video" if run.record.kind == "video" else "image")
        video = run.record.kind == "video"
        run.publish(Completed(kind="video" if video else "image", urls=outcome.urls, data=result))
        await self._announce(run.record)

    async def _fail(self, run: _Run, error: GatewayError) -> None:
        try:
            run.record = await self._repo.update(
                run.record.id,
                status="failed",
                error_code=error.code,
                error_message=error.message,
                completed_at=datetime.now(UTC),
            )
        finally:
            run.publish(Failed(error=error))
        await self._announce(run.record)

    async def _announce(self, record: TaskRecord) -> None:
        """Tell the finish listeners; one that fails must not change the task's outcome."""
        for listener in self._finish_listeners:
            try:
                await listener(record)
            except Exception:  # a listener bug is logged, the task stays as it ended
                logger.exception("finish listener failed for task %s", record.id)
