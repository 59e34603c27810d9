"""The video lifecycle and the create bodies (§4.8–4.12, §6.1, §6.2, §15.5)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.fake_sora import FakeSora

from .conftest import error_of, message_of
from .spec_client import SpecClient

TASK_ID = re.compile(r"task_[0-9a-z]{26}")
STORYBOARD = (
    "current timeline:\nShot 1:\nduration: 5.0sec\nScene: a cat jumps\n\n"
    "Shot 2:\nduration: 5.0sec\nScene: it lands\n\ninstructions:\nfunny"
)


def test_video_lifecycle_through_pending_and_drafts(
    alice: SpecClient, http: httpx.Client, sim: FakeSora
) -> None:
    created = alice.create_video(style_id="anime")
    assert created.status_code == 200
    task_id = created.json()["id"]
    assert TASK_ID.fullmatch(task_id)
    pending, draft = alice.wait_video(task_id)
    statuses = [item["status"] for item in pending]
    assert statuses == sorted(statuses, key=["preprocessing", "queued", "running", "processing"].index)
    assert "running" in statuses
    progress = [item["progress_pct"] for item in pending if item["status"] == "running"]
    assert progress == sorted(progress) and all(0.1 <= p <= 1.0 for p in progress)
    assert all(item["progress_pct"] == 1.0 for item in pending if item["status"] == "processing")
    assert (
        draft["kind"] == "sora_draft" and draft["reason_str"] is None and draft["markdown_reason_str"] is None
    )
    assert re.fullmatch(r"gen_[0-9a-z]{26}", draft["id"])
    video = http.get(draft["downloadable_url"])
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    assert video.content[4:8] == b"ftyp"
    assert draft["url"].startswith(str(http.base_url))
    assert sim.account("alice@example.com").quota == 29
    assert sim.create_count("alice@example.com", "video") == 1
    sim.assert_no_violations()


def test_drafts_are_newest_first_and_limited(alice: SpecClient, sim: FakeSora) -> None:
    ids = [alice.create_video().json()["id"] for _ in range(3)]
    alice.wait_video(ids[-1])
    assert [item["task_id"] for item in alice.drafts()][:3] == ids[::-1]


def test_image_to_video_needs_an_own_upload(alice: SpecClient, sim: FakeSora, png: bytes) -> None:
    media_id = alice.upload_image(png).json()["id"]
    good = alice.create_video(inpaint_items=[{"kind": "upload", "upload_id": media_id}])
    assert good.status_code == 200, good.text
    bad = alice.create_video(inpaint_items=[{"kind": "upload", "upload_id": "media_nope"}])
    assert bad.status_code == 400 and "was not uploaded by this account" in message_of(bad)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"size": "medium"}, 'body.size must be one of ["small", "large"], got "medium"'),
        ({"n_frames": "300"}, 'body.n_frames must be one of [300, 450, 750], got "300" (str)'),
        ({"n_frames": 300.0}, "body.n_frames must be one of [300, 450, 750], got 300.0 (float)"),
        ({"model": "sora-2"}, 'body.model must be one of ["sy_8", "sy_ore"]'),
        ({"orientation": "square"}, "body.orientation must be one of"),
        ({"title": None}, "unexpected key(s) ['title']"),
        ({"prompt": ""}, "body.prompt must be a non-empty string"),
        ({"style_id": "Disco"}, "body.style_id must be null or one of"),
        ({"prompt": "a {anime} cat", "style_id": "anime"}, "prompt still contains the style marker {anime}"),
        (
            {"inpaint_items": [{"type": "image"}]},
            "body.inpaint_items[0]: missing key(s) ['kind', 'upload_id']",
        ),
    ],
)
def test_nf_create_rejects_deviating_bodies(
    alice: SpecClient, sim: FakeSora, overrides: dict[str, Any], expected: str
) -> None:
    response = alice.create_video(**overrides)
    assert response.status_code == 400
    error = error_of(response)
    assert expected in str(error["message"]), error
    assert error["code"] == "fake_sora_strict"
    assert sim.violations[-1].path == "/backend/nf/create"


def test_nf_create_missing_key_is_named(alice: SpecClient) -> None:
    body = {"kind": "video", "prompt": "x", "orientation": "landscape", "n_frames": 300, "model": "sy_8"}
    body |= {"inpaint_items": [], "style_id": None}
    response = alice.post("/nf/create", body, alice.h3())
    assert "missing key(s) ['size']" in message_of(response)


def test_remix(alice: SpecClient, sim: FakeSora) -> None:
    share = "s_" + "0123456789abcdef" * 2

    def remix(**changes: Any) -> httpx.Response:
        return alice.post("/nf/create", alice.remix_body(share) | changes, alice.h3(remix=True))

    response = remix()
    assert response.status_code == 200, response.text
    _, draft = alice.wait_video(response.json()["id"])
    assert draft["kind"] == "sora_draft"
    assert sim.video_task(response.json()["id"]).source == "remix"
    assert "unexpected key(s) ['size']" in message_of(remix(size="small"))
    assert "remix_target_id must be a share id" in message_of(remix(remix_target_id="s_XYZ"))
    leftover = f"https://sora.chatgpt.com/p/{share} more snow"
    assert "still contains a share id" in message_of(remix(prompt=leftover))
    assert 'body.model must be "sy_8"' in message_of(remix(model="sy_ore"))


def storyboard_body(prompt: str = STORYBOARD) -> dict[str, Any]:
    return {
        "kind": "video",
        "prompt": prompt,
        "title": "Draft your video",
        "orientation": "landscape",
        "size": "small",
        "n_frames": 300,
        "storyboard_id": None,
        "inpaint_items": [],
        "remix_target_id": None,
        "model": "sy_8",
        "metadata": None,
        "style_id": None,
        "cameo_ids": None,
        "cameo_replacements": None,
        "audio_caption": None,
        "audio_transcript": None,
        "video_caption": None,
    }


def test_storyboard(alice: SpecClient, sim: FakeSora) -> None:
    def storyboard(prompt: str = STORYBOARD, **changes: Any) -> httpx.Response:
        return alice.post("/nf/create/storyboard", storyboard_body(prompt) | changes, alice.h2())

    response = storyboard()
    assert response.status_code == 200, response.text
    alice.wait_video(response.json()["id"])
    assert storyboard("Shot 1:\nduration: 10sec\nScene: waves").status_code == 200
    sim.assert_no_violations()
    assert "shot 1 must read" in message_of(storyboard("[5s] a cat [5s] a dog"))
    skipped = "Shot 1:\nduration: 5sec\nScene: a\n\nShot 3:\nduration: 5sec\nScene: b"
    assert "shot 2 must read" in message_of(storyboard(skipped))
    assert 'body.title must be "Draft your video"' in message_of(storyboard(title="Untitled"))
    assert "no '\\n\\ninstructions" in message_of(
        storyboard("current timeline:\nShot 1:\nduration: 5sec\nScene: a")
    )


def test_long_video_extension(alice: SpecClient, sim: FakeSora) -> None:
    _, draft = alice.wait_video(alice.create_video().json()["id"])
    body = {"user_prompt": "then it rains", "extension_duration_s": 10, "enable_rewrite": True}
    url = f"/project_y/profile/drafts/{draft['id']}/long_video_extension"
    response = alice.post(url, body, alice.h2())
    assert response.status_code == 200, response.text
    _, extended = alice.wait_video(response.json()["id"])
    assert extended["kind"] == "sora_draft"
    assert alice.post(url, body | {"extension_duration_s": 20}, alice.h2()).status_code == 400
    unknown = alice.post("/project_y/profile/drafts/gen_unknown/long_video_extension", body, alice.h2())
    assert unknown.status_code == 404


def test_three_concurrent_videos_then_429(alice: SpecClient, sim: FakeSora) -> None:
    sim.timing = sim.timing.scaled(0.05)  # ~2 s per video: all stay in progress
    for _ in range(3):
        assert alice.create_video().status_code == 200
    fourth = alice.create_video()
    assert fourth.status_code == 429
    assert fourth.json()["error"]["code"] == "too_many_concurrent_tasks"
    assert fourth.json()["error"]["details"] == {"num_tasks": 3}
    assert fourth.json()["error"]["message"] == "You already have 3 generations in progress"
    assert sim.peak_concurrency("alice@example.com") == 3
    assert sim.active_videos("alice@example.com") == 3
    assert sim.create_count("alice@example.com") == 3
    assert len(alice.pending()) == 3


def test_quota_exhausted_is_429(alice: SpecClient, sim: FakeSora) -> None:
    sim.set_quota("alice@example.com", 0, resets_in=600)
    response = alice.create_video()
    assert response.status_code == 429
    balance = response.json()["rate_limit_and_credit_balance"]
    assert balance["rate_limit_reached"] is True and balance["access_resets_in_seconds"] == 600


def test_pro_only_options_need_a_pro_plan(alice: SpecClient, sim: FakeSora) -> None:
    sim.set_plan("alice@example.com", "chatgpt_plus")
    for overrides in ({"model": "sy_ore"}, {"size": "large"}, {"n_frames": 750}):
        response = alice.create_video(**overrides)
        assert response.status_code == 403 and error_of(response)["code"] == "plan_upgrade_required"
    assert alice.create_video().status_code == 200


def test_sora2_must_be_activated(http: httpx.Client, sim: FakeSora) -> None:
    creds = sim.create_account("inactive@example.com", sora2="needs_activation")
    response = SpecClient(http, creds.access_token).create_video()
    assert response.status_code == 401 and "Unauthorized" in message_of(response)
