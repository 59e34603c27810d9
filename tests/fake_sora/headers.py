"""Header rules per call class (§2.3 H1–H5, §7.2, §7.4), as data plus two checks."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request

from .errors import strict
from .state import FakeSora
from .timing import SORA_ANDROID_UA

# Headers whose values the spec fixes, per call. Names are lower-case.
H3_FIXED: Mapping[str, str] = {
    "content-type": "application/json",
    "oai-language": "en-US",
    "accept": "*/*",
    "accept-language": "zh-CN,zh;q=0.9,en;q=0.8",
    "cache-control": "no-cache",
    "pragma": "no-cache",
    "origin": "https://sora.chatgpt.com",
    "referer": "https://sora.chatgpt.com/explore",
    "sec-ch-ua-mobile": "?0",
    "sec-ch-ua-platform": '"Windows"',
    "sec-fetch-dest": "empty",
    "sec-fetch-mode": "cors",
    "sec-fetch-site": "same-origin",
    "priority": "u=1, i",
}
SENTINEL_REQ_FIXED: Mapping[str, str] = {
    "accept": "*/*",
    "content-type": "text/plain;charset=UTF-8",
    "origin": "https://chatgpt.com",
    "referer": "https://chatgpt.com/backend-api/sentinel/frame.html",
    "sec-ch-ua-mobile": "?1",
    "sec-ch-ua-platform": '"Android"',
}
ME_FIXED: Mapping[str, str] = {
    "accept": "application/json",
    "origin": "https://sora.chatgpt.com",
    "referer": "https://sora.chatgpt.com/",
}
SESSION_FIXED = ME_FIXED
ACCEPT_JSON: Mapping[str, str] = {"accept": "application/json"}
OAUTH_FIXED: Mapping[str, str] = {"accept": "application/json"}
POW_SERVICE_FIXED: Mapping[str, str] = {"accept": "application/json"}
H1_ABSENT = ("origin", "referer", "cookie")
CHROME_131_BRANDS = ("Chromium", "Google Chrome", "131")


def require_fixed(request: Request, sim: FakeSora, expected: Mapping[str, str], where: str) -> None:
    """Each listed header present with exactly that value."""
    if not sim.config.enforce_headers:
        return
    for name, value in expected.items():
        got = request.headers.get(name)
        if got != value:
            raise strict(f"{where}: header {name} must be {value!r}, got {got!r}", param=name)


def require_chrome_brands(request: Request, sim: FakeSora, where: str) -> None:
    if not sim.config.enforce_headers:
        return
    got = request.headers.get("sec-ch-ua") or ""
    if not all(part in got for part in CHROME_131_BRANDS):
        raise strict(
            f"{where}: header sec-ch-ua must list Chromium/Google Chrome 131, got {got!r}", param="sec-ch-ua"
        )


def require_no_authorization(request: Request, where: str) -> None:
    if "authorization" in request.headers:
        raise strict(f"{where} must not carry an Authorization header", param="authorization")


def require_user_agent(request: Request, sim: FakeSora, allowed: set[str], where: str) -> None:
    if not sim.config.enforce_user_agents:
        return
    got = request.headers.get("user-agent")
    if got not in allowed:
        raise strict(f"{where}: User-Agent must be one of {sorted(allowed)}, got {got!r}", param="user-agent")


def require_h1(request: Request, sim: FakeSora) -> None:
    """H1: the generic backend helper sends the Sora Android app UA and no Origin/Referer/Cookie."""
    where = f"{request.method} {request.url.path} (H1)"
    require_user_agent(request, sim, {SORA_ANDROID_UA}, where)
    if sim.config.enforce_headers:
        for name in H1_ABSENT:
            if name in request.headers:
                raise strict(f"{where}: must not carry a {name} header", param=name)
