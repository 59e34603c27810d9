"""The sentinel service (§7.2) and the sentinel check on protected calls (§2.3 H2/H3, §7.1)."""

from __future__ import annotations

import base64
import json
import random
import secrets
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from . import ids, pow_math
from .accounts import Account
from .deps import SimDep
from .errors import sentinel_block, strict
from .headers import (
    H3_FIXED,
    SENTINEL_REQ_FIXED,
    require_chrome_brands,
    require_fixed,
    require_no_authorization,
)
from .models import SentinelChallenge
from .recording import SESSION_COOKIE
from .state import FakeSora
from .timing import DESKTOP_CHROME_UA, NEXUS5_UA
from .validation import Check, const, describe, validate_object

FLOW = "sora_2_create_task__auto"
SENTINEL_KEYS = ["p", "t", "c", "id", "flow"]

router = APIRouter()


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def uuid4_check(value: Any) -> str | None:
    try:
        parsed = uuid.UUID(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.version != 4 or str(parsed) != value:
        return f"must be a lower-case UUID4 string, got {describe(value)}"
    return None


def initial_token_check(value: Any) -> str | None:
    if not isinstance(value, str) or not value.startswith(pow_math.INITIAL_PREFIX):
        return f"must be an initial PoW token starting with {pow_math.INITIAL_PREFIX}, got {describe(value)}"
    answer = value[len(pow_math.INITIAL_PREFIX) :].removesuffix(pow_math.SUFFIX)
    if pow_math.decode_config(answer) is None:
        prefix = pow_math.INITIAL_PREFIX
        return f"must be {prefix} + base64 of an 18-element JSON array, got {describe(value)}"
    return None


SENTINEL_REQ_BODY: dict[str, Check] = {
    "p": initial_token_check,
    "id": uuid4_check,
    "flow": const("sora_init"),
}


def issue_challenge(sim: FakeSora, device_id: str, user_agent: str, **extra: Any) -> SentinelChallenge:
    challenge = SentinelChallenge(
        token=pow_math.ANSWER_PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(96)).decode(),
        dx=base64.b64encode(secrets.token_bytes(150)).decode(),
        seed=str(random.random()),
        difficulty=sim.config.pow_difficulty,
        required=sim.config.pow_required,
        device_id=device_id,
        user_agent=user_agent,
        **extra,
    )
    with sim.lock:
        sim.sentinels[challenge.token] = challenge
    return challenge


@router.get("/")
async def chatgpt_home() -> HTMLResponse:
    """C1: the ChatGPT home page, which hands out the ``oai-did`` device cookie."""
    device_id = ids.device_id()
    response = HTMLResponse("<!DOCTYPE html><html><head><title>ChatGPT</title></head><body></body></html>")
    response.set_cookie("oai-did", device_id, max_age=400 * 24 * 3600, path="/", samesite="lax")
    return response


@router.post("/backend-api/sentinel/req")
async def sentinel_req(request: Request, sim: SimDep) -> dict[str, Any]:
    where = "POST /backend-api/sentinel/req"
    require_no_authorization(request, where)
    require_fixed(request, sim, SENTINEL_REQ_FIXED, where)
    require_chrome_brands(request, sim, where)
    try:
        raw = (await request.body()).decode("utf-8")
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise strict(f"{where}: body must be JSON text ({exc})") from exc
    validate_object(body, SENTINEL_REQ_BODY)
    if raw != compact(body):
        raise strict(f"{where}: body must be compact JSON (no spaces), got {raw[:60]!r}")
    user_agent = request.headers.get("user-agent", "")
    suffix = " " + raw
    if not user_agent.endswith(suffix) or len(user_agent) == len(suffix):
        raise strict(f"{where}: User-Agent must be '<UA> <the JSON body>', got {user_agent[:80]!r}...")
    caller_ua = user_agent[: -len(suffix)]
    allowed = {DESKTOP_CHROME_UA, NEXUS5_UA}
    if sim.config.enforce_user_agents and caller_ua not in allowed:
        raise strict(
            f"{where}: the UA part of User-Agent must be one of {sorted(allowed)}, got {caller_ua!r}"
        )
    cookie = request.headers.get("cookie")
    if cookie is not None:
        _require_session_cookie(sim, cookie, where)
    challenge = issue_challenge(sim, body["id"], caller_ua)
    proof: dict[str, Any] = {"required": challenge.required}
    if challenge.required:
        proof.update(seed=challenge.seed, difficulty=challenge.difficulty)
    return {
        "persona": "chatgpt-noauth",
        "token": challenge.token,
        "expire_after": 540,
        "turnstile": {"required": True, "dx": challenge.dx},
        "proofofwork": proof,
    }


def _require_session_cookie(sim: FakeSora, cookie: str, where: str, account: Account | None = None) -> None:
    name, _, value = cookie.partition("=")
    with sim.lock:
        owner = sim.accounts.session_tokens.get(value)
    if name != SESSION_COOKIE or owner is None or (account is not None and owner != account.email):
        who = "this account's" if account else "a valid"
        raise strict(f"{where}: Cookie must be {SESSION_COOKIE}=<{who} session token>, got {cookie[:60]!r}")


