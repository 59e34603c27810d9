"""Reconciling an interrupted submission: which upstream task is ours, and when to give up and resubmit."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from router.errors import NoAccountError, UpstreamBadResponseError
from router.sora.client import SoraSession
from router.storage.tasks import TaskRecord
from router.tasks.recovery import (
    CLOCK_SKEW,
    Candidate,
    Claim,
    SubmitRecovery,
    interrupted_submit,
    job_prompt,
    match,
    video_candidates,
)

T0 = 1_700_000_000.0


def _claim(task_id: str, since: float = T0, prompt: str | None = "a cat") -> Claim:
    return Claim(task_id, "video", since, prompt)


def test_the_oldest_unknown_task_created_after_the_marker_with_the_prompt_is_ours() -> None:
    candidates = [
        Candidate("task_before", T0 - CLOCK_SKEW - 1, "a cat"),  # older than the marker
        Candidate("task_known", T0 + 1, "a cat"),  # another task of ours holds it
        Candidate("task_other_prompt", T0 + 1, "a dog"),
        Candidate("task_ours", T0 + 2, "a cat"),
        Candidate("task_later", T0 + 3, "a cat"),
    ]
    assert match([_claim("video_1")], candidates, {"task_known"}) == {"video_1": "task_ours"}


def test_two_claims_take_two_tasks_in_order() -> None:
    candidates = [Candidate("task_b", T0 + 5, "a cat"), Candidate("task_a", T0 + 1, "a cat")]
    claims = [_claim("video_2", T0 + 4), _claim("video_1", T0)]
    assert match(claims, candidates, set()) == {"video_1": "task_a", "video_2": "task_b"}


def test_without_created_at_only_the_prompt_can_tell_and_without_both_nothing_fits() -> None:
    assert match([_claim("v")], [Candidate("t", None, "a cat")], set()) == {"v": "t"}
    assert match([_claim("v", prompt=None)], [Candidate("t", None, "a cat")], set()) == {}
    assert match([_claim("v", prompt=None)], [Candidate("t", T0 + 1, None)], set()) == {"v": "t"}


def test_created_at_may_be_epoch_seconds_or_iso_text() -> None:
    pending = [
        {"id": "t1", "created_at": T0 + 1},
        {"id": "t2", "created_at": "2023-11-14T22:13:21Z"},
        {"id": "t3", "created_at": "not a time"},
    ]
    assert [c.created_at for c in video_candidates(pending, [])] == [T0 + 1, T0 + 1, None]


def test_job_prompt_reads_the_upstream_body_or_the_params() -> None:
    assert job_prompt({"body": {"prompt": "a cat"}}) == "a cat"
    assert job_prompt({"body": {"user_prompt": "more"}}) == "more"
    assert job_prompt({"prompt": "an image"}) == "an image"
    assert job_prompt({"body": {"prompt": ""}}) is None


def _record(*, started: datetime | None, upstream: str | None = None, kind: str = "video") -> TaskRecord:
    now = datetime.now(UTC)
    return TaskRecord(
        id=f"{kind}_1",
        kind=kind,  # type: ignore[arg-type]
        model="m",
        owner_key_id=None,
        account_id=7,
        status="queued",
        progress=0,
        upstream_task_id=upstream,
        generation_id=None,
        params={"body": {"prompt": "a cat"}, "prompt": "a cat"},
        result=None,
        error_code=None,
        error_message=None,
        idempotency_key=None,
        created_at=now,
        updated_at=now,
        completed_at=None,
        submit_started_at=started,
    )


def test_interrupted_submit() -> None:
    now = datetime.now(UTC)
    assert interrupted_submit(_record(started=now))
    assert not interrupted_submit(_record(started=now, upstream="task_1"))
    assert not interrupted_submit(_record(started=None))


class Lists:
    """An account's upstream lists; ``appear`` adds a task after some listings (a create still in flight)."""

    def __init__(self, *, appear_after: int = 0, errors: int = 0, created: float | None = None) -> None:
        self.appear_after = appear_after
        self.errors = errors
        self.created = created if created is not None else time.time() + 1
        self.listings = 0

    async def pending(self) -> list[dict[str, Any]]:
        self.listings += 1
        if self.errors:
            self.errors -= 1
            raise UpstreamBadResponseError("Sora failed with HTTP 500")
        if self.listings <= self.appear_after:
            return []
        return [{"id": "task_new", "status": "queued", "created_at": self.created, "prompt": "a cat"}]

    async def drafts(self, limit: int = 15) -> list[dict[str, Any]]:
        return [{"task_id": "task_old", "id": "gen_1", "created_at": self.created - 600, "prompt": "a cat"}]

    async def recent_tasks(self, limit: int = 20) -> list[dict[str, Any]]:
        return [{"id": "img_task", "created_at": self.created, "prompt": "a cat", "status": "processing"}]


async def _nothing_known(ids: Collection[str]) -> set[str]:
    return set()


def _recovery(lists: Lists, grace: float) -> SubmitRecovery:
    return SubmitRecovery(
        lambda account_id: cast(SoraSession, lists), _nothing_known, interval=0.01, grace=grace
    )


async def test_a_task_that_appears_within_the_grace_is_adopted() -> None:
    lists = Lists(appear_after=3, errors=1)
    recovery = _recovery(lists, grace=5)
    assert await recovery.find(_record(started=datetime.now(UTC))) == "task_new"
    assert lists.listings == 4


async def test_images_are_looked_up_in_the_recent_tasks() -> None:
    recovery = _recovery(Lists(), grace=5)
    assert await recovery.find(_record(started=datetime.now(UTC), kind="image")) == "img_task"


async def test_nothing_upstream_after_the_grace_means_submit_again() -> None:
    lists = Lists(appear_after=10**6)
    recovery = _recovery(lists, grace=0.1)
    started = asyncio.get_running_loop().time()
    assert await recovery.find(_record(started=datetime.now(UTC))) is None
    assert asyncio.get_running_loop().time() - started >= 0.09
    # a marker older than the grace: one listing decides
    lists.listings = 0
    assert await recovery.find(_record(started=datetime.now(UTC) - timedelta(seconds=1))) is None
    assert lists.listings == 1
    await recovery.close()


async def test_an_account_that_left_the_pool_means_submit_again() -> None:
    def gone(account_id: int) -> SoraSession:
        raise NoAccountError(f"account {account_id} is no longer in the pool")

    recovery = SubmitRecovery(gone, _nothing_known, interval=0.01, grace=60)
    assert await recovery.find(_record(started=datetime.now(UTC))) is None


async def test_lists_that_keep_failing_past_the_grace_fail_the_task(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("router.tasks.recovery.FAILURE_GRACE", 0.05)
    recovery = _recovery(Lists(errors=10**6), grace=0.05)
    with pytest.raises(UpstreamBadResponseError):
        await recovery.find(_record(started=datetime.now(UTC)))
