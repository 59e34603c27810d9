"""Sentinel modes (§7.4): the external POW service with its local fallback, token awareness, the cache;
plus fixed proof-of-work vectors computed independently of the solver."""

from __future__ import annotations

import base64
import hashlib
import json
import random
from functools import partial

import httpx
import pytest

from router.config import SentinelSettings
from router.errors import SentinelBlockError
from router.sora import pow
from router.sora.client import SoraTransport
from router.sora.headers import DESKTOP_CHROME_UA, MOBILE_CHROME_UA
from router.sora.http import UpstreamHttp
from router.sora.models import AccountCredentials
from router.sora.sentinel import (
    CachingSentinelSource,
    ExternalSentinelSource,
    LocalSentinelSource,
    SentinelToken,
    build_sentinel_source,
)

from .conftest import ACCESS_TOKEN, BACKEND, CHATGPT, SESSION_TOKEN, Upstream, fixed_clock, make_settings

POW_URL = "https://pow.test/api/v1/sora/sentinel-token"
SENTINEL_URL = f"{CHATGPT}/backend-api/sentinel/req"
SERVICE_TOKEN = '{"p":"gAAAAABxyz~S","t":"t","c":"c","id":"11111111-1111-4111-8111-111111111111","flow":"f"}'


def external(**overrides: object) -> SentinelSettings:
    values: dict[str, object] = {
        "mode": "external",
        "server_url": "https://pow.test",
        "api_key": "pow-key",
        "cache_ttl": 0,
    }
    values.update(overrides)
    return SentinelSettings(**values)  # type: ignore[arg-type]


def account(**overrides: object) -> AccountCredentials:
    values: dict[str, object] = {
        "account_id": 7,
        "access_token": ACCESS_TOKEN,
        "session_token": SESSION_TOKEN,
    }
    values.update(overrides)
    return AccountCredentials(**values)  # type: ignore[arg-type]


async def sora_with(
    upstream: Upstream, settings: SentinelSettings, **upstream_settings: object
) -> SoraTransport:
    return SoraTransport(
        make_settings(**upstream_settings),
        transport=httpx.MockTransport(upstream),
        sentinel_settings=settings,
    )


async def test_external_service_request_and_token(upstream: Upstream) -> None:
    upstream.json(
        "POST",
        POW_URL,
        {
            "sentinel_token": SERVICE_TOKEN,
            "device_id": "dev-1",
            "user_agent": "Service UA",
            "cookie_header": "oai-did=dev-1",
        },
    )
    async with await sora_with(upstream, external()) as sora:
        token = await sora.sentinel.get(account(), flow_ua=DESKTOP_CHROME_UA)
    request = upstream.only("POST", POW_URL)
    assert request.headers["authorization"] == "Bearer pow-key"
    assert request.headers["accept"] == request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"device_type": "ios"}  # not token-aware: no tokens leave
    assert token == SentinelToken(
        header=SERVICE_TOKEN, device_id="dev-1", user_agent="Service UA", cookie="oai-did=dev-1"
    )
    assert not upstream.sent("POST", SENTINEL_URL)


async def test_token_aware_external_body_and_pow_proxy_hint(upstream: Upstream) -> None:
    upstream.json("POST", POW_URL, {"sentinel_token": SERVICE_TOKEN})
    settings = external(use_token_for_pow=True)
    async with await sora_with(upstream, settings, pow_proxy="socks5://pow-proxy:1080") as sora:
        token = await sora.sentinel.get(account(), flow_ua=MOBILE_CHROME_UA)
        assert sora.http.open_proxies == ("socks5://pow-proxy:1080",)  # the service call went through it
    body = json.loads(upstream.only("POST", POW_URL).content)
    assert body == {
        "device_type": "ios",
        "access_token": ACCESS_TOKEN,
        "session_token": SESSION_TOKEN,
        "proxy_url": "socks5://pow-proxy:1080",
    }
    # no device id or UA in the answer: the token's own id, and the caller's UA
    assert (token.device_id, token.user_agent, token.cookie) == (
        "11111111-1111-4111-8111-111111111111",
        MOBILE_CHROME_UA,
        None,
    )


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(401, json={"error": {"message": "bad key"}}),
        httpx.Response(500, text="boom"),
        httpx.Response(200, json={"sentinel_token": ""}),
        httpx.Response(200, json={"nothing": True}),
    ],
)
async def test_external_failure_falls_back_to_local(upstream: Upstream, answer: httpx.Response) -> None:
    upstream.on("POST", POW_URL, answer)
    upstream.serve_sentinel()
    async with await sora_with(upstream, external()) as sora:
        token = await sora.sentinel.get(account(), flow_ua=MOBILE_CHROME_UA)
    assert upstream.sent("POST", POW_URL)
    assert upstream.only("POST", SENTINEL_URL)
    assert json.loads(token.header)["flow"] == "sora_2_create_task__auto"


