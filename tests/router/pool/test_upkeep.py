"""Renewal, test and quota reading against the in-process simulator, and the maintenance jobs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from router.config import PoolSettings, SentinelSettings, UpstreamSettings
from router.pool.maintenance import PoolMaintenance, next_job, renewal_due
from router.pool.pool import AccountPool
from router.pool.upkeep import AccountUpkeep
from router.sora.client import SoraTransport
from router.sora.jwt import decode_access_token
from router.storage.accounts import AccountRecord, AccountRepository
from tests.fake_sora import Credentials, FakeSora, Timing, create_app

from .conftest import MakeAccount

BASE = "http://sim.test"


@pytest.fixture
def sim() -> FakeSora:
    return FakeSora(timing=Timing.instant())


@pytest.fixture
async def transport(sim: FakeSora) -> AsyncIterator[SoraTransport]:
    settings = UpstreamSettings(sora_backend=f"{BASE}/backend", sora_web=BASE, chatgpt=BASE, openai_auth=BASE)
    async with SoraTransport(
        settings,
        transport=httpx.ASGITransport(app=create_app(sim)),
        sentinel_settings=SentinelSettings(cache_ttl=0),
    ) as sora:
        yield sora


@pytest.fixture
def upkeep(repo: AccountRepository, transport: SoraTransport) -> AccountUpkeep:
    return AccountUpkeep(repo, transport)


AddSim = Callable[..., Awaitable[tuple[AccountRecord, Credentials]]]


@pytest.fixture
def add_sim(sim: FakeSora, make_account: MakeAccount) -> AddSim:
    """A simulated account stored with an access token of ``ttl_s`` and the given extra tokens."""

    async def add(
        email: str, *, ttl_s: int | None = None, st: bool = False, rt: bool = False, **fields: object
    ) -> tuple[AccountRecord, Credentials]:
        creds = sim.create_account(email, plan="chatgpt_plus", quota=5)
        access_token = sim.issue_access_token(email, ttl_s) if ttl_s is not None else creds.access_token
        record = await make_account(
            email=email,
            access_token=access_token,
            expires_at=decode_access_token(access_token).expires_at,
            session_token=creds.session_token if st else None,
            refresh_token=creds.refresh_token if rt else None,
            client_id=creds.client_id if rt else None,
            **fields,
        )
        return record, creds

    return add


async def test_renew_from_the_session_token(add_sim: AddSim, upkeep: AccountUpkeep, sim: FakeSora) -> None:
    record, _ = await add_sim("st@example.com", ttl_s=120, st=True)
    result = await upkeep.renew(record)
    assert result.ok, result.message
    renewed = result.record
    assert renewed.access_token != record.access_token
    assert renewed.expires_at is not None and record.expires_at is not None
    assert renewed.expires_at > record.expires_at + timedelta(days=1)
    assert renewed.last_refresh_result == "ok: renewed from the session token"
    assert renewed.last_refresh_at is not None
    assert sim.count("/api/auth/session", "GET") == 1 and sim.count("/oauth/token") == 0


async def test_renew_from_the_refresh_token_stores_the_rotated_one(
    add_sim: AddSim, upkeep: AccountUpkeep, sim: FakeSora
) -> None:
    record, creds = await add_sim("rt@example.com", ttl_s=120, rt=True)
    first = await upkeep.renew(record)
    assert first.ok and first.record.last_refresh_result == "ok: renewed from the refresh token"
    rotated = first.record.refresh_token
    assert rotated and rotated != creds.refresh_token
    assert sim.account("rt@example.com").refresh_token == rotated
    second = await upkeep.renew(first.record)  # works only with the rotated token
    assert second.ok, second.message
    assert second.record.refresh_token not in (rotated, creds.refresh_token)


async def test_a_failed_renewal_is_recorded_and_an_expired_token_marks_the_account_expired(
    add_sim: AddSim, upkeep: AccountUpkeep, repo: AccountRepository
) -> None:
    record, _ = await add_sim("dead@example.com", ttl_s=-10)
    record = await repo.update(record.id, session_token="not-a-session", refresh_token="rt_spent")
    result = await upkeep.renew(record)
    assert not result.ok
    assert "session token" in result.message and "refresh token" in result.message
    stored = result.record
    assert stored.last_refresh_result is not None and stored.last_refresh_result.startswith("failed: ")
    assert (stored.status, stored.disabled_reason) == ("disabled", "expired")
    assert stored.last_error is not None and "could not be renewed" in stored.last_error
    assert "not-a-session" not in (stored.last_error + stored.last_refresh_result)


async def test_renewal_without_tokens_to_renew_with(add_sim: AddSim, upkeep: AccountUpkeep) -> None:
    record, _ = await add_sim("bare@example.com")
    result = await upkeep.renew(record)
    assert not result.ok and "no session or refresh token" in result.message
    assert result.record.status == "active"  # the token is still good


async def test_test_revives_a_healthy_account_and_reads_its_plan_and_quota(
    add_sim: AddSim, upkeep: AccountUpkeep, repo: AccountRepository
) -> None:
    record, _ = await add_sim("ok@example.com", plan_type=None)
    record = await repo.update(
        record.id, status="disabled", disabled_reason="error_limit", consecutive_errors=3
    )
    result = await upkeep.test(record)
    assert result.ok and "re-enabled" in result.message
    assert (result.record.status, result.record.consecutive_errors) == ("active", 0)
    assert (result.record.plan_type, result.record.remaining_videos) == ("chatgpt_plus", 5)
    manual = await repo.update(record.id, status="disabled", disabled_reason="manual")
    assert (await upkeep.test(manual)).record.status == "disabled"  # an operator's decision stays


async def test_test_renews_a_rejected_token_when_it_can(
    add_sim: AddSim, upkeep: AccountUpkeep, sim: FakeSora
) -> None:
    with_st, _ = await add_sim("renewable@example.com", st=True)
    without, _ = await add_sim("lost@example.com")
    sim.invalidate_access_tokens("renewable@example.com")
    sim.invalidate_access_tokens("lost@example.com")
    healed = await upkeep.test(with_st)
    assert healed.ok and healed.record.access_token != with_st.access_token
    dead = await upkeep.test(without)
    assert not dead.ok
    assert (dead.record.status, dead.record.disabled_reason) == ("disabled", "token_invalid")


async def test_quota_check_cools_down_an_account_with_no_videos_left(
    add_sim: AddSim, upkeep: AccountUpkeep, sim: FakeSora
) -> None:
    record, _ = await add_sim("empty@example.com")
    sim.set_quota("empty@example.com", 0, resets_in=900)
    result = await upkeep.check_quota(record)
    assert result.ok and result.record.remaining_videos == 0
    assert result.record.cooldown_until is not None
    assert timedelta(seconds=890) < result.record.cooldown_until - datetime.now(UTC) <= timedelta(seconds=900)
    sim.set_quota("empty@example.com", 4, resets_in=0)
    back = await upkeep.check_quota(result.record)
    assert (back.record.remaining_videos, back.record.cooldown_until) == (4, None)


def test_renewal_is_due_ahead_of_expiry_and_once_per_rejection(sim: FakeSora) -> None:
    settings = PoolSettings(refresh_ahead=3600, retest_interval=600)
    now = datetime.now(UTC)
    creds = sim.create_account("due@example.com")
    token = sim.issue_access_token("due@example.com", 1800)
    record = _record(token, session_token=creds.session_token)
    assert renewal_due(record, settings, now)
    assert not renewal_due(replace(record, session_token=None), settings, now)
    assert renewal_due(replace(record, session_token=None, refresh_token="rt"), settings, now)
    far = sim.issue_access_token("due@example.com", 7200)
    assert not renewal_due(_record(far, session_token="st"), settings, now)
    # a short-lived token this gateway just obtained is kept for half its life
    mine = replace(record, last_refresh_at=now, last_refresh_result="ok: renewed from the session token")
    assert not renewal_due(mine, settings, now + timedelta(seconds=60))
    assert renewal_due(mine, settings, now + timedelta(seconds=901))
    failed = replace(record, last_refresh_at=now - timedelta(seconds=60), last_refresh_result="failed: x")
    assert not renewal_due(failed, settings, now)
    assert renewal_due(failed, settings, now + timedelta(seconds=600))
    rejected = replace(
        _record(far, session_token="st"),
        status="disabled",
        disabled_reason="token_invalid",
        last_error_at=now,
    )
    assert renewal_due(rejected, settings, now)
    assert not renewal_due(replace(rejected, last_refresh_at=now + timedelta(seconds=1)), settings, now)
    # renewed, then the new token was rejected too: not again before retest_interval
    again = replace(rejected, last_refresh_at=now - timedelta(seconds=5), last_error_at=now)
    assert not renewal_due(again, settings, now)
    assert renewal_due(again, settings, now + timedelta(seconds=600))


def test_next_job(sim: FakeSora) -> None:
    settings = PoolSettings(retest_interval=600)
    now = datetime.now(UTC)
    sim.create_account("jobs@example.com")
    token = sim.issue_access_token("jobs@example.com", 10 * 24 * 3600)
    healthy = _record(token)
    assert next_job(healthy, settings, now) is None
    assert next_job(replace(healthy, expires_at=now - timedelta(seconds=1)), settings, now) == "expire"
    limited = replace(healthy, status="disabled", disabled_reason="error_limit", last_error_at=now)
    assert next_job(limited, settings, now) is None
    assert next_job(limited, settings, now + timedelta(seconds=601)) == "retest"
    assert next_job(replace(healthy, cooldown_until=now - timedelta(seconds=1)), settings, now) == "quota"
    assert next_job(replace(healthy, cooldown_until=now + timedelta(seconds=9)), settings, now) is None
    manual = replace(healthy, status="disabled", disabled_reason="manual", expires_at=now)
    assert next_job(manual, settings, now) is None


async def test_maintenance_renews_retests_and_expires_in_one_run(
    add_sim: AddSim, upkeep: AccountUpkeep, repo: AccountRepository, sim: FakeSora
) -> None:
    expiring, _ = await add_sim("expiring@example.com", ttl_s=60, st=True)
    limited, _ = await add_sim("limited@example.com")
    await repo.update(
        limited.id,
        status="disabled",
        disabled_reason="error_limit",
        last_error_at=datetime.now(UTC) - timedelta(hours=1),
    )
    gone, _ = await add_sim("gone@example.com", ttl_s=-5)
    settings = PoolSettings(refresh_ahead=3600, retest_interval=600, maintenance_interval=3600)
    pool = AccountPool(repo, settings)
    await pool.start()
    maintenance = PoolMaintenance(pool, upkeep, settings)
    try:
        results = await maintenance.run_once()
        assert results[expiring.id].ok and "session token" in results[expiring.id].message
        assert results[limited.id].ok
        assert not results[gone.id].ok
        states = {r.id: (r.status, r.disabled_reason) for r in pool.accounts()}
        assert states == {
            expiring.id: ("active", None),
            limited.id: ("active", None),
            gone.id: ("disabled", "expired"),
        }
        renewed = pool.record(expiring.id)
        assert renewed is not None and renewed.access_token != expiring.access_token
        assert await maintenance.run_once() == {}  # nothing is due any more
    finally:
        await maintenance.close()
        await pool.close()


async def test_a_successful_video_reads_the_quota(
    add_sim: AddSim, upkeep: AccountUpkeep, repo: AccountRepository, sim: FakeSora
) -> None:
    record, _ = await add_sim("last@example.com")
    sim.set_quota("last@example.com", 0, resets_in=120)
    settings = PoolSettings(maintenance_interval=3600)
    pool = AccountPool(repo, settings)
    await pool.start()
    maintenance = PoolMaintenance(pool, upkeep, settings)
    await maintenance.start()
    try:
        await pool.report_success(record.id, "image")
        await asyncio.sleep(0.05)
        assert sim.count("/nf/check") == 0  # images use no video quota
        await pool.report_success(record.id, "video")
        for _ in range(100):
            current = pool.record(record.id)
            if current is not None and current.cooldown_until is not None:
                break
            await asyncio.sleep(0.02)
        current = pool.record(record.id)
        assert current is not None and current.remaining_videos == 0 and current.cooldown_until is not None
        assert sim.count("/nf/check") == 1
    finally:
        await maintenance.close()
        await pool.close()


def _record(access_token: str, **fields: object) -> AccountRecord:
    from tests.router.pool.test_selection import BASE as TEMPLATE

    expires = decode_access_token(access_token).expires_at
    return replace(TEMPLATE, access_token=access_token, expires_at=expires, **fields)  # type: ignore[arg-type]
