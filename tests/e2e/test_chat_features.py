"""Every Sora feature of the original through chat completions, end to end.

The official SDK → the gateway on a socket → the strict simulator; assertions are on the exact
upstream bodies the simulator received and on what the client saw, streamed and not.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from router.app import create_app
from router.config import Settings
from tests.conftest import API_KEY, Gateway, gateway_settings
from tests.fake_sora import FakeSora, FakeSoraServer, FilePart
from tests.fake_sora.media_files import render
from tests.support.servers import ThreadedServer

SHARE_ID = "s_" + "0123456789abcdef" * 2
SHARE_LINK = f"https://sora.chatgpt.com/p/{SHARE_ID}"
PNG = render("client-input.png")[1]
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200)
VIDEO_RESULT = re.compile(
    r"```html\n<video src='http://127\.0\.0\.1:\d+/media/(gen_\w+)_dl\.mp4' controls></video>\n```"
)
IMAGE_RESULT = re.compile(r"!\[Generated Image\]\(http://127\.0\.0\.1:\d+/media/gen_\w+\.png\)")
UPLOAD_BEGINS = "**Image Upload Begins**\n\nUploading image to server...\n"
UPLOADED = "Image uploaded successfully. Proceeding to generation...\n"


@pytest.fixture
def settings(tmp_path: Path, upstream: FakeSoraServer) -> Settings:
    """The simulator's media host is 127.0.0.1: client URLs pointing there need the guard relaxed."""
    return gateway_settings(tmp_path, upstream, media={"allow_private_urls": True})


def data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def with_image(text: str, url: str) -> list[dict[str, Any]]:
    return [
        {
            "role": "user",
            "content": [{"type": "text", "text": text}, {"type": "image_url", "image_url": {"url": url}}],
        }
    ]


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def stream(
    client: openai.OpenAI, model: str, messages: list[dict[str, Any]], **extra: Any
) -> tuple[str, str]:
    """(reasoning, content) of a streamed call, after checking the stream's shape."""
    chunks = list(
        client.chat.completions.create(
            model=model,
            messages=messages,
            stream=True,
            extra_body=extra or None,
        )
    )
    assert len({c.id for c in chunks}) == 1
    assert {c.model for c in chunks} == {model}
    assert chunks[-1].choices[0].finish_reason == "stop"
    reasoning = "".join(getattr(c.choices[0].delta, "reasoning_content", None) or "" for c in chunks)
    return reasoning, "".join(c.choices[0].delta.content or "" for c in chunks)


def complete(
    client: openai.OpenAI, model: str, messages: list[dict[str, Any]], **extra: Any
) -> tuple[str, str]:
    """(reasoning, content) of a non-stream call."""
    result = client.chat.completions.create(
        model=model,
        messages=messages,
        extra_body=extra or None,
    )
    assert result.model == model
    assert result.choices[0].finish_reason == "stop"
    message = result.choices[0].message
    return getattr(message, "reasoning_content", None) or "", message.content or ""


CALLS = {"stream": stream, "non-stream": complete}


def only_upload(sim: FakeSora, email: str) -> str:
    (media_id,) = sim.account(email).uploads
    return media_id


def assert_upload(sim: FakeSora, filename: str, content_type: str, size: int) -> None:
    (upload,) = sim.requests_to("/uploads", "POST")
    assert upload.form == {"file": FilePart(filename, content_type, size), "file_name": filename}


def assert_bad_request(
    client: openai.OpenAI, model: str, messages: list[dict[str, Any]], code: str | None = None, **extra: Any
) -> openai.BadRequestError:
    error: openai.BadRequestError | None = None
    for streaming in (False, True):
        with pytest.raises(openai.BadRequestError) as info:
            client.chat.completions.create(
                model=model,
                messages=messages,
                stream=streaming,
                extra_body=extra or None,
            )
        assert info.value.status_code == 400
        if code is not None:
            assert info.value.code == code
        error = info.value
    assert error is not None
    return error


