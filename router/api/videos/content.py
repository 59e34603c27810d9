"""A finished task's file, served to the client: from the result cache or streamed from upstream.

A result kept in the gateway's cache is answered by ``FileResponse`` (which handles ``Range``).
Otherwise the file is streamed from its upstream URL through the account that created the task
(``TaskEngine.open_result``), never buffered whole. The upstream is asked for the whole file, so
a ``Range`` request is answered here: the bytes before the range are read and dropped, the
range is sent as a 206 with ``Content-Range`` (an unsatisfiable one is a 416; one the gateway
cannot place because the upstream sent no length, or a multi-range, is answered with the whole
file, as HTTP allows).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
from fastapi.responses import FileResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from router.api.videos.objects import cached_name
from router.errors import NotFoundError, UpstreamBadResponseError
from router.services import Services
from router.storage.tasks import TaskRecord

_RANGE = re.compile(r"bytes=(?P<first>\d*)-(?P<last>\d*)")
#: the most a result read into memory (``b64_json`` images) may hold
MAX_INLINE_BYTES = 64 * 1024 * 1024


class RangeNotSatisfiable(Exception):
    pass


def byte_range(header: str | None, total: int | None) -> tuple[int, int] | None:
    """The inclusive ``(first, last)`` byte range asked for, ``None`` to send the whole file."""
    if header is None:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None or (not match["first"] and not match["last"]):
        return None  # a multi-range or another unit: the whole file
    if not match["first"]:  # the last n bytes
        if total is None:
            return None
        suffix = int(match["last"])
        if suffix == 0:
            raise RangeNotSatisfiable
        return max(0, total - suffix), total - 1
    first = int(match["first"])
    last = int(match["last"]) if match["last"] else None
    if total is not None:
        if first >= total:
            raise RangeNotSatisfiable
        last = total - 1 if last is None else min(last, total - 1)
    if last is None or last < first:
        return None  # open-ended with no known length, or invalid: the whole file
    return first, last


async def serve(
    services: Services,
    record: TaskRecord,
    url: str,
    *,
    range_header: str | None,
    default_type: str,
) -> Response:
    name = cached_name(url)
    if name is not None:
        found = await services.cache.find(name)
        if found is None:
            raise NotFoundError(
                f"The file of {record.id} has expired from the gateway's cache", code="file_expired"
            )
        cached, stat = found
        return FileResponse(cached.path, media_type=cached.content_type, stat_result=stat)
    stack = AsyncExitStack()
    try:
        response = await stack.enter_async_context(services.tasks.open_result(record, url))
        total = _length(response)
        try:
            wanted = byte_range(range_header, total)
        except RangeNotSatisfiable:
            await stack.aclose()
            return Response(status_code=416, headers={"Content-Range": f"bytes */{total}"})
    except BaseException:
        await stack.aclose()
        raise
    headers = {"Accept-Ranges": "bytes"}
    status = 200
    start, stop = 0, None
    if wanted is not None:
        start, last = wanted
        status, stop = 206, last + 1
        headers["Content-Length"] = str(stop - start)
        headers["Content-Range"] = f"bytes {start}-{last}/{total if total is not None else '*'}"
    elif total is not None:
        headers["Content-Length"] = str(total)
    return StreamingResponse(
        _window(response, start, stop, stack),
        status_code=status,
        headers=headers,
        media_type=_media_type(response, default_type),
        background=BackgroundTask(stack.aclose),
    )


async def read_bytes(services: Services, record: TaskRecord, url: str) -> tuple[bytes, str]:
    """A result's bytes and content type (for ``b64_json``), from the cache or upstream."""
    name = cached_name(url)
    if name is not None:
        found = await services.cache.find(name)
        if found is None:
            raise NotFoundError(
                f"The file of {record.id} has expired from the gateway's cache", code="file_expired"
            )
        cached, _ = found
        return await asyncio.to_thread(cached.path.read_bytes), cached.content_type
    async with services.tasks.open_result(record, url) as response:
        data = bytearray()
        async for chunk in response.aiter_bytes():
            data += chunk
            if len(data) > MAX_INLINE_BYTES:
                raise UpstreamBadResponseError(
                    f"The result of {record.id} is larger than {MAX_INLINE_BYTES} bytes; ask for a url",
                    code="media_too_large",
                )
        return bytes(data), _media_type(response, "application/octet-stream")


async def _window(
    response: httpx.Response, start: int, stop: int | None, stack: AsyncExitStack
) -> AsyncIterator[bytes]:
    """The response's bytes from ``start`` up to ``stop`` (exclusive; ``None``: the end)."""
    position = 0
    try:
        async for chunk in response.aiter_bytes():
            end = position + len(chunk)
            if end > start:
                piece = chunk[max(0, start - position) : None if stop is None else max(0, stop - position)]
                if piece:
                    yield piece
            position = end
            if stop is not None and position >= stop:
                break
    finally:
        await stack.aclose()


def _length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length", "")
    encoded = response.headers.get("content-encoding", "identity").lower() != "identity"
    return int(value) if value.isdigit() and not encoded else None


def _media_type(response: httpx.Response, default: str) -> str:
    declared = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return declared if declared.startswith(("video/", "image/")) else default
