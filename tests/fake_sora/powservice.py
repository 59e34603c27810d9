"""The external POW service stub: P1 ``POST /api/v1/sora/sentinel-token`` (§7.4)."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from fastapi import APIRouter, Request

from . import ids, pow_math
from .deps import SimDep, bearer_token
from .errors import SimError, strict
from .headers import POW_SERVICE_FIXED, require_fixed
from .sentinel import FLOW, compact, issue_challenge
from .validation import Check, const, json_body, nonempty_str, validate_object

router = APIRouter()

POW_SERVICE_UA = "Sora/1.2026.007 (iOS 18.3; iPhone17,2; build 2600700)"
_OPTIONAL: dict[str, Check] = {
    "access_token": nonempty_str,
    "session_token": nonempty_str,
    "proxy_url": nonempty_str,
}


@router.post("/api/v1/sora/sentinel-token")
async def sentinel_token(request: Request, sim: SimDep) -> dict[str, Any]:
    where = "POST /api/v1/sora/sentinel-token"
    if bearer_token(request) != sim.config.pow_service_key:
        raise SimError(401, "Invalid or missing API key", code="invalid_api_key")
    require_fixed(request, sim, POW_SERVICE_FIXED, where)
    body = await json_body(request)
    if not isinstance(body, dict):
        raise strict(f"{where}: body must be a JSON object")
    schema = {"device_type": const("ios"), **{k: v for k, v in _OPTIONAL.items() if k in body}}
    validate_object(body, schema)
    if "session_token" in body and "access_token" not in body:
        raise strict(f"{where}: session_token is only sent together with access_token (use_token_for_pow)")
    with sim.lock:
        owner = sim.accounts.email_for_token(body.get("access_token")) if "access_token" in body else None
        st_owner = sim.accounts.session_tokens.get(body.get("session_token", ""))
    if "access_token" in body and owner is None:
        raise strict(f"{where}: access_token is not an access token of any account", param="access_token")
    if "session_token" in body and st_owner != owner:
        raise strict(
            f"{where}: session_token does not belong to the access_token's account", param="session_token"
        )
    device_id = ids.device_id()
    cookie = (
        f"oai-did={device_id}; __cf_bm={secrets.token_urlsafe(32)}" if sim.config.pow_service_cookie else None
    )
    challenge = issue_challenge(sim, device_id, POW_SERVICE_UA, source="pow_service", cookie_header=cookie)
    answer = await asyncio.to_thread(pow_math.solve, challenge.seed, challenge.difficulty, POW_SERVICE_UA)
    if answer is None:
        raise SimError(500, "could not solve the proof of work", type="server_error")
    token = {
        "p": pow_math.ANSWER_PREFIX + answer + pow_math.SUFFIX,
        "t": challenge.dx,
        "c": challenge.token,
        "id": device_id,
        "flow": FLOW,
    }
    result: dict[str, Any] = {
        "sentinel_token": compact(token),
        "device_id": device_id,
        "user_agent": POW_SERVICE_UA,
        "expires_in": 540,
    }
    if cookie:
        result["cookie_header"] = cookie
    return result
