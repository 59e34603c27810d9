"""Chat completions end to end: the official SDK → the gateway on a socket → the Sora simulator."""

from __future__ import annotations

import re
from typing import Any

import openai
import pytest

from tests.conftest import Gateway
from tests.fake_sora import FakeSora

IMAGE_SIZES = {"gpt-image": (360, 360), "gpt-image-landscape": (540, 360), "gpt-image-portrait": (360, 540)}


def _stream(client: openai.OpenAI, model: str, prompt: str) -> tuple[list[Any], str, str]:
    chunks = list(
        client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": prompt}], stream=True
        )
    )
    reasoning = "".join(
        getattr(c.choices[0].delta, "reasoning_content", None) or "" for c in chunks if c.choices
    )
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    return chunks, reasoning, content


@pytest.mark.parametrize("model", list(IMAGE_SIZES))
def test_text_to_image_streams_progress_then_the_image(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora, model: str
) -> None:
    gateway.add_account(sim.create_account("img@example.com", plan="chatgpt_plus"))
    chunks, reasoning, content = _stream(client, model, "a cute cat")

    assert len({c.id for c in chunks}) == 1
    assert {c.model for c in chunks} == {model}
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert "**Generation Process Begins**" in reasoning
    assert "**Image Generation Completed**" in reasoning
    match = re.fullmatch(r"!\[Generated Image\]\((http://127\.0\.0\.1:\d+/media/[^)]+)\)", content)
    assert match, content

    (create,) = sim.requests_to("/video_gen", "POST")
    width, height = IMAGE_SIZES[model]
    assert create.body == {
        "type": "image_gen",
        "operation": "simple_compose",
        "prompt": "a cute cat",
        "width": width,
        "height": height,
        "n_variants": 1,
        "n_frames": 1,
        "inpaint_items": [],
    }
    assert create.sentinel is not None
    polls = sim.requests_to("/v2/recent_tasks", "GET")
    assert polls and all(poll.query.get("limit") == "20" for poll in polls)


VIDEO_CASES = [
    (
        "sora2-landscape-10s",
        "chatgpt_plus",
        {"orientation": "landscape", "n_frames": 300, "model": "sy_8", "size": "small"},
    ),
    (
        "sora2-portrait-15s",
        "chatgpt_plus",
        {"orientation": "portrait", "n_frames": 450, "model": "sy_8", "size": "small"},
    ),
    (
        "sora2-landscape-25s",
        "chatgpt_pro",
        {"orientation": "landscape", "n_frames": 750, "model": "sy_8", "size": "small"},
    ),
    (
        "sora2pro-portrait-25s",
        "chatgpt_pro",
        {"orientation": "portrait", "n_frames": 750, "model": "sy_ore", "size": "small"},
    ),
    (
        "sora2pro-hd-landscape-15s",
        "chatgpt_pro",
        {"orientation": "landscape", "n_frames": 450, "model": "sy_ore", "size": "large"},
    ),
]


@pytest.mark.parametrize(("model", "plan", "expected"), VIDEO_CASES)
def test_text_to_video_streams_progress_then_the_video(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora, model: str, plan: str, expected: dict[str, Any]
) -> None:
    gateway.add_account(sim.create_account("vid@example.com", plan=plan))
    chunks, reasoning, content = _stream(client, model, "a cat playing piano {not-a-style}")

    assert len({c.id for c in chunks}) == 1
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert re.search(r"\*\*Video Generation Progress\*\*: \d+% \(\w+\)", reasoning), reasoning
    assert "**Video Generation Completed**" in reasoning
    match = re.fullmatch(
        r"```html\n<video src='(http://127\.0\.0\.1:\d+/media/[^']+)' controls></video>\n```", content
    )
    assert match, content

    (create,) = sim.requests_to("/nf/create", "POST")
    assert create.body == {
        "kind": "video",
        "prompt": "a cat playing piano {not-a-style}",
        "inpaint_items": [],
        "style_id": None,
        **expected,
    }
    assert sim.requests_to("/nf/pending/v2", "GET")
    drafts = sim.requests_to("/project_y/profile/drafts", "GET")
    assert drafts and drafts[-1].query.get("limit") == "15"
    # the downloadable URL (the simulator names it *_dl.mp4) is preferred over the plain one
    assert re.search(r"/media/gen_\w+_dl\.mp4$", match.group(1)), match.group(1)


def test_non_stream_calls_really_generate(gateway: Gateway, client: openai.OpenAI, sim: FakeSora) -> None:
    gateway.add_account(sim.create_account("ns@example.com", plan="chatgpt_plus"))
    video = client.chat.completions.create(
        model="sora2-portrait-10s", messages=[{"role": "user", "content": "waves at sunset"}]
    )
    assert video.object == "chat.completion"
    assert video.model == "sora2-portrait-10s"
    assert video.choices[0].finish_reason == "stop"
    assert "<video src='http://127.0.0.1:" in (video.choices[0].message.content or "")
    image = client.chat.completions.create(model="gpt-image", messages=[{"role": "user", "content": "a fox"}])
    assert (image.choices[0].message.content or "").startswith("![Generated Image](http://127.0.0.1:")
    assert sim.count("/nf/create", "POST") == 1
    assert sim.count("/video_gen", "POST") == 1


def test_prompt_enhance_returns_the_text_itself(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora
) -> None:
    gateway.add_account(sim.create_account("pe@example.com", plan="chatgpt_plus"))
    result = client.chat.completions.create(
        model="prompt-enhance-long-20s", messages=[{"role": "user", "content": "a cat"}]
    )
    content = result.choices[0].message.content or ""
    (call,) = sim.requests_to("/editor/enhance_prompt", "POST")
    assert call.body == {"prompt": "a cat", "expansion_level": "long", "duration_s": 20}
    assert content and not content.startswith("![")
    chunks, _, streamed = _stream(client, "prompt-enhance-short-10s", "a cat")
    assert streamed and chunks[-1].choices[0].finish_reason == "stop"


def test_account_added_while_running_is_used_without_restart(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora
) -> None:
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(model="gpt-image", messages=[{"role": "user", "content": "a fox"}])
    assert info.value.status_code == 503
    gateway.add_account(sim.create_account("late@example.com", plan="chatgpt_plus"))
    image = client.chat.completions.create(model="gpt-image", messages=[{"role": "user", "content": "a fox"}])
    assert "Generated Image" in (image.choices[0].message.content or "")


def test_leases_are_released_when_clients_close_at_done(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora
) -> None:
    """The original leaked a slot per stream closed at [DONE]; one image slot must keep serving."""
    gateway.add_account(
        sim.create_account("one@example.com", plan="chatgpt_plus"), "--image-concurrency", "1"
    )
    for _ in range(4):
        _, _, content = _stream(client, "gpt-image", "a fox")
        assert content.startswith("![Generated Image]")
    assert sim.count("/video_gen", "POST") == 4
