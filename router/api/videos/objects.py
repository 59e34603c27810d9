"""The Videos API's objects, rendered from stored tasks with every key OpenAI's spec lists.

``VideoResource`` requires all of its keys (values may be null), so each is always present:
``id, object, model, status, progress, created_at, completed_at, expires_at, prompt, size,
seconds, remixed_from_video_id, error``. ``model`` and ``prompt`` are what the client sent;
``seconds`` and ``size`` are the effective values the model plugin chose (see ``params``).
``expires_at`` is known only for results kept in the gateway's cache (``cache.ttl_seconds``
after completion); upstream links expire on Sora's schedule, which it does not announce.

``openai-poll-after-ms`` (see :func:`poll_after_ms`) tells polling clients when the next look is
worth it; the official SDKs' ``poll``/``create_and_poll`` honour it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from router.api.videos.params import DEFAULT_VIDEO_SECONDS, DEFAULT_VIDEO_SIZE
from router.storage.tasks import TaskRecord

POLL_AFTER_HEADER = "openai-poll-after-ms"
#: a link into the result cache (``/files/<token><ext>``)
CACHE_LINK = re.compile(r"/files/(?P<name>[A-Za-z0-9_-]{32}\.[a-z0-9]{2,4})$")
#: the polling hint never exceeds this many poll intervals of the gateway
MAX_POLL_INTERVALS = 10


def timestamp(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def api_params(record: TaskRecord) -> dict[str, Any]:
    api = record.params.get("api")
    return api if isinstance(api, dict) else {}


def result_url(record: TaskRecord, variant: str = "video") -> str | None:
    """The URL of a finished task's file: the result itself, or a variant the plugin recorded."""
    result = record.result or {}
    if variant != "video":
        variants = result.get("variants")
        url = variants.get(variant) if isinstance(variants, dict) else None
        return url if isinstance(url, str) and url else None
    urls = result.get("urls")
    if isinstance(urls, list) and urls and isinstance(urls[0], str):
        return urls[0]
    return None


def cached_name(url: str) -> str | None:
    """The result-cache file a gateway link points to, if it is one."""
    match = CACHE_LINK.search(url.split("?", 1)[0])
    return match["name"] if match else None


def video_object(record: TaskRecord, *, cache_ttl_seconds: float) -> dict[str, Any]:
    api = api_params(record)
    params = record.params
    finished = record.status in ("completed", "failed")
    error = None
    if record.status == "failed":
        error = {
            "code": record.error_code or "generation_failed",
            "message": record.error_message or "The video generation failed",
        }
    return {
        "id": record.id,
        "object": "video",
        "model": str(api.get("model") or record.model),
        "status": record.status,
        "progress": 100 if record.status == "completed" else max(0, min(record.progress, 100)),
        "created_at": timestamp(record.created_at),
        "completed_at": timestamp(record.completed_at) if finished else None,
        "expires_at": _expires_at(record, cache_ttl_seconds),
        "prompt": api.get("prompt", params.get("prompt")),
        "size": str(params.get("size") or api.get("size") or DEFAULT_VIDEO_SIZE),
        "seconds": str(params.get("seconds") or api.get("seconds") or DEFAULT_VIDEO_SECONDS),
        "remixed_from_video_id": api.get("remixed_from_video_id"),
        "error": error,
    }


def video_list(records: list[TaskRecord], *, has_more: bool, cache_ttl_seconds: float) -> dict[str, Any]:
    data = [video_object(record, cache_ttl_seconds=cache_ttl_seconds) for record in records]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": has_more,
    }


def deleted(video_id: str) -> dict[str, Any]:
    return {"id": video_id, "object": "video.deleted", "deleted": True}


def character_object(record: TaskRecord) -> dict[str, Any]:
    """OpenAI's ``{id, name, created_at}``, plus ``username``: write ``@<username>`` in prompts."""
    card = record.result or {}
    return {
        "id": record.id,
        "name": api_params(record).get("name") or card.get("display_name"),
        "created_at": timestamp(record.created_at),
        "username": card.get("username"),
        "display_name": card.get("display_name"),
    }


def poll_after_ms(record: TaskRecord, *, poll_interval: float, now: datetime | None = None) -> int | None:
    """When a client should look again at an unfinished task (``None`` once it has finished).

    The gateway learns about a task once per ``tasks.poll_interval``, so asking more often only
    returns the same state. A queued task waits for an account slot: two intervals. A running
    task: an eighth of the time it probably still needs (extrapolated from its progress so far),
    at least one interval and at most :data:`MAX_POLL_INTERVALS` of them.
    """
    if record.finished:
        return None
    interval_ms = max(1, round(poll_interval * 1000))
    if record.status == "queued" or record.progress <= 0:
        return 2 * interval_ms
    elapsed_ms = ((now or datetime.now(UTC)) - record.created_at).total_seconds() * 1000
    remaining_ms = elapsed_ms * (100 - record.progress) / record.progress
    return int(min(max(remaining_ms / 8, interval_ms), MAX_POLL_INTERVALS * interval_ms))


def _expires_at(record: TaskRecord, cache_ttl_seconds: float) -> int | None:
    url = result_url(record) if record.status == "completed" else None
    if url is None or record.completed_at is None or cached_name(url) is None:
        return None
    return int(record.completed_at.timestamp() + cache_ttl_seconds)
