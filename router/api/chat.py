"""POST /v1/chat/completions: plugin models rendered from task events, other models via litellm."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import ValidationError

from router import streaming
from router.api.chat_request import ChatCompletionRequest, parse_content
from router.auth import Principal
from router.deps import ApiKeyDep, ServicesDep
from router.errors import (
    ContentPolicyError,
    GatewayError,
    InvalidRequestError,
    ModelNotFoundError,
    NotFoundError,
)
from router.events import Completed, Event, Failed, Partial, Progress, Reasoning, Started
from router.generation import GenerationRequest
from router.models import ModelSpec
from router.services import Services
from router.storage.tasks import TaskRecord

router = APIRouter()
#: the body field that picks up an existing task instead of starting a new one
PICKUP_FIELD = "task_id"
KEEP_ALIVE_SECONDS = 15.0
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def render_result(event: Completed) -> str:
    """The final content in the original's formats, which purpose-built UIs scrape."""
    if event.kind == "image":
        return "\n".join(f"![Generated Image]({url})" for url in event.urls)
    if event.kind == "video":
        return "\n".join(f"```html\n<video src='{url}' controls></video>\n```" for url in event.urls)
    return event.text


async def _read_body(request: Request) -> ChatCompletionRequest:
    try:
        payload = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidRequestError("The request body is not valid JSON") from exc
    try:
        return ChatCompletionRequest.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or None
        raise InvalidRequestError(f"Invalid request: {where}: {first['msg']}", param=where) from exc


@router.post("/v1/chat/completions", response_model=None)
async def chat_completions(
    request: Request, principal: ApiKeyDep, services: ServicesDep
) -> JSONResponse | StreamingResponse:
    body = await _read_body(request)
    spec = services.registry.find(body.model)
    if spec is None:
        if services.passthrough.has_model(body.model):
            return await _passthrough(body, services)
        raise ModelNotFoundError(f"The model '{body.model}' does not exist", param="model")
    if (task_id := (body.model_extra or {}).get(PICKUP_FIELD)) is not None:
        return await _respond(body, await _pickup(task_id, spec, principal, services))
    prompt, images, videos = parse_content(body)
    generation = GenerationRequest(
        model=spec,
        requested_model=body.model,
        prompt=prompt,
        images=tuple(images),
        videos=tuple(videos),
        extra=dict(body.model_extra or {}),
        owner_key_id=principal.owner_id,
        base_url=str(request.base_url),
    )
    return await _respond(body, spec.handler.generate(generation, services.context))


async def _pickup(
    task_id: object, spec: ModelSpec, principal: Principal, services: Services
) -> AsyncIterator[Event]:
    """The events of the caller's task ``task_id`` (picked up again, e.g. after the stream dropped).

    Only the key that created the task (or an admin key) may; anyone else gets the same 404 as
    for an unknown id. The request names the task's model.
    """
    if not isinstance(task_id, str) or not task_id:
        raise InvalidRequestError("task_id must be the id of a task (a non-empty string)", param=PICKUP_FIELD)
    try:
        record: TaskRecord | None = await services.task_repo.get(task_id)
    except NotFoundError:
        record = None
    owners = {principal.key_id, principal.owner_id}
    if record is None or not (principal.is_admin or record.owner_key_id in owners):
        raise NotFoundError(f"No task with id {task_id!r}", param=PICKUP_FIELD, code="task_not_found")
    if record.model != spec.id:
        raise InvalidRequestError(
            f"Task {task_id} was made with the model '{record.model}'; pick it up with that model",
            param="model",
        )
    return services.tasks.pickup(record)


async def _respond(
    body: ChatCompletionRequest, events: AsyncIterator[Event]
) -> JSONResponse | StreamingResponse:
    # Run until the first event so that errors found before any work starts get a real status.
    try:
        first = await anext(events)
    except StopAsyncIteration:
        raise GatewayError("the model produced no result") from None
    if body.stream:
        return StreamingResponse(
            _sse(body.model, first, events), media_type="text/event-stream", headers=SSE_HEADERS
        )
    return JSONResponse(await _collect(body.model, first, events))


