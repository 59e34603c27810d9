"""What happens to a finished video before the client gets it, narrated with the original's sentences.

1. Watermark-free mode (``watermark_free.enabled``, spec §6.5): publish the draft (B17), get the
   clean link (the third-party URL pattern, or the custom parse server W1), cache it when the
   cache is on and then unpublish the post (B18). With the cache off the post stays published:
   the link only works while it is. Any failure falls back to the normal video
   (``fallback_on_failure``, default) or fails the task.
2. Otherwise the draft's URL, cached when ``cache.enabled`` (spec §6.6); a failed download keeps
   the upstream URL.
3. A temporary character the job was generated with (``character_options.cleanup``) is deleted.

The sentences are the original's: purpose-built UIs parse them.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from plugins.sora_video.settings import VideoPluginSettings, WatermarkFreeSettings
from router import GatewayError, GenerationError, JobContext, Outcome, UpstreamError

logger = logging.getLogger(__name__)

VIDEO_DONE = "**Video Generation Completed**\n\nCache is disabled. Using original URL directly...\n"
CACHING = "**Video Generation Completed**\n\nVideo generation successful. Now caching the video file...\n"
CACHED = "Video file cached successfully. Preparing final response...\n"
CACHE_FAILED = "Warning: Failed to cache file - {error}\nUsing original URL instead...\n"
WM_BEGINS = (
    "**Video Generation Completed**\n\n"
    "Watermark-free mode enabled. Publishing video to get watermark-free version...\n"
)
WM_CUSTOM_PARSE = (
    "Video published successfully. Post ID: {post_id}\n"
    "Using custom parse server to get watermark-free URL...\n"
)
WM_PREPARING = "Video published successfully. Post ID: {post_id}\nNow {action} watermark-free video...\n"
WM_CACHED = "Watermark-free video cached successfully. Preparing final response...\n"
WM_CACHE_FAILED = "Warning: Failed to cache file - {error}\nUsing original watermark-free URL instead...\n"
WM_UNPUBLISHED = "Published post deleted successfully.\n"
WM_UNPUBLISH_FAILED = "Warning: Failed to delete published post - {error}\n"
WM_DIRECT = "Cache is disabled. Using watermark-free URL directly...\n"
WM_FALLBACK = "⚠️ Warning: Failed to get watermark-free version - {error}\nFalling back to normal video...\n"
WM_NO_FALLBACK = (
    "❌ Error: Failed to get watermark-free version - {error}\nFallback is disabled. Task marked as failed.\n"
)
CHARACTER_CLEANUP = "Cleaning up temporary character...\n"
CHARACTER_CLEANUP_FAILED = "Warning: Failed to delete temporary character - {error}\n"
#: the job parameter naming a character to delete once the video is done
TEMPORARY_CHARACTER = "temporary_character"


async def finish_video(job: JobContext, outcome: Outcome) -> Outcome:
    try:
        options = VideoPluginSettings.of(job.settings).watermark_free
        if options.enabled and outcome.generation_id and outcome.urls:
            return await _watermark_free(job, outcome, options)
        if not job.cache.enabled:
            job.emit(VIDEO_DONE)
            return outcome
        job.emit(CACHING)
        url = outcome.urls[0]
        return replace(outcome, urls=(await _cached(job, url, CACHED, CACHE_FAILED) or url,))
    finally:
        if character_id := job.params.get(TEMPORARY_CHARACTER):
            await delete_character(job, str(character_id))


async def delete_character(job: JobContext, character_id: str) -> None:
    """Delete a temporary character on the job's account (B26); a failure is only a warning."""
    job.emit(CHARACTER_CLEANUP)
    try:
        await job.session.delete_character(character_id)
    except UpstreamError as exc:
        if exc.upstream_status == 404:  # already gone
            return
        logger.warning("temporary character %s not deleted: %s", character_id, exc.message)
        job.emit(CHARACTER_CLEANUP_FAILED.format(error=exc.message))


async def _cached(job: JobContext, url: str, done: str, failed: str) -> str | None:
    """The gateway link of ``url`` downloaded into the result cache, or ``None`` if that failed."""
    try:
        cached = await job.cache.store(job.session, url, kind="video")
    except GatewayError as exc:
        logger.warning("caching %s failed: %s", url, exc.message)
        job.emit(failed.format(error=exc.message))
        return None
    job.emit(done)
    return cached.url(job.base_url)


async def _watermark_free(job: JobContext, outcome: Outcome, options: WatermarkFreeSettings) -> Outcome:
    assert outcome.generation_id is not None
    job.emit(WM_BEGINS)
    post_id: str | None = None
    try:
        post_id = await job.session.publish(outcome.generation_id)
        clean_url = await _clean_url(job, post_id, options)
    except GatewayError as exc:
        if post_id is not None:
            await _unpublish(job, post_id, narrate=False)
        if not options.fallback_on_failure:
            job.emit(WM_NO_FALLBACK.format(error=exc.message))
            raise GenerationError(f"Failed to get the watermark-free video: {exc.message}") from exc
        job.emit(WM_FALLBACK.format(error=exc.message))
        url = outcome.urls[0]
        if job.cache.enabled:
            url = await _cached(job, url, CACHED, CACHE_FAILED) or url
        return replace(outcome, urls=(url,))
    job.emit(WM_PREPARING.format(post_id=post_id, action="caching" if job.cache.enabled else "preparing"))
    extra: dict[str, Any] = {**outcome.extra, "watermark_free": True}
    if not job.cache.enabled:
        job.emit(WM_DIRECT)
        return replace(outcome, urls=(clean_url,), extra={**extra, "post_id": post_id})
    cached_url = await _cached(job, clean_url, WM_CACHED, WM_CACHE_FAILED)
    if cached_url is None:  # the watermark-free link needs the post: it stays published
        return replace(outcome, urls=(clean_url,), extra={**extra, "post_id": post_id})
    await _unpublish(job, post_id, narrate=True)
    return replace(outcome, urls=(cached_url,), extra=extra)


async def _clean_url(job: JobContext, post_id: str, options: WatermarkFreeSettings) -> str:
    if options.parse_method == "third_party":
        return options.third_party_url.format(post_id=post_id)
    job.emit(WM_CUSTOM_PARSE.format(post_id=post_id))
    session = job.session
    return await session.watermark_free_link(options.custom_parse_url, options.custom_parse_token, post_id)


async def _unpublish(job: JobContext, post_id: str, *, narrate: bool) -> None:
    try:
        await job.session.unpublish(post_id)
    except UpstreamError as exc:
        logger.warning("published post %s not deleted: %s", post_id, exc.message)
        if narrate:
            job.emit(WM_UNPUBLISH_FAILED.format(error=exc.message))
        return
    if narrate:
        job.emit(WM_UNPUBLISHED)
