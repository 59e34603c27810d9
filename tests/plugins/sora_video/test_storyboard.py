"""The storyboard renderer and body (spec §4.9, §5.4; seed §2.7), checked against the simulator too."""

from __future__ import annotations

import pytest

from plugins.features.storyboard import StoryboardParser
from plugins.sora_video.storyboard import render_storyboard, storyboard_body
from router import Features, Storyboard, StoryboardShot
from tests.fake_sora.videos import STORYBOARD_BODY, storyboard_check

LANDSCAPE_15 = {"orientation": "landscape", "n_frames": 450, "upstream_model": "sy_ore", "size": "large"}


def test_shots_only() -> None:
    storyboard = Storyboard(shots=(StoryboardShot("5.0", "a cat walks"), StoryboardShot("10", "it jumps")))
    assert render_storyboard(storyboard) == (
        "Shot 1:\nduration: 5.0sec\nScene: a cat walks\n\nShot 2:\nduration: 10sec\nScene: it jumps"
    )


def test_instructions_make_the_shots_the_current_timeline() -> None:
    storyboard = Storyboard(shots=(StoryboardShot("5", "a cat walks"),), instructions="A noir film.")
    assert render_storyboard(storyboard) == (
        "current timeline:\nShot 1:\nduration: 5sec\nScene: a cat walks\n\ninstructions:\nA noir film."
    )


def test_a_scene_is_one_line() -> None:
    """A blank line inside a scene would read as the start of the next shot."""
    storyboard = Storyboard(
        shots=(StoryboardShot("5", "a cat\n\n walks\tslowly"), StoryboardShot("5", "end"))
    )
    rendered = render_storyboard(storyboard)
    assert "Scene: a cat walks slowly\n\nShot 2:" in rendered
    assert storyboard_check(rendered) is None


@pytest.mark.parametrize(
    "prompt",
    [
        "[5s] one",
        "[5.0s] one [2.5s] two [10 s] three",
        "A rainy city at night\n[5s] a cat walks\n[5s] it jumps\nonto a car",
        "Intro with\nseveral lines\n\n[4s] shot",
    ],
)
def test_what_the_parser_finds_renders_into_what_the_upstream_accepts(prompt: str) -> None:
    storyboard = StoryboardParser().parse(prompt, Features(), {}).features.storyboard
    assert storyboard is not None
    assert storyboard_check(render_storyboard(storyboard)) is None


def test_body_has_every_key_the_spec_fixes() -> None:
    storyboard = Storyboard(shots=(StoryboardShot("5", "a cat walks"),))
    body = storyboard_body(storyboard, LANDSCAPE_15, "anime")
    assert set(body) == set(STORYBOARD_BODY)
    assert body == {
        "kind": "video",
        "prompt": "Shot 1:\nduration: 5sec\nScene: a cat walks",
        "title": "Draft your video",
        "orientation": "landscape",
        "size": "small",  # §4.9: always small and sy_8, whatever the model
        "n_frames": 450,
        "storyboard_id": None,
        "inpaint_items": [],
        "remix_target_id": None,
        "model": "sy_8",
        "metadata": None,
        "style_id": "anime",
        "cameo_ids": None,
        "cameo_replacements": None,
        "audio_caption": None,
        "audio_transcript": None,
        "video_caption": None,
    }
