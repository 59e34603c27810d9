"""Finished results end to end: watermark-free links and the result cache served at /files/.

The official SDK → the gateway on a socket → the strict simulator; assertions are on the exact
upstream calls (publish, parse, unpublish, media downloads) and on what the client saw and can fetch.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from pydantic import ValidationError

from router.plugins import get_plugin_manager
from router.registry import build_registry
from tests.conftest import API_KEY, Gateway, gateway_settings, sdk_client
from tests.fake_sora import FakeSora, FakeSoraServer
from tests.fake_sora.media_files import render

PUBLIC_BASE = "https://gateway.example.test/sora"
CACHED_LINK = re.compile(r"/files/([A-Za-z0-9_-]{32}\.(?:mp4|png))")
WM_BEGINS = (
    "**Video Generation Completed**\n\n"
    "Watermark-free mode enabled. Publishing video to get watermark-free version...\n"
)


def plugin(**video: Any) -> dict[str, Any]:
    """The ``plugins`` section with the video plugin's own settings."""
    return {"load_entry_points": False, "settings": {"plugins.sora_video": video}}


def stream(client: openai.OpenAI, model: str, prompt: str) -> tuple[str, str]:
    chunks = list(
        client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": prompt}], stream=True
        )
    )
    assert chunks[-1].choices[0].finish_reason == "stop"
    reasoning = "".join(getattr(c.choices[0].delta, "reasoning_content", None) or "" for c in chunks)
    return reasoning, "".join(c.choices[0].delta.content or "" for c in chunks)


def video_src(content: str) -> str:
    match = re.fullmatch(r"```html\n<video src='([^']+)' controls></video>\n```", content)
    assert match, content
    return match.group(1)


def only_generation(sim: FakeSora) -> str:
    with sim.lock:
        (task,) = sim.tasks.videos.values()
        return str(task.generation_id)


def only_post(sim: FakeSora) -> str:
    with sim.lock:
        (post_id,) = sim.posts
        return post_id


def assert_published(sim: FakeSora, generation_id: str) -> None:
    (publish,) = sim.requests_to("/project_y/post", "POST")
    assert publish.body == {
        "attachments_to_create": [{"generation_id": generation_id, "kind": "sora"}],
        "post_text": "",
    }
    assert publish.sentinel is not None


def add_account(gateway: Gateway, sim: FakeSora) -> None:
    gateway.add_account(sim.create_account("results@example.com", plan="chatgpt_plus"))


# -- watermark-free --------------------------------------------------------------------------


def test_watermark_free_third_party_link_keeps_the_post_published(
    make_gateway: Callable[..., Gateway], upstream: FakeSoraServer, sim: FakeSora
) -> None:
    gateway = make_gateway(
        plugins=plugin(
            watermark_free={"enabled": True, "third_party_url": f"{upstream.base_url}/MP4/{{post_id}}.mp4"}
        )
    )
    add_account(gateway, sim)
    with sdk_client(gateway) as client:
        reasoning, content = stream(client, "sora2-landscape-10s", "a lighthouse at dawn")

    post_id = only_post(sim)
    assert re.fullmatch(r"s_[0-9a-f]{32}", post_id)
    assert_published(sim, only_generation(sim))
    assert video_src(content) == f"{upstream.base_url}/MP4/{post_id}.mp4"
    assert reasoning.endswith(
        WM_BEGINS
        + f"Video published successfully. Post ID: {post_id}\nNow preparing watermark-free video...\n"
        + "Cache is disabled. Using watermark-free URL directly...\n"
    )
    # no request for the link itself, and the post stays up: the third-party link needs it
    assert sim.count(f"/MP4/{post_id}.mp4") == 0
    assert sim.count(f"/project_y/post/{post_id}", "DELETE") == 0
    assert httpx.get(video_src(content)).content == render(f"{post_id}_nowm.mp4")[1]


