"""Fault injection (§6.2, §15.6, §15.7)."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.fake_sora import FakeSora

from .conftest import error_of, message_of
from .spec_client import SpecClient


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("http_401", 401, "token_invalidated"),
        ("sentinel_block", 400, "sentinel_block"),
        ("invalid_request", 400, "invalid_request"),
        ("too_many_concurrent", 429, "too_many_concurrent_tasks"),
        ("quota", 429, "rate_limit_exhausted"),
        ("heavy_load", 503, "heavy_load"),
        ("server_error", 500, None),
    ],
)
def test_request_faults_fire_once(
    alice: SpecClient, sim: FakeSora, kind: str, status: int, code: str | None
) -> None:
    sim.faults.add("/nf/create", kind)
    failed = alice.create_video()
    assert failed.status_code == status
    assert error_of(failed)["code"] == code
    assert sim.requests_to("/nf/create")[-1].fault == kind
    assert alice.create_video().status_code == 200
    assert sim.create_count() == 1


def test_canned_messages(alice: SpecClient, sim: FakeSora) -> None:
    sim.faults.add("/nf/create", "heavy_load")
    sim.faults.add("/nf/create", "invalid_request")
    sim.faults.add("/nf/create", "sentinel_block")
    assert error_of(alice.create_video())["message"] == "We're under heavy load, please try again later"
    assert error_of(alice.create_video())["message"] == "Unable to process request"
    assert message_of(alice.create_video()).startswith("Hmmm something didn't look right")
    assert sim.violations == []


def test_cloudflare_page(alice: SpecClient, sim: FakeSora) -> None:
    sim.faults.add("/nf/pending/v2", "cloudflare_403")
    response = alice.get("/nf/pending/v2")
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "Just a moment..." in response.text


def test_quota_fault_carries_the_balance(alice: SpecClient, sim: FakeSora) -> None:
    sim.faults.add("/nf/create", "quota")
    body = alice.create_video().json()
    assert body["rate_limit_and_credit_balance"]["rate_limit_reached"] is True


def test_times_method_and_account_targeting(alice: SpecClient, http: httpx.Client, sim: FakeSora) -> None:
    bob_creds = sim.create_account("bob@example.com")
    bob = SpecClient(http, bob_creds.access_token)
    sim.faults.add("/nf/pending/v2", "server_error", times=2, account="bob@example.com", method="GET")
    assert alice.get("/nf/pending/v2").status_code == 200
    assert [bob.get("/nf/pending/v2").status_code for _ in range(3)] == [500, 500, 200]
    sim.faults.add("*/profile/drafts*", "heavy_load", times=None)
    assert [alice.get("/project_y/profile/drafts?limit=15").status_code for _ in range(3)] == [503] * 3
    assert len(sim.faults.pending()) == 1
    sim.faults.clear()
    assert alice.get("/project_y/profile/drafts?limit=15").status_code == 200


def test_slow(alice: SpecClient, sim: FakeSora) -> None:
    sim.faults.add("/nf/pending/v2", "slow", delay=0.3)
    started = time.monotonic()
    assert alice.get("/nf/pending/v2").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_drop_cuts_the_connection(alice: SpecClient, sim: FakeSora) -> None:
    sim.faults.add("/nf/create", "drop")
    with pytest.raises(httpx.RemoteProtocolError):
        alice.create_video()
    assert alice.create_video().status_code == 200


def test_content_violation(alice: SpecClient, sim: FakeSora) -> None:
    sim.faults.add("/nf/create", "content_violation")
    _, draft = alice.wait_video(alice.create_video().json()["id"])
    assert draft["kind"] == "sora_content_violation"
    assert draft["reason_str"] and draft["markdown_reason_str"]
    assert draft["url"] is None and draft["downloadable_url"] is None
    assert sim.account("alice@example.com").quota == 30


def test_no_url_draft(alice: SpecClient, sim: FakeSora) -> None:
    sim.faults.add("/nf/create", "no_url")
    _, draft = alice.wait_video(alice.create_video().json()["id"])
    assert draft["kind"] == "sora_draft" and draft["url"] is None and draft["downloadable_url"] is None


def test_pending_failed(alice: SpecClient, sim: FakeSora) -> None:
    sim.faults.add("/nf/create", "pending_failed", message="upstream exploded")
    pending, draft = alice.wait_video(alice.create_video().json()["id"])
    assert pending and all(item["status"] == "failed" for item in pending)
    assert pending[0]["failure_reason"] == "upstream exploded"
    assert draft["reason_str"] == "upstream exploded" and draft["downloadable_url"] is None


def test_stuck_and_missing_draft(alice: SpecClient, sim: FakeSora) -> None:
    sim.faults.add("/nf/create", "stuck")
    sim.faults.add("/nf/create", "missing_draft")
    stuck = alice.create_video().json()["id"]
    missing = alice.create_video().json()["id"]
    time.sleep(sim.timing.video_total_s * 3)
    assert [item["id"] for item in alice.pending()] == [stuck]
    assert missing not in [item["task_id"] for item in alice.drafts()]
    assert sim.video_task(missing).finished
    assert sim.active_videos("alice@example.com") == 1


def test_unknown_fault_kind(sim: FakeSora) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        sim.faults.add("/nf/create", "meteor")