async def _chained(first: Event, events: AsyncIterator[Event]) -> AsyncIterator[Event]:
    yield first
    async for event in events:
        yield event


async def _with_keepalive(events: AsyncIterator[Event]) -> AsyncIterator[Event | None]:
    """The events, with ``None`` whenever nothing happened for a while (so proxies keep the line)."""
    iterator = aiter(events)
    pending: asyncio.Task[Event] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(iterator))
            done, _ = await asyncio.wait({pending}, timeout=KEEP_ALIVE_SECONDS)
            if not done:
                yield None
                continue
            try:
                event = pending.result()
            except StopAsyncIteration:
                return
            pending = None
            yield event
    finally:
        if pending is not None:
            pending.cancel()


async def _sse(model: str, first: Event, events: AsyncIterator[Event]) -> AsyncIterator[str]:
    writer = streaming.ChunkWriter(model=model)
    try:
        async for event in _with_keepalive(_chained(first, events)):
            if event is None:
                yield streaming.KEEP_ALIVE
            elif isinstance(event, Started):
                writer.extra["task_id"] = event.task_id
                yield streaming.sse(writer.chunk(content=""))
            elif isinstance(event, Reasoning | Progress):
                yield streaming.sse(writer.chunk(reasoning=event.text))
            elif isinstance(event, Partial):
                yield streaming.sse(writer.chunk(content=event.text))
            elif isinstance(event, Completed):
                yield streaming.sse(writer.chunk(content=render_result(event)))
                yield streaming.sse(writer.chunk(finish_reason="stop"))
                break
            elif isinstance(event, Failed):
                if isinstance(event.error, ContentPolicyError):
                    yield streaming.sse(
                        writer.chunk(reasoning=f"**Content Policy Violation**\n\n{event.error.message}\n")
                    )
                    yield streaming.sse(writer.chunk(content=f"❌ Generation failed: {event.error.message}"))
                    yield streaming.sse(writer.chunk(finish_reason="content_filter"))
                else:
                    yield streaming.sse(event.error.to_dict())
                break
    except GatewayError as exc:
        yield streaming.sse(exc.to_dict())
    finally:
        await _close(events)
    yield streaming.DONE


async def _close(events: AsyncIterator[Event]) -> None:
    closer = getattr(events, "aclose", None)
    if closer is not None:
        await closer()


async def _collect(model: str, first: Event, events: AsyncIterator[Event]) -> dict[str, Any]:
    reasoning: list[str] = []
    partial: list[str] = []
    extra: dict[str, Any] = {}
    try:
        async for event in _chained(first, events):
            if isinstance(event, Started):
                extra["task_id"] = event.task_id
            elif isinstance(event, Reasoning | Progress):
                reasoning.append(event.text)
            elif isinstance(event, Partial):
                partial.append(event.text)
            elif isinstance(event, Completed):
                return streaming.completion(
                    model=model,
                    content="".join(partial) + render_result(event),
                    reasoning="".join(reasoning) or None,
                    extra=extra,
                )
            elif isinstance(event, Failed):
                raise event.error
    finally:
        await _close(events)
    raise GatewayError("the generation ended without a result")


async def _passthrough(body: ChatCompletionRequest, services: Services) -> JSONResponse | StreamingResponse:
    payload = body.model_dump(exclude_none=True)
    if not body.stream:
        return JSONResponse(await services.passthrough.complete(payload))
    chunks = services.passthrough.stream(payload)
    try:
        first = await anext(chunks)  # errors before the first chunk keep their HTTP status
    except StopAsyncIteration:
        raise GatewayError("the upstream model sent an empty stream", code="empty_stream") from None

    async def frames() -> AsyncIterator[str]:
        try:
            yield streaming.sse(first)
            async for chunk in chunks:
                yield streaming.sse(chunk)
        except GatewayError as exc:
            yield streaming.sse(exc.to_dict())
        finally:
            await chunks.aclose()
        yield streaming.DONE

    return StreamingResponse(frames(), media_type="text/event-stream", headers=SSE_HEADERS)
