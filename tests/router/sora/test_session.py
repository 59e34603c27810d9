"""SoraSession: paths, header sets, bodies and result parsing of every backend call."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from router.errors import (
    InvalidRequestError,
    SentinelBlockError,
    UnsupportedCountryError,
    UpstreamAuthError,
    UpstreamBadResponseError,
    UpstreamRejectedError,
)
from router.sora.client import SoraSession, SoraTransport, is_remix
from router.sora.headers import DESKTOP_CHROME_UA, MOBILE_CHROME_UA, SORA_APP_UA
from router.sora.models import AccountCredentials

from .conftest import (
    ACCESS_TOKEN,
    BACKEND,
    CHATGPT,
    SESSION_TOKEN,
    Upstream,
    make_settings,
    multipart_parts,
    part_name,
    request_json,
)

SENTINEL_URL = f"{CHATGPT}/backend-api/sentinel/req"
BEARER = f"Bearer {ACCESS_TOKEN}"


@pytest.fixture
def session(transport: SoraTransport, creds: AccountCredentials) -> SoraSession:
    return transport.session(creds)


def timeout_of(request: httpx.Request) -> float:
    value = request.extensions["timeout"]["read"]
    assert isinstance(value, float | int)
    return float(value)


def assert_h1(request: httpx.Request, *, json_body: bool = True) -> None:
    assert request.headers["authorization"] == BEARER
    assert request.headers["user-agent"] == SORA_APP_UA
    if json_body:
        assert request.headers["content-type"] == "application/json"
    for absent in ("origin", "referer", "cookie", "openai-sentinel-token"):
        assert absent not in request.headers


def assert_h2(request: httpx.Request) -> dict[str, Any]:
    assert request.headers["authorization"] == BEARER
    assert request.headers["user-agent"] == MOBILE_CHROME_UA
    assert request.headers["content-type"] == "application/json"
    sentinel = json.loads(request.headers["openai-sentinel-token"])
    assert request.headers["oai-device-id"] == sentinel["id"]
    assert sentinel["flow"] == "sora_2_create_task__auto"
    assert "cookie" not in request.headers
    return dict(sentinel)


# -- account checks --------------------------------------------------------------------------------


async def test_me(session: SoraSession, upstream: Upstream) -> None:
    upstream.json("GET", f"{BACKEND}/me", {"email": "a@b.c", "name": "A", "username": None})
    user = await session.me()
    assert (user.email, user.name, user.username) == ("a@b.c", "A", None)
    request = upstream.only("GET", f"{BACKEND}/me")
    assert request.headers["authorization"] == BEARER
    assert request.headers["accept"] == "application/json"
    assert request.headers["origin"] == "https://sora.chatgpt.com"
    assert request.headers["referer"] == "https://sora.chatgpt.com/"
    assert timeout_of(request) == make_settings().account_timeout


async def test_me_401_is_an_auth_error(session: SoraSession, upstream: Upstream) -> None:
    upstream.json(
        "GET", f"{BACKEND}/me", {"error": {"code": "token_invalidated", "message": "bye"}}, status=401
    )
    with pytest.raises(UpstreamAuthError):
        await session.me()


async def test_subscriptions(session: SoraSession, upstream: Upstream) -> None:
    body = {
        "data": [{"plan": {"id": "chatgpt_pro", "title": "ChatGPT Pro"}, "end_ts": "2026-12-31T00:00:00Z"}]
    }
    upstream.json("GET", f"{BACKEND}/billing/subscriptions", body)
    plan = await session.subscriptions()
    assert (plan.plan_type, plan.plan_title) == ("chatgpt_pro", "ChatGPT Pro")
    assert plan.end == datetime(2026, 12, 31, tzinfo=UTC)
    request = upstream.only("GET", f"{BACKEND}/billing/subscriptions")
    assert request.headers["authorization"] == BEARER
    assert "accept" not in request.headers or request.headers["accept"] == "*/*"


async def test_subscriptions_empty_and_numeric_end(session: SoraSession, upstream: Upstream) -> None:
    upstream.on(
        "GET",
        f"{BACKEND}/billing/subscriptions",
        httpx.Response(200, json={"data": []}),
        httpx.Response(200, json={"data": [{"plan": {"id": "plus"}, "end_ts": 1_800_000_000}]}),
    )
    empty = await session.subscriptions()
    assert (empty.plan_type, empty.plan_title, empty.end) == ("", "", None)
    numeric = await session.subscriptions()
    assert numeric.end == datetime.fromtimestamp(1_800_000_000, UTC)


async def test_subscriptions_token_expired(session: SoraSession, upstream: Upstream) -> None:
    upstream.json("GET", f"{BACKEND}/billing/subscriptions", {"error": {"code": "token_expired"}}, status=400)
    with pytest.raises(UpstreamAuthError):
        await session.subscriptions()


async def test_invite_mine_supported(session: SoraSession, upstream: Upstream) -> None:
    upstream.json(
        "GET",
        f"{BACKEND}/project_y/invite/mine",
        {"invite_code": "ABC", "redeemed_count": 1, "total_count": 4},
    )
    invite = await session.invite_mine()
    assert (invite.supported, invite.invite_code, invite.redeemed_count, invite.total_count) == (
        True,
        "ABC",
        1,
        4,
    )
    request = upstream.only("GET", f"{BACKEND}/project_y/invite/mine")
    assert request.headers["accept"] == "application/json"
    assert request.headers["authorization"] == BEARER


async def test_invite_mine_activates_through_bootstrap(session: SoraSession, upstream: Upstream) -> None:
    upstream.on(
        "GET",
        f"{BACKEND}/project_y/invite/mine",
        httpx.Response(401, json={"error": {"message": "Unauthorized"}}),
        httpx.Response(200, json={"invite_code": "NEW"}),
    )
    upstream.json("GET", f"{BACKEND}/m/bootstrap", {})
    invite = await session.invite_mine()
    assert invite.supported and invite.invite_code == "NEW"
    assert [r.url.path for r in upstream.requests] == [
        "/backend/project_y/invite/mine",
        "/backend/m/bootstrap",
        "/backend/project_y/invite/mine",
    ]
    assert upstream.only("GET", f"{BACKEND}/m/bootstrap").headers["accept"] == "application/json"


async def test_invite_mine_bootstrap_failure_means_unsupported(
    session: SoraSession, upstream: Upstream
) -> None:
    upstream.json(
        "GET", f"{BACKEND}/project_y/invite/mine", {"error": {"message": "Unauthorized"}}, status=401
    )
    upstream.json("GET", f"{BACKEND}/m/bootstrap", {"error": {"message": "nope"}}, status=403)
    assert (await session.invite_mine()).supported is False
    assert len(upstream.sent("GET", f"{BACKEND}/project_y/invite/mine")) == 1


async def test_invite_mine_still_unauthorized_after_bootstrap(
    session: SoraSession, upstream: Upstream
) -> None:
    upstream.json(
        "GET", f"{BACKEND}/project_y/invite/mine", {"error": {"message": "Unauthorized"}}, status=401
    )
    upstream.json("GET", f"{BACKEND}/m/bootstrap", {})
    assert (await session.invite_mine()).supported is False
    assert len(upstream.sent("GET", f"{BACKEND}/project_y/invite/mine")) == 2


async def test_invite_mine_unsupported_country_raises(session: SoraSession, upstream: Upstream) -> None:
    body = {"error": {"code": "unsupported_country_code", "param": "CN", "message": "not here"}}
    upstream.json("GET", f"{BACKEND}/project_y/invite/mine", body, status=403)
    with pytest.raises(UnsupportedCountryError) as info:
        await session.invite_mine()
    assert info.value.param == "CN"


async def test_invite_mine_other_refusal_means_unsupported(session: SoraSession, upstream: Upstream) -> None:
    upstream.json("GET", f"{BACKEND}/project_y/invite/mine", {"error": {"message": "no"}}, status=403)
    assert (await session.invite_mine()).supported is False


async def test_invite_mine_transient_failure_raises(session: SoraSession, upstream: Upstream) -> None:
    upstream.on("GET", f"{BACKEND}/project_y/invite/mine", httpx.Response(502, text="bad gateway"))
    with pytest.raises(UpstreamBadResponseError):
        await session.invite_mine()


async def test_invite_mine_dead_token_raises(session: SoraSession, upstream: Upstream) -> None:
    body = {"error": {"code": "token_invalidated", "message": "Unauthorized"}}
    upstream.json("GET", f"{BACKEND}/project_y/invite/mine", body, status=401)
    with pytest.raises(UpstreamAuthError):
        await session.invite_mine()
    assert not upstream.sent("GET", f"{BACKEND}/m/bootstrap")


async def test_nf_check(session: SoraSession, upstream: Upstream) -> None:
    body = {
        "rate_limit_and_credit_balance": {
            "estimated_num_videos_remaining": 28,
            "rate_limit_reached": False,
            "access_resets_in_seconds": 7200,
        }
    }
    upstream.json("GET", f"{BACKEND}/nf/check", body)
    quota = await session.nf_check()
    assert (quota.remaining, quota.rate_limit_reached, quota.resets_in_seconds) == (28, False, 7200)
    request = upstream.only("GET", f"{BACKEND}/nf/check")
    assert request.headers["user-agent"] == SORA_APP_UA
    assert request.headers["accept"] == "application/json"


async def test_nf_check_without_balance(session: SoraSession, upstream: Upstream) -> None:
    upstream.json("GET", f"{BACKEND}/nf/check", {})
    quota = await session.nf_check()
    assert (quota.remaining, quota.rate_limit_reached, quota.resets_in_seconds) == (None, False, 0)


async def test_probe_supported(session: SoraSession, upstream: Upstream) -> None:
    upstream.json("GET", f"{BACKEND}/me", {"email": "a@b.c", "name": "A", "username": "abc"})
    upstream.json(
        "GET",
        f"{BACKEND}/billing/subscriptions",
        {"data": [{"plan": {"id": "chatgpt_pro", "title": "Pro"}, "end_ts": "2026-01-01T00:00:00Z"}]},
    )
    upstream.json(
        "GET",
        f"{BACKEND}/project_y/invite/mine",
        {"invite_code": "INV", "redeemed_count": 0, "total_count": 4},
    )
    upstream.json(
        "GET",
        f"{BACKEND}/nf/check",
        {
            "rate_limit_and_credit_balance": {
                "estimated_num_videos_remaining": 5,
                "access_resets_in_seconds": 60,
            }
        },
    )
    probe = await session.probe()
    assert [r.url.path.removeprefix("/backend") for r in upstream.requests] == [
        "/me",
        "/billing/subscriptions",
        "/project_y/invite/mine",
        "/nf/check",
    ]
    assert probe.email == "a@b.c" and probe.username == "abc"
    assert (probe.plan_type, probe.plan_title) == ("chatgpt_pro", "Pro")
    assert probe.subscription_end == datetime(2026, 1, 1, tzinfo=UTC)
    assert probe.sora2_supported and probe.invite_code == "INV"
    assert (probe.remaining_videos, probe.resets_in_seconds) == (5, 60)
    assert (probe.invite_redeemed_count, probe.invite_total_count) == (0, 4)


async def test_probe_unsupported_skips_the_quota(session: SoraSession, upstream: Upstream) -> None:
    upstream.json("GET", f"{BACKEND}/me", {"email": "a@b.c"})
    upstream.json("GET", f"{BACKEND}/billing/subscriptions", {"data": []})
    upstream.json(
        "GET", f"{BACKEND}/project_y/invite/mine", {"error": {"message": "Unauthorized"}}, status=401
    )
    upstream.json("GET", f"{BACKEND}/m/bootstrap", {}, status=403)
    probe = await session.probe()
    assert not probe.sora2_supported
    assert probe.remaining_videos is None and probe.resets_in_seconds == 0
    assert not upstream.sent("GET", f"{BACKEND}/nf/check")


# -- images ----------------------------------------------------------------------------------------


async def test_upload_image_multipart(session: SoraSession, upstream: Upstream) -> None:
    upstream.json("POST", f"{BACKEND}/uploads", {"id": "media_1"})
    data = b"\xff\xd8\xff\xe0fake-jpeg"
    assert await session.upload_image(data, "photo.jpg", "image/jpeg") == "media_1"
    request = upstream.only("POST", f"{BACKEND}/uploads")
    assert_h1(request, json_body=False)
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    parts = multipart_parts(request)
    assert [part_name(p) for p in parts] == ["file", "file_name"]
    file_part, name_part = parts
    assert file_part.get_filename() == "photo.jpg"
    assert file_part.get_content_type() == "image/jpeg"
    assert file_part.get_payload(decode=True) == data
    assert name_part.get_filename() is None
    assert name_part.get_payload(decode=True) == b"photo.jpg"
    assert timeout_of(request) == make_settings().timeout


async def test_upload_without_id_is_a_bad_response(session: SoraSession, upstream: Upstream) -> None:
    upstream.json("POST", f"{BACKEND}/uploads", {})
    with pytest.raises(UpstreamBadResponseError):
        await session.upload_image(b"x", "a.png", "image/png")


async def test_create_image(session: SoraSession, upstream: Upstream) -> None:
    upstream.serve_sentinel()
    upstream.json("POST", f"{BACKEND}/video_gen", {"id": "task_img"})
    assert await session.create_image("a cat", 360, 540, "media_1") == "task_img"
    request = upstream.only("POST", f"{BACKEND}/video_gen")
    assert_h2(request)
    assert request_json(request) == {
        "type": "image_gen",
        "operation": "remix",
        "prompt": "a cat",
        "width": 360,
        "height": 540,
        "n_variants": 1,
        "n_frames": 1,
        "inpaint_items": [{"type": "image", "frame_index": 0, "upload_media_id": "media_1"}],
    }
    # the sentinel was minted for the UA the protected call sends
    sentinel_request = upstream.only("POST", SENTINEL_URL)
    assert sentinel_request.headers["user-agent"].startswith(MOBILE_CHROME_UA + " {")


async def test_recent_tasks(session: SoraSession, upstream: Upstream) -> None:
    items = [{"id": "task_1", "status": "succeeded", "generations": [{"url": "https://m/x.png"}]}]
    upstream.json("GET", f"{BACKEND}/v2/recent_tasks", {"task_responses": [*items, "junk"]})
    assert await session.recent_tasks() == items
    request = upstream.only("GET", f"{BACKEND}/v2/recent_tasks")
    assert request.url.params["limit"] == "20"
    assert_h1(request)


# -- videos ----------------------------------------------------------------------------------------

VIDEO_BODY = {
    "kind": "video",
    "prompt": "a cat",
    "orientation": "landscape",
    "size": "small",
    "n_frames": 300,
    "model": "sy_8",
    "inpaint_items": [],
    "style_id": None,
}


async def test_create_video_headers_and_body(upstream: Upstream, transport: SoraTransport) -> None:
    upstream.serve_sentinel()
    upstream.json("POST", f"{BACKEND}/nf/create", {"id": "task_v"})
    creds = AccountCredentials(account_id=1, access_token=ACCESS_TOKEN, session_token=SESSION_TOKEN)
    assert await transport.session(creds).create_video(VIDEO_BODY) == "task_v"
    request = upstream.only("POST", f"{BACKEND}/nf/create")
    assert request_json(request) == VIDEO_BODY
    assert request.headers["authorization"] == BEARER
    assert request.headers["user-agent"] == DESKTOP_CHROME_UA
    assert request.headers["cookie"] == f"__Secure-next-auth.session-token={SESSION_TOKEN}"
    assert request.headers["oai-language"] == "en-US"
    assert request.headers["origin"] == "https://sora.chatgpt.com"
    assert request.headers["referer"] == "https://sora.chatgpt.com/explore"
    assert request.headers["sec-fetch-site"] == "same-origin"
    sentinel = json.loads(request.headers["openai-sentinel-token"])
    assert request.headers["oai-device-id"] == sentinel["id"]
    assert sentinel["p"].endswith("~S")
    assert timeout_of(request) == make_settings().create_timeout
    assert upstream.only("POST", SENTINEL_URL).headers["user-agent"].startswith(DESKTOP_CHROME_UA + " {")


async def test_create_video_without_session_token_sends_no_cookie(
    session: SoraSession, upstream: Upstream
) -> None:
    upstream.serve_sentinel()
    upstream.json("POST", f"{BACKEND}/nf/create", {"id": "task_v"})
    await session.create_video(VIDEO_BODY)
    assert "cookie" not in upstream.only("POST", f"{BACKEND}/nf/create").headers


async def test_remix_uses_the_mobile_ua_and_no_session_cookie(
    upstream: Upstream, transport: SoraTransport
) -> None:
    upstream.serve_sentinel()
    upstream.json("POST", f"{BACKEND}/nf/create", {"id": "task_remix"})
    creds = AccountCredentials(account_id=1, access_token=ACCESS_TOKEN, session_token=SESSION_TOKEN)
    body = {**VIDEO_BODY, "remix_target_id": "s_" + "a" * 32, "cameo_ids": [], "cameo_replacements": {}}
    assert await transport.session(creds).create_video(body) == "task_remix"
    request = upstream.only("POST", f"{BACKEND}/nf/create")
    assert request.headers["user-agent"] == MOBILE_CHROME_UA
    assert "cookie" not in request.headers
    assert request_json(request) == body
    assert upstream.only("POST", SENTINEL_URL).headers["user-agent"].startswith(MOBILE_CHROME_UA + " {")
    assert is_remix(body) and not is_remix(VIDEO_BODY)


@pytest.mark.parametrize(
    "rejection",
    [
        {"error": {"code": "sentinel_block", "message": "Hmmm something didn't look right"}},
        {"error": {"code": "invalid_request", "message": "Unable to process request"}},
    ],
)
async def test_create_video_retries_once_with_a_fresh_sentinel(
    session: SoraSession, upstream: Upstream, rejection: dict[str, Any]
) -> None:
    upstream.serve_sentinel()
    upstream.on(
        "POST",
        f"{BACKEND}/nf/create",
        httpx.Response(400, json=rejection),
        httpx.Response(200, json={"id": "task_retry"}),
    )
    assert await session.create_video(VIDEO_BODY) == "task_retry"
    creates = upstream.sent("POST", f"{BACKEND}/nf/create")
    assert len(creates) == 2
    assert len(upstream.sent("POST", SENTINEL_URL)) == 2
    first, second = (json.loads(r.headers["openai-sentinel-token"]) for r in creates)
    assert first["id"] != second["id"]


async def test_create_video_retries_exactly_once(session: SoraSession, upstream: Upstream) -> None:
    upstream.serve_sentinel()
    upstream.json(
        "POST", f"{BACKEND}/nf/create", {"error": {"code": "sentinel_block", "message": "no"}}, status=400
    )
    with pytest.raises(SentinelBlockError):
        await session.create_video(VIDEO_BODY)
    assert len(upstream.sent("POST", f"{BACKEND}/nf/create")) == 2


async def test_create_video_other_rejection_is_not_retried(session: SoraSession, upstream: Upstream) -> None:
    upstream.serve_sentinel()
    upstream.json(
        "POST", f"{BACKEND}/nf/create", {"error": {"code": "bad_prompt", "message": "no"}}, status=400
    )
    with pytest.raises(UpstreamRejectedError):
        await session.create_video(VIDEO_BODY)
    assert len(upstream.sent("POST", f"{BACKEND}/nf/create")) == 1


async def test_retry_invalidates_the_rejected_sentinel(upstream: Upstream, creds: AccountCredentials) -> None:
    from router.sora.sentinel import SentinelToken

    class Counting:
        def __init__(self) -> None:
            self.issued: list[SentinelToken] = []
            self.invalidated: list[SentinelToken] = []

        async def get(self, account: AccountCredentials, *, flow_ua: str) -> SentinelToken:
            token = SentinelToken(
                header=f'{{"n":{len(self.issued)}}}', device_id=f"d{len(self.issued)}", user_agent=flow_ua
            )
            self.issued.append(token)
            return token

        async def invalidate(self, account: AccountCredentials, token: SentinelToken) -> None:
            self.invalidated.append(token)

    source = Counting()
    upstream.on(
        "POST",
        f"{BACKEND}/nf/create",
        httpx.Response(400, json={"error": {"code": "sentinel_block"}}),
        httpx.Response(200, json={"id": "task_2"}),
    )
    async with SoraTransport(
        make_settings(), transport=httpx.MockTransport(upstream), sentinel=lambda _: source
    ) as sora:
        assert await sora.session(creds).create_video(VIDEO_BODY) == "task_2"
    assert source.invalidated == [source.issued[0]]
    assert [r.headers["oai-device-id"] for r in upstream.requests] == ["d0", "d1"]


async def test_storyboard(session: SoraSession, upstream: Upstream) -> None:
    upstream.serve_sentinel()
    upstream.json("POST", f"{BACKEND}/nf/create/storyboard", {"id": "task_sb"})
    body = {"kind": "video", "prompt": "Shot 1:\nduration: 5.0sec\nScene: cat", "title": "Draft your video"}
    assert await session.create_storyboard(body) == "task_sb"
    request = upstream.only("POST", f"{BACKEND}/nf/create/storyboard")
    assert_h2(request)
    assert request_json(request) == body


async def test_extend_video(session: SoraSession, upstream: Upstream) -> None:
    upstream.serve_sentinel()
    url = f"{BACKEND}/project_y/profile/drafts/gen_01abc/long_video_extension"
    upstream.json("POST", url, {"id": "task_ext"})
    body = {"user_prompt": "more", "extension_duration_s": 10, "enable_rewrite": True}
    assert await session.extend_video("gen_01abc", body) == "task_ext"
    assert_h2(upstream.only("POST", url))


async def test_ids_cannot_escape_their_path_segment(session: SoraSession, upstream: Upstream) -> None:
    with pytest.raises(InvalidRequestError):
        await session.unpublish("..")
    upstream.json("DELETE", f"{BACKEND}/project_y/post/a%2Fb", {})
    await session.unpublish("a/b")
    assert upstream.requests[-1].url.raw_path == b"/backend/project_y/post/a%2Fb"


async def test_pending(session: SoraSession, upstream: Upstream) -> None:
    items = [{"id": "task_1", "status": "running", "progress_pct": 0.4}]
    upstream.on(
        "GET",
        f"{BACKEND}/nf/pending/v2",
        httpx.Response(200, json=items),
        httpx.Response(200, json={"items": items}),
    )
    assert await session.pending() == items
    assert await session.pending() == []
    assert_h1(upstream.requests[0])


async def test_drafts(session: SoraSession, upstream: Upstream) -> None:
    items = [{"id": "gen_1", "task_id": "task_1", "kind": "sora_draft", "url": "https://v/x.mp4"}]
    upstream.json("GET", f"{BACKEND}/project_y/profile/drafts", {"items": items})
    assert await session.drafts() == items
    assert upstream.only("GET", f"{BACKEND}/project_y/profile/drafts").url.params["limit"] == "15"


async def test_publish_and_unpublish(session: SoraSession, upstream: Upstream) -> None:
    upstream.serve_sentinel()
    post_id = "s_" + "0" * 32
    upstream.json("POST", f"{BACKEND}/project_y/post", {"post": {"id": post_id}})
    upstream.on("DELETE", f"{BACKEND}/project_y/post/{post_id}", httpx.Response(204))
    assert await session.publish("gen_1") == post_id
    publish = upstream.only("POST", f"{BACKEND}/project_y/post")
    assert_h2(publish)
    assert request_json(publish) == {
        "attachments_to_create": [{"generation_id": "gen_1", "kind": "sora"}],
        "post_text": "",
    }
    await session.unpublish(post_id)
    delete = upstream.only("DELETE", f"{BACKEND}/project_y/post/{post_id}")
    assert delete.headers["authorization"] == BEARER
    assert "content-type" not in delete.headers and "openai-sentinel-token" not in delete.headers


async def test_publish_without_post_id_fails(session: SoraSession, upstream: Upstream) -> None:
    upstream.serve_sentinel()
    upstream.json("POST", f"{BACKEND}/project_y/post", {"post": {"id": ""}})
    with pytest.raises(UpstreamBadResponseError):
        await session.publish("gen_1")


async def test_enhance_prompt(session: SoraSession, upstream: Upstream) -> None:
    upstream.json("POST", f"{BACKEND}/editor/enhance_prompt", {"enhanced_prompt": "a fluffy cat"})
    assert await session.enhance_prompt("cat", "long", 20) == "a fluffy cat"
    request = upstream.only("POST", f"{BACKEND}/editor/enhance_prompt")
    assert_h1(request)
    assert request_json(request) == {"prompt": "cat", "expansion_level": "long", "duration_s": 20}


# -- cameos ----------------------------------------------------------------------------------------


async def test_cameo_flow(session: SoraSession, upstream: Upstream) -> None:
    upstream.json("POST", f"{BACKEND}/characters/upload", {"id": "cameo_1"})
    upstream.json("POST", f"{BACKEND}/characters/from-generation", {"id": "cameo_2"})
    upstream.json("GET", f"{BACKEND}/project_y/cameos/in_progress/cameo_1", {"status": "finalized"})
    upstream.json("POST", f"{BACKEND}/project_y/file/upload", {"asset_pointer": "ap_1"})
    upstream.json("POST", f"{BACKEND}/characters/finalize", {"character": {"character_id": "ch_1"}})
    upstream.json("POST", f"{BACKEND}/project_y/cameos/by_id/cameo_1/update_v2", {})
    upstream.on("DELETE", f"{BACKEND}/project_y/characters/ch_1", httpx.Response(200, json={}))

    assert await session.upload_cameo_video(b"mp4-bytes") == "cameo_1"
    parts = multipart_parts(upstream.only("POST", f"{BACKEND}/characters/upload"))
    assert [part_name(p) for p in parts] == ["file", "timestamps"]
    assert (parts[0].get_filename(), parts[0].get_content_type()) == ("video.mp4", "video/mp4")
    assert parts[1].get_payload(decode=True) == b"0,3"

    assert await session.cameo_from_generation("gen_9") == "cameo_2"
    assert request_json(upstream.only("POST", f"{BACKEND}/characters/from-generation")) == {
        "generation_id": "gen_9",
        "character_id": None,
        "timestamps": [0, 3],
    }
    assert (await session.cameo_status("cameo_1"))["status"] == "finalized"

    assert await session.upload_profile_asset(b"webp") == "ap_1"
    parts = multipart_parts(upstream.only("POST", f"{BACKEND}/project_y/file/upload"))
    assert [part_name(p) for p in parts] == ["file", "use_case"]
    assert (parts[0].get_filename(), parts[0].get_content_type()) == ("profile.webp", "image/webp")
    assert parts[1].get_payload(decode=True) == b"profile"

    character = await session.finalize_cameo(
        "cameo_1", username="meow123", display_name="Meow", profile_asset_pointer="ap_1"
    )
    assert character == "ch_1"
    assert request_json(upstream.only("POST", f"{BACKEND}/characters/finalize"))["username"] == "meow123"

    await session.make_cameo_public("cameo_1")
    assert request_json(upstream.only("POST", f"{BACKEND}/project_y/cameos/by_id/cameo_1/update_v2")) == {
        "visibility": "public"
    }
    await session.delete_character("ch_1")
    assert upstream.only("DELETE", f"{BACKEND}/project_y/characters/ch_1").headers["authorization"] == BEARER


async def test_make_public_needs_a_json_answer(session: SoraSession, upstream: Upstream) -> None:
    upstream.on("POST", f"{BACKEND}/project_y/cameos/by_id/c/update_v2", httpx.Response(200, text=""))
    with pytest.raises(UpstreamBadResponseError):
        await session.make_cameo_public("c")


# -- media -----------------------------------------------------------------------------------------


async def test_download(session: SoraSession, upstream: Upstream) -> None:
    upstream.on(
        "GET",
        "https://videos.test/a.mp4",
        httpx.Response(302, headers={"location": "https://cdn.test/a.mp4"}),
    )
    upstream.on("GET", "https://cdn.test/a.mp4", httpx.Response(200, content=b"video-bytes"))
    assert await session.download("https://videos.test/a.mp4") == b"video-bytes"
    for request in upstream.requests:
        assert "authorization" not in request.headers and "cookie" not in request.headers
        assert timeout_of(request) == make_settings().download_timeout


async def test_download_size_limit(session: SoraSession, upstream: Upstream) -> None:
    upstream.on("GET", "https://videos.test/big.mp4", httpx.Response(200, content=b"x" * 100))
    with pytest.raises(UpstreamBadResponseError) as info:
        await session.download("https://videos.test/big.mp4", max_bytes=10)
    assert info.value.code == "media_too_large"


async def test_download_404(session: SoraSession, upstream: Upstream) -> None:
    upstream.on("GET", "https://videos.test/gone.mp4", httpx.Response(404, text="gone"))
    with pytest.raises(Exception) as info:
        await session.download("https://videos.test/gone.mp4")
    assert getattr(info.value, "upstream_status", None) == 404


async def test_stream_download(session: SoraSession, upstream: Upstream) -> None:
    upstream.on("GET", "https://videos.test/s.mp4", httpx.Response(200, content=b"abcdef"))
    chunks = []
    async with session.stream_download("https://videos.test/s.mp4") as response:
        assert response.status_code == 200
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
    assert b"".join(chunks) == b"abcdef"


async def test_stream_download_maps_errors_raised_while_reading(
    session: SoraSession, upstream: Upstream
) -> None:
    class Broken(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield b"ab"
            raise httpx.ReadError("connection reset")

    upstream.on("GET", "https://videos.test/b.mp4", httpx.Response(200, stream=Broken()))
    from router.errors import UpstreamDisconnectedError

    with pytest.raises(UpstreamDisconnectedError):
        async with session.stream_download("https://videos.test/b.mp4") as response:
            async for _ in response.aiter_bytes():
                pass


async def test_transport_level_download_uses_the_global_proxy(upstream: Upstream) -> None:
    upstream.on("GET", "https://videos.test/u.mp4", httpx.Response(200, content=b"u"))
    async with SoraTransport(
        make_settings(proxy="http://g:1"), transport=httpx.MockTransport(upstream)
    ) as sora:
        assert await sora.download("https://videos.test/u.mp4") == b"u"
        assert list(sora.http.open_proxies) == ["http://g:1"]


def test_session_repr_hides_the_token(session: SoraSession) -> None:
    assert ACCESS_TOKEN not in repr(session)
    assert ACCESS_TOKEN not in repr(session.creds)
