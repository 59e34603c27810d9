"""Keeping the pool alive without babysitting: the background jobs the app lifespan owns.

Every ``pool.maintenance_interval`` seconds, for each account (a few at a time):

* **renewal ahead of expiry** — an access token that expires within ``pool.refresh_ahead`` is
  renewed from the session token, else the refresh token (see :func:`renewal_due`); so is a token
  the upstream rejected (``token_invalid``), once after each rejection. A failed renewal is retried
  after ``pool.retest_interval``;
* **expiry** — an active account whose token expired unrenewed is disabled with reason ``expired``;
* **re-test** — an account taken out with ``error_limit`` is tested again ``pool.retest_interval``
  after its last error, and re-enabled when healthy;
* **quota return** — when a quota cooldown ends, ``/nf/check`` refreshes the quota (a new cooldown
  if it is still gone). The account is eligible again the moment the cooldown ends regardless.

After every successful video the account's quota is read (best effort) and an account with no
videos left cools down until the reset.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

from router.config import PoolSettings
from router.errors import GatewayError
from router.pool.eligibility import LeaseKind
from router.pool.pool import AccountPool
from router.pool.upkeep import FAILED, AccountUpkeep, UpkeepResult
from router.storage.accounts import AccountRecord

logger = logging.getLogger(__name__)

#: accounts worked on at once by one maintenance run
PARALLEL = 8


def renewal_due(record: AccountRecord, settings: PoolSettings, now: datetime) -> bool:
    """Whether the account's access token should be renewed now.

    Due when it expires within ``refresh_ahead``; a token this gateway obtained itself is kept for at
    least half its remaining life at that time (so a short-lived token is not renewed every run). A
    token the upstream rejected is renewed once per rejection (at most once per ``retest_interval``).
    After a failed try, the next one waits ``retest_interval``.
    """
    if not (record.session_token or record.refresh_token):
        return False
    last = record.last_refresh_at
    failed = (record.last_refresh_result or "").startswith(FAILED)
    if last is not None and failed and last > now - timedelta(seconds=settings.retest_interval):
        return False  # the last try failed a moment ago
    if record.status == "disabled" and record.disabled_reason == "token_invalid":
        if last is not None and last > now - timedelta(seconds=settings.retest_interval):
            return False  # renewed a moment ago, and the new token was rejected too
        return last is None or record.last_error_at is None or last < record.last_error_at
    if record.expires_at is None or record.expires_at - now > timedelta(seconds=settings.refresh_ahead):
        return False
    if last is not None and not failed and record.expires_at > last:
        return now >= last + (record.expires_at - last) / 2
    return True


def next_job(record: AccountRecord, settings: PoolSettings, now: datetime) -> str | None:
    """The maintenance job due for ``record`` (``renew``, ``expire``, ``retest``, ``quota``) or ``None``."""
    if renewal_due(record, settings, now):
        return "renew"
    if record.status == "active" and record.expires_at is not None and record.expires_at <= now:
        return "expire"
    if record.status == "disabled" and record.disabled_reason == "error_limit":
        last = record.last_error_at or record.updated_at
        return "retest" if last <= now - timedelta(seconds=settings.retest_interval) else None
    if record.status == "active" and record.cooldown_until is not None and record.cooldown_until <= now:
        return "quota"
    return None


class PoolMaintenance:
    """The background jobs of one pool; started and closed by the app lifespan."""

    def __init__(self, pool: AccountPool, upkeep: AccountUpkeep, settings: PoolSettings) -> None:
        self._pool = pool
        self._upkeep = upkeep
        self._settings = settings
        self._loop_task: asyncio.Task[None] | None = None
        self._spawned: set[asyncio.Task[Any]] = set()
        self._locks: dict[int, asyncio.Lock] = {}

    async def start(self) -> None:
        self._pool.add_success_listener(self._on_success)
        self._loop_task = asyncio.create_task(self._loop(), name="pool-maintenance")

    async def close(self) -> None:
        tasks = [task for task in (self._loop_task, *self._spawned) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # keep the loop alive; the next run tries again
                logger.exception("pool maintenance failed")
            await asyncio.sleep(self._settings.maintenance_interval)

    async def run_once(self) -> dict[int, UpkeepResult]:
        """One pass over the pool: every due job, a few accounts at a time; the results by account."""
        now = datetime.now(UTC)
        due = [
            (record, job)
            for record in self._pool.accounts()
            if (job := next_job(record, self._settings, now))
        ]
        gate = asyncio.Semaphore(PARALLEL)
        results: dict[int, UpkeepResult] = {}

        async def work(record: AccountRecord, job: str) -> None:
            async with gate:
                result = await self._run(record.id, job)
                if result is not None:
                    results[record.id] = result

        await asyncio.gather(*(work(record, job) for record, job in due))
        return results

    async def _run(self, account_id: int, job: str) -> UpkeepResult | None:
        """Run ``job`` on the account's current record, one job per account at a time."""
        jobs: dict[str, Callable[[AccountRecord], Awaitable[UpkeepResult]]] = {
            "renew": self._upkeep.renew,
            "expire": self._upkeep.mark_expired,
            "retest": self._upkeep.test,
            "quota": self._upkeep.check_quota,
        }
        async with self._locks.setdefault(account_id, asyncio.Lock()):
            record = self._pool.record(account_id)
            if record is None:
                return None
            try:
                result = await jobs[job](record)
            except GatewayError as exc:
                logger.warning("account %s: %s failed: %s", account_id, job, exc.message)
                return None
            await self._pool.apply(result.record)
            logger.info("account %s: %s: %s", account_id, job, result.message)
            return result

    # -- after a success -------------------------------------------------------------------
    def _on_success(self, account_id: int, kind: LeaseKind | None) -> None:
        if kind == "video":
            self._spawn(self._run(account_id, "quota"))

    def _spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._spawned.add(task)
        task.add_done_callback(self._spawned.discard)
