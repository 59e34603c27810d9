"""The poller's error handling: failed polls are retried, a dead token is reported once per streak,
and polls that keep failing end the tasks with the upstream's error instead of the generation timeout."""

from __future__ import annotations

from typing import Any, cast

import pytest

from router.errors import UpstreamAuthError, UpstreamBadResponseError, UpstreamError
from router.sora.client import SoraSession
from router.tasks.poller import AccountPoller


class FlakySession:
    """``pending()`` raises the queued errors, then reports the task done via the drafts."""

    def __init__(self, errors: list[UpstreamError]) -> None:
        self.errors = errors
        self.polls = 0

    async def pending(self) -> list[dict[str, Any]]:
        self.polls += 1
        if self.errors:
            raise self.errors.pop(0)
        return []

    async def drafts(self, limit: int = 15) -> list[dict[str, Any]]:
        return [{"task_id": "task_1", "id": "gen_1", "downloadable_url": "https://cdn.test/v.mp4"}]


async def _nothing(percent: int, status: str) -> None:
    return None


async def test_failed_polls_are_retried_and_a_dead_token_reported_once() -> None:
    session = FlakySession([UpstreamAuthError("token rejected"), UpstreamAuthError("token rejected")])
    reported: list[UpstreamError] = []

    async def report(exc: UpstreamError) -> None:
        reported.append(exc)

    poller = AccountPoller(lambda: cast(SoraSession, session), 0.01, on_auth_error=report)
    outcome = await poller.watch("task_1", "video", timeout=5, on_progress=_nothing)
    assert outcome.urls == ("https://cdn.test/v.mp4",)
    assert session.polls == 3
    assert [e.message for e in reported] == ["token rejected"]


async def test_polls_failing_past_the_grace_end_the_task_with_the_error() -> None:
    session = FlakySession([UpstreamBadResponseError("Sora failed with HTTP 500")] * 1000)
    poller = AccountPoller(lambda: cast(SoraSession, session), 0.01, failure_grace=0.1)
    with pytest.raises(UpstreamBadResponseError, match="HTTP 500"):
        await poller.watch("task_1", "video", timeout=30, on_progress=_nothing)
    assert 5 <= session.polls < 100
    await poller.close()
