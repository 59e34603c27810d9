"""Strict body checks: exact key sets, exact types, exact values; every failure names the culprit."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from .errors import strict

# A check returns None when the value is fine, else a phrase like "must be one of [..], got 5 (int)".
Check = Callable[[Any], str | None]


def describe(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{text} ({type(value).__name__})"


def _same(value: Any, expected: Any) -> bool:
    """Equal and of the same JSON type (True is not 1, 300.0 is not 300)."""
    if type(value) is not type(expected):
        return False
    if isinstance(expected, list):
        return len(value) == len(expected) and all(_same(a, b) for a, b in zip(value, expected, strict=True))
    if isinstance(expected, dict):
        return value.keys() == expected.keys() and all(_same(value[k], expected[k]) for k in expected)
    return bool(value == expected)


def const(expected: Any) -> Check:
    def check(value: Any) -> str | None:
        return None if _same(value, expected) else f"must be {json.dumps(expected)}, got {describe(value)}"

    return check


def one_of(*choices: Any) -> Check:
    def check(value: Any) -> str | None:
        if any(_same(value, choice) for choice in choices):
            return None
        return f"must be one of {json.dumps(list(choices))}, got {describe(value)}"

    return check


def nonempty_str(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return None
    return f"must be a non-empty string, got {describe(value)}"


def any_str(value: Any) -> str | None:
    return None if isinstance(value, str) else f"must be a string, got {describe(value)}"


def str_or_null(value: Any) -> str | None:
    return (
        None
        if value is None or isinstance(value, str)
        else f"must be a string or null, got {describe(value)}"
    )


def matches(pattern: str, what: str) -> Check:
    compiled = re.compile(pattern)

    def check(value: Any) -> str | None:
        if isinstance(value, str) and compiled.fullmatch(value):
            return None
        return f"must be {what}, got {describe(value)}"

    return check


def validate_object(obj: Any, schema: Mapping[str, Check], where: str = "body") -> dict[str, Any]:
    """Exactly the schema's keys, each passing its check; returns the object typed as a dict."""
    if not isinstance(obj, dict):
        raise strict(f"{where} must be a JSON object, got {describe(obj)}")
    missing = [key for key in schema if key not in obj]
    extra = [key for key in obj if key not in schema]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing key(s) {missing}")
        if extra:
            parts.append(f"unexpected key(s) {extra}")
        raise strict(f"{where}: {'; '.join(parts)}; expected exactly {list(schema)}", param=where)
    for key, check in schema.items():
        problem = check(obj[key])
        if problem:
            raise strict(f"{where}.{key} {problem}", param=key)
    return obj


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def json_body(request: Request) -> Any:
    """The JSON body; Content-Type must be application/json (H1)."""
    content_type = request.headers.get("content-type")
    if _media_type(request) != "application/json":
        raise strict(f"Content-Type must be application/json, got {content_type!r}", param="content-type")
    raw = await request.body()
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise strict(f"body is not valid JSON ({exc})") from exc


async def no_body(request: Request) -> None:
    if await request.body():
        raise strict(f"{request.method} {request.url.path} takes no body")


def check_query(request: Request, expected: Mapping[str, str]) -> None:
    """Exactly these query parameters with exactly these values."""
    got = list(request.query_params.multi_items())
    if sorted(got) != sorted(expected.items()):
        want = "&".join(f"{k}={v}" for k, v in expected.items()) or "(none)"
        raise strict(f"query must be {want}, got {request.url.query or '(none)'}", param="query")


@dataclass(frozen=True)
class Part:
    """One multipart part: a file (filename set) or a text field."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


async def multipart_parts(request: Request, expected: Sequence[tuple[str, str]]) -> dict[str, Part]:
    """Parts named exactly as ``expected`` (name, "file" | "text"), in that order, nothing else."""
    if _media_type(request) != "multipart/form-data":
        got = request.headers.get("content-type")
        raise strict(f"Content-Type must be multipart/form-data, got {got!r}", param="content-type")
    parts: list[Part] = []
    async with request.form(max_part_size=64 * 1024 * 1024) as form:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                parts.append(Part(name, value.filename, value.content_type, await value.read()))
            else:
                parts.append(Part(name, None, None, value.encode()))
    names = [part.name for part in parts]
    if names != [name for name, _ in expected]:
        want = [name for name, _ in expected]
        raise strict(f"multipart parts must be exactly {want} in this order, got {names}", param="multipart")
    for part, (name, kind) in zip(parts, expected, strict=True):
        if kind == "file" and part.filename is None:
            raise strict(f"multipart part {name!r} must be a file (with a filename)", param=name)
        if kind == "text" and part.filename is not None:
            raise strict(f"multipart part {name!r} must be a text field, got a file", param=name)
    return {part.name: part for part in parts}


def sniff(data: bytes) -> str | None:
    """The real format of some bytes: png, jpeg, webp, gif or mp4."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[4:8] == b"ftyp":
        return "mp4"
    return None
