"""User-Agent strings and the header set of every upstream call class (spec §2.2, §2.3).

Pure functions: they take the secrets they need and return a fresh dict. Origin/Referer values are
the browser origins the real Sora web app runs on; they stay the same when the hosts are pointed
at a stand-in service, so a simulator sees exactly what Sora would.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from router.sora.sentinel import SentinelToken

#: the Sora Android app: generic backend calls (H1) and ``GET /nf/check``
SORA_APP_UA = "Sora/1.2026.007 (Android 15; 24122RKC7C; build 2600700)"
#: mobile Chrome on a Nexus 5: local sentinel on image gen, post, storyboard, extension and remix
MOBILE_CHROME_UA = (
    "Mozilla/5.0 (Linux; Android 6.0; Nexus 5 Build/MRA58N) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
)
#: desktop Chrome 131 on Windows: ``POST /nf/create`` for text/image-to-video
DESKTOP_CHROME_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
#: what a call sends when its header set names no User-Agent (the original impersonated Chrome)
DEFAULT_UA = DESKTOP_CHROME_UA

#: Chrome 131 brand list (``sec-ch-ua``)
CHROME_131_BRANDS = '"Not(A:Brand";v="8", "Chromium";v="131", "Google Chrome";v="131"'

SORA_ORIGIN = "https://sora.chatgpt.com"
CHATGPT_ORIGIN = "https://chatgpt.com"
SESSION_COOKIE = "__Secure-next-auth.session-token"

JSON = "application/json"


def bearer(access_token: str) -> dict[str, str]:
    """Only the Authorization header (H4 billing, H5 deletes)."""
    return {"Authorization": f"Bearer {access_token}"}


def session_cookie(session_token: str) -> str:
    return f"{SESSION_COOKIE}={session_token}"


# -- H1 / H2: the generic backend helper -------------------------------------------------------


def backend_headers(access_token: str, *, multipart: bool = False) -> dict[str, str]:
    """H1: Authorization, the Sora app UA, and a JSON content type unless the body is multipart."""
    headers = {**bearer(access_token), "User-Agent": SORA_APP_UA}
    if not multipart:
        headers["Content-Type"] = JSON
    return headers


def sentinel_backend_headers(access_token: str, sentinel: SentinelToken) -> dict[str, str]:
    """H2: H1 plus the sentinel, its device id and UA, and its cookie when the source gave one."""
    headers = backend_headers(access_token)
    headers["User-Agent"] = sentinel.user_agent
    headers["openai-sentinel-token"] = sentinel.header
    headers["oai-device-id"] = sentinel.device_id
    if sentinel.cookie:
        headers["Cookie"] = sentinel.cookie
    return headers


# -- H3: POST /nf/create -----------------------------------------------------------------------


def create_headers(
    access_token: str, sentinel: SentinelToken, *, session_token: str | None
) -> dict[str, str]:
    """H3: the browser-like header set of ``POST /nf/create``.

    Cookie: the sentinel source's cookie if any, else the account's session-token cookie if it has one.
    """
    headers = {
        "Authorization": f"Bearer {access_token}",
        "openai-sentinel-token": sentinel.header,
        "Content-Type": JSON,
        "User-Agent": sentinel.user_agent,
        "oai-language": "en-US",
        "oai-device-id": sentinel.device_id,
        "Accept": "*/*",
        "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8",
        "Cache-Control": "no-cache",
        "Pragma": "no-cache",
        "Origin": SORA_ORIGIN,
        "Referer": f"{SORA_ORIGIN}/explore",
        "Sec-Ch-Ua": CHROME_131_BRANDS,
        "Sec-Ch-Ua-Mobile": "?0",
        "Sec-Ch-Ua-Platform": '"Windows"',
        "Sec-Fetch-Dest": "empty",
        "Sec-Fetch-Mode": "cors",
        "Sec-Fetch-Site": "same-origin",
        "Priority": "u=1, i",
    }
    if sentinel.cookie:
        headers["Cookie"] = sentinel.cookie
    elif session_token:
        headers["Cookie"] = session_cookie(session_token)
    return headers


# -- H4: per-account calls ---------------------------------------------------------------------


def me_headers(access_token: str) -> dict[str, str]:
    """H4 ``GET /me``."""
    return {**bearer(access_token), "Accept": JSON, "Origin": SORA_ORIGIN, "Referer": f"{SORA_ORIGIN}/"}


def subscriptions_headers(access_token: str) -> dict[str, str]:
    """H4 ``GET /billing/subscriptions``: Authorization only."""
    return bearer(access_token)


def invite_headers(access_token: str) -> dict[str, str]:
    """H4 ``GET /project_y/invite/mine`` and ``GET /m/bootstrap``."""
    return {**bearer(access_token), "Accept": JSON}


def quota_headers(access_token: str) -> dict[str, str]:
    """H4 ``GET /nf/check``."""
    return {**bearer(access_token), "Accept": JSON, "User-Agent": SORA_APP_UA}


def session_exchange_headers(session_token: str) -> dict[str, str]:
    """H4 ST→AT ``GET {sora_web}/api/auth/session``."""
    return {
        "Cookie": session_cookie(session_token),
        "Accept": JSON,
        "Origin": SORA_ORIGIN,
        "Referer": f"{SORA_ORIGIN}/",
    }


def oauth_headers() -> dict[str, str]:
    """H4 RT→AT ``POST {openai_auth}/oauth/token``."""
    return {"Accept": JSON, "Content-Type": JSON}


# -- H5 / H6 -----------------------------------------------------------------------------------


def delete_headers(access_token: str) -> dict[str, str]:
    """H5: deletes carry Authorization only."""
    return bearer(access_token)


def media_headers() -> dict[str, str]:
    """H6: media downloads carry no credentials, just a browser UA."""
    return {"User-Agent": DEFAULT_UA, "Accept": "*/*"}


# -- the local sentinel exchange (§7.2) -----------------------------------------------------------


def sentinel_request_headers(
    user_agent: str, body: str, *, session_token: str | None = None
) -> dict[str, str]:
    """``POST {chatgpt}/backend-api/sentinel/req``: no Authorization; the UA carries the body appended."""
    headers = {
        "Accept": "*/*",
        "Content-Type": "text/plain;charset=UTF-8",
        "Origin": CHATGPT_ORIGIN,
        "Referer": f"{CHATGPT_ORIGIN}/backend-api/sentinel/frame.html",
        "User-Agent": f"{user_agent} {body}",
        "sec-ch-ua": CHROME_131_BRANDS,
        "sec-ch-ua-mobile": "?1",
        "sec-ch-ua-platform": '"Android"',
    }
    if session_token:
        headers["Cookie"] = session_cookie(session_token)
    return headers
