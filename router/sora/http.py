"""HTTP plumbing of the Sora transport: proxies, clients, timeouts and the one request helper.

:class:`UpstreamHttp` owns one ``httpx.AsyncClient`` per distinct proxy (``None`` = direct),
created on first use and closed by :meth:`UpstreamHttp.aclose`. Every upstream call goes through
:meth:`UpstreamHttp.send` (wrapped in :func:`map_upstream_errors`) and, for calls that expect a
result, :meth:`UpstreamHttp.request` (adds :func:`raise_for_upstream`).

Clients keep no cookies (one client serves many accounts) and ignore proxy environment
variables (the configuration is the only source).
"""

from __future__ import annotations

import http.cookiejar
import json as jsonlib
import logging
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import httpx
from httpx_socks import AsyncProxyTransport

from router.config import UpstreamSettings
from router.errors import UpstreamConnectionError
from router.sora.errors import map_upstream_errors, raise_for_upstream
from router.sora.headers import DEFAULT_UA
from router.sora.redact import redact_headers, redact_json, redact_text, redact_url

logger = logging.getLogger("router.sora.http")

#: how much of a body a debug log line shows
LOG_BODY_LIMIT = 2000
#: seconds the proxy test waits (spec §11: 15 s)
PROBE_TIMEOUT = 15.0

SOCKS_SCHEMES = frozenset({"socks5", "socks5h", "socks4"})
HTTP_PROXY_SCHEMES = frozenset({"http", "https"})

#: a multipart part: (field name, (filename or None, content, content type or None))
MultipartField = tuple[str, tuple[str | None, bytes, str | None]]


class CallClass(StrEnum):
    """Kinds of upstream call; each has its own timeout and (spec §11) proxy rule."""

    #: generic backend calls (polling, image gen, post, storyboard, extension, cameo, deletes)
    BACKEND = "backend"
    #: ``POST /nf/create``
    CREATE = "create"
    #: per-account checks: /me, billing, invite, bootstrap, nf/check
    ACCOUNT = "account"
    #: credential conversion: ST→AT, RT→AT
    AUTH = "auth"
    #: ``POST {chatgpt}/backend-api/sentinel/req``
    SENTINEL = "sentinel"
    #: ``POST {pow service}/api/v1/sora/sentinel-token`` (external sentinel mode)
    POW_SERVICE = "pow_service"
    #: multipart uploads (images, cameo video, avatar)
    UPLOAD = "upload"
    #: media downloads
    DOWNLOAD = "download"


def timeout_for(call_class: CallClass, settings: UpstreamSettings) -> float:
    """Seconds allowed for one call of ``call_class``."""
    if call_class is CallClass.CREATE:
        return settings.create_timeout
    if call_class in (CallClass.ACCOUNT, CallClass.AUTH, CallClass.POW_SERVICE):
        return settings.account_timeout
    if call_class is CallClass.SENTINEL:
        return settings.sentinel_timeout
    if call_class is CallClass.DOWNLOAD:
        return settings.download_timeout
    return settings.timeout


def resolve_proxy(call_class: CallClass, account_proxy: str | None, settings: UpstreamSettings) -> str | None:
    """The proxy for one call (spec §11), first non-empty of a chain per call class; ``None`` = direct.

    ================  ==========================================================
    UPLOAD            ``image_upload_proxy`` → the account's → global ``proxy``
    SENTINEL          ``pow_proxy`` → the account's → global ``proxy``
    POW_SERVICE       ``pow_proxy`` (else direct: the service is usually local)
    every other       the account's → global ``proxy``
    ================  ==========================================================

    Unlike the original, calls made for an account (publish, storyboard, cameo, remix) use that
    account's proxy too: one account keeps one egress address.
    """
    chain: tuple[str | None, ...]
    if call_class is CallClass.POW_SERVICE:
        chain = (settings.pow_proxy,)
    elif call_class is CallClass.SENTINEL:
        chain = (settings.pow_proxy, account_proxy, settings.proxy)
    elif call_class is CallClass.UPLOAD:
        chain = (settings.image_upload_proxy, account_proxy, settings.proxy)
    else:
        chain = (account_proxy, settings.proxy)
    for candidate in chain:
        if candidate and candidate.strip():
            return candidate.strip()
    return None


def proxy_label(proxy: str | None) -> str:
    """A loggable name of a proxy (no credentials)."""
    if proxy is None:
        return "direct"
    parts = urlsplit(proxy)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or '?'}{port}"


def _no_cookies() -> http.cookiejar.CookieJar:
    return http.cookiejar.CookieJar(policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))


