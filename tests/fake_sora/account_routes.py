"""Account endpoints on the Sora backend: B1–B4, B6–B8 (§4.1–4.5)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request

from .accounts import PLAN_TITLES, unsupported_country
from .deps import AccountDep, SimDep
from .errors import SimError, unauthorized
from .headers import ACCEPT_JSON, ME_FIXED, require_fixed, require_h1
from .validation import Check, json_body, no_body, nonempty_str, validate_object

router = APIRouter()

USERNAME_BODY: dict[str, Check] = {"username": nonempty_str}
_USERNAME = re.compile(r"[a-z0-9_.]{3,30}")


@router.get("/me")
async def me(request: Request, sim: SimDep, account: AccountDep) -> dict[str, Any]:
    require_fixed(request, sim, ME_FIXED, "GET /me (H4)")
    await no_body(request)
    with sim.lock:
        return {
            "id": account.user_id,
            "email": account.email,
            "name": account.name,
            "username": account.username,
            "profile_picture_url": None,
            "plan_type": account.plan,
        }


@router.get("/billing/subscriptions")
async def billing(request: Request, sim: SimDep, account: AccountDep) -> dict[str, Any]:
    await no_body(request)
    with sim.lock:
        if account.plan == "free":
            return {"data": []}
        plan = {"id": account.plan, "title": PLAN_TITLES[account.plan]}
        return {"data": [{"plan": plan, "end_ts": account.plan_end.strftime("%Y-%m-%dT%H:%M:%SZ")}]}


@router.get("/project_y/invite/mine")
async def invite_mine(request: Request, sim: SimDep, account: AccountDep) -> dict[str, Any]:
    require_fixed(request, sim, ACCEPT_JSON, "GET /project_y/invite/mine (H4)")
    await no_body(request)
    with sim.lock:
        if account.sora2 == "unsupported_country":
            raise unsupported_country(account)
        if account.sora2 != "supported":
            raise unauthorized()
        return {"invite_code": account.invite_code, "redeemed_count": 0, "total_count": 4}


@router.get("/m/bootstrap")
async def bootstrap(request: Request, sim: SimDep, account: AccountDep) -> dict[str, Any]:
    """Activation: turns a ``needs_activation`` account into a supported one."""
    require_fixed(request, sim, ACCEPT_JSON, "GET /m/bootstrap (H4)")
    await no_body(request)
    with sim.lock:
        if account.sora2 == "unsupported_country":
            raise unsupported_country(account)
        if account.sora2 == "unsupported":
            raise unauthorized()
        account.sora2 = "supported"
        return {"status": "ok", "user_id": account.user_id}


@router.get("/nf/check")
async def nf_check(request: Request, sim: SimDep, account: AccountDep) -> dict[str, Any]:
    require_fixed(request, sim, ACCEPT_JSON, "GET /nf/check (H4)")
    require_h1(request, sim)
    await no_body(request)
    with sim.lock:
        sim.tick()
        return {
            "rate_limit_and_credit_balance": {
                "estimated_num_videos_remaining": account.quota,
                "rate_limit_reached": account.quota <= 0,
                "access_resets_in_seconds": account.access_resets_in_seconds,
                "credit_remaining": account.quota,
            }
        }


@router.post("/project_y/profile/username/check")
async def username_check(request: Request, sim: SimDep, account: AccountDep) -> dict[str, Any]:
    body = validate_object(await json_body(request), USERNAME_BODY)
    with sim.lock:
        name = body["username"]
        return {"available": bool(_USERNAME.fullmatch(name)) and name not in sim.taken_usernames}


@router.post("/project_y/profile/username/set")
async def username_set(request: Request, sim: SimDep, account: AccountDep) -> dict[str, Any]:
    body = validate_object(await json_body(request), USERNAME_BODY)
    name = body["username"]
    if not _USERNAME.fullmatch(name):
        raise SimError(400, f"Invalid username {name!r}", code="invalid_username", param="username")
    with sim.lock:
        if name in sim.taken_usernames and name != account.username:
            raise SimError(409, f"Username {name} is already taken", code="username_taken", param="username")
        if account.username:
            sim.taken_usernames.discard(account.username)
        account.username = name
        sim.taken_usernames.add(name)
        return {"user_id": account.user_id, "username": name, "display_name": account.name}
