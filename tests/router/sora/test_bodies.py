"""Request bodies the spec fixes."""

from __future__ import annotations

import pytest

from router.errors import InvalidRequestError
from router.sora import bodies
from router.sora.auth import refresh_token_body


def test_text_to_image_body() -> None:
    assert bodies.image_body("a cat", 540, 360) == {
        "type": "image_gen",
        "operation": "simple_compose",
        "prompt": "a cat",
        "width": 540,
        "height": 360,
        "n_variants": 1,
        "n_frames": 1,
        "inpaint_items": [],
    }


def test_image_to_image_body() -> None:
    body = bodies.image_body("a cat", 360, 360, "media_1")
    assert body["operation"] == "remix"
    assert body["inpaint_items"] == [{"type": "image", "frame_index": 0, "upload_media_id": "media_1"}]


def test_extension_body() -> None:
    assert bodies.extension_body("go on", 15) == {
        "user_prompt": "go on",
        "extension_duration_s": 15,
        "enable_rewrite": True,
    }
    with pytest.raises(InvalidRequestError):
        bodies.extension_body("go on", 20)


def test_publish_body() -> None:
    assert bodies.publish_body("gen_1") == {
        "attachments_to_create": [{"generation_id": "gen_1", "kind": "sora"}],
        "post_text": "",
    }


def test_enhance_body() -> None:
    assert bodies.enhance_body("cat", "medium", 10) == {
        "prompt": "cat",
        "expansion_level": "medium",
        "duration_s": 10,
    }
    with pytest.raises(InvalidRequestError):
        bodies.enhance_body("cat", "huge", 10)
    with pytest.raises(InvalidRequestError):
        bodies.enhance_body("cat", "short", 12)


def test_cameo_bodies() -> None:
    assert bodies.cameo_from_generation_body("gen_1") == {
        "generation_id": "gen_1",
        "character_id": None,
        "timestamps": [0, 3],
    }
    assert bodies.finalize_cameo_body(
        "c1", username="u123", display_name="N", profile_asset_pointer="ap"
    ) == {
        "cameo_id": "c1",
        "username": "u123",
        "display_name": "N",
        "profile_asset_pointer": "ap",
        "instruction_set": None,
        "safety_instruction_set": None,
    }
    assert bodies.cameo_public_body() == {"visibility": "public"}


def test_refresh_token_body() -> None:
    assert refresh_token_body("rt-1") == {
        "client_id": "app_LlGpXReQgckcGGUo2JrYvtJK",
        "grant_type": "refresh_token",
        "redirect_uri": "com.openai.chat://auth0.openai.com/ios/com.openai.chat/callback",
        "refresh_token": "rt-1",
    }
    assert refresh_token_body("rt-1", "app_custom")["client_id"] == "app_custom"
