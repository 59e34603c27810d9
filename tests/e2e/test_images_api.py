"""The OpenAI Images API end to end: the official SDK → the gateway on a socket → the strict simulator.

``images.generate`` and ``images.edit`` (multipart) and the JSON spelling of an edit, with both
response formats and ``n``; assertions are on the ``/video_gen`` bodies and uploads the simulator
received and on the bytes the client decoded.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest
from openai.types import ImagesResponse

from tests.conftest import Gateway
from tests.fake_sora import FakeSora, FilePart
from tests.fake_sora.media_files import render

PNG = render("client-input.png")[1]
MEDIA_URL = re.compile(r"http://127\.0\.0\.1:\d+/media/(gen_\w+)\.png")


@pytest.fixture
def gateway(make_gateway: Callable[..., Gateway]) -> Gateway:
    """Client URLs on 127.0.0.1 (the simulator's media host) allowed."""
    return make_gateway(media={"allow_private_urls": True})


@pytest.fixture
def account(gateway: Gateway, sim: FakeSora) -> str:
    gateway.add_account(sim.create_account("images@example.com", plan="chatgpt_plus"))
    return "images@example.com"


def image_creates(sim: FakeSora) -> list[dict[str, Any]]:
    bodies = [record.body for record in sim.requests_to("/video_gen", "POST")]
    assert all(isinstance(body, dict) for body in bodies)
    return [body for body in bodies if isinstance(body, dict)]


def generation(url: str | None) -> str:
    assert url is not None
    match = MEDIA_URL.fullmatch(url)
    assert match, url
    return match.group(1)


@pytest.mark.usefixtures("account")
def test_generate_two_images_as_urls_in_the_landscape_shape(client: openai.OpenAI, sim: FakeSora) -> None:
    result = client.images.generate(
        model="gpt-image-1", prompt="a lighthouse", n=2, size="1536x1024", response_format="url"
    )
    assert result.data is not None and len(result.data) == 2
    assert all(item.b64_json is None for item in result.data)
    names = {generation(item.url) for item in result.data}
    assert len(names) == 2
    for item in result.data:
        assert item.url is not None
        assert httpx.get(item.url).content == render(f"{generation(item.url)}.png")[1]
    assert (
        image_creates(sim)
        == [
            {
                "type": "image_gen",
                "operation": "simple_compose",
                "prompt": "a lighthouse",
                "width": 540,
                "height": 360,
                "n_variants": 1,
                "n_frames": 1,
                "inpaint_items": [],
            }
        ]
        * 2
    )


@pytest.mark.usefixtures("account")
def test_gpt_image_names_answer_base64_by_default(client: openai.OpenAI, sim: FakeSora) -> None:
    raw = client.images.with_raw_response.generate(model="gpt-image-1", prompt="a red apple")
    body = raw.http_response.json()
    assert set(body) == {"created", "data"} and isinstance(body["created"], int)
    (item,) = body["data"]
    assert set(item) == {"b64_json"}
    (create,) = image_creates(sim)
    assert (create["width"], create["height"]) == (360, 360)
    with sim.lock:
        (task,) = sim.tasks.images.values()
        name = f"{task.generation_id}.png"
    assert base64.b64decode(item["b64_json"]) == render(name)[1]


@pytest.mark.usefixtures("account")
def test_model_names_and_sizes_pick_sora_shapes(client: openai.OpenAI, sim: FakeSora) -> None:
    cases = [
        ("dall-e-3", "1024x1792", (360, 540)),  # portrait, DALL·E answers a url by default
        ("dall-e-2", "auto", (360, 360)),
        ("gpt-image-landscape", "1024x1536", (540, 360)),  # the Sora id keeps its own shape
    ]
    for model, size, _ in cases:
        result = client.images.generate(model=model, prompt=f"shape {model}", size=size)
        assert result.data is not None and result.data[0].url is not None
    shapes = {body["prompt"]: (body["width"], body["height"]) for body in image_creates(sim)}
    assert shapes == {f"shape {model}": shape for model, _, shape in cases}


@pytest.mark.usefixtures("account")
def test_edit_a_file_with_both_response_formats(client: openai.OpenAI, sim: FakeSora) -> None:
    as_urls = client.images.edit(
        image=("photo.png", PNG, "image/png"), prompt="paint it blue", n=2, response_format="url"
    )
    as_b64 = client.images.edit(
        model="dall-e-2",
        image=("photo.png", PNG, "image/png"),
        prompt="paint it red",
        response_format="b64_json",
    )
    assert as_urls.data is not None and [bool(item.url) for item in as_urls.data] == [True, True]
    assert as_b64.data is not None and as_b64.data[0].b64_json is not None
    assert base64.b64decode(as_b64.data[0].b64_json)[:8] == b"\x89PNG\r\n\x1a\n"

    uploads = sim.requests_to("/uploads", "POST")
    assert [u.form for u in uploads] == [
        {"file": FilePart("photo.png", "image/png", len(PNG)), "file_name": "photo.png"}
    ] * 3
    media_ids = set(sim.account("images@example.com").uploads)
    creates = image_creates(sim)
    assert len(creates) == 3
    for body in creates:
        assert body["operation"] == "remix"
        (item,) = body["inpaint_items"]
        assert item["type"] == "image" and item["frame_index"] == 0 and item["upload_media_id"] in media_ids


@pytest.mark.usefixtures("account")
def test_edit_as_json_with_an_image_url(client: openai.OpenAI, sim: FakeSora) -> None:
    first = client.images.generate(model="dall-e-3", prompt="a sailing boat")
    assert first.data is not None and first.data[0].url is not None
    source_url = first.data[0].url
    edited = client.post(
        "/images/edits",
        body={
            "model": "gpt-image-1",
            "prompt": "add a storm",
            "images": [{"image_url": source_url}],
            "response_format": "url",
        },
        cast_to=ImagesResponse,
    )
    assert edited.data is not None and edited.data[0].url is not None
    fetched = [r for r in sim.requests_to(f"/media/{generation(source_url)}.png", "GET")]
    assert fetched and all("authorization" not in r.headers for r in fetched)
    (upload,) = sim.requests_to("/uploads", "POST")
    name = f"{generation(source_url)}.png"
    assert upload.form["file"] == FilePart(name, "image/png", len(render(name)[1]))
    assert image_creates(sim)[-1]["operation"] == "remix"


@pytest.mark.usefixtures("account")
def test_invalid_image_requests_are_openai_errors(client: openai.OpenAI, sim: FakeSora) -> None:
    image = ("photo.png", PNG, "image/png")
    calls: list[tuple[Callable[[], object], type[openai.APIStatusError], str | None]] = [
        (lambda: client.images.generate(prompt="x", n=11), openai.BadRequestError, "n"),
        (lambda: client.images.generate(prompt="x", size="big"), openai.BadRequestError, "size"),
        (lambda: client.images.generate(prompt="x", model="no-such-model"), openai.NotFoundError, "model"),
        (lambda: client.images.generate(prompt="x", model="sora-2"), openai.BadRequestError, "model"),
        (lambda: client.images.edit(image=image, prompt="x", mask=image), openai.BadRequestError, "mask"),
        (lambda: client.images.edit(image=[image, image], prompt="x"), openai.BadRequestError, "image"),
        (
            lambda: client.images.edit(image=("a.txt", b"hello", "text/plain"), prompt="x"),
            openai.BadRequestError,
            "image",
        ),
        (
            lambda: client.post(
                "/images/generations", body={"prompt": "x", "stream": True}, cast_to=ImagesResponse
            ),
            openai.BadRequestError,
            "stream",
        ),
    ]
    for call, error, param in calls:
        with pytest.raises(error) as info:
            call()
        assert isinstance(info.value.body, dict)
        if param is not None:
            assert info.value.body["param"] == param
    assert sim.count("/video_gen") == 0
