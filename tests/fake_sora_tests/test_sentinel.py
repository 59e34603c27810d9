"""Sentinel service and the sentinel check on protected calls (§2.3, §7)."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from tests.fake_sora import FakeSora

from .conftest import error_of, message_of
from .spec_client import DESKTOP_UA, NEXUS5_UA, SEC_CH_UA, SpecClient, compact, initial_token

SENTINEL_BLOCK = "Hmmm something didn't look right with your request"


def sentinel_req_headers(body: str, user_agent: str = NEXUS5_UA) -> dict[str, str]:
    return {
        "Accept": "*/*",
        "Content-Type": "text/plain;charset=UTF-8",
        "Origin": "https://chatgpt.com",
        "Referer": "https://chatgpt.com/backend-api/sentinel/frame.html",
        "sec-ch-ua": SEC_CH_UA,
        "sec-ch-ua-mobile": "?1",
        "sec-ch-ua-platform": '"Android"',
        "User-Agent": f"{user_agent} {body}",
    }


def test_sentinel_req_issues_a_challenge(alice: SpecClient, sim: FakeSora) -> None:
    challenge, _ = alice.sentinel_challenge(DESKTOP_UA)
    assert isinstance(challenge["token"], str) and isinstance(challenge["turnstile"]["dx"], str)
    assert challenge["proofofwork"]["required"] is True
    assert challenge["proofofwork"]["difficulty"] == "0fffff"
    float(challenge["proofofwork"]["seed"])
    sim.assert_no_violations()


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda h, b: h | {"Authorization": "Bearer x"}, "must not carry an Authorization header"),
        (lambda h, b: h | {"Content-Type": "application/json"}, "header content-type must be"),
        (lambda h, b: h | {"User-Agent": NEXUS5_UA}, "User-Agent must be '<UA> <the JSON body>'"),
        (lambda h, b: h | {"User-Agent": f"curl/8 {b}"}, "the UA part of User-Agent must be one of"),
        (lambda h, b: h | {"sec-ch-ua-platform": "Android"}, "header sec-ch-ua-platform must be"),
    ],
)
def test_sentinel_req_is_strict_about_headers(http: httpx.Client, sim: FakeSora, mutate, expected) -> None:  # type: ignore[no-untyped-def]
    body = compact({"p": initial_token(NEXUS5_UA), "id": str(uuid.uuid4()), "flow": "sora_init"})
    response = http.post(
        "/backend-api/sentinel/req", content=body, headers=mutate(sentinel_req_headers(body), body)
    )
    assert response.status_code == 400
    assert expected in message_of(response)
    assert sim.violations


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"p": "gAAAAACxyz", "id": "ID", "flow": "sora_init"},
            "body.p must be gAAAAAC + base64 of an 18-element",
        ),
        ({"p": "P", "id": "not-a-uuid", "flow": "sora_init"}, "body.id must be a lower-case UUID4 string"),
        ({"p": "gAAAAAB", "id": "ID", "flow": "sora_init"}, "body.p must be an initial PoW token"),
        ({"p": "P", "id": "ID", "flow": "sora_2_create_task"}, 'body.flow must be "sora_init"'),
        ({"p": "P", "id": "ID"}, "missing key(s) ['flow']"),
    ],
)
def test_sentinel_req_is_strict_about_the_body(
    http: httpx.Client, body: dict[str, str], expected: str
) -> None:
    body = {
        k: (initial_token(NEXUS5_UA) if v == "P" else str(uuid.uuid4()) if v == "ID" else v)
        for k, v in body.items()
    }
    raw = compact(body)
    response = http.post("/backend-api/sentinel/req", content=raw, headers=sentinel_req_headers(raw))
    assert response.status_code == 400
    assert expected in message_of(response)


def test_sentinel_req_wants_compact_json(http: httpx.Client) -> None:
    raw = json.dumps({"p": initial_token(NEXUS5_UA), "id": str(uuid.uuid4()), "flow": "sora_init"})
    response = http.post("/backend-api/sentinel/req", content=raw, headers=sentinel_req_headers(raw))
    assert response.status_code == 400 and "compact JSON" in message_of(response)


def test_correct_pow_is_accepted(alice: SpecClient, sim: FakeSora) -> None:
    response = alice.create_video()
    assert response.status_code == 200, response.text
    record = sim.requests_to("/nf/create", "POST")[-1]
    assert record.sentinel is not None and record.sentinel["flow"] == "sora_2_create_task__auto"
    assert record.sentinel["p"].startswith("gAAAAAB") and record.sentinel["p"].endswith("~S")
    sim.assert_no_violations()


def test_wrong_pow_is_rejected(alice: SpecClient, sim: FakeSora) -> None:
    body = alice.remix_body("s_" + "a" * 32)
    response = alice.post("/nf/create", body, alice.h3(remix=True, break_pow=True))
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "sentinel_block"
    assert SENTINEL_BLOCK in str(error["message"]) and "does not meet the difficulty" in str(error["message"])
    assert sim.create_count() == 0


def _tamper(headers: dict[str, str], **changes: str) -> dict[str, str]:
    token = json.loads(headers["openai-sentinel-token"]) | changes
    return headers | {"openai-sentinel-token": compact(token)}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"t": "other"}, "t must be the turnstile.dx"),
        ({"c": "forged"}, "c is not a token this sentinel service issued"),
        ({"flow": "sora_2_create_task"}, "flow must be 'sora_2_create_task__auto'"),
        ({"p": "gAAAAABabc"}, "end with ~S"),
        ({"id": "00000000-0000-4000-8000-000000000000"}, "id must be the device id"),
    ],
)
def test_tampered_sentinels_are_blocked(alice: SpecClient, change: dict[str, str], expected: str) -> None:
    headers = _tamper(alice.h2(), **change)
    response = alice.post("/video_gen", _image_body(), headers)
    assert response.status_code == 400
    assert error_of(response)["code"] == "sentinel_block"
    assert expected in message_of(response)


def test_device_id_header_must_match(alice: SpecClient) -> None:
    headers = alice.h2() | {"oai-device-id": str(uuid.uuid4())}
    response = alice.post("/video_gen", _image_body(), headers)
    assert error_of(response)["code"] == "sentinel_block"


def test_missing_sentinel_is_blocked(alice: SpecClient) -> None:
    response = alice.post("/video_gen", _image_body(), alice.h1())
    assert response.status_code == 400 and error_of(response)["code"] == "sentinel_block"


def test_h3_fixed_headers_are_checked(alice: SpecClient, sim: FakeSora) -> None:
    headers = alice.h3()
    del headers["Origin"]
    response = alice.post("/nf/create", _video_body(), headers)
    assert response.status_code == 400
    assert "header origin must be 'https://sora.chatgpt.com', got None" in message_of(response)
    headers = alice.h3() | {"User-Agent": NEXUS5_UA}
    response = alice.post("/nf/create", _video_body(), headers)
    assert "User-Agent must be the UA prescribed for this call" in message_of(response)
    assert len(sim.violations) == 2


def test_session_cookie_on_nf_create_must_be_the_accounts(alice: SpecClient, sim: FakeSora) -> None:
    other = sim.create_account("other@example.com")
    headers = alice.h3() | {"Cookie": f"__Secure-next-auth.session-token={other.session_token}"}
    response = alice.post("/nf/create", _video_body(), headers)
    assert response.status_code == 400 and "Cookie must be" in message_of(response)


def test_no_pow_when_not_required(alice: SpecClient, sim: FakeSora) -> None:
    sim.config.pow_required = False
    challenge, _ = alice.sentinel_challenge(NEXUS5_UA)
    assert challenge["proofofwork"] == {"required": False}
    assert alice.create_video().status_code == 200


def test_pow_service_stub_mints_accepted_sentinels(
    http: httpx.Client, alice: SpecClient, sim: FakeSora
) -> None:
    headers = {"Authorization": "Bearer fake-pow-key", "Accept": "application/json"}
    body = {"device_type": "ios", "access_token": alice.access_token, "session_token": alice.session_token}
    minted = http.post("/api/v1/sora/sentinel-token", json=body, headers=headers)
    assert minted.status_code == 200, minted.text
    service = minted.json()
    assert json.loads(service["sentinel_token"])["id"] == service["device_id"]
    create_headers = alice.h3() | {
        "openai-sentinel-token": service["sentinel_token"],
        "oai-device-id": service["device_id"],
        "User-Agent": service["user_agent"],
        "Cookie": service["cookie_header"],
    }
    assert alice.post("/nf/create", _video_body(), create_headers).status_code == 200
    without_cookie = create_headers | {"Cookie": f"__Secure-next-auth.session-token={alice.session_token}"}
    assert alice.post("/nf/create", _video_body(), without_cookie).status_code == 400
    assert (
        http.post(
            "/api/v1/sora/sentinel-token", json=body, headers={"Accept": "application/json"}
        ).status_code
        == 401
    )
    extra = http.post("/api/v1/sora/sentinel-token", json=body | {"flow": "x"}, headers=headers)
    assert extra.status_code == 400 and "unexpected key(s) ['flow']" in message_of(extra)
    sim.faults.add("/api/v1/sora/sentinel-token", "empty_token")
    assert http.post("/api/v1/sora/sentinel-token", json=body, headers=headers).json() == {
        "sentinel_token": ""
    }


def _video_body() -> dict[str, object]:
    return {
        "kind": "video",
        "prompt": "a cat",
        "orientation": "landscape",
        "size": "small",
        "n_frames": 300,
        "model": "sy_8",
        "inpaint_items": [],
        "style_id": None,
    }


def _image_body() -> dict[str, object]:
    return {
        "type": "image_gen",
        "operation": "simple_compose",
        "prompt": "a fox",
        "width": 360,
        "height": 360,
        "n_variants": 1,
        "n_frames": 1,
        "inpaint_items": [],
    }


def test_chatgpt_home_hands_out_oai_did(http: httpx.Client) -> None:
    response = http.get("/")
    assert response.status_code == 200
    assert uuid.UUID(response.cookies["oai-did"]).version == 4


def test_h1_calls_carry_no_cookie(alice: SpecClient) -> None:
    cookie = f"__Secure-next-auth.session-token={alice.session_token}"
    headers = alice.h1(json_body=False) | {"Cookie": cookie}
    response = alice.http.get("/backend/nf/pending/v2", headers=headers)
    assert response.status_code == 400 and "must not carry a cookie header" in message_of(response)
