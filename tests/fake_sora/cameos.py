"""Cameos (characters): B20–B26, §4.15, §6.4."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request, Response

from . import ids
from .accounts import Account, sora2_gate
from .deps import AccountDep, SimDep
from .errors import SimError, not_found, strict
from .faults import CAMEO_TASK_FAULTS
from .headers import require_h1
from .models import Cameo, Character
from .state import FakeSora
from .validation import (
    Check,
    const,
    json_body,
    matches,
    multipart_parts,
    no_body,
    nonempty_str,
    sniff,
    validate_object,
)

router = APIRouter()

FROM_GENERATION_BODY: dict[str, Check] = {
    "generation_id": matches(r"gen_[A-Za-z0-9]+", "a gen_… id"),
    "character_id": const(None),
    "timestamps": const([0, 3]),
}
FINALIZE_BODY: dict[str, Check] = {
    "cameo_id": nonempty_str,
    "username": nonempty_str,
    "display_name": nonempty_str,
    "profile_asset_pointer": nonempty_str,
    "instruction_set": const(None),
    "safety_instruction_set": const(None),
}
VISIBILITY_BODY: dict[str, Check] = {"visibility": const("public")}
CAMEO_FAILED_REASON = "We couldn't create a cameo from this video. Please try a different clip."


def _gate(sim: FakeSora, account: Account) -> None:
    if sim.config.enforce_sora2 and (error := sora2_gate(account)) is not None:
        raise error


def _start_cameo(sim: FakeSora, account: Account, source: str, request: Request) -> Cameo:
    with sim.lock:
        cameo = Cameo(ids.cameo_id(), account.email, sim.clock(), sim.timing.cameo_processing_s, source)
        fault = sim.faults.take(CAMEO_TASK_FAULTS, request.method, request.url.path, account.email)
        if fault is not None:
            cameo.outcome = fault.kind
            cameo.reason = fault.message or CAMEO_FAILED_REASON
        sim.cameos[cameo.id] = cameo
        sim.media.add(f"{cameo.id}_profile.webp")
    return cameo


def _own_cameo(sim: FakeSora, account: Account, cameo_id: str) -> Cameo:
    cameo = sim.cameos.get(cameo_id)
    if cameo is None or cameo.email != account.email:
        raise not_found(f"Cameo {cameo_id}")
    return cameo


@router.post("/characters/upload")
async def upload_character(request: Request, sim: SimDep, account: AccountDep) -> dict[str, Any]:
    require_h1(request, sim)
    parts = await multipart_parts(request, [("file", "file"), ("timestamps", "text")])
    file = parts["file"]
    if file.content_type != "video/mp4" or not (file.filename or "").endswith(".mp4"):
        raise strict(
            f"part 'file' must be video/mp4 named *.mp4, got {file.content_type!r} {file.filename!r}"
        )
    if sniff(file.data) != "mp4":
        raise strict(f"part 'file' must hold MP4 bytes, got {file.data[:16]!r}")
    if parts["timestamps"].text != "0,3":
        raise strict(f"part 'timestamps' must be '0,3', got {parts['timestamps'].text!r}", param="timestamps")
    _gate(sim, account)
    return {"id": _start_cameo(sim, account, "upload", request).id}


@router.post("/characters/from-generation")
async def character_from_generation(request: Request, sim: SimDep, account: AccountDep) -> dict[str, Any]:
    require_h1(request, sim)
    body = validate_object(await json_body(request), FROM_GENERATION_BODY)
    sim.video_generation(account.email, body["generation_id"])
    _gate(sim, account)
    return {"id": _start_cameo(sim, account, "generation", request).id}


@router.get("/project_y/cameos/in_progress/{cameo_id}")
async def cameo_status(cameo_id: str, request: Request, sim: SimDep, account: AccountDep) -> dict[str, Any]:
    require_h1(request, sim)
    await no_body(request)
    with sim.lock:
        return _own_cameo(sim, account, cameo_id).status(sim.clock(), str(request.base_url))


@router.post("/project_y/file/upload")
async def upload_profile_asset(request: Request, sim: SimDep, account: AccountDep) -> dict[str, Any]:
    require_h1(request, sim)
    parts = await multipart_parts(request, [("file", "file"), ("use_case", "text")])
    file = parts["file"]
    if file.content_type != "image/webp" or file.filename != "profile.webp":
        raise strict(
            f"part 'file' must be profile.webp (image/webp), got {file.filename!r} ({file.content_type!r})"
        )
    if sniff(file.data) is None:
        raise strict(f"part 'file' must hold the downloaded image bytes, got {file.data[:16]!r}")
    if parts["use_case"].text != "profile":
        raise strict(f"part 'use_case' must be 'profile', got {parts['use_case'].text!r}", param="use_case")
    pointer = ids.asset_pointer()
    with sim.lock:
        sim.asset_pointers[pointer] = account.email
    return {"asset_pointer": pointer, "file_id": pointer.rsplit("/", 1)[-1]}


@router.post("/characters/finalize")
async def finalize_character(request: Request, sim: SimDep, account: AccountDep) -> dict[str, Any]:
    require_h1(request, sim)
    body = validate_object(await json_body(request), FINALIZE_BODY)
    with sim.lock:
        cameo = _own_cameo(sim, account, body["cameo_id"])
        status = cameo.status(sim.clock(), "")
        if status["status"] != "finalized":
            raise SimError(400, f"Cameo {cameo.id} is not ready ({status['status']})", code="cameo_not_ready")
        if cameo.finalized_character:
            raise SimError(409, f"Cameo {cameo.id} is already finalized", code="already_finalized")
        if sim.asset_pointers.get(body["profile_asset_pointer"]) != account.email:
            raise strict(
                "profile_asset_pointer was not uploaded by this account", param="profile_asset_pointer"
            )
        stem = cameo.username_hint.rsplit(".", 1)[-1]
        if not re.fullmatch(re.escape(stem) + r"[1-9]\d\d", body["username"]):
            raise strict(f"username must be {stem!r} + 3 digits 100–999 (§6.4), got {body['username']!r}")
        if body["display_name"] != cameo.display_name:
            raise strict(
                f"display_name must be the display_name_hint {cameo.display_name!r}", param="display_name"
            )
        character = Character(
            ids.character_id(), account.email, cameo.id, body["username"], body["display_name"]
        )
        sim.characters[character.id] = character
        cameo.finalized_character = character.id
    return {
        "character": {
            "character_id": character.id,
            "username": character.username,
            "display_name": character.display_name,
            "cameo_id": cameo.id,
        }
    }


@router.post("/project_y/cameos/by_id/{cameo_id}/update_v2")
async def make_public(cameo_id: str, request: Request, sim: SimDep, account: AccountDep) -> dict[str, Any]:
    require_h1(request, sim)
    body = validate_object(await json_body(request), VISIBILITY_BODY)
    with sim.lock:
        cameo = _own_cameo(sim, account, cameo_id)
        if cameo.finalized_character is None:
            raise SimError(400, f"Cameo {cameo_id} has no character yet", code="cameo_not_ready")
        sim.characters[cameo.finalized_character].visibility = body["visibility"]
    return {}


@router.delete("/project_y/characters/{character_id}")
async def delete_character(character_id: str, request: Request, sim: SimDep, account: AccountDep) -> Response:
    await no_body(request)
    with sim.lock:
        character = sim.characters.get(character_id)
        if character is None or character.deleted or character.email != account.email:
            raise not_found(f"Character {character_id}")
        character.deleted = True
    return Response(status_code=204)