async def test_external_without_url_or_key_goes_local_without_calling(upstream: Upstream) -> None:
    upstream.serve_sentinel()
    async with await sora_with(upstream, external(api_key="")) as sora:
        await sora.sentinel.get(account(), flow_ua=MOBILE_CHROME_UA)
    assert not upstream.sent("POST", POW_URL)
    assert upstream.only("POST", SENTINEL_URL)


async def test_local_token_aware_sends_the_session_cookie(upstream: Upstream) -> None:
    upstream.serve_sentinel()
    settings = SentinelSettings(use_token_for_pow=True, cache_ttl=0)
    async with await sora_with(upstream, settings) as sora:
        await sora.sentinel.get(account(), flow_ua=MOBILE_CHROME_UA)
    cookie = upstream.only("POST", SENTINEL_URL).headers["cookie"]
    assert cookie == f"__Secure-next-auth.session-token={SESSION_TOKEN}"


async def test_the_cache_reuses_per_ua_and_proxy_and_drops_a_rejected_token(upstream: Upstream) -> None:
    upstream.serve_sentinel()
    async with await sora_with(upstream, SentinelSettings(cache_ttl=300)) as sora:
        source = sora.sentinel
        assert isinstance(source, CachingSentinelSource)
        first = await source.get(account(), flow_ua=MOBILE_CHROME_UA)
        assert await source.get(account(account_id=8), flow_ua=MOBILE_CHROME_UA) == first  # not per account
        other_ua = await source.get(account(), flow_ua=DESKTOP_CHROME_UA)
        other_proxy = await source.get(account(proxy_url="http://p:1"), flow_ua=MOBILE_CHROME_UA)
        assert len(upstream.sent("POST", SENTINEL_URL)) == 3
        assert first != other_ua and first != other_proxy
        await source.invalidate(account(), first)
        fresh = await source.get(account(), flow_ua=MOBILE_CHROME_UA)
        assert fresh != first and len(upstream.sent("POST", SENTINEL_URL)) == 4


async def test_the_cache_is_per_account_when_token_aware_and_expires(upstream: Upstream) -> None:
    upstream.serve_sentinel()
    now = [0.0]
    async with SoraTransport(make_settings(), transport=httpx.MockTransport(upstream)) as sora:
        local = LocalSentinelSource(sora.http)
        source = CachingSentinelSource(
            local, 10, per_account=True, proxy_of=lambda a: a.proxy_url, clock=lambda: now[0]
        )
        await source.get(account(account_id=1), flow_ua="UA")
        await source.get(account(account_id=2), flow_ua="UA")
        await source.get(account(account_id=1), flow_ua="UA")
        assert len(upstream.sent("POST", SENTINEL_URL)) == 2
        now[0] = 11
        await source.get(account(account_id=1), flow_ua="UA")
        assert len(upstream.sent("POST", SENTINEL_URL)) == 3


async def test_concurrent_calls_share_one_exchange(upstream: Upstream) -> None:
    import asyncio

    upstream.serve_sentinel()
    async with await sora_with(upstream, SentinelSettings(cache_ttl=300)) as sora:
        tokens = await asyncio.gather(*(sora.sentinel.get(account(), flow_ua="UA") for _ in range(5)))
    assert len(set(tokens)) == 1 and len(upstream.sent("POST", SENTINEL_URL)) == 1