def test_watermark_free_third_party_link_cached_then_unpublished(
    make_gateway: Callable[..., Gateway], upstream: FakeSoraServer, sim: FakeSora
) -> None:
    gateway = make_gateway(
        plugins=plugin(
            watermark_free={"enabled": True, "third_party_url": f"{upstream.base_url}/MP4/{{post_id}}.mp4"}
        ),
        cache={"enabled": True},
        server={"public_base_url": PUBLIC_BASE},
    )
    add_account(gateway, sim)
    with sdk_client(gateway) as client:
        reasoning, content = stream(client, "sora2-landscape-10s", "a lighthouse at dusk")

    post_id = only_post(sim)
    (download,) = sim.requests_to(f"/MP4/{post_id}.mp4", "GET")
    assert "authorization" not in download.headers
    (unpublish,) = sim.requests_to(f"/project_y/post/{post_id}", "DELETE")
    assert unpublish.status == 204 and unpublish.seq > download.seq
    name = video_src(content).removeprefix(f"{PUBLIC_BASE}/files/")
    assert CACHED_LINK.fullmatch(f"/files/{name}")
    assert httpx.get(f"{gateway.url}/files/{name}").content == render(f"{post_id}_nowm.mp4")[1]
    assert reasoning.endswith(
        f"Video published successfully. Post ID: {post_id}\nNow caching watermark-free video...\n"
        "Watermark-free video cached successfully. Preparing final response...\n"
        "Published post deleted successfully.\n"
    )


def test_watermark_free_custom_parser_then_cache_then_unpublish(
    make_gateway: Callable[..., Gateway], upstream: FakeSoraServer, sim: FakeSora
) -> None:
    watermark_free = {
        "enabled": True,
        "parse_method": "custom",
        "custom_parse_url": upstream.base_url,
        "custom_parse_token": sim.config.parse_token,
    }
    gateway = make_gateway(
        plugins=plugin(watermark_free=watermark_free),
        cache={"enabled": True},
        server={"public_base_url": PUBLIC_BASE},
    )
    add_account(gateway, sim)
    with sdk_client(gateway) as client:
        reasoning, content = stream(client, "sora2-portrait-10s", "a fox in the snow")

    post_id = only_post(sim)
    assert_published(sim, only_generation(sim))
    (parse,) = sim.requests_to("/get-sora-link", "POST")
    assert parse.body == {"url": f"{upstream.base_url}/p/{post_id}", "token": sim.config.parse_token}
    assert "authorization" not in parse.headers
    (download,) = sim.requests_to(f"/media/{post_id}_nowm.mp4", "GET")
    (unpublish,) = sim.requests_to(f"/project_y/post/{post_id}", "DELETE")
    assert unpublish.status == 204 and unpublish.seq > download.seq
    with sim.lock:
        assert sim.posts[post_id].deleted

    link = video_src(content)
    assert link.startswith(f"{PUBLIC_BASE}/files/")
    name = link.rsplit("/", 1)[-1]
    served = httpx.get(f"{gateway.url}/files/{name}")
    assert served.status_code == 200
    assert served.content == render(f"{post_id}_nowm.mp4")[1]
    assert reasoning.endswith(
        WM_BEGINS
        + f"Video published successfully. Post ID: {post_id}\n"
        + "Using custom parse server to get watermark-free URL...\n"
        + f"Video published successfully. Post ID: {post_id}\nNow caching watermark-free video...\n"
        + "Watermark-free video cached successfully. Preparing final response...\n"
        + "Published post deleted successfully.\n"
    )


def test_watermark_free_failure_falls_back_to_the_normal_video(
    make_gateway: Callable[..., Gateway], upstream: FakeSoraServer, sim: FakeSora
) -> None:
    watermark_free = {
        "enabled": True,
        "parse_method": "custom",
        "custom_parse_url": upstream.base_url,
        "custom_parse_token": "not-the-parse-token",
    }
    gateway = make_gateway(plugins=plugin(watermark_free=watermark_free))
    add_account(gateway, sim)
    with sdk_client(gateway) as client:
        reasoning, content = stream(client, "sora2-landscape-10s", "a red balloon")

    generation_id = only_generation(sim)
    post_id = only_post(sim)
    assert video_src(content).endswith(f"/media/{generation_id}_dl.mp4")
    assert (
        "⚠️ Warning: Failed to get watermark-free version - "
        "The parse server refused the post: Invalid token\nFalling back to normal video...\n"
    ) in reasoning
    # the post made for nothing is taken down again
    (unpublish,) = sim.requests_to(f"/project_y/post/{post_id}", "DELETE")
    assert unpublish.status == 204


