"""The media host (H6, M1): serves the media files with Range support, never behind auth."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request, Response

from .deps import SimDep
from .errors import not_found, strict
from .media_files import render

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def serve_bytes(request: Request, content_type: str, data: bytes) -> Response:
    """A 200, or a 206/416 when the request has a Range header."""
    headers = {"accept-ranges": "bytes", "cache-control": "public, max-age=3600"}
    body = b"" if request.method == "HEAD" else data
    range_header = request.headers.get("range")
    if range_header is None:
        return Response(body, media_type=content_type, headers=headers)
    match = _RANGE.fullmatch(range_header.strip())
    total = len(data)
    if match is None or match.groups() == ("", ""):
        return Response(status_code=416, headers={"content-range": f"bytes */{total}"})
    first, last = match.groups()
    if first == "":
        start, end = max(0, total - int(last)), total - 1
    else:
        start, end = int(first), min(int(last), total - 1) if last else total - 1
    if start >= total or start > end:
        return Response(status_code=416, headers={"content-range": f"bytes */{total}"})
    headers["content-range"] = f"bytes {start}-{end}/{total}"
    part = b"" if request.method == "HEAD" else data[start : end + 1]
    return Response(part, status_code=206, media_type=content_type, headers=headers)


router = APIRouter()


@router.api_route("/media/{name}", methods=["GET", "HEAD"])
async def get_media(name: str, request: Request, sim: SimDep) -> Response:
    if "authorization" in request.headers:
        raise strict("media downloads must not carry an Authorization header (H6)", param="authorization")
    with sim.lock:
        known = name in sim.media.names
    if not known:
        raise not_found(f"media {name}")
    content_type, data = render(name)
    return serve_bytes(request, content_type, data)
