"""The /__sim__ control API: accounts, faults, recordings, timing, reset (JSON, never recorded)."""

from __future__ import annotations

from dataclasses import asdict, fields, replace
from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict

from .accounts import Account
from .deps import SimDep
from .timing import Timing

router = APIRouter(prefix="/__sim__")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewAccount(_Strict):
    email: str | None = None
    plan: Literal["chatgpt_pro", "chatgpt_plus", "free"] = "chatgpt_pro"
    sora2: Literal["supported", "needs_activation", "unsupported", "unsupported_country"] = "supported"
    quota: int = 30
    username: str | None = "<derived>"
    name: str | None = None
    country: str = "US"
    access_resets_in_seconds: int = 0


class AccountChange(_Strict):
    plan: Literal["chatgpt_pro", "chatgpt_plus", "free"] | None = None
    quota: int | None = None
    access_resets_in_seconds: int | None = None
    sora2: Literal["supported", "needs_activation", "unsupported", "unsupported_country"] | None = None
    country: str | None = None
    username: str | None = "<unchanged>"
    tokens: Literal["invalidated", "expired"] | None = None


class NewFault(_Strict):
    path: str
    kind: str
    times: int | None = 1
    account: str | None = None
    method: str | None = None
    delay: float = 5.0
    message: str | None = None


class TimingChange(_Strict):
    speed: float | None = None
    preset: Literal["default", "fast", "instant"] | None = None
    values: dict[str, float] = {}


def account_view(account: Account) -> dict[str, Any]:
    view = asdict(account)
    view["plan_end"] = account.plan_end.isoformat()
    view["uploads"] = list(account.uploads)
    return view


@router.post("/accounts")
def create_account(spec: NewAccount, sim: SimDep) -> dict[str, Any]:
    options = spec.model_dump(exclude={"username"})
    if spec.username != "<derived>":
        options["username"] = spec.username
    try:
        creds = sim.create_account(options.pop("email"), **options)
    except ValueError as exc:
        raise HTTPException(409, str(exc)) from exc
    return asdict(creds)


@router.get("/accounts")
def list_accounts(sim: SimDep) -> list[dict[str, Any]]:
    with sim.lock:
        return [account_view(sim.account(email)) for email in sim.accounts.by_email]


def _known(sim: SimDep, email: str) -> None:
    if email not in sim.accounts.by_email:
        raise HTTPException(404, f"no account {email}")


@router.patch("/accounts/{email}")
def change_account(email: str, change: AccountChange, sim: SimDep) -> dict[str, Any]:
    _known(sim, email)
    if change.plan is not None:
        sim.set_plan(email, change.plan)
    if change.quota is not None:
        sim.set_quota(email, change.quota, resets_in=change.access_resets_in_seconds)
    elif change.access_resets_in_seconds is not None:
        sim.set_quota(email, sim.account(email).quota, resets_in=change.access_resets_in_seconds)
    if change.sora2 is not None:
        sim.set_sora2(email, change.sora2, country=change.country)
    if change.username != "<unchanged>":
        sim.set_username(email, change.username)
    if change.tokens == "invalidated":
        sim.invalidate_access_tokens(email)
    elif change.tokens == "expired":
        sim.expire_access_tokens(email)
    return account_view(sim.account(email))


@router.post("/accounts/{email}/access_tokens")
def new_access_token(email: str, sim: SimDep, ttl_s: int | None = None) -> dict[str, str]:
    _known(sim, email)
    return {"access_token": sim.issue_access_token(email, ttl_s)}


@router.get("/requests")
def list_requests(sim: SimDep, path: str = "", method: str | None = None) -> list[dict[str, Any]]:
    return [record.to_dict() for record in sim.requests_to(path, method)]


@router.get("/violations")
def list_violations(sim: SimDep) -> list[dict[str, Any]]:
    with sim.lock:
        return [asdict(v) for v in sim.violations]


@router.get("/counters")
def counters(sim: SimDep) -> dict[str, Any]:
    with sim.lock:
        emails = list(sim.accounts.by_email)
        return {
            "creates": sim.creates_per_account(),
            "peak_concurrent_videos": {e: sim.peak_concurrency(e) for e in emails},
            "peak_concurrent_images": {e: sim.peak_concurrency(e, "image") for e in emails},
            "active_videos": {e: sim.active_videos(e) for e in emails},
        }


@router.post("/faults")
def add_fault(spec: NewFault, sim: SimDep) -> dict[str, Any]:
    try:
        fault = sim.faults.add(
            spec.path,
            spec.kind,
            spec.times,
            spec.account,
            method=spec.method,
            delay=spec.delay,
            message=spec.message,
        )
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from exc
    return asdict(fault)


@router.get("/faults")
def list_faults(sim: SimDep) -> list[dict[str, Any]]:
    return [asdict(f) for f in sim.faults.pending()]


@router.delete("/faults")
def clear_faults(sim: SimDep) -> dict[str, Any]:
    sim.faults.clear()
    return {}


@router.get("/timing")
def get_timing(sim: SimDep) -> dict[str, float]:
    return asdict(sim.timing)


@router.post("/timing")
def set_timing(change: TimingChange, sim: SimDep) -> dict[str, float]:
    presets = {"default": Timing(), "fast": Timing.fast(), "instant": Timing.instant()}
    timing = presets[change.preset] if change.preset else sim.timing
    known = {f.name for f in fields(Timing)}
    if unknown := set(change.values) - known:
        raise HTTPException(400, f"unknown timing fields {sorted(unknown)}; known: {sorted(known)}")
    timing = replace(timing, **change.values)
    if change.speed is not None:
        timing = timing.scaled(change.speed)
    with sim.lock:
        sim.timing = timing
    return asdict(timing)


@router.post("/reset")
def reset(sim: SimDep) -> dict[str, Any]:
    sim.reset()
    return {}
