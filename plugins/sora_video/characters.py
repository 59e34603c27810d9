"""Characters (Sora cameos): the ``avatar-create`` model, and videos generated with a new character.

``avatar-create`` takes a video (a ``video_url`` content item — data URI or http(s) URL — or the
original's top-level ``video`` field: base64, data URI or URL) or a ``gen_…`` id in the prompt and
runs the cameo flow of spec §6.4 on one leased account: upload (B20) or from-generation (B21),
poll the cameo (B22), download the avatar (M1), upload it as ``profile.webp`` (B23), finalize
(B24), make it public (B25). It is no polled upstream task, so it runs inline in the request.
The answer is the original's: a first content chunk with the JSON line
``{"event":"character_card","card":{…}}`` and then the summary lines (in Chinese, as the original
wrote them: purpose-built UIs parse them); a non-stream answer holds both in its content.

A video model (``sora2-*``) given a video and a prompt creates a character from the video the same
way, then generates ``@<username> <prompt>`` on the same account (the job is pinned to it): the
original's "character + video" flow (seed §3.3.8). The request field
``character_options: {"cleanup": true}`` deletes that character once the video is done (B26);
by default it stays, so later prompts can use ``@<username>`` too.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from plugins.sora_video.cameo import (
    BEGINS,
    BEGINS_FROM_GENERATION,
    BEGINS_WITH_VIDEO,
    MODEL_ID,
    VIDEO_BEGINS,
    CameoSource,
    CharacterFlow,
)
from plugins.sora_video.results import CHARACTER_CLEANUP, TEMPORARY_CHARACTER
from plugins.sora_video.settings import CharacterSettings, VideoPluginSettings
from router import (
    Completed,
    Event,
    Failed,
    GatewayError,
    GenerationContext,
    GenerationRequest,
    InvalidRequestError,
    JobSpec,
    MediaInput,
    ModelSpec,
    Partial,
    Reasoning,
    Settings,
    SoraSession,
    UpstreamError,
)

logger = logging.getLogger(__name__)

#: what a cameo upload takes (sent as ``video.mp4``, ``video/mp4``: spec §4.15)
VIDEO_TYPES = ("video/mp4", "video/quicktime")

BuildJob = Callable[[GenerationRequest], Awaitable[JobSpec]]


class CharacterOptions(BaseModel):
    """The request field ``character_options`` (video models with an attached video)."""

    model_config = ConfigDict(extra="forbid")

    #: delete the character once the video is done (it is a temporary one)
    cleanup: bool = False

    @classmethod
    def of(cls, extra: Mapping[str, Any]) -> CharacterOptions:
        try:
            return cls.model_validate(extra.get("character_options") or {})
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in ("character_options", *first["loc"]))
            raise InvalidRequestError(f"Invalid {where}: {first['msg']}", param="character_options") from exc


# -- request inputs -----------------------------------------------------------------------


def top_level_video(value: Any) -> MediaInput:
    """The original's top-level ``video`` field: an http(s) URL, a data URI or bare base64."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequestError("video must be a non-empty string", param="video")
    value = value.strip()
    if value.startswith(("http://", "https://")):
        return MediaInput(url=value, filename="video.mp4")
    payload = value.split(",", 1)[1] if value.startswith("data:") else value
    try:
        data = base64.b64decode(payload, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise InvalidRequestError("video holds invalid base64 data", param="video") from exc
    return MediaInput(data=data, content_type="video/mp4", filename="video.mp4")


async def video_source(request: GenerationRequest, ctx: GenerationContext) -> CameoSource | None:
    """The attached video as a cameo source (fetched when it is a URL), or ``None``."""
    videos = list(request.videos)
    if not videos and request.extra.get("video"):
        videos.append(top_level_video(request.extra["video"]))
    if not videos:
        return None
    if len(videos) > 1:
        raise InvalidRequestError(f"Attach one video, not {len(videos)}", param="messages")
    stored = await ctx.store_input(videos[0], accept=VIDEO_TYPES, what="video", param="messages")
    data, _ = await ctx.media.get(stored.ref)
    return CameoSource(video=data, downloaded=videos[0].url is not None)


# -- avatar-create ------------------------------------------------------------------------


class AvatarHandler:
    """``avatar-create``: a character from a video or a generation id, inline on a leased account."""

    def __init__(self, options: CharacterSettings) -> None:
        self._options = options

    async def generate(self, request: GenerationRequest, ctx: GenerationContext) -> AsyncIterator[Event]:
        spec = request.model
        source = await video_source(request, ctx)
        if source is None:
            parsed = ctx.features.parse(request.prompt, ["generation_id"], request.extra)
            if parsed.features.generation_id is None:
                raise InvalidRequestError(
                    "avatar-create requires a video file or a generation_id (gen_xxx) in the prompt",
                    param="messages",
                )
            source = CameoSource(generation_id=parsed.features.generation_id)
        await ctx.pool.ensure_servable("video", model=spec.id)
        # Sora makes cameos only from an account's own generations: use that account when known
        owner = await ctx.tasks.account_for_generation(source.generation_id) if source.generation_id else None
        lease = await ctx.pool.acquire("video", account_id=owner, model=spec.id)
        try:
            flow = CharacterFlow(ctx.transport.session(ctx.pool.credentials(lease.account_id)), self._options)
            async for event in flow.run(source, begins=BEGINS if source.video else BEGINS_FROM_GENERATION):
                yield event
        except GatewayError as exc:
            await ctx.pool.report_failure(lease.account_id, exc)
            raise
        finally:
            lease.release()
        await ctx.pool.report_success(lease.account_id)
        assert flow.card is not None
        yield Partial(flow.card.line())
        yield Completed(kind="character", text=flow.card.summary(), data=flow.card.as_dict())


# -- video models: character + video ------------------------------------------------------


def has_video(request: GenerationRequest) -> bool:
    """Whether the request attaches a video (a ``video_url`` item or the top-level ``video`` field)."""
    return bool(request.videos or request.extra.get("video"))


async def generate_with_character(
    request: GenerationRequest, ctx: GenerationContext, build_job: BuildJob
) -> AsyncIterator[Event]:
    """A video model with an attached video: create a character from it, then generate with it.

    ``build_job`` is the video handler's own job description for a request; it gets this request
    with the video removed and ``@<username> `` put before the prompt. The job is pinned to the
    account that owns the character. The video handler dispatches here::

        if has_video(request):
            async for event in generate_with_character(request, ctx, lambda r: self.job_for(r, ctx)):
                yield event
            return
    """
    spec = request.model
    options = CharacterOptions.of(request.extra)
    prompt = request.prompt.strip()
    if not prompt:
        raise InvalidRequestError(
            "Describe the video to generate with the character from the attached video; "
            "to only create a character, use the avatar-create model",
            param="messages",
        )
    source = await video_source(request, ctx)
    if source is None:
        raise InvalidRequestError("Attach the video to create the character from", param="messages")
    await ctx.pool.ensure_servable("video", requires_pro=spec.requires_pro, model=spec.id)
    settings = VideoPluginSettings.of(ctx.settings).characters
    lease = await ctx.pool.acquire("video", requires_pro=spec.requires_pro, model=spec.id)
    try:
        session = ctx.transport.session(ctx.pool.credentials(lease.account_id))
        flow = CharacterFlow(session, settings)
        async for event in flow.run(source, begins=BEGINS_WITH_VIDEO, public=False):
            yield event
    except GatewayError as exc:
        await ctx.pool.report_failure(lease.account_id, exc)
        raise
    finally:
        lease.release()
    await ctx.pool.report_success(lease.account_id)
    assert flow.card is not None
    card = flow.card
    cleanup = card.character_id if options.cleanup else None
    yield Reasoning(VIDEO_BEGINS)
    try:
        job = await build_job(_follow_up(request, f"@{card.username} {prompt}"))
        params = {**job.params, TEMPORARY_CHARACTER: cleanup} if cleanup else job.params
        base_url = job.base_url or request.base_url
        job = replace(job, params=params, account_id=lease.account_id, base_url=base_url)
        async for event in ctx.tasks.run(job, owner_key_id=request.owner_key_id):
            if isinstance(event, Failed) and cleanup:
                yield Reasoning(CHARACTER_CLEANUP)
                await _delete_quietly(session, cleanup)
            yield event
    except GatewayError:
        if cleanup:
            yield Reasoning(CHARACTER_CLEANUP)
            await _delete_quietly(session, cleanup)
        raise


def _follow_up(request: GenerationRequest, prompt: str) -> GenerationRequest:
    extra = {key: value for key, value in request.extra.items() if key not in ("video", "character_options")}
    return replace(request, prompt=prompt, videos=(), extra=extra)


async def _delete_quietly(session: SoraSession, character_id: str) -> None:
    """B26 after a failed generation; the character may be gone already (finish deleted it)."""
    try:
        await session.delete_character(character_id)
    except UpstreamError as exc:
        logger.warning("temporary character %s not deleted: %s", character_id, exc.message)


def register_characters(register: Callable[[ModelSpec], None], settings: Settings) -> None:
    """Register ``avatar-create``; validates the plugin's settings (start-up fails on bad ones)."""
    options = VideoPluginSettings.of(settings)
    register(
        ModelSpec(
            id=MODEL_ID,
            kind="character",
            handler=AvatarHandler(options.characters),
            description="Character creation - a Sora cameo from a video or a generation id",
        )
    )
