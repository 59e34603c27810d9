"""The account pool: leases with per-account, per-kind limits, least-loaded selection, waiting."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from router.config import PoolSettings
from router.errors import (
    ConcurrencyLimitError,
    GatewayError,
    NoAccountError,
    PoolTimeoutError,
    QuotaExhaustedError,
    UpstreamAuthError,
    UpstreamError,
    UpstreamOverloadError,
)
from router.pool.eligibility import LeaseKind, ineligibility, limit_for
from router.sora.client import AccountCredentials
from router.storage.accounts import AccountRecord, AccountRepository

logger = logging.getLogger(__name__)

ERROR_LIMIT = 3
CONCURRENCY_COOLDOWN = timedelta(seconds=30)


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

    def __init__(self, repo: AccountRepository, settings: PoolSettings, *, refresh_interval: float = 5.0):
        self._repo = repo
        self._settings = settings
        self._refresh_interval = refresh_interval
        self._accounts: dict[int, AccountRecord] = {}
        self._in_flight: Counter[tuple[int, LeaseKind]] = Counter()
        self._last_used: dict[int, float] = {}
        self._changed = asyncio.Condition()
        self._waiting = 0
        self._refresher: asyncio.Task[None] | None = None

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        await self.refresh()
        self._refresher = asyncio.create_task(self._refresh_loop(), name="pool-refresh")

    async def close(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            await asyncio.gather(self._refresher, return_exceptions=True)

    async def refresh(self) -> None:
        """Reload the accounts (an account added by the CLI is used without a restart)."""
        records = await self._repo.list()
        async with self._changed:
            self._accounts = {record.id: record for record in records}
            self._changed.notify_all()

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(self._refresh_interval)
            try:
                await self.refresh()
            except Exception:  # keep the loop alive; the next tick tries again
                logger.exception("account refresh failed")

    # -- views -----------------------------------------------------------------------------
    def accounts(self) -> list[AccountRecord]:
        return list(self._accounts.values())

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
        limit = limit_for(record, kind)
        if 0 <= limit <= self._in_flight[(record.id, kind)]:
            return False
        total = record.total_concurrency
        used = self._in_flight[(record.id, "video")] + self._in_flight[(record.id, "image")]
        return total is None or total < 0 or used < total

    def _pick(self, candidates: list[AccountRecord], kind: LeaseKind) -> AccountRecord | None:
        free = [record for record in candidates if self._has_room(record, kind)]
        if not free:
            return None

        def load(record: AccountRecord) -> tuple[float, float]:
            limit = limit_for(record, kind)
            used = self._in_flight[(record.id, kind)]
            share = used / limit if limit > 0 else 0.0
            return share, self._last_used.get(record.id, 0.0)

        return min(free, key=load)

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
        """A lease on the least-loaded eligible account; waits for a free slot up to the deadline."""
        excluded = tuple(exclude)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._settings.wait_timeout
        if not self._candidates(kind, requires_pro, excluded, account_id):
            await self.refresh()  # an account added a moment ago by the CLI
        async with self._changed:
            if not self._candidates(kind, requires_pro, excluded, account_id):
                raise self._no_account_error(kind, requires_pro, model)
            if self._waiting >= self._settings.max_waiting:
                raise PoolTimeoutError("Too many requests are waiting for a free Sora account")
            self._waiting += 1
            try:
                while True:
                    candidates = self._candidates(kind, requires_pro, excluded, account_id)
                    if not candidates:
                        raise self._no_account_error(kind, requires_pro, model)
                    record = self._pick(candidates, kind)
                    if record is not None:
                        return self._take(record.id, kind)
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        raise PoolTimeoutError(
                            f"Every eligible Sora account is busy; no slot freed within "
                            f"{self._settings.wait_timeout:g} s"
                        )
                    try:
                        await asyncio.wait_for(self._changed.wait(), remaining)
                    except TimeoutError:
                        continue
            finally:
                self._waiting -= 1

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
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # -- outcomes --------------------------------------------------------------------------
    async def report_success(self, account_id: int) -> None:
        await self._repo.record_success(account_id)

    async def report_failure(self, account_id: int, error: GatewayError) -> None:
        """Update the account by the cause of ``error`` (disable, cool down, count)."""
        now = datetime.now(UTC)
        if isinstance(error, UpstreamAuthError):
            await self._update(
                account_id,
                status="disabled",
                disabled_reason="token_invalid",
                last_error=error.message,
                last_error_at=now,
            )
            return
        if isinstance(error, QuotaExhaustedError):
            seconds = error.resets_in_seconds or 3600
            await self._update(
                account_id,
                cooldown_until=now + timedelta(seconds=seconds),
                remaining_videos=0,
                quota_resets_at=now + timedelta(seconds=seconds),
            )
            return
        if isinstance(error, ConcurrencyLimitError):
            await self._update(account_id, cooldown_until=now + CONCURRENCY_COOLDOWN)
            return
        if isinstance(error, UpstreamOverloadError) or not isinstance(error, UpstreamError):
            return
        consecutive = await self._repo.record_failure(account_id, error.message)
        if consecutive >= ERROR_LIMIT:
            await self._update(account_id, status="disabled", disabled_reason="error_limit")

    async def _update(self, account_id: int, **fields: object) -> None:
        record = await self._repo.update(account_id, **fields)
        async with self._changed:
            self._accounts[account_id] = record
            self._changed.notify_all()
