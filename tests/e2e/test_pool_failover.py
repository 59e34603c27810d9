"""Failures handled by cause and told to the client by cause (official SDK → gateway → simulator).

The pool picks the least loaded account, ties by id, so the first account added is tried first.
"""

from __future__ import annotations

import time
from pathlib import Path

import openai
import pytest

from tests.fake_sora import FakeSora, FakeSoraServer, Timing
from tests.support.pool_gateway import accounts, add, cli, image, pool_gateway, sdk, video, wait_for


@pytest.fixture(autouse=True)
def _instant(sim: FakeSora) -> None:
    """Generations take milliseconds: these tests are about the pool, not progress."""
    sim.timing = Timing.instant()


def _creates(sim: FakeSora, path: str = "/nf/create") -> list[tuple[str | None, int | None]]:
    return [(r.account, r.status) for r in sim.requests_to(path, "POST")]


def test_401_takes_the_account_out_and_another_serves_the_request(
    tmp_path: Path, upstream: FakeSoraServer, sim: FakeSora
) -> None:
    with pool_gateway(tmp_path, upstream) as gateway, sdk(gateway) as client:
        add(gateway, sim.create_account("a@example.com", plan="chatgpt_plus"))
        add(gateway, sim.create_account("b@example.com", plan="chatgpt_plus"))
        sim.invalidate_access_tokens("a@example.com")
        video(client)
        assert _creates(sim) == [("a@example.com", 401), ("b@example.com", 200)]
        state = accounts(gateway)["a@example.com"]
        assert (state["status"], state["disabled_reason"]) == ("disabled", "token_invalid")
        assert "invalidated" in state["last_error"]
        image(client)  # straight to b now
        assert [r.account for r in sim.requests_to("/video_gen", "POST")] == ["b@example.com"]


def test_a_rejected_token_is_renewed_from_the_session_token_and_comes_back(
    tmp_path: Path, upstream: FakeSoraServer, sim: FakeSora
) -> None:
    with pool_gateway(tmp_path, upstream) as gateway, sdk(gateway) as client:
        a = sim.create_account("a@example.com", plan="chatgpt_plus")
        add(gateway, a, "--st", a.session_token)
        add(gateway, sim.create_account("b@example.com", plan="chatgpt_plus"))
        sim.invalidate_access_tokens("a@example.com")
        image(client)
        assert _creates(sim, "/video_gen") == [("a@example.com", 401), ("b@example.com", 200)]
        # the maintenance renews a's token from its session token, tests it and puts it back
        wait_for(lambda: accounts(gateway)["a@example.com"]["status"] == "active")
        state = accounts(gateway)["a@example.com"]
        assert state["last_refresh_result"] == "ok: renewed from the session token"
        assert cli(gateway, "tokens", "disable", "2")[0] == 0
        wait_for(lambda: sim.count("/api/auth/session") >= 1)
        time.sleep(0.5)  # the pool reloads the table
        image(client)
        assert _creates(sim, "/video_gen")[-1] == ("a@example.com", 200)


def test_too_many_concurrent_tasks_goes_elsewhere_and_backs_off(
    tmp_path: Path, upstream: FakeSoraServer, sim: FakeSora
) -> None:
    with (
        pool_gateway(tmp_path, upstream, pool={"concurrency_backoff": 2.0}) as gateway,
        sdk(gateway) as client,
    ):
        add(gateway, sim.create_account("a@example.com", plan="chatgpt_plus"))
        add(gateway, sim.create_account("b@example.com", plan="chatgpt_plus"))
        sim.faults.add("/nf/create", "too_many_concurrent", account="a@example.com")
        started = time.monotonic()
        video(client)
        assert _creates(sim) == [("a@example.com", 429), ("b@example.com", 200)]
        video(client)  # a said it is full: no new video there during the backoff
        assert _creates(sim)[-1] == ("b@example.com", 200)
        state = accounts(gateway)["a@example.com"]
        assert state["status"] == "active" and state["consecutive_errors"] == 0
        assert "generations in progress" in state["last_error"]
        time.sleep(max(0.0, 2.1 - (time.monotonic() - started)))  # the backoff ends by itself
        video(client)
        assert _creates(sim)[-1] == ("a@example.com", 200)


