"""Cameos and prompt enhancement (§4.15, §4.16, §6.4, §15.9)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.fake_sora import FakeSora

from .conftest import message_of
from .spec_client import SpecClient


def wait_cameo(alice: SpecClient, cameo_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        status: dict[str, Any] = alice.get(f"/project_y/cameos/in_progress/{cameo_id}").json()
        if status["status"] in ("finalized", "failed"):
            return status
        time.sleep(0.005)
    raise AssertionError("cameo never finished")


def mp4_bytes(http: httpx.Client, alice: SpecClient) -> bytes:
    draft = alice.wait_video(alice.create_video().json()["id"])[1]
    return http.get(draft["downloadable_url"]).content


def test_cameo_from_upload_to_public_character(alice: SpecClient, http: httpx.Client, sim: FakeSora) -> None:
    files = [("file", ("video.mp4", mp4_bytes(http, alice), "video/mp4")), ("timestamps", (None, "0,3"))]
    created = http.post("/backend/characters/upload", files=files, headers=alice.h1(json_body=False))
    assert created.status_code == 200, created.text
    cameo_id = created.json()["id"]
    status = wait_cameo(alice, cameo_id)
    assert status["status_message"] == "Completed" and status["status"] == "finalized"
    avatar = http.get(status["profile_asset_url"])
    assert avatar.headers["content-type"] == "image/webp"
    upload = http.post(
        "/backend/project_y/file/upload",
        files=[("file", ("profile.webp", avatar.content, "image/webp")), ("use_case", (None, "profile"))],
        headers=alice.h1(json_body=False),
    )
    pointer = upload.json()["asset_pointer"]
    username = status["username_hint"].rsplit(".", 1)[-1] + "123"
    body = {
        "cameo_id": cameo_id,
        "username": username,
        "display_name": status["display_name_hint"],
        "profile_asset_pointer": pointer,
        "instruction_set": None,
        "safety_instruction_set": None,
    }
    wrong = alice.post("/characters/finalize", body | {"username": "someone"})
    assert "username must be" in message_of(wrong)
    finalized = alice.post("/characters/finalize", body)
    assert finalized.status_code == 200, finalized.text
    character_id = finalized.json()["character"]["character_id"]
    assert alice.post(f"/project_y/cameos/by_id/{cameo_id}/update_v2", {"visibility": "public"}).json() == {}
    assert sim.characters[character_id].visibility == "public"
    deleted = http.delete(
        f"/backend/project_y/characters/{character_id}",
        headers={"Authorization": f"Bearer {alice.access_token}"},
    )
    assert deleted.status_code == 204


def test_cameo_from_generation_and_failure(alice: SpecClient, sim: FakeSora) -> None:
    draft = alice.wait_video(alice.create_video().json()["id"])[1]
    body = {"generation_id": draft["id"], "character_id": None, "timestamps": [0, 3]}
    sim.faults.add("/characters/from-generation", "cameo_failed")
    cameo_id = alice.post("/characters/from-generation", body).json()["id"]
    assert wait_cameo(alice, cameo_id)["status"] == "failed"
    assert alice.post("/characters/from-generation", body | {"timestamps": [0, 5]}).status_code == 400


def test_cameo_upload_is_strict(alice: SpecClient, http: httpx.Client, png: bytes) -> None:
    files = [("file", ("video.mp4", png, "video/mp4")), ("timestamps", (None, "0,3"))]
    response = http.post("/backend/characters/upload", files=files, headers=alice.h1(json_body=False))
    assert "must hold MP4 bytes" in message_of(response)


@pytest.mark.parametrize("level", ["short", "medium", "long"])
def test_enhance_prompt_is_deterministic(alice: SpecClient, level: str) -> None:
    body = {"prompt": "a cat", "expansion_level": level, "duration_s": 15}
    first = alice.post("/editor/enhance_prompt", body).json()["enhanced_prompt"]
    assert first == alice.post("/editor/enhance_prompt", body).json()["enhanced_prompt"]
    assert first.startswith("a cat") and "15-second" in first


def test_enhance_prompt_is_strict(alice: SpecClient) -> None:
    body = {"prompt": "a cat", "expansion_level": "huge", "duration_s": 15}
    assert "body.expansion_level must be one of" in message_of(alice.post("/editor/enhance_prompt", body))
