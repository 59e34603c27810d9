"""OpenAI's video model names (``sora-2``, ``sora-2-pro``) and the Videos API on Sora's flows.

**Models.** ``sora-2`` (aliases ``sora-2-2025-10-06``, ``sora-2-2025-12-08``) runs Sora's standard
model; ``sora-2-pro`` (alias ``sora-2-pro-2025-10-06``) its Pro model. Every ``sora2-*``,
``sora2pro-*`` and ``sora2pro-hd-*`` id works on the Videos API too; its name fixes the variant,
so ``seconds`` and ``size`` are then ignored (and the video object says what was made).

**Seconds and size → a variant** (what the upstream renders: 10, 15 or 25 s; landscape or
portrait; small or large). OpenAI's values are never refused; the effective ones are echoed:

- duration: the shortest offered duration at least as long as asked, else the longest:
  ``4``/``8``/``10`` → 10 s, ``12``/``15`` → 15 s, ``16``/``20``/``25`` and more → 25 s (25 s needs
  a ChatGPT Pro account, as the ``sora2-*-25s`` models do); the default ``"4"`` → 10 s;
- orientation: wider than high is landscape, otherwise portrait (the default ``720x1280``);
- size class: ``large`` when a side reaches 1792 or both reach 1024 (``1792x1024``,
  ``1024x1792``, 1080p) and the model offers it at that duration (``sora-2-pro`` at 10 and 15 s),
  else ``small``; the duration wins over the size class;
- echoed size: small → ``1280x720``/``720x1280``, large → ``1792x1024``/``1024x1792``.

**Follow-ups.** A remix needs a Sora share id: the source generation is published on the account
that made it (unless it still is, after watermark-free mode), the remix runs there and the post
is deleted again when the remix is done. An extension (OpenAI ``seconds`` 4–20 → Sora's 10 or
15 s, rounded up) continues the draft on its account; the video object's ``seconds`` is then the
stitched total.

**Options** (``GenerationRequest.extra``): ``watermark_free`` (or ``watermark: false``) overrides
the plugin's ``watermark_free.enabled`` for one video; ``private: true`` never publishes it (no
watermark-free copy, no remix); ``storyboard`` shots become ``[Ns]`` markers; ``style_id`` and
``remix_target_id`` are read by the feature parsers as in chat.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from pydantic import ValidationError

from plugins.sora_video import remix
from plugins.sora_video.extension import ExtensionHandler, extension_body
from plugins.sora_video.handler import VideoHandler
from plugins.sora_video.models import EXTENSION_VARIANTS, STANDARD_MODEL, VIDEO_VARIANTS, VideoVariant
from plugins.sora_video.settings import PLUGIN_NAME, VideoPluginSettings
from router import (
    Dimensions,
    GenerationContext,
    GenerationRequest,
    InvalidRequestError,
    JobContext,
    JobSpec,
    ModelSpec,
    Outcome,
    Settings,
    UpstreamError,
    parse_seconds,
    parse_size,
)

logger = logging.getLogger(__name__)

#: OpenAI name → (aliases, Pro model, description)
OPENAI_MODELS: dict[str, tuple[tuple[str, ...], bool, str]] = {
    "sora-2": (
        ("sora-2-2025-10-06", "sora-2-2025-12-08"),
        False,
        "OpenAI Videos API name: Sora 2, 10/15/25 s, landscape or portrait",
    ),
    "sora-2-pro": (
        ("sora-2-pro-2025-10-06",),
        True,
        "OpenAI Videos API name: Sora 2 Pro, 10/15/25 s, large (HD) at 10/15 s",
    ),
}
#: OpenAI's default ``seconds`` and ``size`` (the spec's defaults)
DEFAULT_SECONDS = 4
DEFAULT_SIZE = Dimensions(720, 1280)
#: the size OpenAI's vocabulary has for each (orientation, Sora size)
ECHO_SIZES = {
    ("landscape", "small"): "1280x720",
    ("portrait", "small"): "720x1280",
    ("landscape", "large"): "1792x1024",
    ("portrait", "large"): "1024x1792",
}
LARGE_SIDE = 1792
LARGE_SHORT_SIDE = 1024
VARIANTS_BY_ID = {variant.id: variant for variant in VIDEO_VARIANTS}
EXTENSION_SECONDS = tuple(sorted(ext.seconds for ext in EXTENSION_VARIANTS))
FRAME_COUNTS = {variant.n_frames for variant in VIDEO_VARIANTS}
#: job parameters of this module
PUBLISHED_POST = "published_post"
WATERMARK_FREE = "watermark_free"
PRIVATE = "private"
SOURCE_VIDEO = "source_video"


# -- the policy ---------------------------------------------------------------------------


def round_up(seconds: int, offered: tuple[int, ...]) -> int:
    """The shortest offered duration at least ``seconds`` long, else the longest."""
    return next((d for d in sorted(offered) if d >= seconds), max(offered))


def is_large(size: Dimensions) -> bool:
    return max(size.width, size.height) >= LARGE_SIDE or min(size.width, size.height) >= LARGE_SHORT_SIDE


def choose_variant(pro: bool, seconds: int | None, size: Dimensions | None) -> VideoVariant:
    """The variant of ``sora-2`` (``pro`` False) or ``sora-2-pro`` for OpenAI's seconds and size."""
    size = size or DEFAULT_SIZE
    orientation = "landscape" if size.orientation == "landscape" else "portrait"
    family = [
        v
        for v in VIDEO_VARIANTS
        if (v.upstream_model != STANDARD_MODEL) == pro and v.orientation == orientation
    ]
    target = round_up(seconds or DEFAULT_SECONDS, tuple(v.seconds for v in family))
    at_target = [v for v in family if v.seconds == target]
    wanted = "large" if is_large(size) else "small"
    return next((v for v in at_target if v.size == wanted), next(v for v in at_target if v.size == "small"))