# -- image-to-image ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", list(CALLS))
def test_image_to_image_uploads_the_image_then_remixes_it(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora, mode: str
) -> None:
    creds = sim.create_account("i2i@example.com", plan="chatgpt_plus")
    gateway.add_account(creds)
    reasoning, content = CALLS[mode](
        client, "gpt-image-landscape", with_image("make it blue {anime}", data_uri(PNG))
    )

    assert IMAGE_RESULT.fullmatch(content), content
    assert (
        reasoning.index(UPLOAD_BEGINS)
        < reasoning.index(UPLOADED)
        < reasoning.index("**Image Generation Completed**")
    )
    assert_upload(sim, "image.png", "image/png", len(PNG))
    (create,) = sim.requests_to("/video_gen", "POST")
    assert create.body == {
        "type": "image_gen",
        "operation": "remix",
        "prompt": "make it blue {anime}",  # images get no style processing
        "width": 540,
        "height": 360,
        "n_variants": 1,
        "n_frames": 1,
        "inpaint_items": [
            {"type": "image", "frame_index": 0, "upload_media_id": only_upload(sim, creds.email)}
        ],
    }


def test_image_upload_carries_the_real_type_and_name(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora
) -> None:
    """The original labelled every upload image.png; a JPEG (even one declared as PNG) is a JPEG."""
    gateway.add_account(sim.create_account("jpeg@example.com", plan="chatgpt_plus"))
    _, content = complete(client, "gpt-image", with_image("a fox", data_uri(JPEG, "image/png")))
    assert IMAGE_RESULT.fullmatch(content)
    assert_upload(sim, "image.jpg", "image/jpeg", len(JPEG))


@pytest.mark.parametrize("mode", list(CALLS))
def test_image_by_url_is_fetched_and_uploaded(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora, upstream: FakeSoraServer, mode: str
) -> None:
    """The original silently dropped http(s) image URLs."""
    creds = sim.create_account("url@example.com", plan="chatgpt_plus")
    gateway.add_account(creds)
    with sim.lock:
        sim.media.add("holiday-photo.png")
    url = f"{upstream.base_url}/media/holiday-photo.png"
    reasoning, content = CALLS[mode](client, "gpt-image-portrait", with_image("turn it into a painting", url))

    assert IMAGE_RESULT.fullmatch(content), content
    assert UPLOAD_BEGINS in reasoning
    assert_upload(sim, "holiday-photo.png", "image/png", len(render("holiday-photo.png")[1]))
    (fetch,) = sim.requests_to("/media/holiday-photo.png", "GET")
    assert "authorization" not in fetch.headers
    (create,) = sim.requests_to("/video_gen", "POST")
    assert create.body["operation"] == "remix"
    assert create.body["inpaint_items"][0]["upload_media_id"] == only_upload(sim, creds.email)


def test_unreachable_image_url_is_a_400_before_any_upstream_work(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora, upstream: FakeSoraServer
) -> None:
    gateway.add_account(sim.create_account("404@example.com", plan="chatgpt_plus"))
    error = assert_bad_request(
        client, "gpt-image", with_image("x", f"{upstream.base_url}/media/missing.png"), "media_fetch_failed"
    )
    assert "HTTP 404" in error.message
    with sim.lock:
        sim.media.add("clip.mp4")
    error = assert_bad_request(
        client, "gpt-image", with_image("x", f"{upstream.base_url}/media/clip.mp4"), "unsupported_media_type"
    )
    assert "video/mp4" in error.message
    assert_bad_request(client, "gpt-image", with_image("x", "ftp://example.com/a.png"))
    assert sim.count("/uploads") == 0
    assert sim.count("/video_gen") == 0


@pytest.fixture
def guarded_client(tmp_path: Path, upstream: FakeSoraServer, sim: FakeSora) -> Iterator[openai.OpenAI]:
    """A gateway with the default settings: the SSRF guard on."""
    settings = gateway_settings(tmp_path / "guarded", upstream)
    with ThreadedServer(create_app(settings)) as server:
        Gateway(server=server, settings=settings).add_account(sim.create_account(plan="chatgpt_plus"))
        with openai.OpenAI(base_url=f"{server.base_url}/v1", api_key=API_KEY, max_retries=0) as sdk:
            yield sdk


