"""Remixes of published videos (spec §4.8 remix table): a share id → B12 with ``remix_target_id``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plugins.sora_video.models import STANDARD_MODEL

BEGINS = "**Remix Generation Process Begins**\n\nInitializing remix request...\n"
SENDING = "Sending remix request to server...\n"


def remix_body(prompt: str, target: str, variant: Mapping[str, Any], style: str | None) -> dict[str, Any]:
    """The spec fixes model ``sy_8`` and sends no ``size``; orientation and frames come from the model.

    ``prompt`` (share links and style marker already removed) may be empty.
    """
    return {
        "kind": "video",
        "prompt": prompt,
        "inpaint_items": [],
        "remix_target_id": target,
        "cameo_ids": [],
        "cameo_replacements": {},
        "model": STANDARD_MODEL,
        "orientation": variant["orientation"],
        "n_frames": variant["n_frames"],
        "style_id": style,
    }