def verify_sentinel(request: Request, sim: FakeSora) -> SentinelChallenge:
    """The sentinel header and oai-device-id; any problem is a 400 sentinel_block."""
    raw = request.headers.get("openai-sentinel-token")
    if raw is None:
        raise sentinel_block("missing openai-sentinel-token header")
    try:
        token = json.loads(raw)
    except json.JSONDecodeError:
        raise sentinel_block(f"openai-sentinel-token is not JSON: {raw[:60]!r}") from None
    if not isinstance(token, dict) or set(token) != set(SENTINEL_KEYS):
        raise sentinel_block(
            f"openai-sentinel-token must be an object with keys {SENTINEL_KEYS}, got {raw[:80]!r}"
        )
    if raw != compact(token):
        raise sentinel_block("openai-sentinel-token must be compact JSON (no spaces)")
    if not all(isinstance(token[key], str) for key in SENTINEL_KEYS):
        raise sentinel_block("every value of openai-sentinel-token must be a string")
    if token["flow"] != FLOW:
        raise sentinel_block(f"flow must be {FLOW!r}, got {token['flow']!r}")
    p = token["p"]
    if not p.startswith((pow_math.ANSWER_PREFIX, pow_math.INITIAL_PREFIX)) or not p.endswith(pow_math.SUFFIX):
        raise sentinel_block(f"p must start with gAAAAAB or gAAAAAC and end with ~S, got {p[:20]!r}...")
    with sim.lock:
        challenge = sim.sentinels.get(token["c"])
    if challenge is None:
        raise sentinel_block("c is not a token this sentinel service issued")
    if token["t"] != challenge.dx:
        raise sentinel_block("t must be the turnstile.dx issued together with c")
    device = request.headers.get("oai-device-id")
    if token["id"] != challenge.device_id or device != token["id"]:
        raise sentinel_block(
            f"id must be the device id the sentinel was issued for ({challenge.device_id}) and equal the "
            f"oai-device-id header; got id={token['id']!r}, oai-device-id={device!r}"
        )
    answer = p[len(pow_math.ANSWER_PREFIX) : -len(pow_math.SUFFIX)]
    if challenge.required:
        if not p.startswith(pow_math.ANSWER_PREFIX):
            raise sentinel_block("proof of work was required, so p must be a gAAAAAB answer")
        if not pow_math.pow_ok(challenge.seed, answer, challenge.difficulty):
            raise sentinel_block("proof of work answer does not meet the difficulty for the issued seed")
    if pow_math.decode_config(answer) is None:
        raise sentinel_block("p must carry base64 of an 18-element JSON array")
    with sim.lock:
        challenge.uses += 1
    return challenge


def check_sentinel_call(
    request: Request, sim: FakeSora, account: Account, *, local_ua: str, st_cookie: bool
) -> None:
    """H2/H3 sentinel part: the sentinel, then UA and Cookie consistent with where it came from."""
    where = f"{request.method} {request.url.path}"
    challenge = verify_sentinel(request, sim)
    user_agent = request.headers.get("user-agent")
    expected_ua = challenge.user_agent if challenge.source == "pow_service" else local_ua
    if sim.config.enforce_user_agents and user_agent != expected_ua:
        origin = (
            "the POW service's UA" if challenge.source == "pow_service" else "the UA prescribed for this call"
        )
        raise strict(
            f"{where}: User-Agent must be {origin} {expected_ua!r}, got {user_agent!r}", param="user-agent"
        )
    if sim.config.enforce_user_agents and challenge.source == "local" and challenge.user_agent != local_ua:
        raise strict(
            f"{where}: the sentinel was requested with UA {challenge.user_agent!r}, expected {local_ua!r}"
        )
    cookie = request.headers.get("cookie")
    if challenge.cookie_header:
        if cookie != challenge.cookie_header:
            raise strict(
                f"{where}: Cookie must be the POW service's cookie_header, got {cookie!r}", param="cookie"
            )
    elif cookie is not None:
        if not st_cookie:
            raise strict(f"{where}: no Cookie header expected here, got {cookie[:60]!r}", param="cookie")
        _require_session_cookie(sim, cookie, where, account)


def require_h2(request: Request, sim: FakeSora, account: Account) -> None:
    """H2: generic call with a sentinel (image gen, post, storyboard, extension)."""
    check_sentinel_call(request, sim, account, local_ua=NEXUS5_UA, st_cookie=False)


def require_h3(request: Request, sim: FakeSora, account: Account, *, remix: bool) -> None:
    """H3: POST /nf/create with the browser header set."""
    where = f"POST {request.url.path} (H3)"
    require_fixed(request, sim, H3_FIXED, where)
    require_chrome_brands(request, sim, where)
    local_ua = NEXUS5_UA if remix else DESKTOP_CHROME_UA
    check_sentinel_call(request, sim, account, local_ua=local_ua, st_cookie=not remix)
