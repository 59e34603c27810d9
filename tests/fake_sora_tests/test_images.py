"""Images: upload, create, poll (§4.6, §4.7, §4.13, §6.3, §15.8)."""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.fake_sora import FakeSora, FilePart

from .conftest import message_of
from .spec_client import SpecClient


def test_text_to_image_lifecycle(alice: SpecClient, http: httpx.Client, sim: FakeSora) -> None:
    created = alice.create_image(width=540, height=360)
    assert created.status_code == 200, created.text
    seen, done = alice.wait_image(created.json()["id"])
    assert all(isinstance(item["progress_pct"], float) for item in seen)
    assert seen[0]["status"] == "processing" and done["status"] == "succeeded"
    [generation] = done["generations"]
    image = http.get(generation["url"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")
    assert sim.peak_concurrency("alice@example.com", "image") == 1
    sim.assert_no_violations()


def test_image_to_image(alice: SpecClient, sim: FakeSora, png: bytes) -> None:
    upload = alice.upload_image(png)
    assert upload.status_code == 200
    media_id = upload.json()["id"]
    assert media_id.startswith("media_")
    record = sim.requests_to("/uploads")[-1]
    assert record.form == {"file": FilePart("image.png", "image/png", len(png)), "file_name": "image.png"}
    created = alice.create_image(media_id)
    assert created.status_code == 200, created.text
    assert alice.wait_image(created.json()["id"])[1]["status"] == "succeeded"
    foreign = sim.create_account("eve@example.com")
    other = SpecClient(alice.http, foreign.access_token)
    stolen = other.create_image(media_id)
    assert stolen.status_code == 400 and "is not an image this account uploaded" in message_of(stolen)


def test_upload_is_strict(alice: SpecClient, png: bytes) -> None:
    headers = alice.h1(json_body=False)
    swapped = [("file_name", (None, "image.png")), ("file", ("image.png", png, "image/png"))]
    response = alice.http.post("/backend/uploads", files=swapped, headers=headers)
    assert "multipart parts must be exactly ['file', 'file_name'] in this order" in message_of(response)
    still_base64 = alice.upload_image(base64.b64encode(png))
    assert "was the base64 decoded?" in message_of(still_base64)
    as_text = [("file", (None, "abc")), ("file_name", (None, "image.png"))]
    response = alice.http.post("/backend/uploads", files=as_text, headers=headers)
    assert "must be a file" in message_of(response)
    wrong_ua = alice.http.post(
        "/backend/uploads",
        files=[("file", ("image.png", png, "image/png")), ("file_name", (None, "image.png"))],
        headers=headers | {"User-Agent": "python-httpx"},
    )
    assert "(H1): User-Agent must be one of" in message_of(wrong_ua)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"width": 540, "height": 540}, "width×height must be one of"),
        ({"n_variants": 2}, "body.n_variants must be 1"),
        ({"operation": "remix"}, "inpaint_items must hold exactly one item for remix"),
        ({"type": "video_gen"}, 'body.type must be "image_gen"'),
        (
            {"inpaint_items": [{"type": "image", "frame_index": 0, "upload_media_id": "x"}]},
            "must be [] for simple_compose",
        ),
    ],
)
def test_video_gen_is_strict(alice: SpecClient, overrides: dict[str, object], expected: str) -> None:
    response = alice.create_image(**overrides)
    assert response.status_code == 400
    assert expected in message_of(response)


def test_recent_tasks_wants_limit_20(alice: SpecClient) -> None:
    assert alice.get("/v2/recent_tasks?limit=20").status_code == 200
    response = alice.get("/v2/recent_tasks?limit=50")
    assert response.status_code == 400 and "query must be limit=20" in message_of(response)


def test_image_failed_fault(alice: SpecClient, sim: FakeSora) -> None:
    sim.faults.add("/video_gen", "image_failed", message="blocked by safety")
    _, done = alice.wait_image(alice.create_image().json()["id"])
    assert done["status"] == "failed" and done["error_message"] == "blocked by safety"
    assert done["generations"] == []
    _, second = alice.wait_image(alice.create_image().json()["id"])
    assert second["status"] == "succeeded"
