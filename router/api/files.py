"""GET /files/{token}{ext}: generated files kept by the result cache (no API key: the token is the secret).

Range requests are answered by Starlette's ``FileResponse`` (206 with ``Content-Range``), so video
players can seek; an unknown or expired link is a 404 envelope.
"""

from __future__ import annotations

import math
import time

from fastapi import APIRouter
from fastapi.responses import FileResponse

from router.deps import ServicesDep
from router.errors import NotFoundError

router = APIRouter()


@router.api_route("/files/{name}", methods=["GET", "HEAD"], include_in_schema=False)
async def cached_file(name: str, services: ServicesDep) -> FileResponse:
    found = await services.cache.find(name)
    if found is None:
        raise NotFoundError("This file link is unknown or has expired", code="file_not_found")
    cached, stat = found
    max_age = max(0, math.floor(cached.expires_at - time.time()))
    return FileResponse(
        cached.path,
        media_type=cached.content_type,
        stat_result=stat,
        headers={"Cache-Control": f"private, max-age={max_age}"},
    )
