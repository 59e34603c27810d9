"""The OpenAI Videos API end to end: the official SDK → the gateway on a socket → the strict simulator.

Every call goes through the ``openai`` SDK (``client.post`` for the JSON spelling of a create,
``with_raw_response`` for headers and ranges); assertions are on the upstream requests the
simulator received and on the exact JSON the client got.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest
from openai.types import Video

from tests.conftest import API_KEY, Gateway
from tests.fake_sora import FakeSora, FakeSoraServer, FilePart
from tests.fake_sora.media_files import render

OTHER_KEY = "sk-test-other-gateway-key"
ADMIN_KEY = "sk-test-admin-gateway-key"
VIDEO_KEYS = {
    "id",
    "object",
    "model",
    "status",
    "progress",
    "created_at",
    "completed_at",
    "expires_at",
    "prompt",
    "size",
    "seconds",
    "remixed_from_video_id",
    "error",
}
PNG = render("client-input.png")[1]
CLIP = render("client-clip.mp4")[1]
SHARE_ID = re.compile(r"s_[0-9a-f]{32}")


@pytest.fixture
def gateway(make_gateway: Callable[..., Gateway], upstream: FakeSoraServer) -> Gateway:
    """Three keys (two callers and an admin), fast cameos, client URLs on 127.0.0.1 allowed."""
    video_plugin = {
        "characters": {"poll_interval": 0.05},
        "watermark_free": {"third_party_url": f"{upstream.base_url}/MP4/{{post_id}}.mp4"},
    }
    return make_gateway(
        auth={
            "api_keys": [API_KEY, OTHER_KEY],
            "admin_api_keys": [ADMIN_KEY],
            "admin_password": "test-admin-password",
        },
        plugins={"load_entry_points": False, "settings": {"plugins.sora_video": video_plugin}},
        media={"allow_private_urls": True},
    )


@pytest.fixture
def sdk(gateway: Gateway) -> Iterator[Callable[[str], openai.OpenAI]]:
    """``sdk(key)``: an SDK client of the gateway with that API key."""
    clients: list[openai.OpenAI] = []

    def make(key: str) -> openai.OpenAI:
        clients.append(openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=key, max_retries=0, timeout=60))
        return clients[-1]

    yield make
    for made in clients:
        made.close()


@pytest.fixture
def client(sdk: Callable[[str], openai.OpenAI]) -> openai.OpenAI:
    return sdk(API_KEY)


@pytest.fixture
def account(gateway: Gateway, sim: FakeSora) -> str:
    """One ChatGPT Pro account in the pool (every duration and size is open to it)."""
    gateway.add_account(sim.create_account("videos@example.com", plan="chatgpt_pro", quota=100))
    return "videos@example.com"


def create_json(
    client: openai.OpenAI, *, headers: dict[str, str] | None = None, **body: Any
) -> httpx.Response:
    """``POST /v1/videos`` with a JSON body (new-api and LiteLLM send JSON; the SDK multipart)."""
    return client.post("/videos", body=body, cast_to=httpx.Response, options={"headers": headers or {}})


def post(client: openai.OpenAI, path: str, body: dict[str, Any], *, multipart: bool = False) -> Video:
    """A POST through the SDK; ``multipart`` encodes the body as the SDK's own methods do (brackets).

    (openai 2.54's ``videos.extend``/``edit``, and ``create`` with a dict ``input_reference``,
    refuse a ``{"id"}``/``{"image_url"}`` object client-side, so those go through here.)
    """
    headers = {"Content-Type": "multipart/form-data"} if multipart else {}
    return client.post(path, body=body, cast_to=Video, options={"headers": headers})


def video_of(response: httpx.Response) -> Video:
    return Video.model_validate(response.json())


def upstream_create(sim: FakeSora, prompt: str, path: str = "/nf/create") -> dict[str, Any]:
    (record,) = [r for r in sim.requests_to(path, "POST") if r.body and r.body.get("prompt") == prompt]
    assert isinstance(record.body, dict)
    return record.body


def generation_of(sim: FakeSora, prompt: str) -> str:
    with sim.lock:
        (task,) = [t for t in sim.tasks.videos.values() if t.body.get("prompt") == prompt]
        return str(task.generation_id)


def data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


# -- create: JSON, multipart, the seconds/size policy ---------------------------------------


@pytest.mark.usefixtures("account")
def test_create_as_json_then_poll_until_completed(client: openai.OpenAI, sim: FakeSora) -> None:
    created = create_json(client, model="sora-2", prompt="a red fox in snow", seconds="8", size="1280x720")
    assert created.status_code == 200
    body = created.json()
    assert set(body) == VIDEO_KEYS
    assert body["object"] == "video" and body["status"] == "queued" and body["progress"] == 0
    assert (body["model"], body["seconds"], body["size"]) == ("sora-2", "10", "1280x720")
    assert body["prompt"] == "a red fox in snow"
    assert body["completed_at"] is None and body["error"] is None and body["remixed_from_video_id"] is None

    video = client.videos.poll(video_of(created).id)
    assert video.status == "completed" and video.progress == 100
    assert video.completed_at is not None and video.completed_at >= video.created_at
    assert upstream_create(sim, "a red fox in snow") == {
        "kind": "video",
        "prompt": "a red fox in snow",
        "orientation": "landscape",
        "size": "small",
        "n_frames": 300,
        "model": "sy_8",
        "inpaint_items": [],
        "style_id": None,
    }


@pytest.mark.usefixtures("account")
def test_create_and_poll_multipart_with_an_input_reference_file(client: openai.OpenAI, sim: FakeSora) -> None:
    video = client.videos.create_and_poll(
        prompt="the photo comes alive", input_reference=("ref.png", PNG, "image/png"), seconds="12"
    )
    assert video.status == "completed"
    assert (video.model, video.seconds, video.size) == ("sora-2", "15", "720x1280")

    (upload,) = sim.requests_to("/uploads", "POST")
    assert upload.form == {"file": FilePart("ref.png", "image/png", len(PNG)), "file_name": "ref.png"}
    body = upstream_create(sim, "the photo comes alive")
    (media_id,) = sim.account("videos@example.com").uploads
    assert body["inpaint_items"] == [{"kind": "upload", "upload_id": media_id}]
    assert (body["orientation"], body["n_frames"]) == ("portrait", 450)
    (create,) = [r for r in sim.records if r.path.endswith("/nf/create")]
    assert create.seq > upload.seq


@pytest.mark.usefixtures("account")
def test_input_reference_as_a_data_url_in_json_and_in_the_sdk_multipart(
    client: openai.OpenAI, sim: FakeSora
) -> None:
    created = create_json(client, prompt="from json", input_reference={"image_url": data_uri(PNG)})
    reference = {"image_url": data_uri(PNG)}  # sent as input_reference[image_url]=data:…
    sdk_made = post(
        client, "/videos", {"prompt": "from multipart", "input_reference": reference}, multipart=True
    )
    for video_id in (video_of(created).id, sdk_made.id):
        assert client.videos.poll(video_id).status == "completed"
    uploads = sim.requests_to("/uploads", "POST")
    assert [u.form["file"] for u in uploads] == [FilePart("input_reference.png", "image/png", len(PNG))] * 2
    assert upstream_create(sim, "from json")["inpaint_items"][0]["kind"] == "upload"
    assert upstream_create(sim, "from multipart")["inpaint_items"][0]["kind"] == "upload"


POLICY = [
    # model, seconds, size → orientation, n_frames, upstream model, upstream size, echoed seconds, size
    ("sora-2", None, None, ("portrait", 300, "sy_8", "small", "10", "720x1280")),
    ("sora-2", "4", "1280x720", ("landscape", 300, "sy_8", "small", "10", "1280x720")),
    ("sora-2-2025-10-06", "12", "1280x720", ("landscape", 450, "sy_8", "small", "15", "1280x720")),
    ("sora-2", "20", "1792x1024", ("landscape", 750, "sy_8", "small", "25", "1280x720")),
    ("sora-2-pro", "8", "1024x1792", ("portrait", 300, "sy_ore", "large", "10", "1024x1792")),
    ("sora-2-pro", "16", "1920x1080", ("landscape", 750, "sy_ore", "small", "25", "1280x720")),
    ("sora2-landscape-15s", "4", "720x1280", ("landscape", 450, "sy_8", "small", "15", "1280x720")),
]


@pytest.mark.usefixtures("account")
def test_openai_seconds_and_sizes_map_to_what_sora_renders_and_are_echoed(
    client: openai.OpenAI, sim: FakeSora
) -> None:
    made = []
    for index, (model, seconds, size, expected) in enumerate(POLICY):
        body = {"model": model, "prompt": f"policy case {index}", "seconds": seconds, "size": size}
        made.append(
            (video_of(create_json(client, **{k: v for k, v in body.items() if v is not None})), expected)
        )
    for index, (video, (orientation, frames, upstream_model, upstream_size, seconds, size)) in enumerate(
        made
    ):
        done = client.videos.poll(video.id)
        assert (done.status, done.model) == ("completed", POLICY[index][0])
        assert (video.seconds, video.size) == (seconds, size), POLICY[index]
        assert (done.seconds, done.size) == (seconds, size)
        sent = upstream_create(sim, f"policy case {index}")
        assert (sent["orientation"], sent["n_frames"], sent["model"], sent["size"]) == (
            orientation,
            frames,
            upstream_model,
            upstream_size,
        ), POLICY[index]


def test_invalid_requests_are_openai_errors_naming_the_field(client: openai.OpenAI, sim: FakeSora) -> None:
    cases: list[tuple[dict[str, Any], type[openai.APIStatusError], str | None, str | None]] = [
        ({"prompt": "x", "seconds": "eight"}, openai.BadRequestError, "seconds", "invalid_seconds"),
        ({"prompt": "x", "seconds": "0"}, openai.BadRequestError, "seconds", "invalid_seconds"),
        ({"prompt": "x", "size": "huge"}, openai.BadRequestError, "size", "invalid_size"),
        ({"prompt": "  "}, openai.BadRequestError, None, None),
        ({"prompt": "x", "model": "no-such-model"}, openai.NotFoundError, "model", "model_not_found"),
        ({"prompt": "x", "model": "gpt-image"}, openai.BadRequestError, "model", "model_not_supported"),
        ({"prompt": "x", "input_reference": {"file_id": "file_1"}}, openai.BadRequestError, None, None),
        ({"prompt": "x", "style": "baroque"}, openai.BadRequestError, "style_id", None),
    ]
    for body, error, param, code in cases:
        with pytest.raises(error) as info:
            create_json(client, **body)
        assert isinstance(info.value.body, dict), body
        if param is not None:
            assert info.value.body["param"] == param, body
        if code is not None:
            assert info.value.body["code"] == code, body
    assert sim.count("/nf/create") == 0


# -- retrieve, list, delete ----------------------------------------------------------------


@pytest.mark.usefixtures("account")
def test_list_paginates_with_after_limit_and_order(client: openai.OpenAI) -> None:
    ids = [client.videos.create(prompt=f"page item {n}").id for n in range(5)]
    newest_first = list(reversed(ids))

    first = client.videos.list(limit=2)
    assert [v.id for v in first.data] == newest_first[:2]
    assert (first.has_more, first.last_id) == (True, newest_first[1])
    raw = client.videos.with_raw_response.list(limit=2, after=newest_first[1]).http_response.json()
    assert set(raw) == {"object", "data", "first_id", "last_id", "has_more"}
    assert raw["object"] == "list" and raw["has_more"] is True
    assert [v["id"] for v in raw["data"]] == newest_first[2:4]
    assert (raw["first_id"], raw["last_id"]) == (newest_first[2], newest_first[3])
    assert all(set(v) == VIDEO_KEYS for v in raw["data"])

    assert [v.id for v in client.videos.list(limit=2)] == newest_first  # the SDK follows the pages
    assert [v.id for v in client.videos.list(limit=3, order="asc")] == ids
    last = client.videos.list(limit=3, order="asc", after=ids[2])
    assert ([v.id for v in last.data], last.has_more) == (ids[3:], False)
    empty = client.videos.list(after=ids[0])
    assert (empty.data, empty.has_more) == ([], False)

    for bad, param in (({"limit": 101}, "limit"), ({"order": "sideways"}, "order")):
        with pytest.raises(openai.BadRequestError) as info:
            client.videos.list(**bad)  # type: ignore[arg-type]
        assert isinstance(info.value.body, dict) and info.value.body["param"] == param
    with pytest.raises(openai.NotFoundError):
        client.videos.list(after="video_unknown")
    for video_id in ids:
        assert client.videos.poll(video_id).status == "completed"


@pytest.mark.usefixtures("account")
def test_retrieve_and_delete(client: openai.OpenAI, sim: FakeSora) -> None:
    running = client.videos.create(prompt="still rendering")
    with pytest.raises(openai.ConflictError) as busy:
        client.videos.delete(running.id)
    assert isinstance(busy.value.body, dict) and busy.value.body["code"] == "video_in_progress"

    done = client.videos.poll(running.id)
    assert client.videos.retrieve(done.id) == done
    result = client.videos.delete(done.id)
    assert (result.id, result.object, result.deleted) == (done.id, "video.deleted", True)
    for call in (client.videos.retrieve, client.videos.delete, client.videos.download_content):
        with pytest.raises(openai.NotFoundError) as gone:
            call(done.id)
        assert isinstance(gone.value.body, dict) and gone.value.body["code"] == "video_not_found"
    assert client.videos.list().data == []


# -- content -------------------------------------------------------------------------------


@pytest.mark.usefixtures("account")
def test_download_content_whole_and_by_range(client: openai.OpenAI, sim: FakeSora) -> None:
    unfinished = client.videos.create(prompt="a lighthouse at night")
    with pytest.raises(openai.NotFoundError) as early:
        client.videos.download_content(unfinished.id)
    assert isinstance(early.value.body, dict) and early.value.body["code"] == "video_not_ready"
    assert "not ready" in early.value.body["message"]

    video = client.videos.poll(unfinished.id)
    expected = render(f"{generation_of(sim, 'a lighthouse at night')}_dl.mp4")[1]
    whole = client.videos.with_raw_response.download_content(video.id)
    assert whole.status_code == 200 and whole.headers["content-type"] == "video/mp4"
    assert whole.headers["content-length"] == str(len(expected))
    assert whole.http_response.content == expected

    part = client.videos.with_raw_response.download_content(
        video.id, extra_headers={"Range": "bytes=100-199"}
    )
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-199/{len(expected)}"
    assert part.http_response.content == expected[100:200]
    tail = client.videos.with_raw_response.download_content(video.id, extra_headers={"Range": "bytes=-16"})
    assert (tail.status_code, tail.http_response.content) == (206, expected[-16:])
    start = client.videos.with_raw_response.download_content(
        video.id, extra_headers={"Range": "bytes=49000-"}
    )
    assert start.http_response.content == expected[49000:]
    with pytest.raises(openai.APIStatusError) as beyond:
        client.videos.download_content(video.id, extra_headers={"Range": f"bytes={len(expected)}-"})
    assert beyond.value.status_code == 416

    for variant in ("thumbnail", "spritesheet"):
        with pytest.raises(openai.NotFoundError) as missing:
            client.videos.download_content(video.id, variant=variant)  # type: ignore[arg-type]
        assert isinstance(missing.value.body, dict)
        assert (missing.value.body["code"], missing.value.body["param"]) == (
            "variant_not_available",
            "variant",
        )
    downloads = sim.requests_to(f"/media/{generation_of(sim, 'a lighthouse at night')}_dl.mp4", "GET")
    assert downloads and all("authorization" not in d.headers for d in downloads)


# -- follow-ups: remix, edit, extension ----------------------------------------------------


@pytest.mark.usefixtures("account")
def test_remix_publishes_the_source_remixes_the_post_then_unpublishes(
    client: openai.OpenAI, sim: FakeSora
) -> None:
    source = client.videos.create_and_poll(prompt="a cat on a skateboard", size="1280x720", seconds="12")
    remix = client.videos.remix(source.id, prompt="make it a {anime} dog")
    assert (remix.remixed_from_video_id, remix.status, remix.prompt) == (
        source.id,
        "queued",
        "make it a {anime} dog",
    )
    done = client.videos.poll(remix.id)
    assert done.status == "completed" and done.remixed_from_video_id == source.id
    assert (done.seconds, done.size) == ("15", "1280x720")

    generation = generation_of(sim, "a cat on a skateboard")
    (publish,) = sim.requests_to("/project_y/post", "POST")
    assert publish.body == {
        "attachments_to_create": [{"generation_id": generation, "kind": "sora"}],
        "post_text": "",
    }
    with sim.lock:
        (post_id,) = sim.posts
    assert SHARE_ID.fullmatch(post_id)
    body = upstream_create(sim, "make it a dog")
    assert body == {
        "kind": "video",
        "prompt": "make it a dog",
        "inpaint_items": [],
        "remix_target_id": post_id,
        "cameo_ids": [],
        "cameo_replacements": {},
        "model": "sy_8",
        "orientation": "landscape",
        "n_frames": 450,
        "style_id": "anime",
    }
    (unpublish,) = sim.requests_to(f"/project_y/post/{post_id}", "DELETE")
    assert unpublish.seq > sim.requests_to("/nf/create", "POST")[-1].seq
    assert (
        client.videos.download_content(done.id).content
        == render(f"{generation_of(sim, 'make it a dog')}_dl.mp4")[1]
    )

    edited = post(client, "/videos/edits", {"video": {"id": source.id}, "prompt": "now at sunset"})
    assert client.videos.poll(edited.id).remixed_from_video_id == source.id
    assert upstream_create(sim, "now at sunset")["remix_target_id"] is not None

    with pytest.raises(openai.ConflictError) as early:
        client.videos.remix(client.videos.create(prompt="not yet done").id, prompt="too soon")
    assert isinstance(early.value.body, dict) and early.value.body["code"] == "video_not_completed"


@pytest.mark.usefixtures("account")
def test_extension_continues_the_draft_on_its_account(client: openai.OpenAI, sim: FakeSora) -> None:
    source = client.videos.create_and_poll(prompt="a meteor over the sea", seconds="10")
    body = {"video": {"id": source.id}, "prompt": "a meteor shower begins", "seconds": "8"}
    extended = post(client, "/videos/extensions", body, multipart=True)  # video[id]=…
    assert extended.status == "queued" and extended.seconds == "20"  # the stitched total
    done = client.videos.poll(extended.id)
    assert (done.status, done.seconds, done.size) == ("completed", "20", source.size)

    generation = generation_of(sim, "a meteor over the sea")
    (call,) = sim.requests_to(f"/project_y/profile/drafts/{generation}/long_video_extension", "POST")
    assert call.body == {
        "user_prompt": "a meteor shower begins",
        "extension_duration_s": 10,
        "enable_rewrite": True,
    }
    assert call.account == "videos@example.com"

    with pytest.raises(openai.BadRequestError) as upload:
        client.videos.extend(video=("clip.mp4", CLIP, "video/mp4"), prompt="more", seconds="4")
    assert isinstance(upload.value.body, dict) and upload.value.body["param"] == "video"


# -- characters ----------------------------------------------------------------------------


@pytest.mark.usefixtures("account")
def test_create_and_get_a_character(client: openai.OpenAI, sim: FakeSora) -> None:
    character = client.videos.create_character(name="Mossy", video=("clip.mp4", CLIP, "video/mp4"))
    assert character.name == "Mossy" and character.id and character.id.startswith("char_")
    extra = character.model_extra or {}
    assert re.fullmatch(r"\w+\d{3}", extra["username"])
    (upload,) = sim.requests_to("/characters/upload", "POST")
    assert upload.form == {"file": FilePart("video.mp4", "video/mp4", len(CLIP)), "timestamps": "0,3"}
    (finalize,) = sim.requests_to("/characters/finalize", "POST")
    assert isinstance(finalize.body, dict) and finalize.body["username"] == extra["username"]

    fetched = client.videos.get_character(character.id)
    assert (fetched.id, fetched.name, fetched.created_at) == (character.id, "Mossy", character.created_at)
    with pytest.raises(openai.NotFoundError):
        client.videos.get_character("char_unknown")
    with pytest.raises(openai.BadRequestError):
        client.videos.create_character(name="", video=("clip.mp4", CLIP, "video/mp4"))


# -- ownership, idempotency, polling hints -------------------------------------------------


@pytest.mark.usefixtures("account")
def test_videos_are_visible_only_to_the_key_that_made_them_and_to_admins(
    sdk: Callable[[str], openai.OpenAI],
) -> None:
    mine, theirs, admin = sdk(API_KEY), sdk(OTHER_KEY), sdk(ADMIN_KEY)
    video = mine.videos.create_and_poll(prompt="only mine")
    other = theirs.videos.create(prompt="only theirs")

    for call in (
        lambda: theirs.videos.retrieve(video.id),
        lambda: theirs.videos.download_content(video.id),
        lambda: theirs.videos.delete(video.id),
        lambda: theirs.videos.remix(video.id, prompt="steal it"),
    ):
        with pytest.raises(openai.NotFoundError) as info:
            call()
        assert isinstance(info.value.body, dict) and info.value.body["code"] == "video_not_found"
    assert [v.id for v in mine.videos.list()] == [video.id]
    assert [v.id for v in theirs.videos.list()] == [other.id]
    with pytest.raises(openai.NotFoundError):
        theirs.videos.list(after=video.id)

    assert {v.id for v in admin.videos.list()} == {video.id, other.id}
    assert admin.videos.retrieve(video.id).id == video.id
    assert admin.videos.download_content(video.id).content
    assert theirs.videos.poll(other.id).status == "completed"


@pytest.mark.usefixtures("account")
def test_idempotency_key_returns_the_first_job(sdk: Callable[[str], openai.OpenAI], sim: FakeSora) -> None:
    client, other = sdk(API_KEY), sdk(OTHER_KEY)
    key = {"Idempotency-Key": "create-fox-1"}
    first = client.videos.create(prompt="a fox", seconds="8", extra_headers=key)
    again = client.videos.create(prompt="a fox", seconds="8", extra_headers=key)
    as_json = video_of(create_json(client, prompt="a fox", seconds=8, headers=key))
    assert again.id == first.id == as_json.id

    with pytest.raises(openai.ConflictError) as changed:
        client.videos.create(prompt="a wolf", seconds="8", extra_headers=key)
    assert isinstance(changed.value.body, dict)
    assert (changed.value.body["code"], changed.value.body["param"]) == (
        "idempotency_key_reused",
        "Idempotency-Key",
    )
    assert other.videos.create(prompt="a fox", seconds="8", extra_headers=key).id != first.id

    done = client.videos.poll(first.id)
    remix_key = {"Idempotency-Key": "remix-fox-1"}
    remixes = {
        client.videos.remix(done.id, prompt="a fox at dusk", extra_headers=remix_key).id for _ in range(2)
    }
    assert len(remixes) == 1
    client.videos.poll(remixes.pop())
    assert sim.count("/nf/create", "POST") == 3  # the fox, the other key's fox, one remix


@pytest.mark.usefixtures("account")
def test_poll_after_header_shapes_polling_until_the_video_is_done(client: openai.OpenAI) -> None:
    created = client.videos.with_raw_response.create(prompt="a slow sunrise")
    hint = created.headers["openai-poll-after-ms"]
    assert hint.isdigit() and 100 <= int(hint) <= 1000  # from tasks.poll_interval (0.1 s here)
    video_id = created.parse().id
    seen = []
    while True:
        response = client.videos.with_raw_response.retrieve(video_id)
        video = response.parse()
        if video.status == "completed":
            assert "openai-poll-after-ms" not in response.headers
            break
        seen.append(int(response.headers["openai-poll-after-ms"]))
        assert 100 <= seen[-1] <= 1000
        time.sleep(seen[-1] / 1000)
    assert seen


# -- the video object, failures and Sora options ---------------------------------------------


@pytest.mark.usefixtures("account")
def test_failed_video_has_every_key_and_an_error(client: openai.OpenAI, sim: FakeSora) -> None:
    sim.faults.add("/nf/create", "content_violation", message="This content may violate our policies")
    video = client.videos.create_and_poll(prompt="something forbidden")
    raw = client.videos.with_raw_response.retrieve(video.id).http_response.json()
    assert set(raw) == VIDEO_KEYS
    assert raw["status"] == "failed" and raw["completed_at"] is not None and raw["expires_at"] is None
    assert raw["error"]["code"] == "content_policy_violation"
    assert "may violate our policies" in raw["error"]["message"]
    with pytest.raises(openai.NotFoundError) as info:
        client.videos.download_content(video.id)
    assert isinstance(info.value.body, dict) and info.value.body["code"] == "video_failed"


@pytest.mark.usefixtures("account")
def test_sora_options_style_storyboard_watermark_free_and_private(
    client: openai.OpenAI, sim: FakeSora, upstream: FakeSoraServer
) -> None:
    styled = video_of(create_json(client, prompt="city streets", style="retro"))
    board = video_of(
        create_json(
            client,
            prompt="a day in the park",
            storyboard=[
                {"seconds": 5, "prompt": "kids run to the swings"},
                {"seconds": 5, "prompt": "the sun sets"},
            ],
        )
    )
    clean = client.videos.create(prompt="a clean harbour", extra_body={"watermark_free": True})
    private = client.videos.create(prompt="just for me", extra_body={"private": True})
    for video_id in (styled.id, board.id, clean.id, private.id):
        assert client.videos.poll(video_id).status == "completed"

    assert upstream_create(sim, "city streets")["style_id"] == "retro"
    (storyboard,) = sim.requests_to("/nf/create/storyboard", "POST")
    assert isinstance(storyboard.body, dict)
    assert storyboard.body["prompt"] == (
        "current timeline:\nShot 1:\nduration: 5sec\nScene: kids run to the swings\n\n"
        "Shot 2:\nduration: 5sec\nScene: the sun sets\n\ninstructions:\na day in the park"
    )
    (publish,) = sim.requests_to("/project_y/post", "POST")  # the watermark-free one only
    with sim.lock:
        (post_id,) = sim.posts
    assert isinstance(publish.body, dict)
    assert publish.body["attachments_to_create"][0]["generation_id"] == generation_of(sim, "a clean harbour")
    assert client.videos.download_content(clean.id).content == render(f"{post_id}_nowm.mp4")[1]

    with pytest.raises(openai.ConflictError) as info:
        client.videos.remix(private.id, prompt="share it")
    assert isinstance(info.value.body, dict) and info.value.body["code"] == "video_is_private"
    with pytest.raises(openai.BadRequestError):
        client.videos.create(prompt="both", extra_body={"private": True, "watermark_free": True})
