"""The account pool: leases with per-account limits, a selection mode, waiting, failures by cause.

Limits: per account and kind (``video_concurrency``, ``image_concurrency``) plus a total cap
(``total_concurrency``). A lease is taken under the pool's condition lock in the same step that
checks the limits, so no interleaving of requests can exceed them. The counters live in this
process's memory: several gateway replicas on one database would each apply the limits on their
own (shared counters would go to Redis). A request that finds no free slot waits in a bounded
queue (``max_waiting``) until a slot frees or ``wait_timeout`` passes.

Outcomes come back through :meth:`AccountPool.report_failure` (the cause decides: disable, cool
down, back off, count) and :meth:`AccountPool.report_success` (listeners, e.g. the quota check of
:mod:`router.pool.maintenance`, hear about it).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from router.config import PoolSettings
from router.errors import (
    ConcurrencyLimitError,
    GatewayError,
    NoAccountError,
    NotFoundError,
    PoolTimeoutError,
    QuotaExhaustedError,
    UpstreamAuthError,
    UpstreamError,
    UpstreamOverloadError,
    UpstreamRejectedError,
)
from router.pool.eligibility import LeaseKind, ineligibility, limit_for
from router.pool.selection import Candidate, Selector
from router.pool.upkeep import QUOTA_UNKNOWN_RESET
from router.sora.client import AccountCredentials
from router.storage.accounts import AccountRecord, AccountRepository

logger = logging.getLogger(__name__)

#: cooldown after a plain 429 that is neither the quota nor the concurrency limit
RATE_LIMIT_COOLDOWN = timedelta(seconds=60)

SuccessListener = Callable[[int, LeaseKind | None], None]


@dataclass
class Lease:
    """One slot of one account, held from submission until the task ends."""

    account_id: int
    kind: LeaseKind
    _pool: AccountPool = field(repr=False)
    released: bool = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self._pool._free(self)


class AccountPool:
    """In-memory view of the accounts table plus the in-flight counters of this process."""

    def __init__(
        self, repo: AccountRepository, settings: PoolSettings, *, selector: Selector | None = None
    ) -> None:
        self._repo = repo
        self._settings = settings
        self._selector = selector or Selector(settings.selection)
        self._accounts: dict[int, AccountRecord] = {}
        self._in_flight: Counter[tuple[int, LeaseKind]] = Counter()
        self._last_used: dict[int, float] = {}
        #: (account, kind) → loop time until which the upstream said it runs too many tasks
        self._saturated: dict[tuple[int, LeaseKind], float] = {}
        self._changed = asyncio.Condition()
        self._waiting = 0
        self._refresher: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._success_listeners: list[SuccessListener] = []

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        await self.refresh()
        self._refresher = asyncio.create_task(self._refresh_loop(), name="pool-refresh")

    async def close(self) -> None:
        tasks = [task for task in (self._refresher, *self._background) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def refresh(self) -> None:
        """Reload the accounts (an account added by the CLI is used without a restart)."""
        records = await self._repo.list()
        async with self._changed:
            self._accounts = {record.id: record for record in records}
            self._changed.notify_all()

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(self._settings.reload_interval)
            try:
                await self.refresh()
            except Exception:  # keep the loop alive; the next tick tries again
                logger.exception("account refresh failed")

    async def apply(self, record: AccountRecord) -> None:
        """Take a record just written to the database (by maintenance or an admin action)."""
        async with self._changed:
            self._accounts[record.id] = record
            self._changed.notify_all()

    def add_success_listener(self, listener: SuccessListener) -> None:
        """``listener(account_id, kind)`` runs (synchronously) after every reported success."""
        self._success_listeners.append(listener)

    # -- views -----------------------------------------------------------------------------
    @property
    def settings(self) -> PoolSettings:
        return self._settings

    def accounts(self) -> list[AccountRecord]:
        return list(self._accounts.values())

    def record(self, account_id: int) -> AccountRecord | None:
        return self._accounts.get(account_id)

    def in_flight(self, account_id: int, kind: LeaseKind) -> int:
        return self._in_flight[(account_id, kind)]

    def credentials(self, account_id: int) -> AccountCredentials:
        record = self._accounts.get(account_id)
        if record is None:
            raise NoAccountError(f"account {account_id} is no longer in the pool")
        return AccountCredentials(
            account_id=record.id,
            access_token=record.access_token,
            session_token=record.session_token,
            proxy_url=record.proxy_url or None,
        )

    # -- leasing ---------------------------------------------------------------------------
    def _candidates(
        self, kind: LeaseKind, requires_pro: bool, exclude: Iterable[int], only: int | None
    ) -> list[AccountRecord]:
        now = datetime.now(UTC)
        excluded = set(exclude)
        return [
            record
            for record in self._accounts.values()
            if record.id not in excluded
            and (only is None or record.id == only)
            and ineligibility(record, kind, requires_pro=requires_pro, now=now) is None
        ]

    def _has_room(self, record: AccountRecord, kind: LeaseKind) -> bool:
        saturated = self._saturated.get((record.id, kind))
        if saturated is not None:
            if saturated > asyncio.get_running_loop().time():
                return False
            del self._saturated[(record.id, kind)]
        limit = limit_for(record, kind)
        if 0 <= limit <= self._in_flight[(record.id, kind)]:
            return False
        total = record.total_concurrency
        used = self._in_flight[(record.id, "video")] + self._in_flight[(record.id, "image")]
        return total is None or total < 0 or used < total

    def _pick(self, candidates: list[AccountRecord], kind: LeaseKind) -> AccountRecord | None:
        free = [
            Candidate(
                record=record,
                used=self._in_flight[(record.id, kind)],
                limit=limit_for(record, kind),
                last_used=self._last_used.get(record.id, 0.0),
            )
            for record in candidates
            if self._has_room(record, kind)
        ]
        return self._selector.pick(free, kind).record if free else None

    async def ensure_servable(self, kind: LeaseKind, *, requires_pro: bool = False, model: str = "") -> None:
        """Fail at once with a clear error when no account could ever take this work."""
        if self._candidates(kind, requires_pro, (), None):
            return
        await self.refresh()
        if not self._candidates(kind, requires_pro, (), None):
            raise self._no_account_error(kind, requires_pro, model)

    def _no_account_error(self, kind: LeaseKind, requires_pro: bool, model: str) -> NoAccountError:
        if requires_pro and self._candidates(kind, False, (), None):
            return NoAccountError(
                f"The model '{model}' needs a ChatGPT Pro account and none is available in the pool",
                code="no_account_for_plan",
            )
        what = "video" if kind == "video" else "image"
        return NoAccountError(
            f"No Sora account is available for {what} generation "
            "(all are disabled, cooling down, expired or without Sora 2 access)",
        )

    async def acquire(
        self,
        kind: LeaseKind,
        *,
        requires_pro: bool = False,
        exclude: Iterable[int] = (),
        account_id: int | None = None,
        model: str = "",
    ) -> Lease:
        """A lease on an eligible account with a free slot; waits for one up to the deadline."""
        excluded = tuple(exclude)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._settings.wait_timeout
        if not self._candidates(kind, requires_pro, excluded, account_id):
            await self.refresh()  # an account added a moment ago by the CLI
        async with self._changed:
            if not self._candidates(kind, requires_pro, excluded, account_id):
                raise self._no_account_error(kind, requires_pro, model)
            record = self._pick(self._candidates(kind, requires_pro, excluded, account_id), kind)
            if record is not None:
                return self._take(record.id, kind)
            if self._waiting >= self._settings.max_waiting:
                raise PoolTimeoutError(
                    f"Every eligible Sora account is busy and {self._waiting} requests are already "
                    "waiting for a slot (pool.max_waiting)"
                )
            self._waiting += 1
            try:
                return await self._wait_for_slot(kind, requires_pro, excluded, account_id, model, deadline)
            finally:
                self._waiting -= 1

    async def _wait_for_slot(
        self,
        kind: LeaseKind,
        requires_pro: bool,
        excluded: tuple[int, ...],
        account_id: int | None,
        model: str,
        deadline: float,
    ) -> Lease:
        """Wait (holding the condition between wake-ups) until a slot frees; then take it at once."""
        loop = asyncio.get_running_loop()
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise PoolTimeoutError(
                    f"Every eligible Sora account is busy; no slot freed within "
                    f"{self._settings.wait_timeout:g} s (pool.wait_timeout)"
                )
            try:
                # wake up at least when a backoff ends, even if nothing else changes
                await asyncio.wait_for(self._changed.wait(), min(remaining, self._next_backoff_end(loop)))
            except TimeoutError:
                pass
            candidates = self._candidates(kind, requires_pro, excluded, account_id)
            if not candidates:
                raise self._no_account_error(kind, requires_pro, model)
            record = self._pick(candidates, kind)
            if record is not None:
                return self._take(record.id, kind)

    def _next_backoff_end(self, loop: asyncio.AbstractEventLoop) -> float:
        """Seconds until the next backoff ends (ended ones are dropped); at most 1 s (cooldowns end too)."""
        now = loop.time()
        for key in [key for key, end in self._saturated.items() if end <= now]:
            del self._saturated[key]
        soonest = min((end - now for end in self._saturated.values()), default=1.0)
        return max(min(soonest, 1.0), 0.01)

    def adopt(self, account_id: int, kind: LeaseKind) -> Lease:
        """Count a slot for a task that already runs upstream (resumed after a restart)."""
        return self._take(account_id, kind)

    def _take(self, account_id: int, kind: LeaseKind) -> Lease:
        self._in_flight[(account_id, kind)] += 1
        self._last_used[account_id] = asyncio.get_running_loop().time()
        return Lease(account_id=account_id, kind=kind, _pool=self)

    def _free(self, lease: Lease) -> None:
        key = (lease.account_id, lease.kind)
        self._in_flight[key] = max(0, self._in_flight[key] - 1)
        # one of its tasks ended upstream: a "too many tasks" backoff has done its job
        self._saturated.pop(key, None)
        self._spawn(self._notify())

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # -- outcomes --------------------------------------------------------------------------
    async def report_success(self, account_id: int, kind: LeaseKind | None = None) -> None:
        """Count a success (ends the error streak) and tell the listeners (``kind`` when known)."""
        await self._repo.record_success(account_id)
        for listener in self._success_listeners:
            listener(account_id, kind)

    async def report_failure(self, account_id: int, error: GatewayError) -> None:
        """Update the account by the cause of ``error``.

        ========================  ================================================================
        token rejected (401)      disabled, reason ``token_invalid`` (maintenance tries a renewal)
        quota exhausted           cooldown until the reset the upstream gave (1 h if it gave none)
        other 429                 a short cooldown
        too many tasks            no new task of that kind until one of its tasks ends (or backoff)
        heavy load, bad request   counted, but not towards ``error_limit``
        anything else upstream    counted; ``error_limit`` in a row → disabled, reason error_limit
        ========================  ================================================================
        """
        if not isinstance(error, UpstreamError):
            return
        now = datetime.now(UTC)
        if isinstance(error, UpstreamAuthError):
            await self._repo.record_failure(account_id, error.message, consecutive=False)
            await self._update(account_id, status="disabled", disabled_reason="token_invalid")
        elif isinstance(error, QuotaExhaustedError):
            await self._cool_down(account_id, error, now)
        elif isinstance(error, ConcurrencyLimitError):
            await self._back_off(account_id, error)
        elif isinstance(error, UpstreamOverloadError | UpstreamRejectedError):
            await self._repo.record_failure(account_id, error.message, consecutive=False)
        else:
            consecutive = await self._repo.record_failure(account_id, error.message)
            if consecutive >= self._settings.error_limit:
                logger.warning("account %s taken out after %d errors in a row", account_id, consecutive)
                await self._update(account_id, status="disabled", disabled_reason="error_limit")
                return
        await self._reload(account_id)

    async def _cool_down(self, account_id: int, error: QuotaExhaustedError, now: datetime) -> None:
        if error.code == "upstream_rate_limited":
            await self._update(account_id, cooldown_until=now + RATE_LIMIT_COOLDOWN, last_error=error.message)
            return
        resets = (
            timedelta(seconds=error.resets_in_seconds) if error.resets_in_seconds else QUOTA_UNKNOWN_RESET
        )
        await self._update(
            account_id,
            cooldown_until=now + resets,
            remaining_videos=0,
            quota_resets_at=now + resets,
            last_error=error.message,
            last_error_at=now,
        )

    async def _back_off(self, account_id: int, error: ConcurrencyLimitError) -> None:
        # the upstream counts videos; only that kind is refused
        until = asyncio.get_running_loop().time() + self._settings.concurrency_backoff
        async with self._changed:
            self._saturated[(account_id, "video")] = until
        await self._update(account_id, last_error=error.message, last_error_at=datetime.now(UTC))

    async def _update(self, account_id: int, **fields: object) -> None:
        record = await self._repo.update(account_id, **fields)
        await self.apply(record)

    async def _reload(self, account_id: int) -> None:
        try:
            record = await self._repo.get(account_id)
        except NotFoundError:  # deleted meanwhile
            async with self._changed:
                self._accounts.pop(account_id, None)
            return
        await self.apply(record)
