"""Publishing and watermark-free links: B17/B18 (§4.14), W1 custom parse (§4.22), W2 third-party MP4."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request, Response

from . import ids
from .deps import AccountDep, SimDep
from .errors import not_found, strict
from .media import serve_bytes
from .media_files import render
from .models import Post
from .sentinel import require_h2
from .validation import Check, const, json_body, matches, no_body, nonempty_str, validate_object

router = APIRouter()  # under /backend
root_router = APIRouter()  # the parse server and the third-party host

SHARE_URL = r"https?://[^/]+/p/(s_[a-f0-9]{32})"
ATTACHMENT: dict[str, Check] = {
    "generation_id": matches(r"gen_[A-Za-z0-9]+", "a gen_… id"),
    "kind": const("sora"),
}
PUBLISH_BODY: dict[str, Check] = {
    "attachments_to_create": lambda v: (
        None if isinstance(v, list) and len(v) == 1 else "must be a one-item list"
    ),
    "post_text": const(""),
}
PARSE_BODY: dict[str, Check] = {
    "url": matches(SHARE_URL, "a share URL https://sora.chatgpt.com/p/s_<32 hex>"),
    "token": nonempty_str,
}


def nowm_name(post_id: str) -> str:
    return f"{post_id}_nowm.mp4"


@router.post("/project_y/post")
async def publish(request: Request, sim: SimDep, account: AccountDep) -> dict[str, Any]:
    raw = await json_body(request)
    require_h2(request, sim, account)
    body = validate_object(raw, PUBLISH_BODY)
    attachment = validate_object(
        body["attachments_to_create"][0], ATTACHMENT, where="body.attachments_to_create[0]"
    )
    generation_id = attachment["generation_id"]
    sim.video_generation(account.email, generation_id)
    with sim.lock:
        post = Post(ids.share_id(), account.email, generation_id)
        sim.posts[post.id] = post
        sim.media.add(nowm_name(post.id))
    return {
        "post": {
            "id": post.id,
            "permalink": f"https://sora.chatgpt.com/p/{post.id}",
            "attachments": [{"generation_id": generation_id, "kind": "sora"}],
            "text": "",
        }
    }


@router.delete("/project_y/post/{post_id}")
async def unpublish(post_id: str, request: Request, sim: SimDep, account: AccountDep) -> Response:
    await no_body(request)
    with sim.lock:
        post = sim.posts.get(post_id)
        if post is None or post.deleted or post.email != account.email:
            raise not_found(f"Post {post_id}")
        post.deleted = True
    return Response(status_code=204)


@root_router.post("/get-sora-link")
async def get_sora_link(request: Request, sim: SimDep) -> dict[str, Any]:
    """The custom parse server: 200 with ``download_link``, or 200 with ``error``."""
    body = validate_object(await json_body(request), PARSE_BODY)
    if body["token"] != sim.config.parse_token:
        return {"error": "Invalid token"}
    match = re.fullmatch(SHARE_URL, body["url"])
    assert match is not None  # checked by the schema
    with sim.lock:
        post = sim.posts.get(match.group(1))
    if post is None or post.deleted:
        return {"error": "Post not found or not public"}
    return {"download_link": f"{request.base_url}media/{nowm_name(post.id)}"}


@root_router.api_route("/MP4/{file_name}", methods=["GET", "HEAD"])
async def third_party_mp4(file_name: str, request: Request, sim: SimDep) -> Response:
    """The third-party watermark remover: any post ever published, no auth (H6)."""
    if "authorization" in request.headers:
        raise strict(
            "third-party downloads must not carry an Authorization header (H6)", param="authorization"
        )
    post_id = file_name.removesuffix(".mp4")
    with sim.lock:
        known = file_name.endswith(".mp4") and post_id in sim.posts
    if not known:
        raise not_found(f"MP4 {file_name}")
    content_type, data = render(nowm_name(post_id))
    return serve_bytes(request, content_type, data)
