"""Request bodies of the Videos and Images APIs: JSON or multipart, read into one shape.

The official SDKs send creates as ``multipart/form-data`` and nest objects with brackets
(``input_reference[image_url]=…``, ``video[id]=…``, ``image[]`` for arrays); other clients
send JSON. :func:`read_fields` turns either into the same dict (file parts become
:class:`UploadedFile`), so one pydantic model validates both spellings, and :func:`validate`
renders the first validation problem as a 400 naming the field.

A media reference (``input_reference``, an image to edit, a character's video) may be a file
part, an ``http(s)`` URL (fetched later behind the SSRF guard) or a base64 ``data:`` URL, bare or
as ``{"image_url": …}``; ``file_id`` references need a Files API this gateway does not have.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile

from router.errors import InvalidRequestError, UnsupportedParameterError
from router.generation import MediaInput

Model = TypeVar("Model", bound=BaseModel)

_DATA_URL = re.compile(r"data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(?:;[^,;]*)*),(?P<data>.*)", re.DOTALL)
_BRACKETS = re.compile(r"\[([^\[\]]*)\]")


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart body."""

    data: bytes
    content_type: str
    filename: str


async def read_fields(request: Request, *, max_bytes: int) -> dict[str, Any]:
    """The body as a dict: JSON, or form fields (nested by their brackets) and files."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        # text parts may hold data URLs, which base64 makes a third longer than the file
        form = await request.form(max_part_size=max_bytes * 2)
        try:
            fields: dict[str, Any] = {}
            for name, value in form.multi_items():
                item = await _file(value, name, max_bytes) if isinstance(value, UploadFile) else value
                _put(fields, name, item)
            return fields
        finally:
            await form.close()
    body = await request.body()
    if not body.strip():
        return {}
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidRequestError("The request body is not valid JSON (or multipart form data)") from exc
    if not isinstance(payload, dict):
        raise InvalidRequestError("The request body must be a JSON object")
    return payload


def validate(model: type[Model], fields: dict[str, Any]) -> Model:
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or None
        message = str(first["msg"]).removeprefix("Value error, ")
        raise InvalidRequestError(f"Invalid request: {where}: {message}", param=where) from exc


def media_input(value: object, *, param: str, default_type: str) -> MediaInput:
    """A media reference as the plugins take it: inline bytes (file, data URL) or a URL to fetch."""
    if isinstance(value, UploadedFile):
        return MediaInput(data=value.data, content_type=value.content_type, filename=value.filename)
    if isinstance(value, dict):
        if value.get("file_id"):
            raise UnsupportedParameterError(
                "file_id references are not supported (this gateway has no Files API): "
                f"send {param} as a file, an https URL or a base64 data URL",
                param=f"{param}.file_id",
            )
        for key in ("image_url", "url", "video_url"):
            if key in value:
                inner = value[key]
                inner = inner.get("url") if isinstance(inner, dict) else inner  # {"image_url": {"url"}}
                return media_input(inner, param=f"{param}.{key}", default_type=default_type)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        if text.startswith(("http://", "https://")):
            return MediaInput(url=text)
        if text.startswith("data:"):
            return _data_url(text, param=param, default_type=default_type)
    raise InvalidRequestError(
        f"Invalid {param}: expected a file, an https URL or a base64 data URL", param=param
    )


def media_digest(value: object) -> str | None:
    """What identifies a media reference in an idempotency fingerprint."""
    if value is None:
        return None
    if isinstance(value, UploadedFile):
        return hashlib.sha256(value.data).hexdigest()
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def _data_url(text: str, *, param: str, default_type: str) -> MediaInput:
    match = _DATA_URL.fullmatch(text)
    if match is None or ";base64" not in match["params"].lower():
        raise InvalidRequestError(f"Invalid {param}: only base64 data URLs are supported", param=param)
    try:
        data = base64.b64decode(match["data"].strip(), validate=False)
    except (binascii.Error, ValueError) as exc:
        raise InvalidRequestError(f"Invalid {param}: the data URL is not valid base64", param=param) from exc
    mime = match["mime"] or default_type
    extension = mime.rsplit("/", 1)[-1]
    return MediaInput(data=data, content_type=mime, filename=f"{param.split('.')[0]}.{extension}")


async def _file(upload: UploadFile, name: str, max_bytes: int) -> UploadedFile:
    data = await upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InvalidRequestError(
            f"The file in {name!r} is larger than the limit of {max_bytes} bytes",
            param=name,
            code="file_too_large",
        )
    return UploadedFile(
        data=data,
        content_type=upload.content_type or "application/octet-stream",
        filename=upload.filename or name,
    )


def _put(fields: dict[str, Any], name: str, value: Any) -> None:
    """Store one form part under its bracketed path: ``a[b]`` nests, ``a[]`` appends, repeats list."""
    head, _, rest = name.partition("[")
    keys = [head, *_BRACKETS.findall("[" + rest)] if rest else [head]
    target: Any = fields
    for index, key in enumerate(keys):
        last = index == len(keys) - 1
        if key == "":  # an array item
            if not isinstance(target, list):
                return
            if last:
                target.append(value)
                return
            target.append({})
            target = target[-1]
            continue
        if not isinstance(target, dict):
            return
        if last:
            if key in target:
                existing = target[key]
                target[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
            else:
                target[key] = value
            return
        target = target.setdefault(key, [] if keys[index + 1] == "" else {})