def test_private_image_urls_are_refused_by_default(
    guarded_client: openai.OpenAI, sim: FakeSora, upstream: FakeSoraServer
) -> None:
    with sim.lock:
        sim.media.add("internal.png")
    urls = (f"{upstream.base_url}/media/internal.png", "http://localhost:1/x.png", "http://169.254.169.254/x")
    for url in urls:
        error = assert_bad_request(guarded_client, "gpt-image", with_image("x", url), "invalid_url")
        assert "non-public address" in error.message
    assert sim.count("/media/internal.png") == 0
    assert sim.count("/uploads") == 0


# -- image-to-video ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", list(CALLS))
def test_image_to_video_uploads_then_creates_with_the_upload(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora, mode: str
) -> None:
    creds = sim.create_account("i2v@example.com", plan="chatgpt_plus")
    gateway.add_account(creds)
    reasoning, content = CALLS[mode](
        client, "sora2-portrait-15s", with_image("{Comic} the cat waves", data_uri(PNG))
    )

    assert VIDEO_RESULT.fullmatch(content), content
    assert (
        reasoning.index(UPLOAD_BEGINS)
        < reasoning.index(UPLOADED)
        < reasoning.index("**Video Generation Completed**")
    )
    assert_upload(sim, "image.png", "image/png", len(PNG))
    (create,) = sim.requests_to("/nf/create", "POST")
    assert create.body == {
        "kind": "video",
        "prompt": "the cat waves",
        "orientation": "portrait",
        "size": "small",
        "n_frames": 450,
        "model": "sy_8",
        "inpaint_items": [{"kind": "upload", "upload_id": only_upload(sim, creds.email)}],
        "style_id": "comic",
    }


def test_video_requests_refuse_what_they_cannot_use(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora
) -> None:
    gateway.add_account(sim.create_account("refuse@example.com", plan="chatgpt_plus"))
    two_images = with_image("x", data_uri(PNG))
    two_images[0]["content"].append({"type": "image_url", "image_url": {"url": data_uri(PNG)}})
    assert "at most one image" in assert_bad_request(client, "sora2-landscape-10s", two_images).message
    gif = with_image("x", data_uri(b"GIF89a" + bytes(20)))
    assert "image/gif" in assert_bad_request(client, "sora2-landscape-10s", gif).message
    assert "empty" in assert_bad_request(client, "sora2-landscape-10s", user("{anime}")).message
    assert sim.count("/uploads") == 0
    assert sim.count("/nf/create") == 0


# -- styles -----------------------------------------------------------------------------------


def test_style_marker_becomes_style_id(gateway: Gateway, client: openai.OpenAI, sim: FakeSora) -> None:
    gateway.add_account(sim.create_account("style@example.com", plan="chatgpt_plus"))
    _, content = stream(client, "sora2-landscape-10s", user("A {Anime} fox runs through snow {nope}"))
    assert VIDEO_RESULT.fullmatch(content)
    _, content = complete(client, "sora2-landscape-10s", user("a fox at dawn"), style_id="golden")
    assert VIDEO_RESULT.fullmatch(content)
    first, second = sim.requests_to("/nf/create", "POST")
    assert (first.body["prompt"], first.body["style_id"]) == ("A fox runs through snow {nope}", "anime")
    assert (second.body["prompt"], second.body["style_id"]) == ("a fox at dawn", "golden")
    assert_bad_request(client, "sora2-landscape-10s", user("a fox"), style_id="vaporwave")


# -- storyboards ------------------------------------------------------------------------------

STORYBOARD_PROMPT = (
    "{retro} A rainy city at night\n[5.0s] A cat walks along a wet street\n[5s] The cat  jumps\nonto a car"
)
STORYBOARD_TEXT = (
    "current timeline:\n"
    "Shot 1:\nduration: 5.0sec\nScene: A cat walks along a wet street\n\n"
    "Shot 2:\nduration: 5sec\nScene: The cat jumps onto a car\n\n"
    "instructions:\nA rainy city at night"
)


