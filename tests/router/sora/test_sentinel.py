"""The local sentinel exchange (§7.2) and the header it builds (§7.1)."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import uuid

import httpx
import pytest

from router.errors import CloudflareChallengeError, UpstreamBadResponseError
from router.sora.client import SoraTransport
from router.sora.headers import MOBILE_CHROME_UA
from router.sora.http import UpstreamHttp
from router.sora.models import AccountCredentials
from router.sora.sentinel import LocalSentinelSource, sentinel_header, sentinel_request_body

from .conftest import CHATGPT, SENTINEL_ANSWER, SESSION_TOKEN, Upstream, fixed_clock, make_settings

SENTINEL_URL = f"{CHATGPT}/backend-api/sentinel/req"


def hash_ok(seed: str, answer: str, difficulty: str) -> bool:
    digest = hashlib.sha3_512((seed + answer).encode()).digest()
    return digest[: len(difficulty) // 2] <= bytes.fromhex(difficulty)


async def test_exchange_request_and_header(
    transport: SoraTransport, upstream: Upstream, creds: AccountCredentials
) -> None:
    upstream.serve_sentinel()
    token = await transport.sentinel.get(creds, flow_ua=MOBILE_CHROME_UA)

    request = upstream.only("POST", SENTINEL_URL)
    body_text = request.content.decode()
    body = json.loads(body_text)
    assert list(body) == ["p", "id", "flow"]
    assert body["flow"] == "sora_init"
    assert body["p"].startswith("gAAAAAC")
    assert body_text == json.dumps(body, separators=(",", ":"))  # compact
    assert uuid.UUID(body["id"]).version == 4
    # the requirements token is a real 0fffff answer for the UA
    fingerprint = json.loads(base64.b64decode(body["p"].removeprefix("gAAAAAC")))
    assert len(fingerprint) == 18 and fingerprint[4] == MOBILE_CHROME_UA

    assert request.headers["user-agent"] == f"{MOBILE_CHROME_UA} {body_text}"
    assert request.headers["content-type"] == "text/plain;charset=UTF-8"
    assert request.headers["origin"] == "https://chatgpt.com"
    assert request.headers["referer"] == "https://chatgpt.com/backend-api/sentinel/frame.html"
    assert request.headers["sec-ch-ua-mobile"] == "?1"
    assert request.headers["sec-ch-ua-platform"] == '"Android"'
    assert "chromium" in request.headers["sec-ch-ua"].lower()
    assert "authorization" not in request.headers
    assert "cookie" not in request.headers
    assert request.extensions["timeout"]["read"] == make_settings().sentinel_timeout

    header = json.loads(token.header)
    assert list(header) == ["p", "t", "c", "id", "flow"]
    assert token.header == json.dumps(header, separators=(",", ":"))
    assert header["t"] == "turnstile-dx"
    assert header["c"] == "challenge-token-c"
    assert header["id"] == body["id"] == token.device_id
    assert header["flow"] == "sora_2_create_task__auto"
    assert header["p"].startswith("gAAAAAB") and header["p"].endswith("~S")
    answer = header["p"].removeprefix("gAAAAAB").removesuffix("~S")
    work = SENTINEL_ANSWER["proofofwork"]
    assert isinstance(work, dict)
    assert hash_ok(work["seed"], answer, work["difficulty"])
    assert token.user_agent == MOBILE_CHROME_UA
    assert token.cookie is None


async def test_without_required_work_the_initial_token_is_sent(
    transport: SoraTransport, upstream: Upstream, creds: AccountCredentials
) -> None:
    upstream.json("POST", SENTINEL_URL, {"token": "c2", "proofofwork": {"required": False}})
    token = await transport.sentinel.get(creds, flow_ua="UA")
    sent = json.loads(upstream.only("POST", SENTINEL_URL).content)
    header = json.loads(token.header)
    assert header["p"] == sent["p"] + "~S"
    assert header["t"] == ""


async def test_non_200_raises_the_mapped_error(
    transport: SoraTransport, upstream: Upstream, creds: AccountCredentials
) -> None:
    upstream.on("POST", SENTINEL_URL, httpx.Response(403, text="<html>Just a moment...</html>"))
    with pytest.raises(CloudflareChallengeError):
        await transport.sentinel.get(creds, flow_ua="UA")


async def test_answer_without_token_is_a_bad_response(
    transport: SoraTransport, upstream: Upstream, creds: AccountCredentials
) -> None:
    upstream.json("POST", SENTINEL_URL, {"turnstile": {"dx": "x"}})
    with pytest.raises(UpstreamBadResponseError):
        await transport.sentinel.get(creds, flow_ua="UA")


async def test_bad_difficulty_is_a_bad_response(
    transport: SoraTransport, upstream: Upstream, creds: AccountCredentials
) -> None:
    upstream.json(
        "POST",
        SENTINEL_URL,
        {"token": "c", "proofofwork": {"required": True, "seed": "1", "difficulty": "xyz"}},
    )
    with pytest.raises(UpstreamBadResponseError):
        await transport.sentinel.get(creds, flow_ua="UA")


async def test_session_cookie_only_when_asked(upstream: Upstream) -> None:
    upstream.serve_sentinel()
    account = AccountCredentials(
        account_id=1, access_token="AT", session_token=SESSION_TOKEN, proxy_url="http://p:1"
    )

    def source(http: UpstreamHttp) -> LocalSentinelSource:
        return LocalSentinelSource(http, rng=random.Random(1), clock=fixed_clock, send_session_cookie=True)

    async with SoraTransport(
        make_settings(), transport=httpx.MockTransport(upstream), sentinel=source
    ) as sora:
        await sora.sentinel.get(account, flow_ua="UA")
        assert "http://p:1" in sora.http.open_proxies  # the account's proxy carries the exchange
    cookie = upstream.only("POST", SENTINEL_URL).headers["cookie"]
    assert cookie == f"__Secure-next-auth.session-token={SESSION_TOKEN}"


def test_pure_builders() -> None:
    assert sentinel_request_body("gAAAAACx", "id-1") == '{"p":"gAAAAACx","id":"id-1","flow":"sora_init"}'
    assert sentinel_header(proof="gAAAAABy", turnstile="t", challenge="c", device_id="d") == (
        '{"p":"gAAAAABy~S","t":"t","c":"c","id":"d","flow":"sora_2_create_task__auto"}'
    )
    assert json.loads(sentinel_header(proof="x~S", turnstile="", challenge="c", device_id="d"))["p"] == "x~S"
