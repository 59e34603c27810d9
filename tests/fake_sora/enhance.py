"""Prompt enhancement: B27 (§4.16), deterministic so tests can assert the exact text."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from .accounts import sora2_gate
from .deps import AccountDep, SimDep
from .headers import require_h1
from .validation import Check, json_body, nonempty_str, one_of, validate_object

router = APIRouter()

ENHANCE_BODY: dict[str, Check] = {
    "prompt": nonempty_str,
    "expansion_level": one_of("short", "medium", "long"),
    "duration_s": one_of(10, 15, 20),
}
_DETAIL = {
    "short": "Cinematic lighting.",
    "medium": "Cinematic lighting, smooth camera movement, rich natural colour.",
    "long": (
        "Cinematic lighting, smooth tracking camera movement, rich natural colour, shallow depth of field, "
        "ambient sound matching the scene, and a clear beginning, middle and end."
    ),
}


def enhanced(prompt: str, level: str, duration_s: int) -> str:
    return f"{prompt.strip()} — a {duration_s}-second shot. {_DETAIL[level]}"


@router.post("/editor/enhance_prompt")
async def enhance_prompt(request: Request, sim: SimDep, account: AccountDep) -> dict[str, Any]:
    require_h1(request, sim)
    body = validate_object(await json_body(request), ENHANCE_BODY)
    if sim.config.enforce_sora2 and (error := sora2_gate(account)) is not None:
        raise error
    return {"enhanced_prompt": enhanced(body["prompt"], body["expansion_level"], body["duration_s"])}
