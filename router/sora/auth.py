"""Credential conversion: session token → access token (A1, §4.17), refresh token → access token (A2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from router.errors import UpstreamAuthError
from router.sora.headers import oauth_headers, session_exchange_headers
from router.sora.http import CallClass, UpstreamHttp
from router.sora.models import require_str

#: the iOS ChatGPT app's OAuth client, used when an account has no client id of its own
DEFAULT_CLIENT_ID = "app_LlGpXReQgckcGGUo2JrYvtJK"
IOS_REDIRECT_URI = "com.openai.chat://auth0.openai.com/ios/com.openai.chat/callback"


@dataclass(frozen=True)
class SessionExchange:
    """A1 result. The session token is not rotated (a new Set-Cookie is ignored, like the original)."""

    access_token: str = field(repr=False)
    email: str | None
    #: the session's own expiry as the upstream wrote it (informational)
    expires: str | None


@dataclass(frozen=True)
class RefreshedTokens:
    """A2 result; ``refresh_token`` is the rotated RT to store, when the upstream sent one."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_in: int | None


def refresh_token_body(refresh_token: str, client_id: str | None = None) -> dict[str, str]:
    """The exact JSON body of ``POST /oauth/token``."""
    return {
        "client_id": client_id or DEFAULT_CLIENT_ID,
        "grant_type": "refresh_token",
        "redirect_uri": IOS_REDIRECT_URI,
        "refresh_token": refresh_token,
    }


async def exchange_session_token(
    http: UpstreamHttp, session_token: str, *, proxy_url: str | None = None
) -> SessionExchange:
    """A1 ``GET {sora_web}/api/auth/session`` with the ST cookie.

    Raises :class:`UpstreamAuthError` when the session is dead (no ``accessToken`` in the answer),
    and the usual mapped errors otherwise.
    """
    data = await http.request(
        CallClass.AUTH,
        "GET",
        http.url(http.settings.sora_web, "/api/auth/session"),
        headers=session_exchange_headers(session_token),
        account_proxy=proxy_url,
        ok_statuses=(200,),
    )
    body: dict[str, Any] = data if isinstance(data, dict) else {}
    access_token = body.get("accessToken")
    if not isinstance(access_token, str) or not access_token:
        raise UpstreamAuthError("The session token is invalid or expired (no access token in the session)")
    user = body.get("user")
    email = user.get("email") if isinstance(user, dict) else None
    expires = body.get("expires")
    return SessionExchange(
        access_token=access_token,
        email=email if isinstance(email, str) and email else None,
        expires=expires if isinstance(expires, str) else None,
    )


async def exchange_refresh_token(
    http: UpstreamHttp, refresh_token: str, *, client_id: str | None = None, proxy_url: str | None = None
) -> RefreshedTokens:
    """A2 ``POST {openai_auth}/oauth/token``.

    A dead refresh token (``invalid_grant``) raises :class:`UpstreamAuthError`.
    """
    data = await http.request(
        CallClass.AUTH,
        "POST",
        http.url(http.settings.openai_auth, "/oauth/token"),
        headers=oauth_headers(),
        account_proxy=proxy_url,
        json=refresh_token_body(refresh_token, client_id),
        ok_statuses=(200,),
        service="OpenAI auth",
    )
    access_token = require_str(data, "access_token")
    rotated = data.get("refresh_token")
    expires_in = data.get("expires_in")
    return RefreshedTokens(
        access_token=access_token,
        refresh_token=rotated if isinstance(rotated, str) and rotated else None,
        expires_in=int(expires_in)
        if isinstance(expires_in, int | float) and not isinstance(expires_in, bool)
        else None,
    )
