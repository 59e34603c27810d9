"""Pure SSE framing for chat completions: one id, one model, ``[DONE]`` at the end. No HTTP here."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

DONE = "data: [DONE]\n\n"
KEEP_ALIVE = ": keep-alive\n\n"


def sse(payload: dict[str, Any]) -> str:
    """One SSE event carrying ``payload`` as compact JSON."""
    return f"data: {json.dumps(payload, ensure_ascii=False, separators=(',', ':'))}\n\n"


def completion_id() -> str:
    return f"chatcmpl-{secrets.token_hex(12)}"


@dataclass
class ChunkWriter:
    """Builds the ``chat.completion.chunk`` objects of one stream (same id and created on all)."""

    model: str
    id: str = field(default_factory=completion_id)
    created: int = field(default_factory=lambda: int(time.time()))
    extra: dict[str, Any] = field(default_factory=dict)
    _role_sent: bool = False

    def chunk(
        self,
        *,
        content: str | None = None,
        reasoning: str | None = None,
        finish_reason: str | None = None,
    ) -> dict[str, Any]:
        delta: dict[str, Any] = {}
        if not self._role_sent:
            delta["role"] = "assistant"
            self._role_sent = True
        if content is not None:
            delta["content"] = content
        if reasoning is not None:
            delta["reasoning_content"] = reasoning
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
            **self.extra,
        }


def completion(
    *,
    model: str,
    content: str,
    reasoning: str | None = None,
    finish_reason: str = "stop",
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A complete non-stream ``chat.completion`` object."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if reasoning:
        message["reasoning_content"] = reasoning
    return {
        "id": completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        **(extra or {}),
    }
