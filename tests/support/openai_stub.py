"""A local OpenAI-compatible chat server for tests: it echoes, records, and fails on demand.

:class:`StubServer` runs :func:`create_app` with uvicorn on ``127.0.0.1`` (a free port) in a
daemon thread::

    with StubServer() as stub:
        client_base_url = f"{stub.base_url}/v1"
        ...
        stub.requests[-1].authorization  # "Bearer sk-stub"

``POST /v1/chat/completions`` answers ``"echo: <last user text>"``, streamed or not. It becomes
a tool call instead when the request names one function in ``tool_choice``. Faults:

* a model named ``fail-<status>`` (``fail-401``, ``fail-429``, ``fail-500``, ...) always answers
  with that status and an OpenAI error envelope; like the real API, the 401 message quotes the
  presented key, so redaction can be tested;
* a model named ``fail-midstream`` streams one content chunk, then an in-band error event;
* :meth:`StubServer.fail_next` queues an error for the next request, whatever its model.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from tests.support.servers import ThreadedServer

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "invalid_request_error",
    404: "invalid_request_error",
    429: "rate_limit_error",
}


@dataclass(frozen=True)
class RecordedRequest:
    """One request the stub received."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")


@dataclass(frozen=True)
class Fault:
    status: int
    message: str


@dataclass
class StubState:
    """What the stub saw and what it should do next; shared between the test and the server thread."""

    requests: list[RecordedRequest] = field(default_factory=list)
    faults: deque[Fault] = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, request: RecordedRequest) -> Fault | None:
        with self.lock:
            self.requests.append(request)
            return self.faults.popleft() if self.faults else None


def last_user_text(messages: list[dict[str, Any]]) -> str:
    """The text of the last user message (text parts joined when the content is a list)."""
    for message in reversed(messages):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content
        if isinstance(content, list):
            return "".join(part.get("text", "") for part in content if part.get("type") == "text")
        return ""
    return ""


def error_response(status: int, message: str) -> JSONResponse:
    envelope = {
        "error": {
            "message": message,
            "type": ERROR_TYPES.get(status, "server_error"),
            "param": None,
            "code": f"stub_{status}",
        }
    }
    return JSONResponse(envelope, status_code=status)


def requested_tool(body: dict[str, Any]) -> str | None:
    """The function named by ``tool_choice`` when the request also sends ``tools``."""
    choice = body.get("tool_choice")
    if body.get("tools") and isinstance(choice, dict):
        name = choice.get("function", {}).get("name")
        return name if isinstance(name, str) else None
    return None


def completion(body: dict[str, Any], completion_id: str, created: int) -> dict[str, Any]:
    text = last_user_text(body.get("messages", []))
    tool = requested_tool(body)
    message: dict[str, Any] = {"role": "assistant", "content": f"echo: {text}", "refusal": None}
    finish_reason = "stop"
    if tool is not None:
        message["content"] = None
        message["tool_calls"] = [
            {
                "id": "call_echo_0",
                "type": "function",
                "function": {"name": tool, "arguments": json.dumps({"text": text})},
            }
        ]
        finish_reason = "tool_calls"
    prompt_tokens = len(text.split())
    completion_tokens = len(text.split()) + 1
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": body.get("model", ""),
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def stream_events(body: dict[str, Any], completion_id: str, created: int) -> Iterator[str]:
    """The SSE events of a streamed :func:`completion`: role, content pieces, finish, usage, DONE."""
    full = completion(body, completion_id, created)
    message = full["choices"][0]["message"]

    def event(delta: dict[str, Any] | None, finish_reason: str | None = None, **extra: Any) -> str:
        chunk: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": full["model"],
            "choices": []
            if delta is None
            else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
            **extra,
        }
        return f"data: {json.dumps(chunk)}\n\n"

    yield event({"role": "assistant", "content": ""})
    if message.get("tool_calls"):
        call = message["tool_calls"][0]
        head = {"index": 0, "id": call["id"], "type": "function"}
        yield event(
            {"tool_calls": [{**head, "function": {"name": call["function"]["name"], "arguments": ""}}]}
        )
        yield event({"tool_calls": [{"index": 0, "function": {"arguments": call["function"]["arguments"]}}]})
    else:
        for piece in re.findall(r"\S+\s*", message["content"]):
            yield event({"content": piece})
            if full["model"] == "fail-midstream":
                error = {
                    "message": "stub failure mid-stream",
                    "type": "server_error",
                    "code": "stub_midstream",
                }
                yield f"data: {json.dumps({'error': error})}\n\n"
                return
    yield event({}, full["choices"][0]["finish_reason"])
    if (body.get("stream_options") or {}).get("include_usage"):
        yield event(None, usage=full["usage"])
    yield "data: [DONE]\n\n"


def create_app(state: StubState) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Response:
        body = await request.json()
        fault = state.record(RecordedRequest(request.url.path, body, dict(request.headers)))
        model = str(body.get("model", ""))
        if fault is not None:
            return error_response(fault.status, fault.message)
        if match := re.fullmatch(r"fail-(\d{3})", model):
            status = int(match.group(1))
            message = f"stub failure {status}"
            if status == 401:
                presented = request.headers.get("authorization", "").removeprefix("Bearer ")
                message = f"Incorrect API key provided: {presented}."
            return error_response(status, message)
        completion_id = f"chatcmpl-stub{len(state.requests)}"
        created = int(time.time())
        if body.get("stream"):
            return StreamingResponse(
                stream_events(body, completion_id, created), media_type="text/event-stream"
            )
        return JSONResponse(completion(body, completion_id, created))

    return app


class StubServer(ThreadedServer):
    """Runs the stub on 127.0.0.1 in a daemon thread; use as a context manager."""

    def __init__(self) -> None:
        self.state = StubState()
        super().__init__(create_app(self.state), lifespan="off", name="openai-stub")

    @property
    def requests(self) -> list[RecordedRequest]:
        with self.state.lock:
            return list(self.state.requests)

    def reset(self) -> None:
        """Forget the recorded requests and drop queued faults."""
        with self.state.lock:
            self.state.requests.clear()
            self.state.faults.clear()

    def fail_next(self, status: int, message: str | None = None) -> None:
        """Answer the next request with ``status`` (and an OpenAI error envelope)."""
        with self.state.lock:
            self.state.faults.append(Fault(status, message or f"stub failure {status}"))
