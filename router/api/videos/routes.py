"""The OpenAI Videos API over durable tasks: create, retrieve, list, delete, content, remix, extend.

Every create starts a task through the model plugin's handler (``handlers``) and answers at once
with the video object (``queued``); the task runs in the engine whatever the client does next.
Tasks are visible only to the key that created them, and creates honour ``Idempotency-Key``
(``owners``). Status codes follow OpenAI: an unknown (or foreign) video is a 404
``video_not_found``; content of an unfinished video is a 404 ``video_not_ready`` (what OpenAI
answers); remixing, extending or deleting a video in the wrong state is a 409.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from router.api.videos.content import serve
from router.api.videos.forms import UploadedFile, media_input, read_fields, validate
from router.api.videos.handlers import (
    DEFAULT_VIDEO_MODEL,
    SOURCE_VIDEO,
    build_job,
    resolve,
    with_api_params,
)
from router.api.videos.objects import (
    POLL_AFTER_HEADER,
    api_params,
    deleted,
    poll_after_ms,
    result_url,
    video_list,
    video_object,
)
from router.api.videos.owners import fingerprint, idempotency_key, owner_of, replay, scope_of, submit
from router.api.videos.requests import VideoCreate, VideoEdit, VideoExtension, VideoReference, VideoRemix
from router.auth import Principal
from router.deps import ApiKeyDep, ServicesDep
from router.errors import (
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    UnsupportedParameterError,
)
from router.generation import GenerationRequest, MediaInput
from router.services import Services
from router.storage.tasks import TaskRecord

router = APIRouter()
API = "Videos API"
#: the content variants and the type each is served as when the upstream does not say
VARIANT_TYPES = {"video": "video/mp4", "thumbnail": "image/webp", "spritesheet": "image/jpeg"}
MAX_LIST_LIMIT = 100
DEFAULT_LIST_LIMIT = 20


def video_not_found(video_id: str) -> NotFoundError:
    return NotFoundError(f"Video with id '{video_id}' not found.", code="video_not_found")


def video_response(record: TaskRecord, services: Services) -> JSONResponse:
    settings = services.settings
    headers = {}
    hint = poll_after_ms(record, poll_interval=settings.tasks.poll_interval)
    if hint is not None:
        headers[POLL_AFTER_HEADER] = str(hint)
    return JSONResponse(video_object(record, cache_ttl_seconds=settings.cache.ttl_seconds), headers=headers)


async def owned_video(services: Services, principal: Principal, video_id: str) -> TaskRecord:
    try:
        record = await services.tasks.get_task(video_id, owner=scope_of(principal))
    except NotFoundError:
        raise video_not_found(video_id) from None
    if record.kind != "video":
        raise video_not_found(video_id)
    return record


# -- create ------------------------------------------------------------------------------


@router.post("/v1/videos")
async def create_video(request: Request, principal: ApiKeyDep, services: ServicesDep) -> JSONResponse:
    fields = await read_fields(request, max_bytes=services.settings.media.max_upload_bytes)
    body = validate(VideoCreate, fields)
    owner, key = owner_of(principal), idempotency_key(request)
    digest = fingerprint("create", body.fingerprint_fields())
    if (earlier := await replay(services.tasks, owner, key, digest)) is not None:
        return video_response(earlier, services)
    model = body.model or DEFAULT_VIDEO_MODEL
    spec, job_for = resolve(services.registry, model, kind="video", method="job_for", api=API)
    images: tuple[MediaInput, ...] = ()
    if body.input_reference is not None:
        reference = media_input(body.input_reference, param="input_reference", default_type="image/png")
        images = (reference,)
    generation = GenerationRequest(
        model=spec,
        requested_model=model,
        prompt=body.prompt,
        images=images,
        extra=body.options(),
        owner_key_id=owner,
        base_url=str(request.base_url),
    )
    job = await build_job(job_for, generation, services.context, media_param="input_reference")
    job = with_api_params(
        job, model=model, prompt=body.prompt, fingerprint=digest, remixed_from_video_id=None
    )
    return video_response(await submit(services.tasks, job, owner, key, digest), services)


# -- read, list, delete ------------------------------------------------------------------


@router.get("/v1/videos/{video_id}")
async def retrieve_video(video_id: str, principal: ApiKeyDep, services: ServicesDep) -> JSONResponse:
    return video_response(await owned_video(services, principal, video_id), services)


@router.get("/v1/videos")
async def list_videos(request: Request, principal: ApiKeyDep, services: ServicesDep) -> dict[str, Any]:
    after, limit, order = _list_params(request)
    if limit == 0:
        return video_list([], has_more=False, cache_ttl_seconds=services.settings.cache.ttl_seconds)
    try:
        records = await services.tasks.list_tasks(
            scope_of(principal), kind="video", after=after, limit=limit + 1, order=order
        )
    except NotFoundError:
        raise NotFoundError(
            f"No video with id '{after}' to list after", param="after", code="video_not_found"
        ) from None
    return video_list(
        records[:limit], has_more=len(records) > limit, cache_ttl_seconds=services.settings.cache.ttl_seconds
    )


@router.delete("/v1/videos/{video_id}")
async def delete_video(video_id: str, principal: ApiKeyDep, services: ServicesDep) -> dict[str, Any]:
    record = await owned_video(services, principal, video_id)
    try:
        await services.tasks.delete_task(record.id, owner=scope_of(principal))
    except ConflictError:
        raise ConflictError(
            f"Video {video_id} is still {record.status}; only a completed or failed video can be deleted",
            code="video_in_progress",
        ) from None
    except NotFoundError:  # deleted meanwhile
        raise video_not_found(video_id) from None
    return deleted(record.id)


# -- content -----------------------------------------------------------------------------


@router.get("/v1/videos/{video_id}/content", response_model=None)
async def video_content(
    video_id: str, request: Request, principal: ApiKeyDep, services: ServicesDep
) -> Response:
    variant = request.query_params.get("variant") or "video"
    if variant not in VARIANT_TYPES:
        raise InvalidRequestError(
            f"Invalid variant {variant!r}: expected one of {', '.join(VARIANT_TYPES)}",
            param="variant",
            code="invalid_variant",
        )
    record = await owned_video(services, principal, video_id)
    if record.status == "failed":
        raise NotFoundError(
            f"Video {video_id} failed ({record.error_message or record.error_code}); it has no content",
            code="video_failed",
        )
    if record.status != "completed":
        raise NotFoundError(
            f"Video is not ready yet: {video_id} is {record.status} ({record.progress}%); "
            f"poll GET /v1/videos/{video_id} until its status is completed",
            code="video_not_ready",
        )
    url = result_url(record, variant)
    if url is None:
        if variant == "video":
            raise NotFoundError(f"Video {video_id} has no file", code="video_content_unavailable")
        raise NotFoundError(
            f"Video {video_id} has no {variant}: Sora did not provide one for it "
            "(the 'video' variant is always available)",
            param="variant",
            code="variant_not_available",
        )
    return await serve(
        services, record, url, range_header=request.headers.get("range"), default_type=VARIANT_TYPES[variant]
    )


# -- follow-ups: remix, edit, extension --------------------------------------------------


@router.post("/v1/videos/{video_id}/remix")
async def remix_video(
    video_id: str, request: Request, principal: ApiKeyDep, services: ServicesDep
) -> JSONResponse:
    fields = await read_fields(request, max_bytes=services.settings.media.max_upload_bytes)
    body = validate(VideoRemix, fields)
    return await _follow_up(request, principal, services, video_id, "remix", body, {})


@router.post("/v1/videos/edits")
async def edit_video(request: Request, principal: ApiKeyDep, services: ServicesDep) -> JSONResponse:
    """OpenAI's targeted edit of a video, served as a Sora remix of it."""
    fields = await read_fields(request, max_bytes=services.settings.media.max_upload_bytes)
    body = validate(VideoEdit, fields)
    return await _follow_up(request, principal, services, _source_id(body.video), "remix", body, {})


