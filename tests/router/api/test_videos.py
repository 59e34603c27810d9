"""The pure parts of the Videos API: tolerant parameters, byte ranges, polling hints, form nesting."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from router.api.videos.content import RangeNotSatisfiable, byte_range
from router.api.videos.forms import _put
from router.api.videos.objects import cached_name, poll_after_ms, video_object
from router.api.videos.params import Dimensions, parse_seconds, parse_size
from router.auth import config_owner_id
from router.errors import InvalidRequestError
from router.storage.tasks import TaskRecord

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def task(**changes: Any) -> TaskRecord:
    record = TaskRecord(
        id="video_" + "0" * 32,
        kind="video",
        model="sora-2",
        owner_key_id=1,
        account_id=1,
        status="queued",
        progress=0,
        upstream_task_id=None,
        generation_id=None,
        params={},
        result=None,
        error_code=None,
        error_message=None,
        idempotency_key=None,
        created_at=NOW,
        updated_at=NOW,
        completed_at=None,
    )
    return replace(record, **changes)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("4", 4),
        ("8", 8),
        (" 12 ", 12),
        (20, 20),
        (10.0, 10),
        ("15s", 15),
        ("8.0", 8),
        (None, None),
        ("", None),
    ],
)
def test_seconds_are_read_tolerantly(value: object, seconds: int | None) -> None:
    assert parse_seconds(value) == seconds


@pytest.mark.parametrize("value", ["eight", "0", "-4", "4.5", 4.5, True, "601", [8]])
def test_bad_seconds_are_a_400_on_seconds(value: object) -> None:
    with pytest.raises(InvalidRequestError) as info:
        parse_seconds(value)
    assert (info.value.param, info.value.code) == ("seconds", "invalid_seconds")


def test_sizes() -> None:
    assert parse_size("1280x720") == Dimensions(1280, 720)
    assert str(parse_size(" 720 X 1280 ")) == "720x1280"
    assert parse_size("1024×1792") == Dimensions(1024, 1792)
    assert parse_size(None) is None
    assert parse_size("auto", allow_auto=True) is None
    assert Dimensions(1792, 1024).orientation == "landscape"
    assert Dimensions(1024, 1024).orientation == "square"
    for bad in ("auto", "big", "0x720", "1280x", "99999x1", 1280):
        with pytest.raises(InvalidRequestError) as info:
            parse_size(bad)
        assert info.value.param == "size"


def test_byte_ranges() -> None:
    assert byte_range(None, 100) is None
    assert byte_range("bytes=0-9", 100) == (0, 9)
    assert byte_range("bytes=90-200", 100) == (90, 99)
    assert byte_range("bytes=90-", 100) == (90, 99)
    assert byte_range("bytes=-10", 100) == (90, 99)
    assert byte_range("bytes=5-9", None) == (5, 9)
    assert byte_range("bytes=5-", None) is None  # no length to place an open range: whole file
    assert byte_range("bytes=-5", None) is None
    assert byte_range("bytes=0-1,5-6", 100) is None  # multi-range: whole file
    assert byte_range("items=0-1", 100) is None
    for unsatisfiable in ("bytes=100-", "bytes=-0"):
        with pytest.raises(RangeNotSatisfiable):
            byte_range(unsatisfiable, 100)


def test_poll_after_follows_the_gateway_poll_interval_and_the_progress() -> None:
    assert poll_after_ms(task(status="queued"), poll_interval=2.5, now=NOW) == 5000
    assert poll_after_ms(task(status="completed", progress=100), poll_interval=2.5) is None
    halfway = task(status="in_progress", progress=50)
    # 80 s in at 50 %: about 80 s to go, look again in 10 s
    assert poll_after_ms(halfway, poll_interval=2.5, now=NOW + timedelta(seconds=80)) == 10000
    # never sooner than one poll interval, never later than ten
    assert poll_after_ms(halfway, poll_interval=2.5, now=NOW + timedelta(seconds=1)) == 2500
    assert poll_after_ms(halfway, poll_interval=2.5, now=NOW + timedelta(hours=1)) == 25000


def test_the_video_object_has_every_key_in_every_state() -> None:
    keys = {
        "id",
        "object",
        "model",
        "status",
        "progress",
        "created_at",
        "completed_at",
        "expires_at",
        "prompt",
        "size",
        "seconds",
        "remixed_from_video_id",
        "error",
    }
    cached = {"urls": ["https://gw.example/files/" + "a" * 32 + ".mp4"]}
    done = task(status="completed", progress=99, completed_at=NOW, result=cached, params={"seconds": "15"})
    failed = task(
        status="failed", completed_at=NOW, error_code="content_policy_violation", error_message="no"
    )
    for record in (task(), done, failed):
        assert set(video_object(record, cache_ttl_seconds=60)) == keys
    rendered = video_object(done, cache_ttl_seconds=60)
    assert (rendered["progress"], rendered["seconds"], rendered["size"]) == (100, "15", "720x1280")
    assert rendered["expires_at"] == int(NOW.timestamp()) + 60
    assert video_object(failed, cache_ttl_seconds=60)["error"] == {
        "code": "content_policy_violation",
        "message": "no",
    }
    assert cached_name("https://videos.example/a/b.mp4?sig=1") is None


def test_multipart_names_nest_like_the_sdk_writes_them() -> None:
    fields: dict[str, Any] = {}
    for name, value in [
        ("prompt", "p"),
        ("input_reference[image_url]", "data:x"),
        ("video[id]", "video_1"),
        ("image[]", "a"),
        ("image[]", "b"),
        ("tag", "1"),
        ("tag", "2"),
    ]:
        _put(fields, name, value)
    assert fields == {
        "prompt": "p",
        "input_reference": {"image_url": "data:x"},
        "video": {"id": "video_1"},
        "image": ["a", "b"],
        "tag": ["1", "2"],
    }


def test_config_keys_own_tasks_through_a_stable_negative_id() -> None:
    assert config_owner_id("sk-a") == config_owner_id("sk-a") < 0
    assert config_owner_id("sk-a") != config_owner_id("sk-b")
    assert config_owner_id("sk-a") >= -(2**31)
