"""The chat-completions request body and how its content becomes a generation request."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from router.errors import InvalidRequestError
from router.generation import MediaInput

DATA_URI = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(;[^;,]*)*?);base64,(?P<data>.*)$", re.S)
EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/gif": "gif",
    "video/mp4": "mp4",
}


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict[str, Any]] | None = None


class ChatCompletionRequest(BaseModel):
    """Only what the gateway reads is typed; every other OpenAI field passes through in ``extra``."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1)
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False


def decode_data_uri(uri: str, *, param: str, kind: str) -> MediaInput:
    match = DATA_URI.match(uri.strip())
    if match is None:
        raise InvalidRequestError(f"{param} is not a base64 data URI", param=param)
    try:
        data = base64.b64decode(match["data"], validate=False)
    except (binascii.Error, ValueError) as exc:
        raise InvalidRequestError(f"{param} holds invalid base64 data", param=param) from exc
    mime = match["mime"] or ("image/png" if kind == "image" else "video/mp4")
    return MediaInput(data=data, content_type=mime, filename=f"{kind}.{EXTENSIONS.get(mime, 'bin')}")


def media_from(value: Any, *, param: str, kind: str) -> MediaInput:
    """An ``image_url``/``video_url`` item (object with ``url`` or a plain string) as a ``MediaInput``."""
    url = value.get("url") if isinstance(value, dict) else value
    if not isinstance(url, str) or not url.strip():
        raise InvalidRequestError(f"{param} must be an object with a non-empty 'url'", param=param)
    url = url.strip()
    if url.startswith("data:"):
        return decode_data_uri(url, param=param, kind=kind)
    if url.startswith(("http://", "https://")):
        return MediaInput(url=url, filename=url.rsplit("/", 1)[-1].split("?", 1)[0] or kind)
    raise InvalidRequestError(f"{param} must be a data URI or an http(s) URL", param=param)


def parse_content(request: ChatCompletionRequest) -> tuple[str, list[MediaInput], list[MediaInput]]:
    """Prompt text, images and videos of the last message (the original's convention)."""
    message = request.messages[-1]
    index = len(request.messages) - 1
    content = message.content
    if content is None:
        return "", [], []
    if isinstance(content, str):
        return content, [], []
    texts: list[str] = []
    images: list[MediaInput] = []
    videos: list[MediaInput] = []
    for position, item in enumerate(content):
        param = f"messages[{index}].content[{position}]"
        kind = item.get("type")
        if kind == "text":
            text = item.get("text")
            if not isinstance(text, str):
                raise InvalidRequestError(f"{param}.text must be a string", param=param)
            texts.append(text)
        elif kind == "image_url":
            images.append(media_from(item.get("image_url"), param=f"{param}.image_url", kind="image"))
        elif kind == "video_url":
            videos.append(media_from(item.get("video_url"), param=f"{param}.video_url", kind="video"))
        else:
            raise InvalidRequestError(f"{param} has unsupported type {kind!r}", param=param)
    return "\n".join(texts), images, videos