def echo_size(orientation: str, size: str) -> str:
    return ECHO_SIZES.get((orientation, size), ECHO_SIZES[("portrait", "small")])


def variant_params(variant: VideoVariant) -> dict[str, Any]:
    """A variant's ``ModelSpec.params`` (as the plugin registers them)."""
    return {
        "orientation": variant.orientation,
        "seconds": variant.seconds,
        "n_frames": variant.n_frames,
        "upstream_model": variant.upstream_model,
        "size": variant.size,
    }


# -- the handler --------------------------------------------------------------------------


class OpenAIVideoHandler(VideoHandler):
    """The video handler, plus OpenAI names, the Videos API's follow-ups and per-video options."""

    async def job_for(self, request: GenerationRequest, ctx: GenerationContext) -> JobSpec:
        spec = request.model
        variant = _variant_for(spec, request.extra)
        if variant is None:  # not a model this module knows: the plain flow
            return await super().job_for(request, ctx)
        options = publishing_options(request.extra, ctx.settings)
        as_variant = replace(
            spec, params=variant_params(variant), requires_pro=variant.requires_pro or spec.requires_pro
        )
        job = await super().job_for(replace(_with_storyboard(request), model=as_variant), ctx)
        echoed = {
            "prompt": request.prompt,
            "seconds": str(variant.seconds),
            "size": echo_size(variant.orientation, variant.size),
        }
        return replace(job, model=spec.id, params={**job.params, **options, **echoed})

    async def remix_job(self, request: GenerationRequest, ctx: GenerationContext) -> JobSpec:
        """A remix of one of this gateway's videos: publish it (on its account), remix the post."""
        source, generation_id, account_id = _source(request, "remixed")
        params = source.get("params") or {}
        if params.get(PRIVATE):
            raise InvalidRequestError(
                f"Video {source.get('id')} is private: a remix needs Sora to publish it",
                code="video_is_private",
                status_code=409,
            )
        parsed = ctx.features.parse(request.prompt, ("style",), request.extra)
        orientation, n_frames = _shape(params)
        requires_pro = n_frames == max(FRAME_COUNTS)
        await ctx.pool.ensure_servable("video", requires_pro=requires_pro, model=request.model.id)
        post_id = (source.get("result") or {}).get("post_id")
        published = None
        if not post_id:
            session = ctx.transport.session(ctx.pool.credentials(account_id))
            post_id = published = await session.publish(generation_id)
        return JobSpec(
            model=request.model.id,
            kind="video",
            params={
                "flow": "remix",
                "body": remix.remix_body(
                    parsed.prompt.strip(),
                    post_id,
                    {"orientation": orientation, "n_frames": n_frames},
                    parsed.features.style,
                ),
                "note": None,
                "image": None,
                PUBLISHED_POST: published,
                **publishing_options(request.extra, ctx.settings),
                "prompt": request.prompt,
                "seconds": str(n_frames // 30),
                "size": echo_size(orientation, "small"),
            },
            requires_pro=requires_pro,
            account_id=account_id,
            base_url=request.base_url,
        )

    async def extension_job(self, request: GenerationRequest, ctx: GenerationContext) -> JobSpec:
        """Continue one of this gateway's videos on the account that made it (B14)."""
        source, generation_id, account_id = _source(request, "extended")
        prompt = request.prompt.strip()
        if not prompt:
            raise InvalidRequestError("Describe how the video continues", param="prompt")
        seconds = round_up(parse_seconds(request.extra.get("seconds")) or DEFAULT_SECONDS, EXTENSION_SECONDS)
        params = source.get("params") or {}
        before = parse_seconds(params.get("seconds")) or 0
        await ctx.pool.ensure_servable("video", model=request.model.id)
        return JobSpec(
            model=request.model.id,
            kind="video",
            params={
                "flow": "extension",
                "generation_id": generation_id,
                "body": extension_body(prompt, seconds),
                **publishing_options(request.extra, ctx.settings),
                "prompt": request.prompt,
                "seconds": str(before + seconds),
                "size": params.get("size") or echo_size("portrait", "small"),
            },
            account_id=account_id,
            base_url=request.base_url,
        )

    async def submit(self, job: JobContext) -> str:
        if job.params.get("flow") == "extension":
            return await ExtensionHandler().submit(job)
        return await super().submit(job)

    async def finish(self, job: JobContext, outcome: Outcome) -> Outcome:
        override = job.params.get(WATERMARK_FREE)
        if override is not None:
            job = replace(job, settings=with_watermark_free(job.settings, bool(override)))
        outcome = await super().finish(job, outcome)
        if post_id := job.params.get(PUBLISHED_POST):
            await _unpublish(job, str(post_id))
        variants = result_variants(outcome.raw)
        if variants:
            outcome = replace(outcome, extra={**outcome.extra, "variants": variants})
        return outcome


# -- options ------------------------------------------------------------------------------


def publishing_options(extra: Mapping[str, Any], settings: Settings) -> dict[str, Any]:
    """``watermark_free`` / ``watermark`` / ``private`` of one request → the job's parameters."""
    private = _flag(extra, PRIVATE)
    watermark_free = _flag(extra, WATERMARK_FREE)
    if watermark_free is None and (watermark := _flag(extra, "watermark")) is not None:
        watermark_free = not watermark
    if private:
        if watermark_free:
            raise InvalidRequestError(
                "A private video cannot be watermark-free: that needs Sora to publish it",
                param=WATERMARK_FREE,
            )
        watermark_free = False
    options: dict[str, Any] = {}
    if private:
        options[PRIVATE] = True
    if watermark_free is not None:
        if watermark_free:
            try:
                VideoPluginSettings.of(with_watermark_free(settings, True))
            except ValidationError as exc:
                raise InvalidRequestError(
                    "watermark_free is not available: the gateway's watermark_free settings are incomplete",
                    param=WATERMARK_FREE,
                ) from exc
        options[WATERMARK_FREE] = watermark_free
    return options


def with_watermark_free(settings: Settings, enabled: bool) -> Settings:
    """``settings`` with the plugin's ``watermark_free.enabled`` set for one job."""
    section = dict(settings.plugins.settings.get(PLUGIN_NAME, {}))
    section["watermark_free"] = {**dict(section.get("watermark_free") or {}), "enabled": enabled}
    plugins = settings.plugins.model_copy(
        update={"settings": {**settings.plugins.settings, PLUGIN_NAME: section}}
    )
    return settings.model_copy(update={"plugins": plugins})


def result_variants(raw: Mapping[str, Any]) -> dict[str, str]:
    """Preview files the draft names (``encodings.thumbnail`` / ``encodings.spritesheet``), if any."""
    encodings = raw.get("encodings")
    found: dict[str, str] = {}
    if isinstance(encodings, dict):
        for variant in ("thumbnail", "spritesheet"):
            item = encodings.get(variant)
            url = (item.get("path") or item.get("url")) if isinstance(item, dict) else None
            if isinstance(url, str) and url.startswith(("https://", "http://")):
                found[variant] = url
    return found


def _flag(extra: Mapping[str, Any], key: str) -> bool | None:
    value = extra.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise InvalidRequestError(f"'{key}' must be true or false", param=key)


def _variant_for(spec: ModelSpec, extra: Mapping[str, Any]) -> VideoVariant | None:
    if spec.id in VARIANTS_BY_ID:
        return VARIANTS_BY_ID[spec.id]
    if "pro" not in spec.params:
        return None
    return choose_variant(
        bool(spec.params["pro"]), parse_seconds(extra.get("seconds")), parse_size(extra.get("size"))
    )


def _with_storyboard(request: GenerationRequest) -> GenerationRequest:
    """The ``storyboard`` field as ``[Ns] scene`` markers after the prompt (its instructions)."""
    shots = request.extra.get("storyboard")
    if not shots:
        return request
    if not isinstance(shots, list) or not all(_is_shot(shot) for shot in shots):
        raise InvalidRequestError(
            "storyboard must be a list of shots like {'seconds': 5, 'prompt': 'what happens'}",
            param="storyboard",
        )
    lines = [f"[{float(shot['seconds']):g}s] {' '.join(str(shot['prompt']).split())}" for shot in shots]
    prompt = "\n".join([request.prompt.strip(), *lines]).strip()
    return replace(request, prompt=prompt)


def _is_shot(shot: object) -> bool:
    if not isinstance(shot, dict):
        return False
    seconds, prompt = shot.get("seconds"), shot.get("prompt")
    number = isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds > 0
    return number and isinstance(prompt, str) and bool(prompt.strip())


def _source(request: GenerationRequest, verb: str) -> tuple[dict[str, Any], str, int]:
    source = request.extra.get(SOURCE_VIDEO)
    if not isinstance(source, dict):
        raise InvalidRequestError(f"No video to be {verb} was given", param="video")
    generation_id, account_id = source.get("generation_id"), source.get("account_id")
    if not generation_id:
        raise InvalidRequestError(
            f"Video {source.get('id')} has no Sora generation to be {verb}",
            code="no_generation",
            status_code=409,
        )
    if not isinstance(account_id, int):
        raise InvalidRequestError(
            f"The account that made video {source.get('id')} is no longer in the pool: it cannot be {verb}",
            code="source_account_gone",
            status_code=409,
        )
    return source, str(generation_id), account_id


def _shape(params: Mapping[str, Any]) -> tuple[str, int]:
    """A source video's orientation and frame count (from its upstream body, else its size)."""
    body = params.get("body")
    body = body if isinstance(body, dict) else {}
    orientation = body.get("orientation")
    if orientation not in ("landscape", "portrait"):
        orientation = _orientation(params.get("size"))
    n_frames = body.get("n_frames")
    return str(orientation), n_frames if n_frames in FRAME_COUNTS else min(FRAME_COUNTS)


def _orientation(size: object) -> str:
    try:
        parsed = parse_size(size)
    except InvalidRequestError:
        parsed = None
    return "landscape" if parsed is not None and parsed.orientation == "landscape" else "portrait"


async def _unpublish(job: JobContext, post_id: str) -> None:
    """Take down the post a remix needed; a failure only leaves it published (logged)."""
    try:
        await job.session.unpublish(post_id)
    except UpstreamError as exc:
        logger.warning("post %s published for a remix was not deleted: %s", post_id, exc.message)


# -- registration -------------------------------------------------------------------------


def register_openai_models(register: Callable[[ModelSpec], None], handler: OpenAIVideoHandler) -> None:
    for model_id, (aliases, pro, description) in OPENAI_MODELS.items():
        register(
            ModelSpec(
                id=model_id,
                kind="video",
                handler=handler,
                description=description,
                requires_pro=False,
                aliases=aliases,
                params={"pro": pro},
            )
        )
