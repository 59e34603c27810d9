"""A client that speaks the upstream protocol exactly as spec/sora-upstream.md describes it.

Written independently of the simulator (its own UA constants, its own PoW solver), so the
tests check the simulator against the spec rather than against itself.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import time
import uuid
from typing import Any

import httpx

SORA_ANDROID_UA = "Sora/1.2026.007 (Android 15; 24122RKC7C; build 2600700)"
NEXUS5_UA = (
    "Mozilla/5.0 (Linux; Android 6.0; Nexus 5 Build/MRA58N) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
DESKTOP_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
SEC_CH_UA = '"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"'
FLOW = "sora_2_create_task__auto"


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def config_array(user_agent: str) -> list[Any]:
    perf = random.uniform(10_000, 100_000)
    return [
        1920,
        "Sat Mar 07 2026 12:57:21 GMT+0800 (CST)",
        4294967296,
        0,
        user_agent,
        "https://chatgpt.com/backend-api/sentinel/sdk.js",
        None,
        "en-US",
        "en-US,en",
        0,
        "hardwareConcurrency\u221232",
        "location",
        "window",
        perf,
        str(uuid.uuid4()),
        "",
        16,
        time.time() * 1000 - perf,
    ]


def solve_pow(seed: str, difficulty: str, user_agent: str) -> str:
    """§7.3: the base64 answer B with SHA3-512(seed ‖ B)[:n] ≤ bytes.fromhex(difficulty)."""
    config = config_array(user_agent)
    start = random.randint(2, 10)
    target = bytes.fromhex(difficulty)
    for i in range(500_000):
        config[3] = i
        config[9] = start + math.ceil(i / 30)
        answer = base64.b64encode(compact(config).encode()).decode()
        if hashlib.sha3_512((seed + answer).encode()).digest()[: len(target)] <= target:
            return answer
    raise AssertionError("no PoW answer found")


def fails_pow(seed: str, difficulty: str, user_agent: str) -> str:
    """A well-formed answer that does NOT meet the difficulty."""
    config = config_array(user_agent)
    target = bytes.fromhex(difficulty)
    for i in range(10_000):
        config[3] = i
        answer = base64.b64encode(compact(config).encode()).decode()
        if hashlib.sha3_512((seed + answer).encode()).digest()[: len(target)] > target:
            return answer
    raise AssertionError("every answer passes?")


def initial_token(user_agent: str) -> str:
    return "gAAAAAC" + base64.b64encode(compact(config_array(user_agent)).encode()).decode()


class SpecClient:
    """One account's view of the upstream, with the header sets of §2.3."""

    def __init__(self, http: httpx.Client, access_token: str, session_token: str | None = None) -> None:
        self.http = http
        self.access_token = access_token
        self.session_token = session_token

    # -- headers ---------------------------------------------------------------------------

    def h1(self, json_body: bool = True) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.access_token}", "User-Agent": SORA_ANDROID_UA}
        if json_body:
            headers["Content-Type"] = "application/json"
        return headers

    def sentinel_challenge(self, user_agent: str) -> tuple[dict[str, Any], str]:
        """§7.2 steps 1–6: the sentinel/req response and the request id used."""
        req_id = str(uuid.uuid4())
        body = compact({"p": initial_token(user_agent), "id": req_id, "flow": "sora_init"})
        headers = {
            "Accept": "*/*",
            "Content-Type": "text/plain;charset=UTF-8",
            "Origin": "https://chatgpt.com",
            "Referer": "https://chatgpt.com/backend-api/sentinel/frame.html",
            "sec-ch-ua": SEC_CH_UA,
            "sec-ch-ua-mobile": "?1",
            "sec-ch-ua-platform": '"Android"',
            "User-Agent": f"{user_agent} {body}",
        }
        response = self.http.post("/backend-api/sentinel/req", content=body, headers=headers)
        assert response.status_code == 200, response.text
        return response.json(), req_id

    def sentinel(self, user_agent: str, *, break_pow: bool = False) -> tuple[str, str]:
        """§7.2 step 7: (header JSON, device id)."""
        challenge, req_id = self.sentinel_challenge(user_agent)
        proof = challenge["proofofwork"]
        if proof["required"]:
            solver = fails_pow if break_pow else solve_pow
            p = "gAAAAAB" + solver(proof["seed"], proof["difficulty"], user_agent)
        else:
            p = initial_token(user_agent)
        token = {
            "p": p + "~S",
            "t": challenge["turnstile"]["dx"],
            "c": challenge["token"],
            "id": req_id,
            "flow": FLOW,
        }
        return compact(token), req_id

    def h2(self, **sentinel_options: Any) -> dict[str, str]:
        token, device_id = self.sentinel(NEXUS5_UA, **sentinel_options)
        return {
            **self.h1(),
            "User-Agent": NEXUS5_UA,
            "openai-sentinel-token": token,
            "oai-device-id": device_id,
        }

    def h3(self, *, remix: bool = False, **sentinel_options: Any) -> dict[str, str]:
        user_agent = NEXUS5_UA if remix else DESKTOP_UA
        token, device_id = self.sentinel(user_agent, **sentinel_options)
        headers = {
            "Authorization": f"Bearer {self.access_token}",
            "openai-sentinel-token": token,
            "Content-Type": "application/json",
            "User-Agent": user_agent,
            "oai-language": "en-US",
            "oai-device-id": device_id,
            "Accept": "*/*",
            "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8",
            "Cache-Control": "no-cache",
            "Pragma": "no-cache",
            "Origin": "https://sora.chatgpt.com",
            "Referer": "https://sora.chatgpt.com/explore",
            "Sec-Ch-Ua": SEC_CH_UA,
            "Sec-Ch-Ua-Mobile": "?0",
            "Sec-Ch-Ua-Platform": '"Windows"',
            "Sec-Fetch-Dest": "empty",
            "Sec-Fetch-Mode": "cors",
            "Sec-Fetch-Site": "same-origin",
            "Priority": "u=1, i",
        }
        if self.session_token and not remix:
            headers["Cookie"] = f"__Secure-next-auth.session-token={self.session_token}"
        return headers

    # -- calls -----------------------------------------------------------------------------

    def get(self, path: str) -> httpx.Response:
        return self.http.get(f"/backend{path}", headers=self.h1(json_body=False))

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
        return self.http.post(f"/backend{path}", content=json.dumps(body), headers=headers or self.h1())

    def create_video(self, **overrides: Any) -> httpx.Response:
        body = {
            "kind": "video",
            "prompt": "a cat surfing at sunset",
            "orientation": "landscape",
            "size": "small",
            "n_frames": 300,
            "model": "sy_8",
            "inpaint_items": [],
            "style_id": None,
            **overrides,
        }
        return self.post("/nf/create", body, self.h3())

    def remix_body(self, share_id: str) -> dict[str, Any]:
        return {
            "kind": "video",
            "prompt": "make it snow",
            "inpaint_items": [],
            "remix_target_id": share_id,
            "cameo_ids": [],
            "cameo_replacements": {},
            "model": "sy_8",
            "orientation": "portrait",
            "n_frames": 300,
            "style_id": None,
        }

    def upload_image(self, data: bytes, filename: str = "image.png") -> httpx.Response:
        files = [("file", (filename, data, "image/png")), ("file_name", (None, filename))]
        return self.http.post("/backend/uploads", files=files, headers=self.h1(json_body=False))

    def create_image(self, media_id: str | None = None, **overrides: Any) -> httpx.Response:
        items = [{"type": "image", "frame_index": 0, "upload_media_id": media_id}] if media_id else []
        body = {
            "type": "image_gen",
            "operation": "remix" if media_id else "simple_compose",
            "prompt": "a red fox",
            "width": 360,
            "height": 360,
            "n_variants": 1,
            "n_frames": 1,
            "inpaint_items": items,
            **overrides,
        }
        return self.post("/video_gen", body, self.h2())

    def pending(self) -> list[dict[str, Any]]:
        response = self.get("/nf/pending/v2")
        assert response.status_code == 200, response.text
        result: list[dict[str, Any]] = response.json()
        return result

    def drafts(self) -> list[dict[str, Any]]:
        response = self.get("/project_y/profile/drafts?limit=15")
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def wait_video(self, task_id: str, timeout: float = 5.0) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Poll like §6.1: pending until the task leaves, then the drafts. Returns (pending seen, draft)."""
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            mine = [item for item in self.pending() if item["id"] == task_id]
            if mine:
                seen.append(mine[0])
            else:
                drafts = [item for item in self.drafts() if item["task_id"] == task_id]
                if drafts:
                    return seen, drafts[0]
            time.sleep(0.005)
        raise AssertionError(f"task {task_id} did not finish; pending seen: {seen[-3:]}")

    def wait_image(self, task_id: str, timeout: float = 5.0) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = self.get("/v2/recent_tasks?limit=20")
            assert response.status_code == 200, response.text
            item = next(t for t in response.json()["task_responses"] if t["id"] == task_id)
            seen.append(item)
            if item["status"] in ("succeeded", "failed"):
                return seen, item
            time.sleep(0.005)
        raise AssertionError(f"image task {task_id} did not finish")
