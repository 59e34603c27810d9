"""``POST /v1/videos/characters`` and ``GET /v1/videos/characters/{id}``: Sora cameos.

A character is made from a short clip (a ``video`` file part, or an https/data URL) by the
plugin that serves the ``character`` model kind, inline on one leased account (Sora's cameo
flow: upload, processing, avatar, finalize). The answer is OpenAI's ``{id, name, created_at}``
plus ``username`` and ``display_name``: Sora names the character itself, and prompts use it as
``@<username>``. The character is kept as a task of kind ``character``, owned by the caller.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request

from router.api.videos.forms import media_input, read_fields, validate
from router.api.videos.objects import character_object
from router.api.videos.owners import owner_of, scope_of
from router.api.videos.requests import CharacterCreate
from router.deps import ApiKeyDep, ServicesDep
from router.errors import GatewayError, InvalidRequestError, NotFoundError
from router.events import Completed, Event, Failed
from router.generation import GenerationRequest
from router.models import ModelSpec
from router.services import Services

router = APIRouter()


@router.post("/v1/videos/characters")
async def create_character(request: Request, principal: ApiKeyDep, services: ServicesDep) -> dict[str, Any]:
    body = validate(
        CharacterCreate, await read_fields(request, max_bytes=services.settings.media.max_upload_bytes)
    )
    if body.video is None:
        raise InvalidRequestError("video is required: the clip to make the character from", param="video")
    spec = _character_model(services)
    owner = owner_of(principal)
    generation = GenerationRequest(
        model=spec,
        requested_model=spec.id,
        prompt="",
        videos=(media_input(body.video, param="video", default_type="video/mp4"),),
        extra={"name": body.name},
        owner_key_id=owner,
        base_url=str(request.base_url),
    )
    card = await _run(spec.handler.generate(generation, services.context))
    params = {"api": {"name": body.name}}
    record = await services.task_repo.create(
        prefix="char", kind="character", model=spec.id, owner_key_id=owner, params=params
    )
    record = await services.task_repo.update(record.id, status="completed", progress=100, result=card)
    return character_object(record)


@router.get("/v1/videos/characters/{character_id}")
async def get_character(character_id: str, principal: ApiKeyDep, services: ServicesDep) -> dict[str, Any]:
    try:
        record = await services.tasks.get_task(character_id, owner=scope_of(principal))
    except NotFoundError:
        record = None
    if record is None or record.kind != "character":
        raise NotFoundError(f"Character with id '{character_id}' not found.", code="character_not_found")
    return character_object(record)


def _character_model(services: Services) -> ModelSpec:
    for spec in services.registry:
        if spec.kind == "character":
            return spec
    raise NotFoundError("No plugin serving characters is loaded", code="model_not_found")


async def _run(events: AsyncIterator[Event]) -> dict[str, Any]:
    """The character card the flow ends with; its errors name the API's field."""
    try:
        async for event in events:
            if isinstance(event, Completed):
                return dict(event.data)
            if isinstance(event, Failed):
                raise event.error
    except GatewayError as exc:
        if exc.param == "messages":
            exc.param = "video"
        raise
    finally:
        closer = getattr(events, "aclose", None)
        if closer is not None:
            await closer()
    raise GatewayError("the character flow ended without a result")
