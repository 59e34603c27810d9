"""Every request the simulator receives, as a structured record (bodies, headers, account)."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from .state import FakeSora

SESSION_COOKIE = "__Secure-next-auth.session-token"
CONTROL_PREFIX = "/__sim__"
RECORD_KEY = "fake_sora.record"


@dataclass(frozen=True)
class FilePart:
    filename: str | None
    content_type: str | None
    size: int


@dataclass
class Record:
    """One request. ``headers`` keys are lower-case; ``body`` is the parsed JSON body, if any."""

    seq: int
    time: float
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any = None
    form: dict[str, FilePart | str] | None = None
    text: str | None = None
    account: str | None = None
    client: str | None = None
    status: int | None = None
    violation: str | None = None
    fault: str | None = None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def sentinel(self) -> dict[str, Any] | None:
        """The ``openai-sentinel-token`` header parsed as JSON, if it is JSON."""
        raw = self.header("openai-sentinel-token")
        try:
            value = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            return None
        return value if isinstance(value, dict) else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Recorder:
    records: list[Record] = field(default_factory=list)

    def add(self, record: Record) -> None:
        self.records.append(record)

    def next_seq(self) -> int:
        return len(self.records) + 1

    def find(self, path_suffix: str, method: str | None = None) -> list[Record]:
        return [
            r
            for r in self.records
            if r.path.endswith(path_suffix) and (method is None or r.method == method.upper())
        ]


def _headers(scope: Scope) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        if name in headers:
            value = headers[name] + ("; " if name == "cookie" else ", ") + value
        headers[name] = value
    return headers


def _cookie(headers: dict[str, str], name: str) -> str | None:
    for item in headers.get("cookie", "").split(";"):
        key, _, value = item.strip().partition("=")
        if key == name:
            return value
    return None


async def _parse_form(scope: Scope, body: bytes) -> dict[str, FilePart | str] | None:
    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    fields: dict[str, FilePart | str] = {}
    try:
        async with Request(scope, receive).form(max_part_size=64 * 1024 * 1024) as form:
            for name, value in form.multi_items():
                if isinstance(value, UploadFile):
                    fields[name] = FilePart(value.filename, value.content_type, value.size or 0)
                else:
                    fields[name] = value
    except MultiPartException:
        return None
    return fields


class RecordingMiddleware:
    """Pure ASGI: records the request, then replays its body to the app."""

    def __init__(self, app: ASGIApp, sim: FakeSora) -> None:
        self.app = app
        self.sim = sim

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        body = b"".join(chunks)
        record = await self._record(scope, body)
        scope[RECORD_KEY] = record
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def send_and_note(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = message["status"]
            await send(message)

        await self.app(scope, replay, send_and_note)

    async def _record(self, scope: Scope, body: bytes) -> Record:
        headers = _headers(scope)
        parsed: Any = None
        form = None
        text = None
        content_type = headers.get("content-type", "")
        if content_type.startswith("multipart/form-data"):
            form = await _parse_form(scope, body)
        elif body:
            text = body.decode("utf-8", errors="replace")
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError:
                parsed = None
        client = scope.get("client")
        with self.sim.lock:
            record = Record(
                seq=self.sim.recorder.next_seq(),
                time=time.time(),
                method=scope["method"],
                path=scope["path"],
                query=dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)),
                headers=headers,
                body=parsed,
                form=form,
                text=text,
                account=self._account(headers, parsed),
                client=f"{client[0]}:{client[1]}" if client else None,
            )
            self.sim.recorder.add(record)
        return record

    def _account(self, headers: dict[str, str], body: Any) -> str | None:
        """Who sent it: bearer token, else session cookie, else a token in the JSON body."""
        books = self.sim.accounts
        authorization = headers.get("authorization", "")
        if authorization.startswith("Bearer ") and (email := books.email_for_token(authorization[7:])):
            return email
        session = _cookie(headers, SESSION_COOKIE)
        if session and (email := books.session_tokens.get(session)):
            return email
        if isinstance(body, dict):
            if isinstance(token := body.get("access_token"), str) and (email := books.email_for_token(token)):
                return email
            if isinstance(rt := body.get("refresh_token"), str):
                return books.refresh_tokens.get(rt) or books.retired_refresh_tokens.get(rt)
        return None


def record_of(scope: Scope) -> Record | None:
    record: Record | None = scope.get(RECORD_KEY)
    return record
