"""Fixtures for the Sora transport tests: a recording MockTransport and a deterministic transport."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from functools import partial
from typing import Any

import httpx
import pytest

from router.config import UpstreamSettings
from router.sora.client import SoraTransport
from router.sora.models import AccountCredentials
from router.sora.sentinel import LocalSentinelSource

BACKEND = "https://sora.test/backend"
WEB = "https://web.test"
CHATGPT = "https://chatgpt.test"
AUTH = "https://auth.test"

ACCESS_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJl"
SESSION_TOKEN = "st-secret-value"

SENTINEL_ANSWER = {
    "token": "challenge-token-c",
    "turnstile": {"dx": "turnstile-dx"},
    "proofofwork": {"required": True, "seed": "0.4242", "difficulty": "0fffff"},
}

Reply = httpx.Response | Callable[[httpx.Request], httpx.Response]


@dataclass
class Upstream:
    """A MockTransport handler: canned replies per (method, URL without query), every request recorded.

    A route may hold a list of replies, used in order (the last one repeats).
    """

    routes: dict[tuple[str, str], list[Reply]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def on(self, method: str, url: str, *replies: Reply) -> None:
        self.routes[(method, url)] = list(replies)

    def json(self, method: str, url: str, body: Any, status: int = 200) -> None:
        self.on(method, url, httpx.Response(status, json=body))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = (request.method, str(request.url.copy_with(query=None)))
        replies = self.routes.get(key)
        if not replies:
            return httpx.Response(
                404, json={"error": {"message": f"no route {key}", "code": "test_no_route"}}
            )
        reply = replies.pop(0) if len(replies) > 1 else replies[0]
        return reply(request) if callable(reply) else reply

    def sent(self, method: str, url: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and str(r.url.copy_with(query=None)) == url]

    def only(self, method: str, url: str) -> httpx.Request:
        matches = self.sent(method, url)
        assert len(matches) == 1, f"{len(matches)} requests to {method} {url}"
        return matches[0]

    def serve_sentinel(self) -> None:
        self.json("POST", f"{CHATGPT}/backend-api/sentinel/req", SENTINEL_ANSWER)


def request_json(request: httpx.Request) -> Any:
    return json.loads(request.content)


def multipart_parts(request: httpx.Request) -> list[Message]:
    """The parts of a multipart request, in order (name via ``part.get_param('name', header=...)``)."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.content)
    assert message.is_multipart()
    return list(message.iter_parts())


def part_name(part: Message) -> str | None:
    value = part.get_param("name", header="content-disposition")
    return value if isinstance(value, str) else None


def fixed_clock() -> datetime:
    return datetime(2026, 3, 7, 12, 57, 21, tzinfo=UTC)


def make_settings(**overrides: Any) -> UpstreamSettings:
    values: dict[str, Any] = {
        "sora_backend": BACKEND,
        "sora_web": WEB,
        "chatgpt": CHATGPT,
        "openai_auth": AUTH,
    }
    values.update(overrides)
    return UpstreamSettings(**values)


@pytest.fixture
def upstream() -> Upstream:
    return Upstream()


@pytest.fixture
def settings() -> UpstreamSettings:
    return make_settings()


@pytest.fixture
async def transport(upstream: Upstream, settings: UpstreamSettings) -> AsyncIterator[SoraTransport]:
    sentinel = partial(LocalSentinelSource, rng=random.Random(7), clock=fixed_clock)
    async with SoraTransport(settings, transport=httpx.MockTransport(upstream), sentinel=sentinel) as sora:
        yield sora


@pytest.fixture
def creds() -> AccountCredentials:
    return AccountCredentials(account_id=1, access_token=ACCESS_TOKEN)