def test_quota_cools_the_account_down_until_the_reset_then_it_is_back(
    tmp_path: Path, upstream: FakeSoraServer, sim: FakeSora
) -> None:
    with pool_gateway(tmp_path, upstream) as gateway, sdk(gateway) as client:
        add(gateway, sim.create_account("a@example.com", plan="chatgpt_plus", access_resets_in_seconds=2))
        add(gateway, sim.create_account("b@example.com", plan="chatgpt_plus"))
        sim.faults.add("/video_gen", "quota", account="a@example.com")
        image(client)
        assert _creates(sim, "/video_gen") == [("a@example.com", 429), ("b@example.com", 200)]
        state = accounts(gateway)["a@example.com"]
        assert state["status"] == "active"  # not disabled for good, as the original did
        assert state["state"].startswith("cooling down until") and state["remaining_videos"] == 0
        assert cli(gateway, "tokens", "disable", "2")[0] == 0
        time.sleep(2.0)  # the reset time passes; the pool has reloaded b's state
        image(client)
        assert _creates(sim, "/video_gen")[-1] == ("a@example.com", 200)
        # when the cooldown ended, the maintenance read the quota again
        wait_for(lambda: accounts(gateway)["a@example.com"]["remaining_videos"] == 30)


def test_the_last_video_of_the_quota_starts_the_cooldown(
    tmp_path: Path, upstream: FakeSoraServer, sim: FakeSora
) -> None:
    with pool_gateway(tmp_path, upstream) as gateway, sdk(gateway) as client:
        add(
            gateway,
            sim.create_account("a@example.com", plan="chatgpt_plus", quota=1, access_resets_in_seconds=600),
        )
        add(gateway, sim.create_account("b@example.com", plan="chatgpt_plus"))
        video(client)
        assert _creates(sim) == [("a@example.com", 200)]
        # after each successful video the gateway reads the quota: none left → cooldown until the reset
        wait_for(lambda: accounts(gateway)["a@example.com"]["remaining_videos"] == 0)
        state = accounts(gateway)["a@example.com"]
        assert state["state"].startswith("cooling down until") and state["quota_resets_at"]
        video(client)
        assert _creates(sim) == [("a@example.com", 200), ("b@example.com", 200)]  # never a 429 on a


def test_sentinel_block_once_then_success_with_a_fresh_sentinel(
    tmp_path: Path, upstream: FakeSoraServer, sim: FakeSora
) -> None:
    with pool_gateway(tmp_path, upstream) as gateway, sdk(gateway) as client:
        add(gateway, sim.create_account("a@example.com", plan="chatgpt_plus"))
        sim.faults.add("/nf/create", "sentinel_block")
        video(client)
        creates = sim.requests_to("/nf/create", "POST")
        assert [(r.account, r.status) for r in creates] == [("a@example.com", 400), ("a@example.com", 200)]
        first, second = (r.sentinel for r in creates)
        assert first is not None and second is not None and first["c"] != second["c"]
        assert sim.count("/backend-api/sentinel/req", "POST") == 2
        state = accounts(gateway)["a@example.com"]
        assert (state["status"], state["failure_count"]) == ("active", 0)


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        ("cloudflare_403", 502, "cloudflare_challenge"),
        ("heavy_load", 503, "heavy_load"),
        ("sentinel_block", 502, "sentinel_block"),
        ("http_401", 502, "token_invalid"),
        ("too_many_concurrent", 429, "too_many_concurrent_tasks"),
        ("quota", 429, "quota_exhausted"),
    ],
)
def test_the_error_code_names_the_cause(
    tmp_path: Path, upstream: FakeSoraServer, sim: FakeSora, fault: str, status: int, code: str
) -> None:
    with pool_gateway(tmp_path, upstream) as gateway, sdk(gateway) as client:
        add(gateway, sim.create_account("only@example.com", plan="chatgpt_plus"))
        sim.faults.add("/video_gen", fault, times=None)
        for stream in (False, True):
            with pytest.raises(openai.APIError) as info:
                result = client.chat.completions.create(
                    model="gpt-image", messages=[{"role": "user", "content": "x"}], stream=stream
                )
                if stream:
                    list(result)  # type: ignore[arg-type]
            error = info.value
            assert error.code == code, error.message
            if isinstance(error, openai.APIStatusError):
                assert error.status_code == status
            if fault in ("http_401", "quota"):
                break  # the only account is out now
        assert "<html" not in info.value.message.lower()


