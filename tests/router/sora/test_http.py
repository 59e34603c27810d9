"""Proxies, clients, timeouts, cookies and debug logging of the HTTP layer."""

from __future__ import annotations

import logging
import re

import httpx
import pytest
from httpx_socks import AsyncProxyTransport

from router.errors import UpstreamConnectionError
from router.sora.client import SoraTransport
from router.sora.http import CallClass, UpstreamHttp, proxy_label, resolve_proxy, timeout_for
from router.sora.models import AccountCredentials

from .conftest import ACCESS_TOKEN, BACKEND, SESSION_TOKEN, Upstream, make_settings


@pytest.mark.parametrize(
    ("account_proxy", "global_proxy", "expected"),
    [
        (None, "", None),
        (None, "http://global:8080", "http://global:8080"),
        ("socks5://acct:1080", "http://global:8080", "socks5://acct:1080"),
        ("socks5://acct:1080", "", "socks5://acct:1080"),
        ("  ", "http://global:8080", "http://global:8080"),
    ],
)
def test_resolve_proxy_order(account_proxy: str | None, global_proxy: str, expected: str | None) -> None:
    settings = make_settings(proxy=global_proxy)
    for call_class in CallClass:
        if call_class is not CallClass.POW_SERVICE:
            assert resolve_proxy(call_class, account_proxy, settings) == expected
    # the POW service is reached directly unless a POW proxy is set
    assert resolve_proxy(CallClass.POW_SERVICE, account_proxy, settings) is None


def test_class_specific_proxies_come_first() -> None:
    """§11: image-upload proxy for uploads, POW proxy for sentinel traffic, then account → global."""
    settings = make_settings(
        proxy="http://global:1", image_upload_proxy="http://upload:2", pow_proxy="socks5://pow:3"
    )
    account = "socks5://acct:4"
    assert resolve_proxy(CallClass.UPLOAD, account, settings) == "http://upload:2"
    assert resolve_proxy(CallClass.SENTINEL, account, settings) == "socks5://pow:3"
    assert resolve_proxy(CallClass.POW_SERVICE, account, settings) == "socks5://pow:3"
    for call_class in (CallClass.CREATE, CallClass.BACKEND, CallClass.ACCOUNT, CallClass.AUTH):
        assert resolve_proxy(call_class, account, settings) == account
    assert resolve_proxy(CallClass.DOWNLOAD, None, settings) == "http://global:1"
    bare = make_settings(proxy="http://global:1")
    assert resolve_proxy(CallClass.UPLOAD, account, bare) == account
    assert resolve_proxy(CallClass.SENTINEL, None, bare) == "http://global:1"


def test_timeouts_per_call_class() -> None:
    settings = make_settings(
        timeout=111, create_timeout=22, account_timeout=33, sentinel_timeout=4, download_timeout=55
    )
    assert timeout_for(CallClass.BACKEND, settings) == 111
    assert timeout_for(CallClass.UPLOAD, settings) == 111
    assert timeout_for(CallClass.CREATE, settings) == 22
    assert timeout_for(CallClass.ACCOUNT, settings) == 33
    assert timeout_for(CallClass.AUTH, settings) == 33
    assert timeout_for(CallClass.SENTINEL, settings) == 4
    assert timeout_for(CallClass.POW_SERVICE, settings) == 33
    assert timeout_for(CallClass.DOWNLOAD, settings) == 55


def test_proxy_label_hides_credentials() -> None:
    assert proxy_label("socks5://user:secret@10.0.0.1:1080") == "socks5://10.0.0.1:1080"
    assert proxy_label(None) == "direct"


async def test_per_account_proxy_builds_a_separate_client(upstream: Upstream) -> None:
    upstream.json("GET", f"{BACKEND}/nf/pending/v2", [])
    settings = make_settings(proxy="http://global:8080")
    async with SoraTransport(settings, transport=httpx.MockTransport(upstream)) as sora:
        await sora.session(AccountCredentials(account_id=1, access_token="A")).pending()
        assert list(sora.http.open_proxies) == ["http://global:8080"]
        await sora.session(
            AccountCredentials(account_id=2, access_token="B", proxy_url="socks5://acct:1")
        ).pending()
        await sora.session(
            AccountCredentials(account_id=3, access_token="C", proxy_url="socks5://acct:1")
        ).pending()
        assert list(sora.http.open_proxies) == ["http://global:8080", "socks5://acct:1"]
        assert sora.http.client_for("socks5://acct:1") is sora.http.client_for("socks5://acct:1")
        assert sora.http.client_for("socks5://acct:1") is not sora.http.client_for("http://global:8080")
    assert list(sora.http.open_proxies) == []


