"""Leases, limits under concurrency, waiting, and account changes by failure cause."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from router.errors import (
    CloudflareChallengeError,
    ConcurrencyLimitError,
    NoAccountError,
    PoolTimeoutError,
    QuotaExhaustedError,
    SentinelBlockError,
    UpstreamAuthError,
    UpstreamOverloadError,
    UpstreamRejectedError,
)
from router.pool.eligibility import LeaseKind
from router.pool.pool import AccountPool
from router.storage.accounts import AccountRepository

from .conftest import MakeAccount

PoolFactory = Callable[..., Awaitable[AccountPool]]


async def test_limits_are_never_exceeded_under_concurrency(
    make_account: MakeAccount, pool_factory: PoolFactory
) -> None:
    """200 requests over 3 accounts: per-kind limits and the total cap hold at every moment."""
    a = await make_account(video_concurrency=2, image_concurrency=1)
    b = await make_account(video_concurrency=3, image_concurrency=2, total_concurrency=3)
    c = await make_account(video_concurrency=1, image_concurrency=-1, total_concurrency=2)
    limits = {a.id: (2, 1, None), b.id: (3, 2, 3), c.id: (1, None, 2)}
    pool = await pool_factory(max_waiting=1000, wait_timeout=30)
    now: Counter[tuple[int, LeaseKind]] = Counter()
    peak: Counter[tuple[int, str]] = Counter()
    rng = random.Random(1)

    async def job(kind: LeaseKind) -> None:
        lease = await pool.acquire(kind)
        now[(lease.account_id, kind)] += 1
        for key, value in (
            ((lease.account_id, kind), now[(lease.account_id, kind)]),
            (
                (lease.account_id, "total"),
                now[(lease.account_id, "video")] + now[(lease.account_id, "image")],
            ),
        ):
            peak[key] = max(peak[key], value)
        await asyncio.sleep(rng.uniform(0, 0.01))
        now[(lease.account_id, kind)] -= 1
        lease.release()

    await asyncio.gather(*(job("video" if i % 3 else "image") for i in range(200)))
    for account_id, (video, image, total) in limits.items():
        assert peak[(account_id, "video")] <= video
        if image is not None:
            assert peak[(account_id, "image")] <= image
        if total is not None:
            assert peak[(account_id, "total")] <= total
    assert peak[(b.id, "total")] == 3  # the cap was reached, so it was tested
    assert all(pool.in_flight(i, k) == 0 for i in limits for k in ("video", "image"))


async def test_a_waiting_request_gets_the_slot_that_frees(
    make_account: MakeAccount, pool_factory: PoolFactory
) -> None:
    account = await make_account(video_concurrency=1)
    pool = await pool_factory()
    first = await pool.acquire("video")
    waiter = asyncio.create_task(pool.acquire("video"))
    await asyncio.sleep(0.05)
    assert not waiter.done()
    first.release()
    second = await asyncio.wait_for(waiter, 2)
    assert second.account_id == account.id
    second.release()


async def test_waiting_ends_with_pool_timeout(make_account: MakeAccount, pool_factory: PoolFactory) -> None:
    await make_account(video_concurrency=1)
    pool = await pool_factory(wait_timeout=0.1)
    lease = await pool.acquire("video")
    with pytest.raises(PoolTimeoutError) as info:
        await pool.acquire("video")
    assert info.value.code == "pool_timeout" and info.value.status == 503
    lease.release()


async def test_the_waiting_queue_is_bounded(make_account: MakeAccount, pool_factory: PoolFactory) -> None:
    await make_account(video_concurrency=1)
    pool = await pool_factory(max_waiting=1, wait_timeout=2)
    lease = await pool.acquire("video")
    waiting = asyncio.create_task(pool.acquire("video"))
    await asyncio.sleep(0.05)
    with pytest.raises(PoolTimeoutError, match="already waiting"):
        await pool.acquire("video")
    lease.release()
    (await waiting).release()


async def test_no_account_errors_name_the_plan(make_account: MakeAccount, pool_factory: PoolFactory) -> None:
    pool = await pool_factory()
    with pytest.raises(NoAccountError) as info:
        await pool.acquire("video")
    assert info.value.code == "no_available_account"
    await make_account(plan_type="chatgpt_plus")
    with pytest.raises(NoAccountError) as info:
        await pool.acquire("video", requires_pro=True, model="sora2pro-landscape-10s")
    assert info.value.code == "no_account_for_plan"
    assert "sora2pro-landscape-10s" in info.value.message


async def test_round_robin_from_settings(make_account: MakeAccount, pool_factory: PoolFactory) -> None:
    ids = [(await make_account()).id for _ in range(3)]
    pool = await pool_factory(selection="round_robin")
    picked = []
    for _ in range(6):
        lease = await pool.acquire("video")
        picked.append(lease.account_id)
        lease.release()
    assert picked == ids + ids


async def test_401_disables_the_account_as_token_invalid(
    make_account: MakeAccount, pool_factory: PoolFactory, repo: AccountRepository
) -> None:
    account = await make_account()
    pool = await pool_factory()
    await pool.report_failure(account.id, UpstreamAuthError("Sora rejected the account's credentials"))
    stored = await repo.get(account.id)
    assert (stored.status, stored.disabled_reason) == ("disabled", "token_invalid")
    assert stored.consecutive_errors == 0 and stored.failure_count == 1
    assert pool.record(account.id) == stored
    with pytest.raises(NoAccountError):
        await pool.acquire("video")


async def test_quota_cools_down_until_the_reset_then_the_account_is_back(
    make_account: MakeAccount, pool_factory: PoolFactory, repo: AccountRepository
) -> None:
    account = await make_account()
    pool = await pool_factory()
    before = datetime.now(UTC)
    await pool.report_failure(account.id, QuotaExhaustedError("quota", resets_in_seconds=600))
    stored = await repo.get(account.id)
    assert stored.status == "active"  # never disabled for good
    assert stored.cooldown_until is not None
    assert (
        before + timedelta(seconds=599) <= stored.cooldown_until <= datetime.now(UTC) + timedelta(seconds=601)
    )
    assert stored.remaining_videos == 0 and stored.quota_resets_at == stored.cooldown_until
    with pytest.raises(NoAccountError):
        await pool.acquire("video")
    # the reset time passes: eligible again without anyone's help
    await pool.apply(await repo.update(account.id, cooldown_until=datetime.now(UTC) - timedelta(seconds=1)))
    (await pool.acquire("video")).release()


async def test_quota_without_a_reset_time_cools_down_an_hour(
    make_account: MakeAccount, pool_factory: PoolFactory, repo: AccountRepository
) -> None:
    account = await make_account()
    pool = await pool_factory()
    await pool.report_failure(account.id, QuotaExhaustedError("quota"))
    cooldown = (await repo.get(account.id)).cooldown_until
    assert cooldown is not None and cooldown - datetime.now(UTC) > timedelta(minutes=59)
    other = await make_account()
    await pool.report_failure(other.id, QuotaExhaustedError("slow down", code="upstream_rate_limited"))
    short = (await repo.get(other.id)).cooldown_until
    assert short is not None and short - datetime.now(UTC) < timedelta(minutes=2)


async def test_too_many_tasks_backs_off_videos_until_a_task_ends(
    make_account: MakeAccount, pool_factory: PoolFactory
) -> None:
    busy = await make_account(video_concurrency=3)
    pool = await pool_factory(concurrency_backoff=30, wait_timeout=0.1)
    lease = await pool.acquire("video")
    await pool.report_failure(busy.id, ConcurrencyLimitError("You already have 3 generations in progress"))
    with pytest.raises(PoolTimeoutError):  # limit 3, 1 in flight, but the upstream said it is full
        await pool.acquire("video")
    image = await pool.acquire("image")  # images are not counted upstream
    image.release()
    lease.release()  # one of its tasks ended: the backoff is over
    (await pool.acquire("video")).release()


async def test_the_backoff_also_ends_by_itself(make_account: MakeAccount, pool_factory: PoolFactory) -> None:
    busy = await make_account()
    pool = await pool_factory(concurrency_backoff=0.2, wait_timeout=2)
    await pool.report_failure(busy.id, ConcurrencyLimitError("full"))
    started = asyncio.get_running_loop().time()
    (await pool.acquire("video")).release()
    assert asyncio.get_running_loop().time() - started >= 0.15


async def test_consecutive_errors_reach_error_limit_but_load_and_bad_requests_do_not(
    make_account: MakeAccount, pool_factory: PoolFactory, repo: AccountRepository
) -> None:
    account = await make_account()
    pool = await pool_factory(error_limit=3)
    for error in (
        UpstreamOverloadError("We're under heavy load"),
        UpstreamRejectedError("bad body"),
        CloudflareChallengeError("challenge"),
        SentinelBlockError("blocked"),
    ):
        await pool.report_failure(account.id, error)
    stored = await repo.get(account.id)
    assert (stored.status, stored.consecutive_errors, stored.failure_count) == ("active", 2, 4)
    await pool.report_success(account.id)
    assert (await repo.get(account.id)).consecutive_errors == 0
    for _ in range(3):
        await pool.report_failure(account.id, CloudflareChallengeError("challenge"))
    stored = await repo.get(account.id)
    assert (stored.status, stored.disabled_reason) == ("disabled", "error_limit")
    assert stored.last_error == "challenge"


async def test_success_listeners_hear_the_kind(make_account: MakeAccount, pool_factory: PoolFactory) -> None:
    account = await make_account()
    pool = await pool_factory()
    heard: list[tuple[int, str | None]] = []
    pool.add_success_listener(lambda account_id, kind: heard.append((account_id, kind)))
    await pool.report_success(account.id, "video")
    await pool.report_success(account.id)
    assert heard == [(account.id, "video"), (account.id, None)]


async def test_failure_of_a_deleted_account_is_ignored(
    make_account: MakeAccount, pool_factory: PoolFactory, repo: AccountRepository
) -> None:
    account = await make_account()
    pool = await pool_factory()
    await repo.delete(account.id)
    await pool.report_failure(account.id, SentinelBlockError("blocked"))
    assert pool.record(account.id) is None
