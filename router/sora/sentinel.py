"""Sentinel tokens (the ``openai-sentinel-token`` header, spec §7).

A :class:`SentinelSource` hands out tokens for an account; :func:`build_sentinel_source` puts the
configured one together:

* :class:`LocalSentinelSource` — "local" mode (§7.2): one ``POST {chatgpt}/backend-api/sentinel/req``
  exchange plus the proof of work of §7.3 (token-aware: the account's ST cookie goes along);
* :class:`ExternalSentinelSource` — "external" mode (§7.4): the POW service, falling back to local on
  any failure (token-aware: the account's AT and ST go in the body);
* :class:`CachingSentinelSource` — reuses a token for ``cache_ttl`` seconds per (account when
  token-aware, proxy, user agent); one exchange per key at a time.

Callers report a token the upstream rejected through :meth:`SentinelSource.invalidate`, so the
cache drops it and the caller's single retry gets a fresh one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from router.config import SentinelSettings
from router.errors import UpstreamBadResponseError, UpstreamError
from router.sora import pow
from router.sora.headers import sentinel_request_headers
from router.sora.http import CallClass, UpstreamHttp, resolve_proxy
from router.sora.models import AccountCredentials

logger = logging.getLogger(__name__)

#: the flow named in the final header (local mode)
CREATE_FLOW = "sora_2_create_task__auto"
#: the flow of the sentinel/req exchange itself
INIT_FLOW = "sora_init"
SENTINEL_PATH = "/backend-api/sentinel/req"
POW_SERVICE_PATH = "/api/v1/sora/sentinel-token"

_HEX = re.compile(r"(?:[0-9a-fA-F]{2})+")


@dataclass(frozen=True)
class SentinelToken:
    """One sentinel, with what must travel alongside it (device id, UA, cookie)."""

    #: the ``openai-sentinel-token`` header value
    header: str = field(repr=False)
    #: sent as ``oai-device-id``
    device_id: str
    #: the User-Agent the token was minted for; the protected call must send the same
    user_agent: str
    #: a Cookie header the source wants forwarded (external POW service only)
    cookie: str | None = field(default=None, repr=False)


class SentinelSource(Protocol):
    """Where sentinel tokens come from."""

    async def get(self, account: AccountCredentials, *, flow_ua: str) -> SentinelToken:
        """A token for a protected call of ``account`` that will be sent with User-Agent ``flow_ua``."""
        ...

    async def invalidate(self, account: AccountCredentials, token: SentinelToken) -> None:
        """``token`` was rejected upstream; never hand it out again."""
        ...


def compact_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def sentinel_request_body(requirements: str, request_id: str) -> str:
    """The text body of sentinel/req: ``{"p": <gAAAAAC…>, "id": <uuid>, "flow": "sora_init"}``."""
    return compact_json({"p": requirements, "id": request_id, "flow": INIT_FLOW})


def sentinel_header(*, proof: str, turnstile: str, challenge: str, device_id: str) -> str:
    """The header JSON ``{p, t, c, id, flow}``; ``p`` always ends in ``~S``."""
    if not proof.endswith("~S"):
        proof += "~S"
    return compact_json({"p": proof, "t": turnstile, "c": challenge, "id": device_id, "flow": CREATE_FLOW})


class LocalSentinelSource:
    """Local mode (§7.2): ask chatgpt.com for a challenge and answer it here. Nothing is cached."""

    def __init__(
        self,
        http: UpstreamHttp,
        *,
        rng: random.Random | None = None,
        clock: pow.Clock = pow.local_now,
        send_session_cookie: bool = False,
    ) -> None:
        self._http = http
        self._rng = rng if rng is not None else random.SystemRandom()
        self._clock = clock
        #: ``use_token_for_pow``: send the account's ST cookie with sentinel/req
        self._send_session_cookie = send_session_cookie

    async def get(self, account: AccountCredentials, *, flow_ua: str) -> SentinelToken:
        request_id = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        requirements = await asyncio.to_thread(
            pow.requirements_token, flow_ua, rng=self._rng, clock=self._clock
        )
        body = sentinel_request_body(requirements, request_id)
        session_token = account.session_token if self._send_session_cookie else None
        answer = await self._http.request(
            CallClass.SENTINEL,
            "POST",
            self._http.url(self._http.settings.chatgpt, SENTINEL_PATH),
            headers=sentinel_request_headers(flow_ua, body, session_token=session_token),
            account_proxy=account.proxy_url,
            content=body.encode(),
            ok_statuses=(200,),
            service="The sentinel service",
        )
        challenge, turnstile, work = _read_answer(answer)
        proof = requirements
        if work is not None:
            seed, difficulty = work
            proof = await asyncio.to_thread(
                pow.answer_token, seed, difficulty, flow_ua, rng=self._rng, clock=self._clock
            )
        header = sentinel_header(proof=proof, turnstile=turnstile, challenge=challenge, device_id=request_id)
        return SentinelToken(header=header, device_id=request_id, user_agent=flow_ua)

    async def invalidate(self, account: AccountCredentials, token: SentinelToken) -> None:
        """Nothing to drop: every :meth:`get` makes a fresh exchange."""


def _read_answer(answer: Any) -> tuple[str, str, tuple[str, str] | None]:
    """``token``, ``turnstile.dx`` and (seed, difficulty) when proof of work is required."""
    body = answer if isinstance(answer, dict) else {}
    challenge = body.get("token")
    if not isinstance(challenge, str) or not challenge:
        raise UpstreamBadResponseError("The sentinel service's answer lacks 'token'")
    turnstile = body.get("turnstile")
    dx = turnstile.get("dx") if isinstance(turnstile, dict) else None
    dx = dx if isinstance(dx, str) else ""
    work = body.get("proofofwork")
    if not isinstance(work, dict) or work.get("required") is not True:
        return challenge, dx, None
    seed, difficulty = work.get("seed"), work.get("difficulty")
    if not (isinstance(seed, str) and seed and isinstance(difficulty, str) and difficulty):
        return challenge, dx, None
    if not _HEX.fullmatch(difficulty):
        raise UpstreamBadResponseError("The sentinel service sent a proof-of-work difficulty that is not hex")
    return challenge, dx, (seed, difficulty)


class ExternalSentinelSource:
    """External mode (§7.4): ``POST {server_url}/api/v1/sora/sentinel-token``; local mode on failure.

    The body is ``{"device_type": "ios"}`` plus, token-aware, ``access_token`` and ``session_token``,
    plus ``proxy_url`` (the POW proxy, a hint for the service's own egress) when one is configured.
    The answer's ``sentinel_token`` is the header verbatim; ``device_id``, ``user_agent`` and
    ``cookie_header`` travel with it (device id: the answer's, else the token's ``id``, else random).
    """

    def __init__(self, http: UpstreamHttp, settings: SentinelSettings, fallback: SentinelSource) -> None:
        self._http = http
        self._settings = settings
        self._fallback = fallback

    async def get(self, account: AccountCredentials, *, flow_ua: str) -> SentinelToken:
        try:
            return await self._fetch(account, flow_ua)
        except UpstreamError as exc:
            logger.warning("POW service failed, using the local sentinel instead: %s", exc.message)
        return await self._fallback.get(account, flow_ua=flow_ua)

    async def invalidate(self, account: AccountCredentials, token: SentinelToken) -> None:
        await self._fallback.invalidate(account, token)

    def body(self, account: AccountCredentials) -> dict[str, str]:
        body = {"device_type": "ios"}
        if self._settings.use_token_for_pow:
            body["access_token"] = account.access_token
            if account.session_token:
                body["session_token"] = account.session_token
        if self._http.settings.pow_proxy.strip():
            body["proxy_url"] = self._http.settings.pow_proxy.strip()
        return body

    async def _fetch(self, account: AccountCredentials, flow_ua: str) -> SentinelToken:
        if not (self._settings.server_url.strip() and self._settings.api_key):
            raise UpstreamError(
                "sentinel.server_url or sentinel.api_key is not configured", code="pow_service"
            )
        answer = await self._http.request(
            CallClass.POW_SERVICE,
            "POST",
            self._http.url(self._settings.server_url.strip(), POW_SERVICE_PATH),
            headers={
                "Authorization": f"Bearer {self._settings.api_key}",
                "Accept": "application/json",
                "Content-Type": "application/json",
            },
            json=self.body(account),
            ok_statuses=(200,),
            service="The POW service",
        )
        body = answer if isinstance(answer, dict) else {}
        header = body.get("sentinel_token")
        if not isinstance(header, str) or not header:
            raise UpstreamBadResponseError("The POW service's answer lacks 'sentinel_token'")
        return SentinelToken(
            header=header,
            device_id=_text(body.get("device_id")) or _token_id(header) or str(uuid.uuid4()),
            user_agent=_text(body.get("user_agent")) or flow_ua,
            cookie=_text(body.get("cookie_header")),
        )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _token_id(header: str) -> str | None:
    """The ``id`` inside a JSON sentinel token (an opaque token has none)."""
    try:
        value = json.loads(header)
    except ValueError:
        return None
    return _text(value.get("id")) if isinstance(value, dict) else None


@dataclass
class _Cached:
    token: SentinelToken
    expires: float


CacheKey = tuple[int | None, str | None, str]


class CachingSentinelSource:
    """Reuses a token of ``inner`` for ``ttl`` seconds; a rejected token is dropped at once.

    The key is (account id when ``per_account``, the sentinel proxy of the account, the user agent),
    so a token is only reused from the address and for the browser it was minted for.
    """

    def __init__(
        self,
        inner: SentinelSource,
        ttl: float,
        *,
        per_account: bool,
        proxy_of: Callable[[AccountCredentials], str | None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._inner = inner
        self._ttl = ttl
        self._per_account = per_account
        self._proxy_of = proxy_of
        self._clock = clock
        self._entries: dict[CacheKey, _Cached] = {}
        self._locks: dict[CacheKey, asyncio.Lock] = {}

    def key(self, account: AccountCredentials, flow_ua: str) -> CacheKey:
        return (account.account_id if self._per_account else None, self._proxy_of(account), flow_ua)

    async def get(self, account: AccountCredentials, *, flow_ua: str) -> SentinelToken:
        key = self.key(account, flow_ua)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            entry = self._entries.get(key)
            if entry is not None and entry.expires > self._clock():
                return entry.token
            token = await self._inner.get(account, flow_ua=flow_ua)
            self._entries[key] = _Cached(token, self._clock() + self._ttl)
            return token

    async def invalidate(self, account: AccountCredentials, token: SentinelToken) -> None:
        for key in [key for key, entry in self._entries.items() if entry.token == token]:
            del self._entries[key]
        await self._inner.invalidate(account, token)

    def __len__(self) -> int:
        return len(self._entries)


def build_sentinel_source(http: UpstreamHttp, settings: SentinelSettings) -> SentinelSource:
    """The sentinel source ``settings`` describe (mode, token awareness, cache)."""
    source: SentinelSource = LocalSentinelSource(http, send_session_cookie=settings.use_token_for_pow)
    if settings.mode == "external":
        source = ExternalSentinelSource(http, settings, fallback=source)
    if settings.cache_ttl > 0:
        source = CachingSentinelSource(
            source,
            settings.cache_ttl,
            per_account=settings.use_token_for_pow,
            proxy_of=lambda account: resolve_proxy(CallClass.SENTINEL, account.proxy_url, http.settings),
        )
    return source
