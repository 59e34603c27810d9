"""Images: upload (B9), create (B10) and poll (B11); §4.6, §4.7, §4.13, §6.3."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from . import ids
from .accounts import Account, Upload
from .deps import AccountDep, SimDep
from .errors import strict
from .headers import require_h1
from .sentinel import require_h2
from .state import FakeSora
from .validation import (
    Check,
    check_query,
    const,
    describe,
    json_body,
    multipart_parts,
    no_body,
    nonempty_str,
    one_of,
    sniff,
    validate_object,
)

router = APIRouter()

IMAGE_SIZES = {(360, 360), (540, 360), (360, 540)}
IMAGE_CONTENT_TYPES = ("image/png", "image/jpeg", "image/webp")
IMAGE_FORMATS = ("png", "jpeg", "webp", "gif")
VIDEO_GEN_BODY: dict[str, Check] = {
    "type": const("image_gen"),
    "operation": one_of("simple_compose", "remix"),
    "prompt": nonempty_str,
    "width": one_of(360, 540),
    "height": one_of(360, 540),
    "n_variants": const(1),
    "n_frames": const(1),
    "inpaint_items": lambda v: None if isinstance(v, list) else f"must be a list, got {describe(v)}",
}
IMAGE_ITEM_KEYS: dict[str, Check] = {
    "type": const("image"),
    "frame_index": const(0),
    "upload_media_id": nonempty_str,
}


def require_upload(sim: FakeSora, account: Account, media_id: str, param: str) -> None:
    with sim.lock:
        upload = account.uploads.get(media_id)
    if upload is None or upload.kind != "image":
        raise strict(
            f"{param} {media_id!r} is not an image this account uploaded via POST /uploads", param=param
        )


@router.post("/uploads")
async def upload(request: Request, sim: SimDep, account: AccountDep) -> dict[str, Any]:
    require_h1(request, sim)
    parts = await multipart_parts(request, [("file", "file"), ("file_name", "text")])
    file, file_name = parts["file"], parts["file_name"]
    if file.content_type not in IMAGE_CONTENT_TYPES:
        raise strict(
            f"part 'file' content type must be one of {IMAGE_CONTENT_TYPES}, got {file.content_type!r}"
        )
    if sniff(file.data) not in IMAGE_FORMATS:
        raise strict(
            f"part 'file' must hold raw image bytes (PNG/JPEG/WEBP/GIF), got {file.data[:16]!r} "
            f"({len(file.data)} bytes); was the base64 decoded?"
        )
    if not file_name.text or file_name.text != file.filename:
        raise strict(
            f"part 'file_name' must equal the file's filename {file.filename!r}, got {file_name.text!r}"
        )
    media_id = ids.media_id()
    with sim.lock:
        account.uploads[media_id] = Upload(
            media_id, file_name.text, file.content_type or "", len(file.data), "image"
        )
    return {"id": media_id, "filename": file_name.text, "size": len(file.data)}


@router.post("/video_gen")
async def video_gen(request: Request, sim: SimDep, account: AccountDep) -> dict[str, Any]:
    raw = await json_body(request)
    require_h2(request, sim, account)
    body = validate_object(raw, VIDEO_GEN_BODY)
    if (body["width"], body["height"]) not in IMAGE_SIZES:
        raise strict(
            f"width×height must be one of {sorted(IMAGE_SIZES)}, got {body['width']}×{body['height']}"
        )
    items = body["inpaint_items"]
    if body["operation"] == "simple_compose" and items:
        raise strict(
            f"inpaint_items must be [] for simple_compose, got {describe(items)}", param="inpaint_items"
        )
    if body["operation"] == "remix":
        if len(items) != 1:
            raise strict(f"inpaint_items must hold exactly one item for remix, got {len(items)}")
        item = validate_object(items[0], IMAGE_ITEM_KEYS, where="body.inpaint_items[0]")
        require_upload(sim, account, item["upload_media_id"], "upload_media_id")
    task = sim.start_image(account, body, request.method, request.url.path)
    return {"id": task.id, "task_type": "image_gen"}


@router.get("/v2/recent_tasks")
async def recent_tasks(request: Request, sim: SimDep, account: AccountDep) -> dict[str, Any]:
    require_h1(request, sim)
    check_query(request, {"limit": "20"})
    await no_body(request)
    base = str(request.base_url)
    with sim.lock:
        sim.tick()
        now = sim.clock()
        items = [task.recent_item(now, base) for task in sim.tasks.recent_images(account.email, 20)]
    return {"task_responses": items, "last_id": items[-1]["id"] if items else None}