@router.post("/v1/videos/extensions")
async def extend_video(request: Request, principal: ApiKeyDep, services: ServicesDep) -> JSONResponse:
    fields = await read_fields(request, max_bytes=services.settings.media.max_upload_bytes)
    body = validate(VideoExtension, fields)
    extra = {"seconds": body.seconds} if body.seconds is not None else {}
    return await _follow_up(request, principal, services, _source_id(body.video), "extension", body, extra)


async def _follow_up(
    request: Request,
    principal: Principal,
    services: Services,
    source_id: str,
    operation: Literal["remix", "extension"],
    body: VideoRemix,
    extra: dict[str, Any],
) -> JSONResponse:
    owner, key = owner_of(principal), idempotency_key(request)
    digest = fingerprint(operation, {"source": source_id, "prompt": body.prompt, **body.options(), **extra})
    if (earlier := await replay(services.tasks, owner, key, digest)) is not None:
        return video_response(earlier, services)
    source = await owned_video(services, principal, source_id)
    if source.status != "completed":
        raise ConflictError(
            f"Video {source_id} is {source.status}; only a completed video can be "
            f"{'remixed' if operation == 'remix' else 'extended'}",
            code="video_not_completed",
        )
    model = str(api_params(source).get("model") or source.model)
    method = "remix_job" if operation == "remix" else "extension_job"
    try:
        spec, builder = resolve(services.registry, source.model, kind="video", method=method, api=API)
    except InvalidRequestError:
        raise InvalidRequestError(
            f"Video {source_id} (model {source.model}) cannot be "
            f"{'remixed' if operation == 'remix' else 'extended'} through the {API}",
            code="operation_not_supported",
        ) from None
    generation = GenerationRequest(
        model=spec,
        requested_model=model,
        prompt=body.prompt,
        extra={**body.options(), **extra, SOURCE_VIDEO: _source(source)},
        owner_key_id=owner,
        base_url=str(request.base_url),
    )
    job = await build_job(builder, generation, services.context, media_param="video")
    job = with_api_params(
        job,
        model=model,
        prompt=body.prompt,
        fingerprint=digest,
        remixed_from_video_id=source.id if operation == "remix" else None,
        extended_from_video_id=source.id if operation == "extension" else None,
    )
    return video_response(await submit(services.tasks, job, owner, key, digest), services)


