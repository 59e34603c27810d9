"""Tasks that died inside the submit window: the create was sent, the upstream id never stored.

Before the create call the engine stores a marker on the task: the account it goes to
(``account_id``) and the time (``submit_started_at``). A gateway that starts and finds a task
with a marker but no upstream id cannot know whether Sora accepted the job, so it does not
resubmit it blindly: :class:`SubmitRecovery` looks at that account's upstream lists (pending and
drafts for videos, recent tasks for images) for a task that none of our records holds, created
after the marker (minus :data:`CLOCK_SKEW`) with the job's prompt (when both sides tell it). A
match is adopted. Only when nothing matches once ``grace`` seconds have passed since the marker
(a create can still be on its way: upload, sentinel and create timeouts) is the job resubmitted.

One listing per account per interval covers every task of that account being recovered, as the
poller does for running tasks; recovery only happens after a restart, for a few tasks at most.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from router.errors import GatewayError, UpstreamError
from router.sora.client import SoraSession
from router.storage.tasks import TaskRecord
from router.tasks.job import JobKind
from router.tasks.poller import FAILURE_GRACE

logger = logging.getLogger(__name__)

#: seconds an upstream ``created_at`` may precede our marker (clocks of two machines)
CLOCK_SKEW = 10.0

SessionFactory = Callable[[int], SoraSession]
KnownIds = Callable[[Collection[str]], Awaitable[set[str]]]


def interrupted_submit(record: TaskRecord) -> bool:
    """Whether ``record`` started a submission whose upstream id was never stored."""
    return record.submit_started_at is not None and not record.upstream_task_id and not record.finished


def job_prompt(params: Mapping[str, Any]) -> str | None:
    """The prompt the job sends upstream, as the upstream lists echo it (None when unknown)."""
    body = params.get("body")
    for source in (body if isinstance(body, Mapping) else {}, params):
        for key in ("prompt", "user_prompt"):
            value = source.get(key)
            if isinstance(value, str) and value:
                return value
    return None


@dataclass(frozen=True)
class Candidate:
    """A task in an account's upstream lists."""

    upstream_id: str
    created_at: float | None
    prompt: str | None


@dataclass(frozen=True)
class Claim:
    """A task of ours looking for its upstream task: marker time (epoch seconds) and prompt."""

    task_id: str
    kind: JobKind
    since: float
    prompt: str | None


def match(claims: Iterable[Claim], candidates: Iterable[Candidate], known: Collection[str]) -> dict[str, str]:
    """task id → upstream id, for the claims an unclaimed upstream task fits.

    Oldest claim first, each takes the oldest fitting candidate: not ``known`` to our records,
    created at or after the claim's marker (less :data:`CLOCK_SKEW`), with the same prompt when
    both have one. Upstream items without ``created_at`` fit only by prompt.
    """
    pool = sorted(
        (c for c in candidates if c.upstream_id not in known),
        key=lambda c: (c.created_at is None, c.created_at or 0.0),
    )
    found: dict[str, str] = {}
    taken: set[str] = set()
    for claim in sorted(claims, key=lambda c: c.since):
        for candidate in pool:
            if candidate.upstream_id in taken or not _fits(claim, candidate):
                continue
            found[claim.task_id] = candidate.upstream_id
            taken.add(candidate.upstream_id)
            break
    return found


def _fits(claim: Claim, candidate: Candidate) -> bool:
    both_prompts = claim.prompt is not None and candidate.prompt is not None
    if both_prompts and claim.prompt != candidate.prompt:
        return False
    if candidate.created_at is None:
        return both_prompts
    return candidate.created_at >= claim.since - CLOCK_SKEW


def video_candidates(
    pending: Iterable[Mapping[str, Any]], drafts: Iterable[Mapping[str, Any]]
) -> list[Candidate]:
    listed = [_candidate(item, "id") for item in pending] + [_candidate(item, "task_id") for item in drafts]
    return [candidate for candidate in listed if candidate.upstream_id]


def image_candidates(recent: Iterable[Mapping[str, Any]]) -> list[Candidate]:
    return [candidate for item in recent if (candidate := _candidate(item, "id")).upstream_id]


def _candidate(item: Mapping[str, Any], id_key: str) -> Candidate:
    prompt = item.get("prompt")
    return Candidate(
        upstream_id=str(item.get(id_key) or ""),
        created_at=_epoch(item.get("created_at")),
        prompt=prompt if isinstance(prompt, str) and prompt else None,
    )