def storyboard_body(orientation: str, n_frames: int, inpaint: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "kind": "video",
        "prompt": STORYBOARD_TEXT,
        "title": "Draft your video",
        "orientation": orientation,
        "size": "small",
        "n_frames": n_frames,
        "storyboard_id": None,
        "inpaint_items": inpaint,
        "remix_target_id": None,
        "model": "sy_8",
        "metadata": None,
        "style_id": "retro",
        "cameo_ids": None,
        "cameo_replacements": None,
        "audio_caption": None,
        "audio_transcript": None,
        "video_caption": None,
    }


@pytest.mark.parametrize("mode", list(CALLS))
def test_storyboard_prompt_goes_to_the_storyboard_endpoint(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora, mode: str
) -> None:
    gateway.add_account(sim.create_account("sb@example.com", plan="chatgpt_plus"))
    reasoning, content = CALLS[mode](client, "sora2-landscape-15s", user(STORYBOARD_PROMPT))

    assert VIDEO_RESULT.fullmatch(content), content
    assert "Detected storyboard format. Converting to storyboard API format...\n" in reasoning
    assert "Note:" not in reasoning
    assert sim.count("/nf/create", "POST") == 0
    (create,) = sim.requests_to("/nf/create/storyboard", "POST")
    assert create.body == storyboard_body("landscape", 450, [])
    assert create.sentinel is not None


def test_storyboard_of_a_pro_hd_model_with_an_image(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora
) -> None:
    """The spec fixes sy_8/small for storyboards (§4.9); the client is told instead of silently downgraded."""
    creds = sim.create_account("sbpro@example.com", plan="chatgpt_pro")
    gateway.add_account(creds)
    reasoning, content = stream(
        client, "sora2pro-hd-portrait-10s", with_image(STORYBOARD_PROMPT, data_uri(PNG))
    )

    assert VIDEO_RESULT.fullmatch(content), content
    assert "standard model (sy_8, small size)" in reasoning and "sora2pro-hd-portrait-10s" in reasoning
    assert UPLOADED in reasoning
    (create,) = sim.requests_to("/nf/create/storyboard", "POST")
    upload = {"kind": "upload", "upload_id": only_upload(sim, creds.email)}
    assert create.body == storyboard_body("portrait", 300, [upload])


# -- remix ------------------------------------------------------------------------------------


def remix_body(prompt: str, orientation: str, n_frames: int, style: str | None) -> dict[str, Any]:
    return {
        "kind": "video",
        "prompt": prompt,
        "inpaint_items": [],
        "remix_target_id": SHARE_ID,
        "cameo_ids": [],
        "cameo_replacements": {},
        "model": "sy_8",
        "orientation": orientation,
        "n_frames": n_frames,
        "style_id": style,
    }


@pytest.mark.parametrize("mode", list(CALLS))
def test_share_link_in_the_prompt_remixes_that_video(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora, mode: str
) -> None:
    gateway.add_account(sim.create_account("remix@example.com", plan="chatgpt_plus"))
    reasoning, content = CALLS[mode](
        client, "sora2-portrait-10s", user(f"{SHARE_LINK} make it snow {{Festive}}")
    )

    assert VIDEO_RESULT.fullmatch(content), content
    begins = reasoning.index("**Remix Generation Process Begins**\n\nInitializing remix request...\n")
    assert begins < reasoning.index("Sending remix request to server...\n")
    (create,) = sim.requests_to("/nf/create", "POST")
    assert create.body == remix_body("make it snow", "portrait", 300, "festive")


def test_remix_by_bare_id_or_field_and_on_pro_models(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora
) -> None:
    gateway.add_account(sim.create_account("remix2@example.com", plan="chatgpt_pro"))
    reasoning, content = stream(
        client, "sora2pro-landscape-25s", user(f"remix {SHARE_ID}, in black and white")
    )
    assert VIDEO_RESULT.fullmatch(content)
    assert "Note: Sora runs remixes on its standard model (sy_8, small size)" in reasoning
    reasoning, content = complete(client, "sora2-landscape-10s", user(""), remix_target_id=SHARE_ID)
    assert VIDEO_RESULT.fullmatch(content)
    assert "Note:" not in reasoning
    first, second = sim.requests_to("/nf/create", "POST")
    assert first.body == remix_body("remix, in black and white", "landscape", 750, None)
    assert second.body == remix_body("", "landscape", 300, None)
    assert (
        "remix"
        in assert_bad_request(client, "sora2-landscape-10s", with_image(SHARE_LINK, data_uri(PNG))).message
    )
    assert_bad_request(client, "sora2-landscape-10s", user("x"), remix_target_id="s_nothex")