def test_cloudflare_on_one_account_is_retried_on_another(
    tmp_path: Path, upstream: FakeSoraServer, sim: FakeSora
) -> None:
    with pool_gateway(tmp_path, upstream) as gateway, sdk(gateway) as client:
        add(gateway, sim.create_account("a@example.com", plan="chatgpt_plus"))
        add(gateway, sim.create_account("b@example.com", plan="chatgpt_plus"))
        sim.faults.add("/nf/create", "cloudflare_403", account="a@example.com")
        video(client)
        assert _creates(sim) == [("a@example.com", 403), ("b@example.com", 200)]
        assert accounts(gateway)["a@example.com"]["consecutive_errors"] == 1


def test_a_create_that_may_have_been_accepted_is_never_sent_twice(
    tmp_path: Path, upstream: FakeSoraServer, sim: FakeSora
) -> None:
    with (
        pool_gateway(tmp_path, upstream, upstream={"create_timeout": 0.5}) as gateway,
        sdk(gateway) as client,
    ):
        add(gateway, sim.create_account("a@example.com", plan="chatgpt_plus"))
        add(gateway, sim.create_account("b@example.com", plan="chatgpt_plus"))
        sim.faults.add("/nf/create", "slow", delay=1.0)
        with pytest.raises(openai.APIStatusError) as info:
            video(client)
        assert (info.value.status_code, info.value.code) == (504, "upstream_timeout")
        assert len(_creates(sim)) == 1
        sim.faults.add("/nf/create", "drop")
        with pytest.raises(openai.APIStatusError) as info:
            video(client)
        assert info.value.code == "upstream_disconnected"
        assert len(_creates(sim)) == 2
        # a 500 is a refusal: the job is resubmitted on the other account
        sim.faults.add("/nf/create", "server_error", account="a@example.com")
        video(client)
        assert [s for _, s in _creates(sim)][-2:] == [500, 200]


def test_consecutive_errors_take_the_account_out_and_a_retest_brings_it_back(
    tmp_path: Path, upstream: FakeSoraServer, sim: FakeSora
) -> None:
    with (
        pool_gateway(tmp_path, upstream, pool={"error_limit": 2, "retest_interval": 1.0}) as gateway,
        sdk(gateway) as client,
    ):
        add(gateway, sim.create_account("a@example.com", plan="chatgpt_plus"))
        add(gateway, sim.create_account("b@example.com", plan="chatgpt_plus"))
        sim.faults.add("/video_gen", "server_error", times=2, account="a@example.com")
        image(client)
        image(client)
        assert _creates(sim, "/video_gen") == [
            ("a@example.com", 500),
            ("b@example.com", 200),
            ("a@example.com", 500),
            ("b@example.com", 200),
        ]
        state = accounts(gateway)["a@example.com"]
        assert (state["status"], state["disabled_reason"]) == ("disabled", "error_limit")
        me_calls = sim.count("/me")
        wait_for(lambda: accounts(gateway)["a@example.com"]["status"] == "active", timeout=10)
        assert sim.count("/me") > me_calls  # re-tested upstream, not just switched back on
        assert accounts(gateway)["a@example.com"]["consecutive_errors"] == 0
