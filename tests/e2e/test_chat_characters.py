"""Characters (cameos) end to end: ``avatar-create`` and video models given a video.

The official SDK → the gateway on a socket → the strict simulator; assertions are on the exact
upstream bodies and multipart parts the simulator received and on what the client saw.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest

from tests.conftest import API_KEY, Gateway, sdk_client
from tests.fake_sora import FakeSora, FakeSoraServer, FilePart
from tests.fake_sora.media_files import render

CLIP = render("client-clip.mp4")[1]
AVATAR = render("any_profile.webp")[1]
BEGINS = "**Character Creation Begins**\n\nInitializing character creation...\n"
STEPS_AFTER_PROCESSING = [
    "Downloading character avatar...\n",
    "Uploading character avatar...\n",
    "Finalizing character creation...\n",
]


def plugin_settings(**video: Any) -> dict[str, Any]:
    characters = {"poll_interval": 0.05, **video.pop("characters", {})}
    return {
        "load_entry_points": False,
        "settings": {"plugins.sora_video": {"characters": characters, **video}},
    }


@pytest.fixture
def gateway(make_gateway: Callable[..., Gateway]) -> Gateway:
    """Cameos polled every 50 ms; URL inputs on the simulator (127.0.0.1) need the SSRF guard off."""
    return make_gateway(plugins=plugin_settings(), media={"allow_private_urls": True})


@pytest.fixture
def client(gateway: Gateway) -> Iterator[openai.OpenAI]:
    with sdk_client(gateway) as sdk:
        yield sdk


def data_uri(data: bytes, mime: str = "video/mp4") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def with_video(url: str, text: str | None = None) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = [{"type": "video_url", "video_url": {"url": url}}]
    if text is not None:
        content.insert(0, {"type": "text", "text": text})
    return [{"role": "user", "content": content}]


def stream(
    client: openai.OpenAI, model: str, messages: list[dict[str, Any]], **extra: Any
) -> tuple[str, list[str]]:
    """(reasoning, the non-empty content chunks) of a streamed call."""
    chunks = list(
        client.chat.completions.create(
            model=model,
            messages=messages,  # type: ignore[arg-type]
            stream=True,
            extra_body=extra or None,
        )
    )
    assert len({c.id for c in chunks}) == 1
    assert chunks[-1].choices[0].finish_reason == "stop"
    reasoning = "".join(getattr(c.choices[0].delta, "reasoning_content", None) or "" for c in chunks)
    return reasoning, [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content]


def only_cameo(sim: FakeSora) -> Any:
    with sim.lock:
        (cameo,) = sim.cameos.values()
        return cameo


def only_character(sim: FakeSora) -> Any:
    with sim.lock:
        (character,) = sim.characters.values()
        return character


def summary(username: str, display_name: str, character_id: str, cameo_id: str) -> str:
    return (
        f"角色创建成功，角色名@{username}\n显示名：{display_name}\n"
        f"Character ID：{character_id}\nCameo ID：{cameo_id}"
    )


def assert_cameo_finished(sim: FakeSora, *, public: bool = True) -> tuple[Any, Any]:
    """The avatar, finalize and visibility calls of §4.15, exactly; returns (cameo, character)."""
    cameo = only_cameo(sim)
    character = only_character(sim)
    polls = sim.requests_to(f"/project_y/cameos/in_progress/{cameo.id}", "GET")
    assert polls and polls[-1].status == 200
    (avatar,) = sim.requests_to(f"/media/{cameo.id}_profile.webp", "GET")
    assert "authorization" not in avatar.headers
    (upload,) = sim.requests_to("/project_y/file/upload", "POST")
    assert upload.form == {"file": FilePart("profile.webp", "image/webp", len(AVATAR)), "use_case": "profile"}
    with sim.lock:
        (pointer,) = sim.asset_pointers
    stem = cameo.username_hint.rsplit(".", 1)[-1]
    assert re.fullmatch(re.escape(stem) + r"[1-9]\d\d", character.username)
    (finalize,) = sim.requests_to("/characters/finalize", "POST")
    assert finalize.body == {
        "cameo_id": cameo.id,
        "username": character.username,
        "display_name": "Character",
        "profile_asset_pointer": pointer,
        "instruction_set": None,
        "safety_instruction_set": None,
    }
    visibility = sim.requests_to(f"/project_y/cameos/by_id/{cameo.id}/update_v2", "POST")
    if public:
        assert [call.body for call in visibility] == [{"visibility": "public"}]
        assert character.visibility == "public"
    else:
        assert visibility == []
    return cameo, character


def assert_card(line: str, cameo: Any, character: Any, sim_base: str, **expected: Any) -> dict[str, Any]:
    assert line.endswith("\n") and line.count("\n") == 1
    event = json.loads(line)
    assert set(event) == {"event", "card"} and event["event"] == "character_card"
    card: dict[str, Any] = event["card"]
    assert isinstance(card.pop("created_at"), int)
    assert card == {
        "username": character.username,
        "display_name": "Character",
        "character_id": character.id,
        "cameo_id": cameo.id,
        "profile_asset_url": f"{sim_base}/media/{cameo.id}_profile.webp",
        "instruction_set": None,
        "public": True,
        "source_model": "avatar-create",
        **expected,
    }
    return card


# -- avatar-create ---------------------------------------------------------------------------


def test_avatar_create_from_an_uploaded_video_streams_the_card(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora, upstream: FakeSoraServer
) -> None:
    gateway.add_account(sim.create_account("cameo@example.com", plan="chatgpt_plus"))
    reasoning, contents = stream(client, "avatar-create", with_video(data_uri(CLIP)))

    (upload,) = sim.requests_to("/characters/upload", "POST")
    assert upload.form == {"file": FilePart("video.mp4", "video/mp4", len(CLIP)), "timestamps": "0,3"}
    assert sim.count("/characters/from-generation") == 0
    cameo, character = assert_cameo_finished(sim)
    assert len(contents) == 2  # the card line first, then the summary
    assert_card(contents[0], cameo, character, upstream.base_url)
    assert contents[1] == summary(character.username, "Character", character.id, cameo.id)
    assert reasoning == "".join(
        [
            BEGINS,
            "Uploading video file...\n",
            "Processing video to extract character...\n",
            f"✨ 角色已识别: Character (@{character.username})\n",
            *STEPS_AFTER_PROCESSING,
            "Setting character as public...\n",
        ]
    )
    assert sim.count("/nf/create") == 0  # no generation task


def test_avatar_create_non_stream_from_the_top_level_video_url(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora, upstream: FakeSoraServer
) -> None:
    gateway.add_account(sim.create_account("cameo2@example.com", plan="chatgpt_plus"))
    with sim.lock:
        sim.media.add("clip-by-url.mp4")
    video_url = f"{upstream.base_url}/media/clip-by-url.mp4"
    result = client.chat.completions.create(
        model="avatar-create",
        messages=[{"role": "user", "content": "make a character"}],
        extra_body={"video": video_url},
    )
    assert result.choices[0].finish_reason == "stop"
    content = result.choices[0].message.content or ""
    first, _, rest = content.partition("\n")
    cameo, character = assert_cameo_finished(sim)
    assert_card(first + "\n", cameo, character, upstream.base_url)
    assert rest == summary(character.username, "Character", character.id, cameo.id)
    (fetch,) = sim.requests_to("/media/clip-by-url.mp4", "GET")
    assert "authorization" not in fetch.headers
    (upload,) = sim.requests_to("/characters/upload", "POST")
    assert upload.form == {
        "file": FilePart("video.mp4", "video/mp4", len(render("clip-by-url.mp4")[1])),
        "timestamps": "0,3",
    }
    reasoning = getattr(result.choices[0].message, "reasoning_content", "")
    assert reasoning.startswith(BEGINS + "Downloading video file...\nUploading video file...\n")


def test_avatar_create_from_a_generation_id_uses_the_account_that_made_it(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora, upstream: FakeSoraServer
) -> None:
    gateway.add_account(sim.create_account("maker@example.com", plan="chatgpt_plus"))
    video = client.chat.completions.create(
        model="sora2-landscape-10s", messages=[{"role": "user", "content": "a dancer"}]
    )
    match = re.search(r"/media/(gen_\w+)_dl\.mp4", video.choices[0].message.content or "")
    assert match
    generation_id = match.group(1)
    gateway.add_account(sim.create_account("other@example.com", plan="chatgpt_plus"))

    reasoning, contents = stream(
        client, "avatar-create", [{"role": "user", "content": f"the dancer of {generation_id} please"}]
    )

    (create,) = sim.requests_to("/characters/from-generation", "POST")
    assert create.body == {"generation_id": generation_id, "character_id": None, "timestamps": [0, 3]}
    assert create.account == "maker@example.com"
    assert sim.count("/characters/upload") == 0
    cameo, character = assert_cameo_finished(sim)
    assert_card(contents[0], cameo, character, upstream.base_url, source_generation_id=generation_id)
    assert reasoning.startswith(
        "**Character Creation Begins**\n\nInitializing character creation from generation id...\n"
        f"Creating character from generation: {generation_id} ...\n"
        "Processing generation to extract character...\n"
    )


def test_avatar_create_without_a_source_is_a_400(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora
) -> None:
    gateway.add_account(sim.create_account("none@example.com", plan="chatgpt_plus"))
    for streaming in (False, True):
        with pytest.raises(openai.BadRequestError) as info:
            client.chat.completions.create(
                model="avatar-create", messages=[{"role": "user", "content": "a character"}], stream=streaming
            )
        assert "avatar-create requires a video file or a generation_id (gen_xxx)" in info.value.message
    with pytest.raises(openai.BadRequestError) as bad:
        client.chat.completions.create(
            model="avatar-create",
            messages=with_video(data_uri(render("x.png")[1], "image/png")),  # type: ignore[arg-type]
        )
    assert bad.value.code == "unsupported_media_type"
    assert sim.count("/characters/upload") == 0


def test_a_failed_cameo_reaches_the_client_and_the_gateway_stays_healthy(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora
) -> None:
    gateway.add_account(
        sim.create_account("fails@example.com", plan="chatgpt_plus"), "--video-concurrency", "1"
    )
    reason = "We couldn't create a cameo from this video. Please try a different clip."
    sim.faults.add("/characters/upload", "cameo_failed")
    with httpx.stream(
        "POST",
        f"{gateway.url}/v1/chat/completions",
        json={"model": "avatar-create", "stream": True, "messages": with_video(data_uri(CLIP))},
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=60,
    ) as response:
        assert response.status_code == 200
        lines = [line for line in response.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    error = json.loads(lines[-2].removeprefix("data: "))["error"]
    assert error["message"] == f"Character creation failed: {reason}"
    assert error["code"] == "generation_failed"
    assert sim.count("/characters/finalize") == 0

    sim.faults.add("/characters/finalize", "server_error")
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(model="avatar-create", messages=with_video(data_uri(CLIP)))  # type: ignore[arg-type]
    assert info.value.status_code == 502
    assert "500" in info.value.message

    # the one video slot was given back each time: the next cameo goes through
    _, contents = stream(client, "avatar-create", with_video(data_uri(CLIP)))
    assert contents[1].startswith("角色创建成功，角色名@")


# -- video models given a video --------------------------------------------------------------


@pytest.mark.parametrize("cleanup", [True, False])
def test_video_model_with_a_video_creates_a_character_and_generates_with_it(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora, cleanup: bool
) -> None:
    gateway.add_account(sim.create_account("first@example.com", plan="chatgpt_plus"))
    gateway.add_account(sim.create_account("second@example.com", plan="chatgpt_plus"))
    extra = {"character_options": {"cleanup": True}} if cleanup else {}
    reasoning, contents = stream(
        client, "sora2-portrait-10s", with_video(data_uri(CLIP), "dancing in the rain"), **extra
    )

    (upload,) = sim.requests_to("/characters/upload", "POST")
    cameo, character = assert_cameo_finished(sim, public=False)
    (create,) = sim.requests_to("/nf/create", "POST")
    assert create.body["prompt"] == f"@{character.username} dancing in the rain"
    assert create.body["orientation"] == "portrait" and create.body["inpaint_items"] == []
    assert create.account == upload.account  # the account that owns the character
    assert re.fullmatch(
        r"```html\n<video src='\S+/media/gen_\w+_dl\.mp4' controls></video>\n```", contents[-1]
    )
    deletes = sim.requests_to(f"/project_y/characters/{character.id}", "DELETE")
    if cleanup:
        assert [d.status for d in deletes] == [204] and deletes[0].account == upload.account
        assert only_character(sim).deleted
        assert "Cleaning up temporary character...\n" in reasoning
    else:
        assert deletes == []
    assert reasoning.startswith(
        "**Character Creation and Video Generation Begins**\n\nInitializing...\nUploading video file...\n"
    )
    assert f"✨ 角色已识别: Character (@{character.username})\n" in reasoning
    assert "**Video Generation Process Begins**\n\nGenerating video with character...\n" in reasoning


def test_temporary_character_is_deleted_when_the_video_fails(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora
) -> None:
    gateway.add_account(sim.create_account("cv@example.com", plan="chatgpt_plus"))
    sim.faults.add("/nf/create", "content_violation")
    chunks = list(
        client.chat.completions.create(
            model="sora2-landscape-10s",
            messages=with_video(data_uri(CLIP), "something odd"),  # type: ignore[arg-type]
            stream=True,
            extra_body={"character_options": {"cleanup": True}},
        )
    )
    content = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert content.startswith("❌ Generation failed: Content policy violation")
    character = only_character(sim)
    assert character.deleted


def test_character_options_are_validated(gateway: Gateway, client: openai.OpenAI, sim: FakeSora) -> None:
    gateway.add_account(sim.create_account("opts@example.com", plan="chatgpt_plus"))
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(
            model="sora2-landscape-10s",
            messages=with_video(data_uri(CLIP), "x"),  # type: ignore[arg-type]
            extra_body={"character_options": {"cleanup": "sometimes", "colour": 1}},
        )
    assert info.value.param == "character_options"
    assert sim.count("/characters/upload") == 0
