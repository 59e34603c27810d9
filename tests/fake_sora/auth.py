"""Credential conversion: ST→AT on SORA_WEB (§4.17) and RT→AT on AUTH (§4.18)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request

from .deps import SimDep
from .errors import strict
from .headers import OAUTH_FIXED, SESSION_FIXED, require_fixed
from .recording import SESSION_COOKIE
from .timing import IOS_REDIRECT_URI
from .validation import Check, const, json_body, no_body, nonempty_str, validate_object

router = APIRouter()

OAUTH_BODY: dict[str, Check] = {
    "client_id": nonempty_str,
    "grant_type": const("refresh_token"),
    "redirect_uri": const(IOS_REDIRECT_URI),
    "refresh_token": nonempty_str,
}


@router.get("/api/auth/session")
async def auth_session(request: Request, sim: SimDep) -> dict[str, Any]:
    """NextAuth session: a fresh AT for a valid session cookie, ``{}`` otherwise (as NextAuth does)."""
    require_fixed(request, sim, SESSION_FIXED, "GET /api/auth/session")
    await no_body(request)
    session_token = request.cookies.get(SESSION_COOKIE)
    if not session_token:
        raise strict(
            f"GET /api/auth/session needs the cookie {SESSION_COOKIE}=<session token>", param="cookie"
        )
    with sim.lock:
        email = sim.accounts.session_tokens.get(session_token)
        if email is None:
            return {}
        account = sim.accounts.get(email)
        access_token = sim.accounts.issue_access_token(email)
    expires = datetime.now(UTC) + timedelta(days=30)
    return {
        "user": {"id": account.user_id, "name": account.name, "email": email, "image": None},
        "expires": expires.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "accessToken": access_token,
        "authProvider": "openai",
    }


@router.post("/oauth/token")
async def oauth_token(request: Request, sim: SimDep) -> dict[str, Any]:
    """RT→AT; the RT rotates (the old one then answers 401 refresh_token_reused)."""
    require_fixed(request, sim, OAUTH_FIXED, "POST /oauth/token")
    body = validate_object(await json_body(request), OAUTH_BODY)
    with sim.lock:
        account, new_refresh_token = sim.accounts.rotate_refresh_token(
            body["refresh_token"], body["client_id"]
        )
        access_token = sim.accounts.issue_access_token(account.email)
    return {
        "access_token": access_token,
        "refresh_token": new_refresh_token,
        "id_token": access_token,
        "token_type": "Bearer",
        "scope": "openid profile email offline_access",
        "expires_in": sim.config.access_token_ttl_s,
    }
