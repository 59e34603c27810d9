"""The four selection modes, over hand-made candidates."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from router.pool.selection import SELECTION_MODES, Candidate, Selector
from router.storage.accounts import AccountRecord

NOW = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)
BASE = AccountRecord(
    id=0,
    email="x@example.com",
    name=None,
    username=None,
    access_token="at",
    session_token=None,
    refresh_token=None,
    token_hash="h",
    client_id=None,
    proxy_url=None,
    remark=None,
    plan_type="chatgpt_plus",
    plan_title=None,
    subscription_end=None,
    sora2_supported=True,
    invite_code=None,
    remaining_videos=None,
    quota_resets_at=None,
    expires_at=None,
    image_enabled=True,
    video_enabled=True,
    image_concurrency=1,
    video_concurrency=3,
    total_concurrency=None,
    status="active",
    disabled_reason=None,
    cooldown_until=None,
    last_error=None,
    last_error_at=None,
    success_count=0,
    failure_count=0,
    consecutive_errors=0,
    last_used_at=None,
    created_at=NOW,
    updated_at=NOW,
)


def candidate(account_id: int, used: int = 0, limit: int = 3, **fields: object) -> Candidate:
    return Candidate(record=replace(BASE, id=account_id, **fields), used=used, limit=limit)  # type: ignore[arg-type]


def test_least_loaded_takes_the_lowest_share_then_the_least_recently_used() -> None:
    selector = Selector("least_loaded")
    picked = selector.pick(
        [candidate(1, used=2), candidate(2, used=1, limit=4), candidate(3, used=1)], "video"
    )
    assert picked.record.id == 2  # 1/4 < 1/3 < 2/3
    older = Candidate(record=replace(BASE, id=5), used=0, limit=3, last_used=1.0)
    newer = Candidate(record=replace(BASE, id=4), used=0, limit=3, last_used=2.0)
    assert selector.pick([newer, older], "video").record.id == 5


def test_round_robin_goes_in_turn_per_kind_and_skips_absent_accounts() -> None:
    selector = Selector("round_robin")
    free = [candidate(3), candidate(1), candidate(2)]
    assert [selector.pick(free, "video").record.id for _ in range(4)] == [1, 2, 3, 1]
    assert selector.pick(free, "image").record.id == 1  # its own cursor
    assert selector.pick([candidate(1), candidate(3)], "video").record.id == 3  # 2 is busy: next in turn


def test_random_spreads_over_every_free_account() -> None:
    selector = Selector("random", rng=random.Random(4))
    picks = {selector.pick([candidate(1), candidate(2), candidate(3)], "video").record.id for _ in range(60)}
    assert picks == {1, 2, 3}


def test_quota_aware_spends_the_quota_that_resets_soonest() -> None:
    selector = Selector("quota_aware")
    soon = candidate(1, used=2, quota_resets_at=NOW + timedelta(hours=1))
    later = candidate(2, quota_resets_at=NOW + timedelta(hours=9))
    unknown = candidate(3)
    assert selector.pick([unknown, later, soon], "video").record.id == 1
    assert selector.pick([unknown, later], "video").record.id == 2
    # images use no video quota: least loaded
    assert selector.pick([soon, later], "image").record.id == 2


def test_unknown_mode_and_empty_choice_are_refused() -> None:
    assert set(SELECTION_MODES) == {"round_robin", "random", "least_loaded", "quota_aware"}
    with pytest.raises(ValueError, match="unknown selection mode"):
        Selector("busiest")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Selector().pick([], "video")
