"""Fault injection: a queue of faults tests fill, and the middleware that fires them.

Request faults replace the response of the next matching request (or delay/drop it); task
faults change how the next task created by a matching request ends.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from . import errors
from .recording import CONTROL_PREFIX, record_of

if TYPE_CHECKING:
    from .state import FakeSora

REQUEST_FAULTS = frozenset(
    {
        "http_401",
        "sentinel_block",
        "invalid_request",
        "cloudflare_403",
        "too_many_concurrent",
        "quota",
        "heavy_load",
        "server_error",
        "slow",
        "drop",
        "empty_token",
    }
)
VIDEO_TASK_FAULTS = frozenset({"content_violation", "stuck", "missing_draft", "pending_failed", "no_url"})
IMAGE_TASK_FAULTS = frozenset({"image_failed"})
CAMEO_TASK_FAULTS = frozenset({"cameo_failed"})
ALL_FAULTS = REQUEST_FAULTS | VIDEO_TASK_FAULTS | IMAGE_TASK_FAULTS | CAMEO_TASK_FAULTS


class SimulatedDrop(httpx.RemoteProtocolError):
    """Raised to cut a connection mid-response; also what an in-process ASGITransport client sees."""

    def __init__(self) -> None:
        super().__init__("fake_sora: connection dropped mid-response (injected fault)")


class DropFilter(logging.Filter):
    """Keeps uvicorn from logging a traceback for every injected drop."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], SimulatedDrop))


def quiet_drops() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, DropFilter) for f in logger.filters):
        logger.addFilter(DropFilter())


@dataclass
class Fault:
    """``pattern`` is a path suffix (``/nf/create``) or a glob over the whole path (``*/drafts*``)."""

    pattern: str
    kind: str
    times: int | None = 1  # None: every matching request
    account: str | None = None
    method: str | None = None
    delay: float = 5.0  # "slow" only
    message: str | None = None  # replaces the canned message or failure reason
    hits: int = 0

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def matches(self, method: str, path: str, account: str | None) -> bool:
        if self.exhausted or (self.method and self.method.upper() != method):
            return False
        if self.account is not None and self.account != account:
            return False
        if any(ch in self.pattern for ch in "*?["):
            return fnmatch.fnmatchcase(path, self.pattern)
        return path.endswith(self.pattern)


class FaultPlan:
    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._faults: list[Fault] = []

    def add(
        self,
        path_pattern: str,
        kind: str,
        times: int | None = 1,
        account: str | None = None,
        *,
        method: str | None = None,
        delay: float = 5.0,
        message: str | None = None,
    ) -> Fault:
        if kind not in ALL_FAULTS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {sorted(ALL_FAULTS)}")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 or None")
        fault = Fault(path_pattern, kind, times, account, method, delay, message)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, kinds: frozenset[str], method: str, path: str, account: str | None) -> Fault | None:
        """The first live fault of one of ``kinds`` matching the request; counts a hit."""
        with self._lock:
            for fault in self._faults:
                if fault.kind in kinds and fault.matches(method, path, account):
                    fault.hits += 1
                    return fault
        return None

    def pending(self) -> list[Fault]:
        with self._lock:
            return [f for f in self._faults if not f.exhausted]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()


_CANNED: dict[str, Callable[[FakeSora], errors.SimError]] = {
    "http_401": lambda sim: errors.token_invalidated(),
    "sentinel_block": lambda sim: errors.sentinel_block(violation=False),
    "invalid_request": lambda sim: errors.invalid_request(),
    "too_many_concurrent": lambda sim: errors.too_many_concurrent(sim.config.max_concurrent_videos),
    "heavy_load": lambda sim: errors.heavy_load(),
    "server_error": lambda sim: errors.server_error(),
}


def fault_response(fault: Fault, sim: FakeSora, account: str | None) -> Response:
    """The canned upstream answer for a request fault (§9.2)."""
    if fault.kind == "cloudflare_403":
        return errors.cloudflare_page()
    if fault.kind == "empty_token":
        return JSONResponse({"sentinel_token": ""})
    if fault.kind == "quota":
        with sim.lock:
            known = sim.accounts.by_email.get(account or "")
            resets_in = (known.access_resets_in_seconds if known else 0) or 3600
        error = errors.quota_exhausted(resets_in)
    else:
        error = _CANNED[fault.kind](sim)
    if fault.message:
        error.message = fault.message
    return error.response()


class FaultMiddleware:
    """Pure ASGI: latency for every request, then the first matching request fault, if any."""

    def __init__(self, app: ASGIApp, sim: FakeSora) -> None:
        self.app = app
        self.sim = sim

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        timing = self.sim.timing
        delay = timing.latency_s + (random.uniform(0, timing.jitter_s) if timing.jitter_s else 0.0)
        if delay > 0:
            await asyncio.sleep(delay)
        record = record_of(scope)
        account = record.account if record else None
        fault = self.sim.faults.take(REQUEST_FAULTS, scope["method"], scope["path"], account)
        if fault is None:
            await self.app(scope, receive, send)
            return
        if record is not None:
            record.fault = fault.kind
        if fault.kind == "slow":
            await asyncio.sleep(fault.delay)
            await self.app(scope, receive, send)
        elif fault.kind == "drop":
            headers = [(b"content-type", b"application/json"), (b"content-length", b"4096")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b'{"id": "task_', "more_body": True})
            raise SimulatedDrop()
        else:
            await fault_response(fault, self.sim, account)(scope, receive, send)
