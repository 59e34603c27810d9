"""The Sora transport: the only code that speaks Sora's HTTP.

One :class:`SoraTransport` per app (built from ``UpstreamSettings``, closed by :meth:`aclose`).
Work for a leased account goes through ``transport.session(creds)``, a light :class:`SoraSession`
bound to that account's token and proxy. Every method raises :class:`~router.errors.UpstreamError`
subclasses on failure (see :mod:`router.sora.errors`) and :class:`~router.errors.InvalidRequestError`
for arguments it cannot send.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from router.config import SentinelSettings, UpstreamSettings
from router.errors import (
    InvalidRequestError,
    SentinelBlockError,
    UnsupportedCountryError,
    UpstreamBadResponseError,
    UpstreamError,
    UpstreamRejectedError,
)
from router.sora import auth, bodies
from router.sora import headers as h
from router.sora.errors import AUTH_CODES, error_fields, raise_for_upstream, upstream_error
from router.sora.http import CallClass, MultipartField, UpstreamHttp
from router.sora.models import (
    AccountCredentials,
    AccountProbe,
    InviteInfo,
    Quota,
    Subscription,
    UserInfo,
    dict_items,
    require_str,
)
from router.sora.sentinel import SentinelSource, SentinelToken, build_sentinel_source

__all__ = [
    "AccountCredentials",
    "AccountProbe",
    "DEFAULT_MAX_DOWNLOAD_BYTES",
    "SoraSession",
    "SoraTransport",
    "is_remix",
    "is_sentinel_rejection",
]

T = TypeVar("T")

#: default ceiling of :meth:`SoraSession.download`
DEFAULT_MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024

SentinelFactory = Callable[[UpstreamHttp], SentinelSource]


def is_sentinel_rejection(error: UpstreamError) -> bool:
    """The upstream refused the sentinel (``sentinel_block`` or 400 ``invalid_request``): get a new one."""
    return isinstance(error, SentinelBlockError) or (
        isinstance(error, UpstreamRejectedError) and error.code == "invalid_request"
    )


def is_remix(body: dict[str, Any]) -> bool:
    """A ``/nf/create`` body that remixes a published video (``remix_target_id`` set)."""
    return bool(body.get("remix_target_id"))


def _needs_activation(response: httpx.Response) -> bool:
    """B3 said 401 "Unauthorized" without a dead-token code: Sora 2 may need ``/m/bootstrap`` (§4.3)."""
    fields = error_fields(response)
    return (
        response.status_code == 401
        and fields.code not in AUTH_CODES
        and "unauthorized" in (fields.message or "").lower()
    )


def _segment(value: str, what: str) -> str:
    """``value`` made safe as one URL path segment."""
    if not value or value in (".", ".."):
        raise InvalidRequestError(f"Invalid {what}: {value!r}", param=what)
    return quote(value, safe="")


class SoraSession:
    """Sora calls made with one account's credentials and proxy."""

    def __init__(self, http: UpstreamHttp, sentinel: SentinelSource, creds: AccountCredentials) -> None:
        self._http = http
        self._sentinel = sentinel
        self.creds = creds

    def __repr__(self) -> str:
        return f"SoraSession(account_id={self.creds.account_id!r})"

    # -- plumbing --------------------------------------------------------------------------------

    async def _call(self, call_class: CallClass, method: str, path: str, **kwargs: Any) -> Any:
        url = self._http.url(self._http.settings.sora_backend, path)
        return await self._http.request(call_class, method, url, account_proxy=self.creds.proxy_url, **kwargs)

    async def _send(self, path: str, headers: dict[str, str]) -> httpx.Response:
        url = self._http.url(self._http.settings.sora_backend, path)
        return await self._http.send(
            CallClass.ACCOUNT, "GET", url, headers=headers, account_proxy=self.creds.proxy_url
        )

    async def _with_sentinel(self, flow_ua: str, call: Callable[[SentinelToken], Awaitable[T]]) -> T:
        """Run a sentinel-protected call; if the sentinel is rejected, retry once with a fresh one.

        Every rejected token is reported to the source (a cache drops it), the retry's included.
        """
        for attempt in (1, 2):
            token = await self._sentinel.get(self.creds, flow_ua=flow_ua)
            try:
                return await call(token)
            except UpstreamError as exc:
                if not is_sentinel_rejection(exc):
                    raise
                await self._sentinel.invalidate(self.creds, token)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _protected_post(self, path: str, body: dict[str, Any]) -> Any:
        """H2: a generic POST with a sentinel minted for the mobile Chrome UA."""

        async def post(token: SentinelToken) -> Any:
            headers = h.sentinel_backend_headers(self.creds.access_token, token)
            return await self._call(CallClass.BACKEND, "POST", path, headers=headers, json=body)

        return await self._with_sentinel(h.MOBILE_CHROME_UA, post)

    async def _upload(self, path: str, files: list[MultipartField]) -> Any:
        headers = h.backend_headers(self.creds.access_token, multipart=True)
        return await self._call(CallClass.UPLOAD, "POST", path, headers=headers, files=files)

    async def _backend(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = h.backend_headers(self.creds.access_token)
        return await self._call(CallClass.BACKEND, method, path, headers=headers, **kwargs)

    async def _delete(self, path: str) -> None:
        headers = h.delete_headers(self.creds.access_token)
        await self._call(
            CallClass.BACKEND, "DELETE", path, headers=headers, ok_statuses=(200, 204), expect_json=False
        )

    # -- account checks (B1–B4, B6) ---------------------------------------------------------------

    async def me(self) -> UserInfo:
        """B1 ``GET /me``; a dead token raises :class:`UpstreamAuthError`."""
        data = await self._call(
            CallClass.ACCOUNT, "GET", "/me", headers=h.me_headers(self.creds.access_token)
        )
        return UserInfo.from_json(data)

    async def subscriptions(self) -> Subscription:
        """B2 ``GET /billing/subscriptions``; ``token_expired`` raises :class:`UpstreamAuthError`."""
        headers = h.subscriptions_headers(self.creds.access_token)
        return Subscription.from_json(
            await self._call(CallClass.ACCOUNT, "GET", "/billing/subscriptions", headers=headers)
        )

    async def invite_mine(self) -> InviteInfo:
        """B3, with the §4.3 activation: a 401 "Unauthorized" triggers B4 ``/m/bootstrap`` and one more B3.

        Returns ``supported=False`` when Sora plainly refuses (a 4xx that is no credential, quota or
        blocking problem). Raises :class:`UnsupportedCountryError` for a geo block,
        :class:`UpstreamAuthError` for ``token_invalidated``/``token_expired``, and transient errors
        as they come.
        """
        headers = h.invite_headers(self.creds.access_token)
        response = await self._send("/project_y/invite/mine", headers)
        if _needs_activation(response):
            bootstrap = await self._send("/m/bootstrap", headers)
            if bootstrap.status_code != 200:
                return InviteInfo(supported=False)
            response = await self._send("/project_y/invite/mine", headers)
        if response.status_code == 200:
            return InviteInfo.from_json(raise_for_upstream(response, ok_statuses=(200,)))
        error = upstream_error(response)
        if isinstance(error, UnsupportedCountryError) or (
            error.retryable and not _needs_activation(response)
        ):
            raise error
        return InviteInfo(supported=False)

    async def nf_check(self) -> Quota:
        """B6 ``GET /nf/check``: videos left and when the quota resets."""
        headers = h.quota_headers(self.creds.access_token)
        return Quota.from_json(await self._call(CallClass.ACCOUNT, "GET", "/nf/check", headers=headers))

    async def probe(self) -> AccountProbe:
        """The add/test sequence of §8.5: B1 → B2 → B3 (→ B4 → B3) → B6 when Sora 2 is supported."""
        user = await self.me()
        plan = await self.subscriptions()
        invite = await self.invite_mine()
        quota = await self.nf_check() if invite.supported else None
        return AccountProbe(
            email=user.email,
            name=user.name,
            username=user.username,
            plan_type=plan.plan_type,
            plan_title=plan.plan_title,
            subscription_end=plan.end,
            sora2_supported=invite.supported,
            invite_code=invite.invite_code,
            remaining_videos=quota.remaining if quota else None,
            resets_in_seconds=quota.resets_in_seconds if quota else 0,
            invite_redeemed_count=invite.redeemed_count,
            invite_total_count=invite.total_count,
        )

    # -- images (B9–B11) --------------------------------------------------------------------------

    async def upload_image(self, data: bytes, filename: str, content_type: str) -> str:
        """B9 multipart ``POST /uploads`` → media id.

        Parts: ``file`` with its real filename and content type, then the text ``file_name``.
        """
        files: list[MultipartField] = [
            ("file", (filename, data, content_type)),
            ("file_name", (None, filename.encode(), None)),
        ]
        return require_str(await self._upload("/uploads", files), "id")

    async def create_image(self, prompt: str, width: int, height: int, media_id: str | None = None) -> str:
        """B10 ``POST /video_gen`` (H2, sentinel) → task id."""
        return require_str(
            await self._protected_post("/video_gen", bodies.image_body(prompt, width, height, media_id)), "id"
        )

    async def recent_tasks(self, limit: int = 20) -> list[dict[str, Any]]:
        """B11 ``GET /v2/recent_tasks`` → ``task_responses``."""
        data = await self._backend("GET", "/v2/recent_tasks", params={"limit": limit})
        return dict_items(data.get("task_responses") if isinstance(data, dict) else None)

    # -- videos (B12–B18, B27) --------------------------------------------------------------------

    async def create_video(self, body: dict[str, Any]) -> str:
        """B12 ``POST /nf/create`` (H3) → task id.

        UA and cookie follow §7.5: desktop Chrome plus the account's session-token cookie (when it has
        one) for text/image-to-video; mobile Chrome and no session cookie for a remix. A rejected
        sentinel is invalidated and the call retried exactly once with a fresh one.
        """
        remix = is_remix(body)
        user_agent = h.MOBILE_CHROME_UA if remix else h.DESKTOP_CHROME_UA
        session_token = None if remix else self.creds.session_token

        async def post(token: SentinelToken) -> Any:
            headers = h.create_headers(self.creds.access_token, token, session_token=session_token)
            return await self._call(CallClass.CREATE, "POST", "/nf/create", headers=headers, json=body)

        return require_str(await self._with_sentinel(user_agent, post), "id")

    async def create_storyboard(self, body: dict[str, Any]) -> str:
        """B13 ``POST /nf/create/storyboard`` (H2) → task id."""
        return require_str(await self._protected_post("/nf/create/storyboard", body), "id")

    async def extend_video(self, generation_id: str, body: dict[str, Any]) -> str:
        """B14 ``…/drafts/{generation_id}/long_video_extension`` (H2) → task id.

        ``body`` comes from :func:`router.sora.bodies.extension_body`.
        """
        path = f"/project_y/profile/drafts/{_segment(generation_id, 'generation_id')}/long_video_extension"
        return require_str(await self._protected_post(path, body), "id")

    async def pending(self) -> list[dict[str, Any]]:
        """B15 ``GET /nf/pending/v2``: the top-level array (anything else counts as empty)."""
        return dict_items(await self._backend("GET", "/nf/pending/v2"))

    async def drafts(self, limit: int = 15) -> list[dict[str, Any]]:
        """B16 ``GET /project_y/profile/drafts`` → ``items`` (newest first)."""
        data = await self._backend("GET", "/project_y/profile/drafts", params={"limit": limit})
        return dict_items(data.get("items") if isinstance(data, dict) else None)

    async def publish(self, generation_id: str) -> str:
        """B17 ``POST /project_y/post`` (H2) → post id ``s_…``."""
        return require_str(
            await self._protected_post("/project_y/post", bodies.publish_body(generation_id)), "post", "id"
        )

    async def unpublish(self, post_id: str) -> None:
        """B18 ``DELETE /project_y/post/{post_id}`` (200 or 204)."""
        await self._delete(f"/project_y/post/{_segment(post_id, 'post_id')}")

    async def watermark_free_link(self, parse_url: str, parse_token: str, post_id: str) -> str:
        """W1 ``POST {parse_url}/get-sora-link`` (§4.22) → the watermark-free ``download_link``.

        The parse server gets the post's share URL and its own token, never the account's
        credentials, and is reached through the global proxy. An ``error`` in its answer raises
        :class:`UpstreamRejectedError` (code ``watermark_parse_failed``).
        """
        share_url = f"{self._http.settings.sora_web.rstrip('/')}/p/{_segment(post_id, 'post_id')}"
        data = await self._http.request(
            CallClass.BACKEND,
            "POST",
            self._http.url(parse_url, "/get-sora-link"),
            headers={"Accept": "application/json"},
            json={"url": share_url, "token": parse_token},
            ok_statuses=(200,),
            service="the parse server",
        )
        if isinstance(data, dict) and data.get("error"):
            raise UpstreamRejectedError(
                f"The parse server refused the post: {data['error']}", code="watermark_parse_failed"
            )
        return require_str(data, "download_link")

    async def enhance_prompt(self, prompt: str, level: str, duration_s: int) -> str:
        """B27 ``POST /editor/enhance_prompt`` → the enhanced prompt ("" when absent)."""
        data = await self._backend(
            "POST", "/editor/enhance_prompt", json=bodies.enhance_body(prompt, level, duration_s)
        )
        enhanced = data.get("enhanced_prompt") if isinstance(data, dict) else None
        return enhanced if isinstance(enhanced, str) else ""

    # -- cameos (B20–B26) -------------------------------------------------------------------------

    async def upload_cameo_video(
        self, data: bytes, *, filename: str = "video.mp4", content_type: str = "video/mp4"
    ) -> str:
        """B20 multipart ``POST /characters/upload`` (``file``, ``timestamps=0,3``) → cameo id."""
        timestamps = ",".join(str(t) for t in bodies.CAMEO_TIMESTAMPS).encode()
        files: list[MultipartField] = [
            ("file", (filename, data, content_type)),
            ("timestamps", (None, timestamps, None)),
        ]
        return require_str(await self._upload("/characters/upload", files), "id")

    async def cameo_from_generation(self, generation_id: str) -> str:
        """B21 ``POST /characters/from-generation`` → cameo id."""
        data = await self._backend(
            "POST", "/characters/from-generation", json=bodies.cameo_from_generation_body(generation_id)
        )
        return require_str(data, "id")

    async def cameo_status(self, cameo_id: str) -> dict[str, Any]:
        """B22 ``GET /project_y/cameos/in_progress/{cameo_id}`` (status, status_message, hints, …)."""
        data = await self._backend("GET", f"/project_y/cameos/in_progress/{_segment(cameo_id, 'cameo_id')}")
        if not isinstance(data, dict):
            raise UpstreamBadResponseError("Sora's cameo status is not an object")
        return data

    async def upload_profile_asset(
        self, data: bytes, *, filename: str = "profile.webp", content_type: str = "image/webp"
    ) -> str:
        """B23 multipart ``POST /project_y/file/upload`` (``file``, ``use_case=profile``) → asset pointer."""
        files: list[MultipartField] = [
            ("file", (filename, data, content_type)),
            ("use_case", (None, b"profile", None)),
        ]
        return require_str(await self._upload("/project_y/file/upload", files), "asset_pointer")

    async def finalize_cameo(
        self, cameo_id: str, *, username: str, display_name: str, profile_asset_pointer: str
    ) -> str:
        """B24 ``POST /characters/finalize`` → character id."""
        body = bodies.finalize_cameo_body(
            cameo_id,
            username=username,
            display_name=display_name,
            profile_asset_pointer=profile_asset_pointer,
        )
        return require_str(
            await self._backend("POST", "/characters/finalize", json=body), "character", "character_id"
        )

    async def make_cameo_public(self, cameo_id: str) -> None:
        """B25 ``POST /project_y/cameos/by_id/{cameo_id}/update_v2`` (the JSON answer is ignored)."""
        path = f"/project_y/cameos/by_id/{_segment(cameo_id, 'cameo_id')}/update_v2"
        await self._backend("POST", path, json=bodies.cameo_public_body())

    async def delete_character(self, character_id: str) -> None:
        """B26 ``DELETE /project_y/characters/{character_id}`` (200 or 204)."""
        await self._delete(f"/project_y/characters/{_segment(character_id, 'character_id')}")

    # -- media (M1) -------------------------------------------------------------------------------

    async def download(self, url: str, *, max_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES) -> bytes:
        """GET a media URL through this account's proxy (H6, no credentials)."""
        return await _download(self._http, url, account_proxy=self.creds.proxy_url, max_bytes=max_bytes)

    def stream_download(self, url: str) -> AbstractAsyncContextManager[httpx.Response]:
        """``async with session.stream_download(url) as response``: read ``response.aiter_bytes()`` inside."""
        return self._http.stream(url, headers=h.media_headers(), account_proxy=self.creds.proxy_url)


class SoraTransport:
    """The app's one gateway to Sora: clients per proxy, the sentinel source, account sessions."""

    def __init__(
        self,
        settings: UpstreamSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sentinel: SentinelFactory | None = None,
        sentinel_settings: SentinelSettings | None = None,
    ) -> None:
        """``transport`` (tests: ``httpx.MockTransport``) serves every client when given.
        ``sentinel`` builds the sentinel source from the HTTP layer; without it the source is the one
        ``sentinel_settings`` describe (default: local mode with the default cache)."""
        self.http = UpstreamHttp(settings, transport=transport)
        self.sentinel: SentinelSource = (
            sentinel(self.http)
            if sentinel is not None
            else build_sentinel_source(self.http, sentinel_settings or SentinelSettings())
        )

    def session(self, creds: AccountCredentials) -> SoraSession:
        return SoraSession(self.http, self.sentinel, creds)

    async def exchange_session_token(
        self, session_token: str, *, proxy_url: str | None = None
    ) -> auth.SessionExchange:
        """ST → AT (A1)."""
        return await auth.exchange_session_token(self.http, session_token, proxy_url=proxy_url)

    async def exchange_refresh_token(
        self, refresh_token: str, *, client_id: str | None = None, proxy_url: str | None = None
    ) -> auth.RefreshedTokens:
        """RT → AT (A2)."""
        return await auth.exchange_refresh_token(
            self.http, refresh_token, client_id=client_id, proxy_url=proxy_url
        )

    async def download(
        self, url: str, *, max_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES, proxy_url: str | None = None
    ) -> bytes:
        """GET a media URL for no particular account (global proxy unless ``proxy_url``)."""
        return await _download(self.http, url, account_proxy=proxy_url, max_bytes=max_bytes)

    def stream_download(
        self, url: str, *, proxy_url: str | None = None
    ) -> AbstractAsyncContextManager[httpx.Response]:
        return self.http.stream(url, headers=h.media_headers(), account_proxy=proxy_url)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> SoraTransport:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


async def _download(http: UpstreamHttp, url: str, *, account_proxy: str | None, max_bytes: int) -> bytes:
    async with http.stream(url, headers=h.media_headers(), account_proxy=account_proxy) as response:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise _too_large(max_bytes)
        data = bytearray()
        async for chunk in response.aiter_bytes():
            data += chunk
            if len(data) > max_bytes:
                raise _too_large(max_bytes)
        return bytes(data)


def _too_large(max_bytes: int) -> UpstreamBadResponseError:
    return UpstreamBadResponseError(
        f"The media file is larger than {max_bytes} bytes", code="media_too_large"
    )