async def test_real_clients_use_socks_and_http_proxies() -> None:
    http = UpstreamHttp(make_settings())
    try:
        socks = http.client_for("socks5://user:pw@127.0.0.1:1080")
        assert isinstance(socks._transport, AsyncProxyTransport)
        socks_h = http.client_for("socks5h://127.0.0.1:1080")
        assert isinstance(socks_h._transport, AsyncProxyTransport)
        plain = http.client_for("http://127.0.0.1:3128")
        mounted = [t for t in plain._mounts.values() if t is not None]
        assert mounted and isinstance(mounted[0], httpx.AsyncHTTPTransport)
        direct = http.client_for(None)
        assert not any(direct._mounts.values())
        with pytest.raises(UpstreamConnectionError) as info:
            http.client_for("ftp://secret@proxy:21")
        assert "secret" not in info.value.message
    finally:
        await http.aclose()
    with pytest.raises(RuntimeError):
        http.client_for(None)


async def test_unreachable_proxy_is_a_connection_error() -> None:
    # nothing listens on port 9 (discard) of localhost in the test sandbox
    async with SoraTransport(make_settings(proxy="socks5://127.0.0.1:9")) as sora:
        with pytest.raises(UpstreamConnectionError):
            await sora.session(AccountCredentials(account_id=1, access_token="A")).pending()


async def test_cookies_are_never_carried_between_calls(transport: SoraTransport, upstream: Upstream) -> None:
    upstream.on(
        "GET",
        f"{BACKEND}/nf/pending/v2",
        httpx.Response(200, json=[], headers={"set-cookie": "__cf_bm=abc; Path=/; Domain=sora.test"}),
    )
    session = transport.session(AccountCredentials(account_id=1, access_token="A"))
    await session.pending()
    await transport.session(AccountCredentials(account_id=2, access_token="B")).pending()
    assert all("cookie" not in r.headers for r in upstream.requests)


async def test_no_python_httpx_user_agent(transport: SoraTransport, upstream: Upstream) -> None:
    upstream.json("GET", f"{BACKEND}/billing/subscriptions", {"data": []})
    await transport.session(AccountCredentials(account_id=1, access_token="A")).subscriptions()
    assert "python-httpx" not in upstream.requests[0].headers["user-agent"]


async def test_debug_log_redacts_secrets(upstream: Upstream, caplog: pytest.LogCaptureFixture) -> None:
    upstream.json("POST", f"{BACKEND}/nf/create", {"id": "task_1"})
    upstream.serve_sentinel()
    caplog.set_level(logging.INFO, logger="router.sora.http")
    creds = AccountCredentials(account_id=1, access_token=ACCESS_TOKEN, session_token=SESSION_TOKEN)
    async with SoraTransport(make_settings(debug=True), transport=httpx.MockTransport(upstream)) as sora:
        await sora.session(creds).create_video({"kind": "video", "prompt": "a cat"})
    text = caplog.text
    assert "POST https://sora.test/backend/nf/create" in text
    assert "200" in text
    assert ACCESS_TOKEN not in text
    assert SESSION_TOKEN not in text
    assert "challenge-token-c" not in text and "turnstile-dx" not in text
    assert "gAAAAA[redacted]" in text
    assert re.search(r"gAAAAA[A-Za-z0-9]", text) is None


async def test_no_logs_without_debug(
    transport: SoraTransport, upstream: Upstream, caplog: pytest.LogCaptureFixture
) -> None:
    upstream.json("GET", f"{BACKEND}/nf/pending/v2", [])
    caplog.set_level(logging.DEBUG, logger="router.sora.http")
    await transport.session(AccountCredentials(account_id=1, access_token="A")).pending()
    assert caplog.records == []
