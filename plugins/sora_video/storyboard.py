"""Storyboards (spec §4.9, §5.4): shots rendered as Sora's timeline text, sent to B13."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plugins.sora_video.models import STANDARD_MODEL, STANDARD_SIZE
from router import Storyboard

DETECTED = "Detected storyboard format. Converting to storyboard API format...\n"
TITLE = "Draft your video"


def render_storyboard(storyboard: Storyboard) -> str:
    """``Shot <n>:\\nduration: <d>sec\\nScene: <text>`` per shot, shots separated by a blank line.

    With instructions (the text before the first shot) the shots become the current timeline:
    ``current timeline:\\n<shots>\\n\\ninstructions:\\n<instructions>``. A scene is written on one
    line (its blanks collapsed), so a blank line inside it cannot read as the next shot.
    """
    shots = "\n\n".join(
        f"Shot {number}:\nduration: {shot.seconds}sec\nScene: {' '.join(shot.scene.split())}"
        for number, shot in enumerate(storyboard.shots, 1)
    )
    instructions = storyboard.instructions.strip()
    if not instructions:
        return shots
    return f"current timeline:\n{shots}\n\ninstructions:\n{instructions}"


def storyboard_body(storyboard: Storyboard, variant: Mapping[str, Any], style: str | None) -> dict[str, Any]:
    """B13 ``POST /nf/create/storyboard``: the spec fixes model ``sy_8`` and size ``small``.

    ``inpaint_items`` is filled in at submission when an image is attached.
    """
    return {
        "kind": "video",
        "prompt": render_storyboard(storyboard),
        "title": TITLE,
        "orientation": variant["orientation"],
        "size": STANDARD_SIZE,
        "n_frames": variant["n_frames"],
        "storyboard_id": None,
        "inpaint_items": [],
        "remix_target_id": None,
        "model": STANDARD_MODEL,
        "metadata": None,
        "style_id": style,
        "cameo_ids": None,
        "cameo_replacements": None,
        "audio_caption": None,
        "audio_transcript": None,
        "video_caption": None,
    }
