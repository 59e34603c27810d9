"""The media host, publishing and the watermark-free helpers (§4.14, §4.22, §6.5, §15.10)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.fake_sora import FakeSora

from .conftest import message_of
from .spec_client import SpecClient


def finished_draft(alice: SpecClient) -> dict[str, Any]:
    return alice.wait_video(alice.create_video().json()["id"])[1]


def test_media_supports_ranges(alice: SpecClient, http: httpx.Client) -> None:
    url = finished_draft(alice)["downloadable_url"]
    whole = http.get(url).content
    assert http.get(url).headers["accept-ranges"] == "bytes"
    part = http.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == whole[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(whole)}"
    assert http.get(url, headers={"Range": "bytes=-8"}).content == whole[-8:]
    assert http.get(url, headers={"Range": f"bytes={len(whole)}-"}).status_code == 416


def test_media_can_disappear_and_refuses_auth(alice: SpecClient, http: httpx.Client, sim: FakeSora) -> None:
    url = finished_draft(alice)["url"]
    leaked = http.get(url, headers={"Authorization": f"Bearer {alice.access_token}"})
    assert leaked.status_code == 400 and "must not carry an Authorization header" in message_of(leaked)
    sim.remove_media(url)
    assert http.get(url).status_code == 404
    assert http.get("/media/unknown.mp4").status_code == 404


def test_publish_parse_and_unpublish(alice: SpecClient, http: httpx.Client, sim: FakeSora) -> None:
    draft = finished_draft(alice)
    body = {"attachments_to_create": [{"generation_id": draft["id"], "kind": "sora"}], "post_text": ""}
    published = alice.post("/project_y/post", body, alice.h2())
    assert published.status_code == 200, published.text
    post_id = published.json()["post"]["id"]
    assert len(post_id) == 34 and post_id.startswith("s_")
    share_url = f"https://sora.chatgpt.com/p/{post_id}"
    link = http.post("/get-sora-link", json={"url": share_url, "token": "fake-parse-token"}).json()
    assert http.get(link["download_link"]).headers["content-type"] == "video/mp4"
    assert http.post("/get-sora-link", json={"url": share_url, "token": "wrong"}).json() == {
        "error": "Invalid token"
    }
    third_party = http.get(f"/MP4/{post_id}.mp4")
    assert third_party.status_code == 200 and third_party.content[4:8] == b"ftyp"
    deleted = http.delete(
        f"/backend/project_y/post/{post_id}", headers={"Authorization": f"Bearer {alice.access_token}"}
    )
    assert deleted.status_code == 204
    assert "error" in http.post("/get-sora-link", json={"url": share_url, "token": "fake-parse-token"}).json()
    sim.assert_no_violations()


def test_publish_is_strict(alice: SpecClient) -> None:
    draft = finished_draft(alice)
    body = {"attachments_to_create": [{"generation_id": draft["id"], "kind": "sora"}], "post_text": "hello"}
    assert 'body.post_text must be ""' in message_of(alice.post("/project_y/post", body, alice.h2()))
    body = {"attachments_to_create": [{"generation_id": "gen_unknown", "kind": "sora"}], "post_text": ""}
    assert alice.post("/project_y/post", body, alice.h2()).status_code == 404
