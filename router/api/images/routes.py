"""The OpenAI Images API: ``POST /v1/images/generations`` and ``POST /v1/images/edits``.

Each of the ``n`` images is its own task (they may run on different accounts); the request waits
for all of them and answers OpenAI's ``{created, data: [{url} | {b64_json}]}``. If some fail, the
others are still returned; if all fail, the first failure is the error. ``b64_json`` reads each
file through the account that made it (or from the gateway's cache). Without ``response_format``
the model decides (its ``params["response_format"]``): OpenAI's GPT image names answer base64, as
OpenAI's do, other names a URL.

Edits take one image (Sora's image-to-image): a file part (``image`` or ``image[]``), an https or
base64 data URL, or JSON ``images: [{"image_url": …}]``. ``mask`` (inpainting) has no Sora
counterpart and is refused; other OpenAI fields (``quality``, ``background``, ``style`` …) are
accepted and ignored.
"""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

from fastapi import APIRouter, Request

from router.api.images.requests import ImageEdit, ImageGenerate
from router.api.videos.content import read_bytes
from router.api.videos.forms import media_input, read_fields, validate
from router.api.videos.handlers import DEFAULT_IMAGE_MODEL, build_job, resolve
from router.api.videos.owners import owner_of
from router.deps import ApiKeyDep, ServicesDep
from router.errors import GatewayError, InvalidRequestError, UnsupportedParameterError
from router.events import Completed, Failed
from router.generation import GenerationRequest, MediaInput
from router.services import Services
from router.storage.tasks import TaskRecord
from router.tasks.job import JobSpec

router = APIRouter()
API = "Images API"


@router.post("/v1/images/generations")
async def generate_images(request: Request, principal: ApiKeyDep, services: ServicesDep) -> dict[str, Any]:
    fields = await read_fields(request, max_bytes=services.settings.media.max_upload_bytes)
    body = validate(ImageGenerate, fields)
    return await _images(request, services, owner_of(principal), body, ())


@router.post("/v1/images/edits")
async def edit_images(request: Request, principal: ApiKeyDep, services: ServicesDep) -> dict[str, Any]:
    fields = await read_fields(request, max_bytes=services.settings.media.max_upload_bytes)
    body = validate(ImageEdit, fields)
    if body.mask is not None:
        raise UnsupportedParameterError("mask is not supported: Sora edits the whole image", param="mask")
    references = body.references()
    if not references:
        raise InvalidRequestError("image is required: the image to edit", param="image")
    if len(references) > 1:
        raise InvalidRequestError(
            f"Sora edits one image at a time (got {len(references)})", param="image", code="too_many_images"
        )
    image = media_input(references[0], param="image", default_type="image/png")
    return await _images(request, services, owner_of(principal), body, (image,))


async def _images(
    request: Request, services: Services, owner: int, body: ImageGenerate, images: tuple[MediaInput, ...]
) -> dict[str, Any]:
    model = body.model or DEFAULT_IMAGE_MODEL
    spec, job_for = resolve(services.registry, model, kind="image", method="job_for", api=API)
    response_format = body.response_format or spec.params.get("response_format") or "url"
    generation = GenerationRequest(
        model=spec,
        requested_model=model,
        prompt=body.prompt,
        images=images,
        extra=body.options(),
        owner_key_id=owner,
        base_url=str(request.base_url),
    )
    job = await build_job(job_for, generation, services.context, media_param="image")
    outcomes = await asyncio.gather(
        *(_one(services, job, owner) for _ in range(body.count)), return_exceptions=True
    )
    finished = [outcome for outcome in outcomes if isinstance(outcome, tuple)]
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, GatewayError):
            raise outcome
    if not finished:
        first = next(outcome for outcome in outcomes if isinstance(outcome, GatewayError))
        raise first
    data = []
    for record, urls in finished:
        for url in urls:
            if response_format == "b64_json":
                content, _ = await read_bytes(services, record, url)
                data.append({"b64_json": base64.b64encode(content).decode()})
            else:
                data.append({"url": url})
    return {"created": int(time.time()), "data": data}


async def _one(services: Services, job: JobSpec, owner: int) -> tuple[TaskRecord, tuple[str, ...]]:
    """Run one image task to its end: the finished record and its image URLs."""
    record = await services.tasks.submit(job, owner_key_id=owner)
    async for event in services.tasks.follow(record.id):
        if isinstance(event, Completed):
            return await services.tasks.get_task(record.id), event.urls
        if isinstance(event, Failed):
            raise event.error
    raise GatewayError("the image task ended without a result")