async def test_a_blocked_create_gets_exactly_one_fresh_sentinel(upstream: Upstream) -> None:
    upstream.serve_sentinel()
    blocked = httpx.Response(400, json={"error": {"message": "Hmmm", "code": "sentinel_block"}})
    upstream.on("POST", f"{BACKEND}/nf/create", blocked, httpx.Response(200, json={"id": "task_1"}))
    async with await sora_with(upstream, SentinelSettings(cache_ttl=300)) as sora:
        session = sora.session(account())
        assert await session.create_video({"kind": "video", "prompt": "x"}) == "task_1"
        creates = upstream.sent("POST", f"{BACKEND}/nf/create")
        assert len(creates) == 2
        assert creates[0].headers["openai-sentinel-token"] != creates[1].headers["openai-sentinel-token"]
        assert len(upstream.sent("POST", SENTINEL_URL)) == 2
        # blocked twice: the second block reaches the caller, no third try
        upstream.on("POST", f"{BACKEND}/nf/create", blocked)
        with pytest.raises(SentinelBlockError):
            await session.create_video({"kind": "video", "prompt": "x"})
        assert len(upstream.sent("POST", f"{BACKEND}/nf/create")) == 4
        assert isinstance(sora.sentinel, CachingSentinelSource) and len(sora.sentinel) == 0  # both dropped


def test_build_sentinel_source_composes_the_modes(upstream: Upstream) -> None:
    http = UpstreamHttp(make_settings(), transport=httpx.MockTransport(upstream))
    assert isinstance(build_sentinel_source(http, SentinelSettings(cache_ttl=0)), LocalSentinelSource)
    assert isinstance(build_sentinel_source(http, external()), ExternalSentinelSource)
    cached = build_sentinel_source(http, external(cache_ttl=5))
    assert isinstance(cached, CachingSentinelSource)


# -- proof of work: fixed vectors -------------------------------------------------------------------

VECTOR_CONFIG: list[object] = [
    1920,
    "Sat Mar 07 2026 12:57:21 GMT+0800 (CST)",
    4294967296,
    0,
    "Mozilla/5.0 vector",
    "https://chatgpt.com/backend-api/sentinel/sdk.js",
    None,
    "en-US",
    "en-US,en",
    5,
    "hardwareConcurrency\u221232",
    "location",
    "window",
    12345.5,
    "8c2d4c1e-2f4b-4a7e-9a63-0f5b8b3d9e11",
    "",
    8,
    1772859441000 - 12345.5,
]


@pytest.mark.parametrize(
    ("seed", "difficulty", "nonce", "answer_sha256", "digest_head"),
    [
        # computed once with a separate, naive implementation (copy, set idx 3/9, dump, base64, hash)
        (
            "0.42",
            "00ffff",
            378,
            "e13dec494c485702003bf96e96733ce3bffa6116495b39e12201f00bf1fd594c",
            "0060f0f6",
        ),
        (
            "vector-seed",
            "000fff",
            983,
            "3f0242d24b9efaf61aa7f1a135784e0b37b70a636bcaca5a9c90a38c320fb3e3",
            "00015a27",
        ),
    ],
)
def test_solver_matches_fixed_vectors(
    seed: str, difficulty: str, nonce: int, answer_sha256: str, digest_head: str
) -> None:
    answer, solved = pow.solve(seed, difficulty, VECTOR_CONFIG)
    assert solved
    assert hashlib.sha256(answer.encode()).hexdigest() == answer_sha256
    assert hashlib.sha3_512((seed + answer).encode()).digest()[:4].hex() == digest_head
    decoded = json.loads(base64.b64decode(answer))
    assert decoded[3] == nonce and decoded[9] == 5 + -(-nonce // 30)


def test_tokens_carry_the_prefixes() -> None:
    rng = partial(random.Random, 9)
    assert pow.requirements_token("UA", rng=rng(), clock=fixed_clock).startswith("gAAAAAC")
    assert pow.answer_token("0.1", "0fffff", "UA", rng=rng(), clock=fixed_clock).startswith("gAAAAAB")
