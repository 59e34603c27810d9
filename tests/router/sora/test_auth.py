"""ST→AT (A1) and RT→AT (A2)."""

from __future__ import annotations

import httpx
import pytest

from router.errors import UpstreamAuthError, UpstreamBadResponseError
from router.sora.client import SoraTransport

from .conftest import AUTH, WEB, Upstream, make_settings, request_json

SESSION_URL = f"{WEB}/api/auth/session"
TOKEN_URL = f"{AUTH}/oauth/token"


async def test_session_token_exchange(transport: SoraTransport, upstream: Upstream) -> None:
    upstream.json(
        "GET",
        SESSION_URL,
        {"user": {"email": "a@b.c"}, "expires": "2026-04-01T00:00:00Z", "accessToken": "AT-1"},
    )
    result = await transport.exchange_session_token("ST-1")
    assert (result.access_token, result.email, result.expires) == ("AT-1", "a@b.c", "2026-04-01T00:00:00Z")
    request = upstream.only("GET", SESSION_URL)
    assert request.headers["cookie"] == "__Secure-next-auth.session-token=ST-1"
    assert request.headers["accept"] == "application/json"
    assert request.headers["origin"] == "https://sora.chatgpt.com"
    assert request.headers["referer"] == "https://sora.chatgpt.com/"
    assert "authorization" not in request.headers
    assert request.extensions["timeout"]["read"] == make_settings().account_timeout
    assert "AT-1" not in repr(result)


async def test_dead_session_is_an_auth_error(transport: SoraTransport, upstream: Upstream) -> None:
    upstream.json("GET", SESSION_URL, {})
    with pytest.raises(UpstreamAuthError):
        await transport.exchange_session_token("ST-dead")


async def test_session_exchange_needs_json(transport: SoraTransport, upstream: Upstream) -> None:
    upstream.on("GET", SESSION_URL, httpx.Response(200, text=""))
    with pytest.raises(UpstreamBadResponseError):
        await transport.exchange_session_token("ST")


async def test_refresh_token_exchange(transport: SoraTransport, upstream: Upstream) -> None:
    upstream.json("POST", TOKEN_URL, {"access_token": "AT-2", "refresh_token": "RT-2", "expires_in": 864000})
    result = await transport.exchange_refresh_token("RT-1", proxy_url="http://acct:1")
    assert (result.access_token, result.refresh_token, result.expires_in) == ("AT-2", "RT-2", 864000)
    request = upstream.only("POST", TOKEN_URL)
    assert request_json(request) == {
        "client_id": "app_LlGpXReQgckcGGUo2JrYvtJK",
        "grant_type": "refresh_token",
        "redirect_uri": "com.openai.chat://auth0.openai.com/ios/com.openai.chat/callback",
        "refresh_token": "RT-1",
    }
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "application/json"
    assert "http://acct:1" in transport.http.open_proxies
    assert "RT-2" not in repr(result)


async def test_refresh_without_rotation(transport: SoraTransport, upstream: Upstream) -> None:
    upstream.json("POST", TOKEN_URL, {"access_token": "AT-3"})
    result = await transport.exchange_refresh_token("RT-1", client_id="app_mine")
    assert result.refresh_token is None and result.expires_in is None
    assert request_json(upstream.only("POST", TOKEN_URL))["client_id"] == "app_mine"


async def test_revoked_refresh_token(transport: SoraTransport, upstream: Upstream) -> None:
    upstream.json(
        "POST", TOKEN_URL, {"error": "invalid_grant", "error_description": "Token revoked"}, status=400
    )
    with pytest.raises(UpstreamAuthError) as info:
        await transport.exchange_refresh_token("RT-1")
    assert "Token revoked" in info.value.message
    assert "RT-1" not in info.value.message


async def test_refresh_without_access_token(transport: SoraTransport, upstream: Upstream) -> None:
    upstream.json("POST", TOKEN_URL, {"refresh_token": "x"})
    with pytest.raises(UpstreamBadResponseError):
        await transport.exchange_refresh_token("RT-1")