def test_pro_gating_holds_for_every_flow(gateway: Gateway, client: openai.OpenAI, sim: FakeSora) -> None:
    gateway.add_account(sim.create_account("plus@example.com", plan="chatgpt_plus"))
    requests = [
        ("sora2pro-landscape-10s", with_image("a cat", data_uri(PNG))),
        ("sora2pro-hd-portrait-15s", user(STORYBOARD_PROMPT)),
        ("sora2-portrait-25s", user(SHARE_LINK)),
    ]
    for model, messages in requests:
        for streaming in (False, True):
            with pytest.raises(openai.APIStatusError) as info:
                client.chat.completions.create(model=model, messages=messages, stream=streaming)
            assert info.value.status_code == 503
            assert info.value.code == "no_account_for_plan"
    assert sim.count("/uploads") == 0
    assert sim.count("/nf/create") == 0


# -- video extension --------------------------------------------------------------------------


def test_extension_runs_on_the_account_that_owns_the_generation(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora
) -> None:
    for name in ("first", "second"):
        gateway.add_account(sim.create_account(f"{name}@example.com", plan="chatgpt_plus"))
    _, content = complete(client, "sora2-landscape-10s", user("a meteor over the sea"))
    match = VIDEO_RESULT.fullmatch(content)
    assert match
    generation_id = match.group(1)
    (create,) = sim.requests_to("/nf/create", "POST")
    owner = create.account
    # the other account is now the less recently used one: an unpinned job would go there

    reasoning, content = stream(
        client, "sora2-extension-15s", user(f"{generation_id} the meteor splits in two")
    )
    assert VIDEO_RESULT.fullmatch(content), content
    assert reasoning.index(
        "**Video Extension Process Begins**\n\nInitializing extension request...\n"
    ) < reasoning.index(
        f"Submitting extension task...\n- generation_id: {generation_id}\n- extension_duration_s: 15\n"
    )
    _, content = complete(client, "sora2-extension-10s", user(f"then {generation_id} it fades out"))
    assert VIDEO_RESULT.fullmatch(content), content

    first, second = sim.requests_to(f"/project_y/profile/drafts/{generation_id}/long_video_extension", "POST")
    assert first.account == second.account == owner
    assert first.body == {
        "user_prompt": "the meteor splits in two",
        "extension_duration_s": 15,
        "enable_rewrite": True,
    }
    assert second.body == {
        "user_prompt": "then it fades out",
        "extension_duration_s": 10,
        "enable_rewrite": True,
    }
    assert first.sentinel is not None


def test_extension_needs_a_generation_id_and_text(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora
) -> None:
    gateway.add_account(sim.create_account("ext@example.com", plan="chatgpt_plus"))
    assert (
        "generation id" in assert_bad_request(client, "sora2-extension-10s", user("make it longer")).message
    )
    error = assert_bad_request(client, "sora2-extension-10s", user("gen_01k9btrqrnen792yvt703dp0tq"))
    assert "continues" in error.message
    assert_bad_request(client, "sora2-extension-10s", with_image("gen_01abc more", data_uri(PNG)))
    assert sim.count("long_video_extension") == 0


def test_extension_of_an_unknown_generation_lets_the_upstream_decide(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora
) -> None:
    gateway.add_account(sim.create_account("unknown@example.com", plan="chatgpt_plus"))
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(
            model="sora2-extension-10s", messages=user("gen_01k9btrqrnen792yvt703dp0tq keep going")
        )
    assert info.value.status_code == 502
    (call,) = sim.requests_to("/project_y/profile/drafts/gen_01k9btrqrnen792yvt703dp0tq/long_video_extension")
    assert call.status == 404


def test_extension_models_are_listed(client: openai.OpenAI) -> None:
    models = {model.id: model for model in client.models.list().data}
    assert {"sora2-extension-10s", "sora2-extension-15s"} <= set(models)