def test_watermark_free_failure_without_fallback_fails_the_task(
    make_gateway: Callable[..., Gateway], sim: FakeSora
) -> None:
    gateway = make_gateway(plugins=plugin(watermark_free={"enabled": True, "fallback_on_failure": False}))
    add_account(gateway, sim)
    sim.faults.add("/project_y/post", "server_error", method="POST")
    with httpx.stream(
        "POST",
        f"{gateway.url}/v1/chat/completions",
        json={"model": "sora2-landscape-10s", "stream": True, "messages": [{"role": "user", "content": "x"}]},
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=60,
    ) as response:
        lines = [line for line in response.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    assert '"code":"generation_failed"' in lines[-2]
    assert "Failed to get the watermark-free video" in lines[-2]
    assert any("Fallback is disabled. Task marked as failed." in line for line in lines)

    sim.faults.add("/project_y/post", "server_error", method="POST")
    with sdk_client(gateway) as client, pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(
            model="sora2-landscape-10s", messages=[{"role": "user", "content": "y"}]
        )
    assert info.value.status_code == 500
    assert info.value.code == "generation_failed"


# -- the result cache ------------------------------------------------------------------------


def test_cached_video_is_served_with_ranges_and_expires(
    make_gateway: Callable[..., Gateway], sim: FakeSora
) -> None:
    gateway = make_gateway(
        cache={"enabled": True, "ttl_seconds": 600}, server={"public_base_url": PUBLIC_BASE}
    )
    add_account(gateway, sim)
    with sdk_client(gateway) as client:
        reasoning, content = stream(client, "sora2-landscape-10s", "a paper boat")

    generation_id = only_generation(sim)
    original = render(f"{generation_id}_dl.mp4")[1]
    link = video_src(content)
    match = CACHED_LINK.search(link)
    assert match and link == f"{PUBLIC_BASE}/files/{match.group(1)}", link
    name = match.group(1)
    assert generation_id not in name
    assert reasoning.endswith(
        "**Video Generation Completed**\n\nVideo generation successful. Now caching the video file...\n"
        "Video file cached successfully. Preparing final response...\n"
    )
    assert sim.count(f"/media/{generation_id}_dl.mp4", "GET") == 1

    url = f"{gateway.url}/files/{name}"
    full = httpx.get(url)  # no API key: the token is the secret
    assert full.status_code == 200
    assert full.headers["content-type"] == "video/mp4"
    assert full.headers["accept-ranges"] == "bytes"
    assert full.content == original
    part = httpx.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-199/{len(original)}"
    assert part.content == original[100:200]
    tail = httpx.get(url, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == original[-10:]
    head = httpx.head(url)
    assert head.status_code == 200 and head.headers["content-length"] == str(len(original))

    # an expired link is a 404 envelope (and the file goes)
    cached = gateway.settings.data_dir / "cache" / name
    then = time.time() - 601
    os.utime(cached, (then, then))
    gone = httpx.get(url)
    assert gone.status_code == 404
    assert gone.json() == {
        "error": {
            "message": "This file link is unknown or has expired",
            "type": "invalid_request_error",
            "param": None,
            "code": "file_not_found",
        }
    }
    assert not cached.exists()
    assert httpx.get(f"{gateway.url}/files/{'A' * 32}.mp4").status_code == 404


def test_cache_falls_back_to_the_upstream_url_when_the_media_host_fails(
    make_gateway: Callable[..., Gateway], sim: FakeSora
) -> None:
    gateway = make_gateway(cache={"enabled": True})
    add_account(gateway, sim)
    # hold the draft back until the finished video's file is gone from the media host
    sim.faults.add("*/drafts*", "slow", delay=2.0)
    with sdk_client(gateway) as client:
        remover = _remove_when_ready(sim)
        reasoning, content = stream(client, "sora2-landscape-10s", "a kite")
    assert remover()

    generation_id = only_generation(sim)
    assert video_src(content).endswith(f"/media/{generation_id}_dl.mp4")
    assert re.search(
        r"Warning: Failed to cache file - .*404.*\nUsing original URL instead...\n", reasoning
    ), reasoning
    assert list((gateway.settings.data_dir / "cache").glob("*")) == []


def _remove_when_ready(sim: FakeSora) -> Callable[[], bool]:
    """Start a thread that removes the first finished video's download once it exists."""
    done = threading.Event()

    def watch() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with sim.lock:
                names = [name for name in sim.media.names if name.endswith("_dl.mp4")]
            if names:
                sim.remove_media(names[0])
                done.set()
                return
            time.sleep(0.02)

    threading.Thread(target=watch, daemon=True).start()
    return done.is_set


def test_cached_images_use_the_public_base_url(make_gateway: Callable[..., Gateway], sim: FakeSora) -> None:
    gateway = make_gateway(cache={"enabled": True}, server={"public_base_url": PUBLIC_BASE + "/"})
    add_account(gateway, sim)
    with sdk_client(gateway) as client:
        reasoning, content = stream(client, "gpt-image", "a teapot")

    match = re.fullmatch(r"!\[Generated Image\]\((\S+)\)", content)
    assert match, content
    link = match.group(1)
    name_match = CACHED_LINK.search(link)
    assert name_match and link == f"{PUBLIC_BASE}/files/{name_match.group(1)}"
    assert reasoning.endswith(
        "**Image Generation Completed**\n\nImage generation successful. Now caching 1 image(s)...\n"
        "All images cached successfully. Preparing final response...\n"
    )
    with sim.lock:
        (image,) = sim.tasks.images.values()
    served = httpx.get(f"{gateway.url}/files/{name_match.group(1)}")
    assert served.headers["content-type"] == "image/png"
    assert served.content == render(f"{image.generation_id}.png")[1]


def test_cache_off_hands_out_upstream_urls(make_gateway: Callable[..., Gateway], sim: FakeSora) -> None:
    gateway = make_gateway()
    add_account(gateway, sim)
    with sdk_client(gateway) as client:
        reasoning, content = stream(client, "gpt-image", "a teapot")
    assert "/media/gen_" in content
    assert reasoning.endswith(
        "**Image Generation Completed**\n\nCache is disabled. Using original URLs directly...\n"
    )
    assert not (gateway.settings.data_dir / "cache").exists() or not any(
        (gateway.settings.data_dir / "cache").iterdir()
    )


def test_bad_video_plugin_settings_stop_the_start(tmp_path: Path, upstream: FakeSoraServer) -> None:
    for bad in (
        {"watermark_free": {"parse_method": "magic"}},
        {
            "watermark_free": {
                "enabled": True,
                "parse_method": "custom",
                "custom_parse_url": "https://p.example",
            }
        },
        {"watermark_free": {"third_party_url": "https://cdn.example/latest.mp4"}},
        {"characters": {"poll_interval": 0}},
        {"unknown": True},
    ):
        settings = gateway_settings(tmp_path, upstream, plugins=plugin(**bad))
        with pytest.raises(ValidationError, match="plugins.sora_video settings"):
            build_registry(get_plugin_manager(settings.plugins), settings)


def test_links_use_the_requests_base_url_when_no_public_one_is_set(
    make_gateway: Callable[..., Gateway], sim: FakeSora
) -> None:
    gateway = make_gateway(cache={"enabled": True})
    add_account(gateway, sim)
    with sdk_client(gateway) as client:
        _, image = stream(client, "gpt-image", "a teapot")
        _, video = stream(client, "sora2-landscape-10s", "a teapot boiling")
    image_link = re.fullmatch(r"!\[Generated Image\]\((\S+)\)", image)
    assert image_link and image_link.group(1).startswith(f"{gateway.url}/files/")
    assert video_src(video).startswith(f"{gateway.url}/files/")
    for link in (image_link.group(1), video_src(video)):
        assert httpx.get(link).status_code == 200