def _source_id(value: object) -> str:
    """The id in ``video: {"id": …}`` (JSON, or ``video[id]`` in multipart, or a bare id)."""
    if isinstance(value, UploadedFile):
        raise UnsupportedParameterError(
            "Only videos made by this gateway can be edited or extended: "
            "pass video={'id': 'video_…'} instead of an upload",
            param="video",
        )
    if isinstance(value, str) and value.strip():
        return value.strip()
    if value is None:
        raise InvalidRequestError("video is required: {'id': 'video_…'}", param="video")
    return validate(VideoReference, value if isinstance(value, dict) else {}).id


def _source(record: TaskRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "generation_id": record.generation_id,
        "account_id": record.account_id,
        "params": record.params,
        "result": record.result,
    }


def _list_params(request: Request) -> tuple[str | None, int, Literal["asc", "desc"]]:
    query = request.query_params
    after = query.get("after") or None
    raw_limit = query.get("limit")
    try:
        limit = DEFAULT_LIST_LIMIT if raw_limit in (None, "") else int(raw_limit)
    except ValueError:
        limit = -1
    if not 0 <= limit <= MAX_LIST_LIMIT:
        raise InvalidRequestError(
            f"Invalid limit {raw_limit!r}: expected an integer from 0 to {MAX_LIST_LIMIT}", param="limit"
        )
    order = query.get("order") or "desc"
    if order not in ("asc", "desc"):
        raise InvalidRequestError(f"Invalid order {order!r}: expected 'asc' or 'desc'", param="order")
    return after, limit, "asc" if order == "asc" else "desc"
