"""Sentinel tokens (the ``openai-sentinel-token`` header, spec §7).

A :class:`SentinelSource` hands out tokens for an account. :class:`LocalSentinelSource` is the
"local" mode of §7.2: one ``POST {chatgpt}/backend-api/sentinel/req`` exchange plus the proof of
work of §7.3, no caching. The external POW service (§7.4) and a cache are meant to be further
implementations of the same protocol; callers report a token the upstream rejected through
:meth:`SentinelSource.invalidate` so a caching source can drop it.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from router.errors import UpstreamBadResponseError
from router.sora import pow
from router.sora.headers import sentinel_request_headers
from router.sora.http import CallClass, UpstreamHttp
from router.sora.models import AccountCredentials

#: the flow named in the final header (local mode)
CREATE_FLOW = "sora_2_create_task__auto"
#: the flow of the sentinel/req exchange itself
INIT_FLOW = "sora_init"
SENTINEL_PATH = "/backend-api/sentinel/req"

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
