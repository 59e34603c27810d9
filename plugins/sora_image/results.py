"""What happens to finished images before the client gets them: the result cache, narrated.

With ``cache.enabled`` every image is downloaded into the gateway's result cache and the client
gets the gateway's link; an image whose download fails keeps its upstream URL. The sentences are
the original's (purpose-built UIs parse them).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from router import GatewayError, JobContext, Outcome

logger = logging.getLogger(__name__)

IMAGE_DONE = "**Image Generation Completed**\n\nCache is disabled. Using original URLs directly...\n"
CACHING = "**Image Generation Completed**\n\nImage generation successful. Now caching {count} image(s)...\n"
CACHED_ONE = "Cached image {index}/{count}...\n"
CACHE_FAILED = "Warning: Failed to cache image {index} - {error}\nUsing original URL instead...\n"
ALL_CACHED = "All images cached successfully. Preparing final response...\n"


async def finish_image(job: JobContext, outcome: Outcome) -> Outcome:
    if not job.cache.enabled:
        job.emit(IMAGE_DONE)
        return outcome
    count = len(outcome.urls)
    job.emit(CACHING.format(count=count))
    urls: list[str] = []
    failures = 0
    for index, url in enumerate(outcome.urls, start=1):
        try:
            cached = await job.cache.store(job.session, url, kind="image")
        except GatewayError as exc:
            logger.warning("caching %s failed: %s", url, exc.message)
            job.emit(CACHE_FAILED.format(index=index, error=exc.message))
            urls.append(url)
            failures += 1
            continue
        urls.append(cached.url(job.base_url))
        if count > 1:
            job.emit(CACHED_ONE.format(index=index, count=count))
    if not failures:
        job.emit(ALL_CACHED)
    return replace(outcome, urls=tuple(urls))
