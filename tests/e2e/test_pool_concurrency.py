"""Many parallel requests over few accounts: no account ever runs more than its limit (the simulator
counts), waiting requests are served as slots free up, and a full pool answers pool_timeout."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openai

from tests.fake_sora import FakeSora, FakeSoraServer, Timing
from tests.support.pool_gateway import add, image, pool_gateway, sdk, settle, video

EMAILS = ("a@example.com", "b@example.com", "c@example.com")


def test_parallel_videos_never_exceed_any_accounts_limit(
    tmp_path: Path, upstream: FakeSoraServer, sim: FakeSora
) -> None:
    with pool_gateway(tmp_path, upstream, pool={"wait_timeout": 30}) as gateway, sdk(gateway) as client:
        for email, limit in zip(EMAILS, ("2", "1", "2"), strict=True):
            add(gateway, sim.create_account(email, plan="chatgpt_plus"), "--video-concurrency", limit)
        with ThreadPoolExecutor(max_workers=15) as workers:
            results = list(workers.map(lambda i: video(client, f"clip {i}"), range(15)))
    assert len(results) == 15
    # 5 slots for 15 requests: two thirds of them waited for a slot and were served when one freed
    assert sim.peak_concurrency("a@example.com") == 2
    assert sim.peak_concurrency("b@example.com") == 1
    assert sim.peak_concurrency("c@example.com") == 2
    assert sim.create_count(kind="video") == 15  # nothing created twice
    assert all(r.status == 200 for r in sim.requests_to("/nf/create", "POST"))  # never a 429


def test_parallel_images_respect_the_image_limit_and_the_total_cap(
    tmp_path: Path, upstream: FakeSoraServer, sim: FakeSora
) -> None:
    with pool_gateway(tmp_path, upstream, pool={"wait_timeout": 30}) as gateway, sdk(gateway) as client:
        add(gateway, sim.create_account("a@example.com", plan="chatgpt_plus"), "--image-concurrency", "1")
        add(
            gateway,
            sim.create_account("b@example.com", plan="chatgpt_plus"),
            "--image-concurrency",
            "3",
            "--total-concurrency",
            "2",
        )
        with ThreadPoolExecutor(max_workers=12) as workers:
            results = list(workers.map(lambda i: image(client, f"apple {i}"), range(12)))
    assert len(results) == 12
    assert sim.peak_concurrency("a@example.com", "image") == 1
    assert sim.peak_concurrency("b@example.com", "image") == 2  # the total cap, not the image limit
    assert sim.create_count(kind="image") == 12


def test_a_full_pool_answers_pool_timeout_after_the_deadline(
    tmp_path: Path, upstream: FakeSoraServer, sim: FakeSora
) -> None:
    with pool_gateway(tmp_path, upstream, pool={"wait_timeout": 0.3}) as gateway, sdk(gateway) as client:
        add(gateway, sim.create_account("a@example.com", plan="chatgpt_plus"), "--video-concurrency", "1")

        def attempt(i: int) -> str:
            try:
                video(client, f"clip {i}")
            except openai.APIStatusError as exc:
                return f"{exc.status_code} {exc.code}"
            return "ok"

        with ThreadPoolExecutor(max_workers=2) as workers:
            outcomes = sorted(workers.map(attempt, range(2)))
    assert outcomes == ["503 pool_timeout", "ok"]
    assert sim.create_count() == 1


def test_round_robin_from_the_configuration(tmp_path: Path, upstream: FakeSoraServer, sim: FakeSora) -> None:
    sim.timing = Timing.instant()
    with (
        pool_gateway(tmp_path, upstream, pool={"selection": "round_robin"}) as gateway,
        sdk(gateway) as client,
    ):
        for email in EMAILS:
            add(gateway, sim.create_account(email, plan="chatgpt_plus"))
        settle(gateway)
        for i in range(4):
            image(client, f"pear {i}")
    assert [r.account for r in sim.requests_to("/video_gen", "POST")] == [*EMAILS, EMAILS[0]]


def test_quota_aware_spends_the_quota_that_resets_first(
    tmp_path: Path, upstream: FakeSoraServer, sim: FakeSora
) -> None:
    sim.timing = Timing.instant()
    with (
        pool_gateway(tmp_path, upstream, pool={"selection": "quota_aware"}) as gateway,
        sdk(gateway) as client,
    ):
        add(
            gateway,
            sim.create_account("late@example.com", plan="chatgpt_plus", access_resets_in_seconds=7200),
        )
        add(
            gateway, sim.create_account("soon@example.com", plan="chatgpt_plus", access_resets_in_seconds=600)
        )
        settle(gateway)
        video(client)
        video(client)
    assert [r.account for r in sim.requests_to("/nf/create", "POST")] == ["soon@example.com"] * 2
