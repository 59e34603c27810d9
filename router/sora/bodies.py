"""Request bodies the spec fixes (§4.7, §4.10, §4.14–§4.16), as pure builders.

Video create/storyboard bodies (§4.8, §4.9) depend on the model table and prompt features, so the
video plugin builds them; the transport sends them as given.
"""

from __future__ import annotations

from typing import Any

from router.errors import InvalidRequestError

ENHANCE_LEVELS = ("short", "medium", "long")
ENHANCE_DURATIONS = (10, 15, 20)
EXTENSION_DURATIONS = (10, 15)
CAMEO_TIMESTAMPS = (0, 3)


def image_body(prompt: str, width: int, height: int, media_id: str | None = None) -> dict[str, Any]:
    """B10 ``POST /video_gen``: text-to-image, or image-to-image ("remix") with an uploaded media id."""
    return {
        "type": "image_gen",
        "operation": "remix" if media_id else "simple_compose",
        "prompt": prompt,
        "width": width,
        "height": height,
        "n_variants": 1,
        "n_frames": 1,
        "inpaint_items": [{"type": "image", "frame_index": 0, "upload_media_id": media_id}]
        if media_id
        else [],
    }


def extension_body(prompt: str, duration_s: int) -> dict[str, Any]:
    """B14 ``…/long_video_extension``: ``duration_s`` is 10 or 15."""
    if duration_s not in EXTENSION_DURATIONS:
        raise InvalidRequestError(
            f"Extension duration must be one of {EXTENSION_DURATIONS} seconds", param="duration_s"
        )
    return {"user_prompt": prompt, "extension_duration_s": duration_s, "enable_rewrite": True}


def publish_body(generation_id: str) -> dict[str, Any]:
    """B17 ``POST /project_y/post``."""
    return {"attachments_to_create": [{"generation_id": generation_id, "kind": "sora"}], "post_text": ""}


def enhance_body(prompt: str, level: str, duration_s: int) -> dict[str, Any]:
    """B27 ``POST /editor/enhance_prompt``."""
    if level not in ENHANCE_LEVELS:
        raise InvalidRequestError(f"Expansion level must be one of {ENHANCE_LEVELS}", param="expansion_level")
    if duration_s not in ENHANCE_DURATIONS:
        raise InvalidRequestError(f"Duration must be one of {ENHANCE_DURATIONS} seconds", param="duration_s")
    return {"prompt": prompt, "expansion_level": level, "duration_s": duration_s}


def cameo_from_generation_body(generation_id: str) -> dict[str, Any]:
    """B21 ``POST /characters/from-generation``."""
    return {"generation_id": generation_id, "character_id": None, "timestamps": list(CAMEO_TIMESTAMPS)}


def finalize_cameo_body(
    cameo_id: str, *, username: str, display_name: str, profile_asset_pointer: str
) -> dict[str, Any]:
    """B24 ``POST /characters/finalize`` (instruction sets always null)."""
    return {
        "cameo_id": cameo_id,
        "username": username,
        "display_name": display_name,
        "profile_asset_pointer": profile_asset_pointer,
        "instruction_set": None,
        "safety_instruction_set": None,
    }


def cameo_public_body() -> dict[str, Any]:
    """B25 ``…/update_v2``."""
    return {"visibility": "public"}