class UpstreamHttp:
    """The clients and the request helper shared by every upstream call of one app."""

    def __init__(
        self, settings: UpstreamSettings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        self._transport = transport
        self._clients: dict[str | None, httpx.AsyncClient] = {}
        self._closed = False

    def url(self, base: str, path: str) -> str:
        return base.rstrip("/") + path

    @property
    def open_proxies(self) -> tuple[str | None, ...]:
        """The proxies that have a client now (``None`` = direct)."""
        return tuple(self._clients)

    def client_for(self, proxy: str | None) -> httpx.AsyncClient:
        """The cached client for ``proxy`` (``None`` = direct), created on first use."""
        if self._closed:
            raise RuntimeError("the Sora transport is closed")
        client = self._clients.get(proxy)
        if client is None:
            client = self._clients[proxy] = self._build_client(proxy)
        return client

    def _build_client(self, proxy: str | None) -> httpx.AsyncClient:
        # an injected transport (tests) serves every proxy and is never wrapped
        transport = self._transport
        http_proxy: str | None = None
        if transport is None and proxy is not None:
            scheme = urlsplit(proxy).scheme.lower()
            if scheme in SOCKS_SCHEMES:
                # python-socks knows socks5 only; socks5h means "let the proxy resolve names"
                transport = AsyncProxyTransport.from_url(
                    proxy.replace("socks5h://", "socks5://", 1),
                    rdns=True if scheme == "socks5h" else None,
                    trust_env=False,
                )
            elif scheme in HTTP_PROXY_SCHEMES:
                http_proxy = proxy
            else:
                raise UpstreamConnectionError(
                    f"Unsupported proxy scheme {scheme!r} (use http://, https://, socks5:// or socks5h://)",
                    code="proxy_invalid",
                )
        return httpx.AsyncClient(
            transport=transport,
            proxy=http_proxy,
            headers={"User-Agent": DEFAULT_UA},
            cookies=_no_cookies(),
            trust_env=False,
        )

    async def send(
        self,
        call_class: CallClass,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        account_proxy: str | None = None,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        content: str | bytes | None = None,
        files: Sequence[MultipartField] | None = None,
        service: str = "Sora",
    ) -> httpx.Response:
        """Send one request and read the whole answer; transport failures become ``UpstreamError``."""
        proxy = resolve_proxy(call_class, account_proxy, self.settings)
        client = self.client_for(proxy)
        request = client.build_request(
            method,
            url,
            headers=headers,
            params=params,
            json=json,
            content=content,
            files=files,
            timeout=timeout_for(call_class, self.settings),
        )
        if self.settings.debug:
            body = "<multipart>" if files else (json if json is not None else content)
            self._log_request(call_class, request, proxy, body)
        with map_upstream_errors(service):
            response = await client.send(request)
        if self.settings.debug:
            self._log_response(response)
        return response

    async def request(
        self,
        call_class: CallClass,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        account_proxy: str | None = None,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        content: str | bytes | None = None,
        files: Sequence[MultipartField] | None = None,
        ok_statuses: Collection[int] = (200, 201),
        expect_json: bool = True,
        service: str = "Sora",
    ) -> Any:
        """:meth:`send` plus :func:`raise_for_upstream`: the decoded JSON body of a successful call."""
        response = await self.send(
            call_class,
            method,
            url,
            headers=headers,
            account_proxy=account_proxy,
            params=params,
            json=json,
            content=content,
            files=files,
            service=service,
        )
        return raise_for_upstream(response, ok_statuses=ok_statuses, expect_json=expect_json, service=service)

    @asynccontextmanager
    async def stream(
        self, url: str, *, headers: Mapping[str, str], account_proxy: str | None = None
    ) -> AsyncIterator[httpx.Response]:
        """``GET url`` as a stream (a download): yields the 200 response, its body not yet read.

        Transport failures while the caller reads the body inside the block are mapped too.
        """
        proxy = resolve_proxy(CallClass.DOWNLOAD, account_proxy, self.settings)
        client = self.client_for(proxy)
        request = client.build_request(
            "GET", url, headers=headers, timeout=timeout_for(CallClass.DOWNLOAD, self.settings)
        )
        if self.settings.debug:
            self._log_request(CallClass.DOWNLOAD, request, proxy, None)
        with map_upstream_errors("the media host"):
            response = await client.send(request, stream=True, follow_redirects=True)
            try:
                if self.settings.debug:
                    self._log_response(response, with_body=False)
                if response.status_code != 200:
                    await response.aread()
                    raise_for_upstream(
                        response, ok_statuses=(200,), expect_json=False, service="the media host"
                    )
                yield response
            finally:
                await response.aclose()

    async def probe(self, url: str, *, proxy: str | None, timeout: float = PROBE_TIMEOUT) -> httpx.Response:
        """``GET url`` through exactly ``proxy`` (``None`` = direct), for the proxy test; no redirects."""
        client = self.client_for(proxy)
        request = client.build_request("GET", url, headers={"Accept": "*/*"}, timeout=timeout)
        with map_upstream_errors(f"{urlsplit(url).hostname or url} via {proxy_label(proxy)}"):
            return await client.send(request)

    async def aclose(self) -> None:
        """Close every client (idempotent)."""
        self._closed = True
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()

    def _log_request(
        self, call_class: CallClass, request: httpx.Request, proxy: str | None, body: Any
    ) -> None:
        logger.info(
            "sora upstream → %s %s [%s via %s] headers=%s body=%s",
            request.method,
            redact_url(str(request.url)),
            call_class.value,
            proxy_label(proxy),
            redact_headers(request.headers.multi_items()),
            _loggable(body),
        )

    def _log_response(self, response: httpx.Response, *, with_body: bool = True) -> None:
        body: Any = "<stream>"
        if with_body:
            try:
                body = response.json()
            except ValueError:
                body = response.text
        logger.info(
            "sora upstream ← %s %s %s headers=%s body=%s",
            response.status_code,
            response.request.method,
            redact_url(str(response.request.url)),
            redact_headers(response.headers.multi_items()),
            _loggable(body),
        )


def _loggable(body: Any) -> str:
    if body is None:
        return "-"
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            body = jsonlib.loads(body)
        except ValueError:
            return redact_text(body, LOG_BODY_LIMIT)
    return redact_text(jsonlib.dumps(redact_json(body), ensure_ascii=False, default=str), LOG_BODY_LIMIT)