def _epoch(value: Any) -> float | None:
    """``created_at`` as epoch seconds: a number, or an ISO 8601 text (UTC unless it says otherwise)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    return None


@dataclass
class _Waiting:
    claim: Claim
    #: loop time from which a listing that finds nothing resubmits
    deadline: float
    future: asyncio.Future[str | None]


class SubmitRecovery:
    """Finds the upstream tasks of interrupted submissions, per account, one listing per interval."""

    def __init__(
        self, sessions: SessionFactory, known_ids: KnownIds, *, interval: float, grace: float
    ) -> None:
        self._sessions = sessions
        self._known_ids = known_ids
        self._interval = interval
        self._grace = grace
        self._waiting: dict[int, list[_Waiting]] = {}
        self._loops: dict[int, asyncio.Task[None]] = {}

    async def find(self, record: TaskRecord) -> str | None:
        """The upstream id of ``record``'s interrupted submission, or None: nothing upstream (resubmit).

        Raises the upstream's error when the account's lists could not be read for
        ``FAILURE_GRACE`` seconds past the grace period.
        """
        if record.account_id is None or record.submit_started_at is None:
            return None
        loop = asyncio.get_running_loop()
        since = record.submit_started_at.timestamp()
        claim = Claim(
            record.id, "video" if record.kind == "video" else "image", since, job_prompt(record.params)
        )
        waited = max(0.0, since + self._grace - time.time())
        waiting = _Waiting(claim, loop.time() + waited, loop.create_future())
        self._waiting.setdefault(record.account_id, []).append(waiting)
        account_loop = self._loops.get(record.account_id)
        if account_loop is None or account_loop.done():
            self._loops[record.account_id] = asyncio.create_task(
                self._run(record.account_id), name=f"recovery-{record.account_id}"
            )
        try:
            return await waiting.future
        finally:
            entries = self._waiting.get(record.account_id, [])
            if waiting in entries:
                entries.remove(waiting)

    async def close(self) -> None:
        for task in self._loops.values():
            task.cancel()
        await asyncio.gather(*self._loops.values(), return_exceptions=True)

    async def _run(self, account_id: int) -> None:
        loop = asyncio.get_running_loop()
        failing_since: float | None = None
        first = True
        while waiting := [w for w in self._waiting.get(account_id, []) if not w.future.done()]:
            if not first:
                await asyncio.sleep(self._interval)
            first = False
            try:
                found = await self._look(account_id, [w.claim for w in waiting])
            except UpstreamError as exc:  # the lists could not be read: try again next tick
                logger.warning("recovery listing of account %s failed: %s", account_id, exc.message)
                failing_since = failing_since if failing_since is not None else loop.time()
                for entry in waiting:
                    if loop.time() >= max(entry.deadline, failing_since + FAILURE_GRACE):
                        _settle(entry, exc)
                continue
            except GatewayError as exc:  # the account left the pool: nothing can be looked up there
                logger.warning("recovery on account %s impossible: %s", account_id, exc.message)
                for entry in waiting:
                    _settle(entry, None)
                continue
            failing_since = None
            for entry in waiting:
                upstream_id = found.get(entry.claim.task_id)
                if upstream_id is not None:
                    logger.info("task %s: adopted upstream task %s", entry.claim.task_id, upstream_id)
                    _settle(entry, upstream_id)
                elif loop.time() >= entry.deadline:
                    logger.info("task %s: not found upstream, submitting it again", entry.claim.task_id)
                    _settle(entry, None)

    async def _look(self, account_id: int, claims: list[Claim]) -> dict[str, str]:
        session = self._sessions(account_id)
        videos = [c for c in claims if c.kind == "video"]
        images = [c for c in claims if c.kind == "image"]
        listed: list[tuple[list[Claim], list[Candidate]]] = []
        if videos:
            listed.append((videos, video_candidates(await session.pending(), await session.drafts())))
        if images:
            listed.append((images, image_candidates(await session.recent_tasks())))
        known = await self._known_ids({c.upstream_id for _, candidates in listed for c in candidates})
        found: dict[str, str] = {}
        for kind_claims, candidates in listed:
            found |= match(kind_claims, candidates, known)
        return found


def _settle(entry: _Waiting, result: str | None | UpstreamError) -> None:
    if entry.future.done():
        return
    if isinstance(result, UpstreamError):
        entry.future.set_exception(result)
    else:
        entry.future.set_result(result)
