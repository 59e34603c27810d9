"""What a model plugin implements to serve the OpenAI Videos and Images APIs.

The contract is structural (plugins import nothing for it). A video model's handler serves

- ``POST /v1/videos`` with ``async job_for(request, ctx) -> JobSpec``,
- ``POST /v1/videos/{id}/remix`` and ``/v1/videos/edits`` with ``async remix_job(request, ctx)``,
- ``POST /v1/videos/extensions`` with ``async extension_job(request, ctx)``;

an image model's handler serves the Images API with ``job_for``. The surface starts the returned
job itself (``TaskEngine.submit``: owner, idempotency key) and renders the task.

What the surface puts into ``GenerationRequest.extra`` (only what the client sent):

- ``seconds``, ``size``: canonical strings (``"8"``, ``"1280x720"``), see ``params``;
- Sora options: ``style_id``, ``storyboard`` (a list of ``{"seconds", "prompt"}``),
  ``watermark_free``, ``private``, ``remix_target_id``; images: ``quality``;
- remix and extension: ``source_video`` (:data:`SOURCE_VIDEO`) with the source task's ``id``,
  ``generation_id``, ``account_id``, ``params`` and ``result``.

What the job's ``params`` may carry back, echoed by the video object: ``seconds`` and ``size``
(the effective values, as OpenAI strings) and ``prompt``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from router.errors import GatewayError, InvalidRequestError
from router.generation import GenerationContext, GenerationRequest
from router.models import ModelKind, ModelSpec
from router.registry import ModelRegistry
from router.tasks.job import JobSpec

#: OpenAI's default model names when a request names none
DEFAULT_VIDEO_MODEL = "sora-2"
DEFAULT_IMAGE_MODEL = "gpt-image-1"
#: the key of a follow-up's source task in ``GenerationRequest.extra``
SOURCE_VIDEO = "source_video"
#: errors about an attached file (their ``param`` becomes the API's field name)
MEDIA_CODES = frozenset(
    {"invalid_url", "media_fetch_failed", "file_too_large", "unsupported_media_type", "empty_file"}
)

JobBuilder = Callable[[GenerationRequest, GenerationContext], Awaitable[JobSpec]]


def resolve(
    registry: ModelRegistry, name: str, *, kind: ModelKind, method: str, api: str
) -> tuple[ModelSpec, JobBuilder]:
    """The model ``name`` and its handler's ``method``; 404 for an unknown model, 400 for one of
    another kind or whose plugin does not serve this API."""
    spec = registry.get(name)
    builder = getattr(spec.handler, method, None)
    if spec.kind != kind or builder is None:
        raise InvalidRequestError(
            f"The model '{name}' cannot be used with the {api}; "
            f"use a {kind} model such as '{DEFAULT_VIDEO_MODEL if kind == 'video' else DEFAULT_IMAGE_MODEL}'",
            param="model",
            code="model_not_supported",
        )
    return spec, builder


async def build_job(
    builder: JobBuilder,
    request: GenerationRequest,
    ctx: GenerationContext,
    *,
    media_param: str,
    text_param: str = "prompt",
) -> JobSpec:
    """``builder(request, ctx)``, with the chat surface's ``param="messages"`` renamed to the API's field."""
    try:
        return await builder(request, ctx)
    except GatewayError as exc:
        if exc.param == "messages":
            exc.param = media_param if exc.code in MEDIA_CODES else text_param
        raise


def with_api_params(job: JobSpec, **api: Any) -> JobSpec:
    """``job`` with what the surface keeps for rendering (``params["api"]``)."""
    return replace(job, params={**job.params, "api": api})
