"""Videos: create (B12), storyboard (B13), extension (B14), pending (B15), drafts (B16)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request

from .accounts import Account, sora2_gate
from .deps import AccountDep, SimDep
from .errors import SimError, strict
from .headers import require_h1
from .sentinel import require_h2, require_h3
from .state import FakeSora
from .validation import (
    Check,
    any_str,
    check_query,
    const,
    describe,
    json_body,
    matches,
    no_body,
    nonempty_str,
    one_of,
    validate_object,
)

router = APIRouter()

STYLES = (
    "festive",
    "kakalaka",
    "news",
    "selfie",
    "handheld",
    "golden",
    "anime",
    "retro",
    "nostalgic",
    "comic",
)
SHARE_ID = r"s_[a-f0-9]{32}"
_SHOT = re.compile(r"Shot (\d+):\nduration: \d+(?:\.\d+)? ?sec\nScene: \S.*", re.DOTALL)


def style_check(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and value.lower() in STYLES):
        return None
    return f"must be null or one of {list(STYLES)}, got {describe(value)}"


def list_check(value: Any) -> str | None:
    return None if isinstance(value, list) else f"must be a list, got {describe(value)}"


def storyboard_check(value: Any) -> str | None:
    """§5.4: shots 'Shot k:\\nduration: d sec\\nScene: text' joined by blank lines, optional wrapper."""
    if not isinstance(value, str):
        return f"must be a string, got {describe(value)}"
    timeline = value
    if value.startswith("current timeline:\n"):
        timeline, sep, instructions = value[len("current timeline:\n") :].partition("\n\ninstructions:\n")
        if not sep or not instructions.strip():
            return "has 'current timeline:' but no '\\n\\ninstructions:\\n<text>' block"
    shots = re.split(r"\n\n(?=Shot \d+:\n)", timeline)
    for number, shot in enumerate(shots, 1):
        match = _SHOT.fullmatch(shot)
        if match is None or int(match.group(1)) != number:
            want = f"Shot {number}:\\nduration: <d>sec\\nScene: <text>"
            return f"shot {number} must read {want!r}, got {shot[:60]!r}"
    return None


ORIENTATION = one_of("landscape", "portrait")
N_FRAMES = one_of(300, 450, 750)
CREATE_BODY: dict[str, Check] = {
    "kind": const("video"),
    "prompt": nonempty_str,
    "orientation": ORIENTATION,
    "size": one_of("small", "large"),
    "n_frames": N_FRAMES,
    "model": one_of("sy_8", "sy_ore"),
    "inpaint_items": list_check,
    "style_id": style_check,
}
REMIX_BODY: dict[str, Check] = {
    "kind": const("video"),
    "prompt": any_str,
    "inpaint_items": const([]),
    "remix_target_id": matches(SHARE_ID, "a share id s_<32 lower-case hex>"),
    "cameo_ids": const([]),
    "cameo_replacements": const({}),
    "model": const("sy_8"),
    "orientation": ORIENTATION,
    "n_frames": N_FRAMES,
    "style_id": style_check,
}
STORYBOARD_BODY: dict[str, Check] = {
    "kind": const("video"),
    "prompt": storyboard_check,
    "title": const("Draft your video"),
    "orientation": ORIENTATION,
    "size": const("small"),
    "n_frames": N_FRAMES,
    "storyboard_id": const(None),
    "inpaint_items": list_check,
    "remix_target_id": const(None),
    "model": const("sy_8"),
    "metadata": const(None),
    "style_id": style_check,
    "cameo_ids": const(None),
    "cameo_replacements": const(None),
    "audio_caption": const(None),
    "audio_transcript": const(None),
    "video_caption": const(None),
}
EXTENSION_BODY: dict[str, Check] = {
    "user_prompt": nonempty_str,
    "extension_duration_s": one_of(10, 15),
    "enable_rewrite": const(True),
}
UPLOAD_ITEM: dict[str, Check] = {"kind": const("upload"), "upload_id": nonempty_str}


def check_inpaint_items(sim: FakeSora, account: Account, items: list[Any]) -> None:
    """[] or one image-to-video item naming an image this account uploaded."""
    if len(items) > 1:
        raise strict(f"inpaint_items must hold at most one item, got {len(items)}", param="inpaint_items")
    for item in items:
        validate_object(item, UPLOAD_ITEM, where="body.inpaint_items[0]")
        with sim.lock:
            upload = account.uploads.get(item["upload_id"])
        if upload is None or upload.kind != "image":
            raise strict(
                f"upload_id {item['upload_id']!r} was not uploaded by this account", param="upload_id"
            )


def check_prompt_cleaned(body: dict[str, Any], prompt_key: str = "prompt") -> None:
    prompt = body[prompt_key]
    style = body.get("style_id")
    if style and f"{{{style.lower()}}}" in prompt.lower():
        raise strict(f"{prompt_key} still contains the style marker {{{style}}}", param=prompt_key)
    if re.search(SHARE_ID, prompt):
        raise strict(f"{prompt_key} still contains a share id", param=prompt_key)


def check_account_may(sim: FakeSora, account: Account, body: dict[str, Any]) -> None:
    if sim.config.enforce_sora2 and (error := sora2_gate(account)) is not None:
        raise error
    pro_only = body.get("model") == "sy_ore" or body.get("size") == "large" or body.get("n_frames") == 750
    if sim.config.enforce_pro_models and pro_only and not account.is_pro:
        raise SimError(
            403,
            f"Your plan ({account.plan}) does not include this model/size/duration; ChatGPT Pro is required",
            code="plan_upgrade_required",
        )


@router.post("/nf/create")
async def nf_create(request: Request, sim: SimDep, account: AccountDep) -> dict[str, Any]:
    raw = await json_body(request)
    remix = isinstance(raw, dict) and "remix_target_id" in raw
    require_h3(request, sim, account, remix=remix)
    body = validate_object(raw, REMIX_BODY if remix else CREATE_BODY)
    check_prompt_cleaned(body)
    if not remix:
        check_inpaint_items(sim, account, body["inpaint_items"])
    check_account_may(sim, account, body)
    task = sim.start_video(account, "remix" if remix else "create", body, request.method, request.url.path)
    return {"id": task.id, "task_type": "video_gen"}


@router.post("/nf/create/storyboard")
async def nf_create_storyboard(request: Request, sim: SimDep, account: AccountDep) -> dict[str, Any]:
    raw = await json_body(request)
    require_h2(request, sim, account)
    body = validate_object(raw, STORYBOARD_BODY)
    check_prompt_cleaned(body)
    check_inpaint_items(sim, account, body["inpaint_items"])
    check_account_may(sim, account, body)
    task = sim.start_video(account, "storyboard", body, request.method, request.url.path)
    return {"id": task.id, "task_type": "video_gen"}


@router.post("/project_y/profile/drafts/{generation_id}/long_video_extension")
async def long_video_extension(
    generation_id: str, request: Request, sim: SimDep, account: AccountDep
) -> dict[str, Any]:
    raw = await json_body(request)
    require_h2(request, sim, account)
    body = validate_object(raw, EXTENSION_BODY)
    if generation_id in body["user_prompt"]:
        raise strict("user_prompt still contains the generation id", param="user_prompt")
    sim.video_generation(account.email, generation_id)
    check_account_may(sim, account, body)
    task = sim.start_video(
        account, "extension", {**body, "generation_id": generation_id}, "POST", request.url.path
    )
    return {"id": task.id, "task_type": "video_gen"}


@router.get("/nf/pending/v2")
async def pending(request: Request, sim: SimDep, account: AccountDep) -> list[dict[str, Any]]:
    require_h1(request, sim)
    check_query(request, {})
    await no_body(request)
    with sim.lock:
        sim.tick()
        now = sim.clock()
        tasks = sorted(sim.tasks.active_videos(account.email, now), key=lambda t: t.created_at, reverse=True)
        return [item for task in tasks if (item := task.pending_item(now)) is not None]


@router.get("/project_y/profile/drafts")
async def drafts(request: Request, sim: SimDep, account: AccountDep) -> dict[str, Any]:
    require_h1(request, sim)
    check_query(request, {"limit": "15"})
    await no_body(request)
    base = str(request.base_url)
    with sim.lock:
        sim.tick()
        return {
            "items": [task.draft_item(base) for task in sim.tasks.drafts(account.email, 15)],
            "cursor": None,
        }
