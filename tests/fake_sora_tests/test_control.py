"""The /__sim__ control API, in-process use, the server wrapper and the standalone runner."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from tests.fake_sora import FakeSora, FakeSoraServer, Timing, create_app

from .spec_client import SpecClient

ROOT = Path(__file__).resolve().parents[2]
ME_HEADERS = {
    "Accept": "application/json",
    "Origin": "https://sora.chatgpt.com",
    "Referer": "https://sora.chatgpt.com/",
}


def test_control_api(http: httpx.Client, sim: FakeSora) -> None:
    created = http.post(
        "/__sim__/accounts", json={"email": "c@example.com", "plan": "chatgpt_plus", "username": None}
    )
    assert created.status_code == 200
    creds = created.json()
    assert set(creds) == {"email", "access_token", "session_token", "refresh_token", "client_id"}
    assert sim.account("c@example.com").username is None
    assert http.post("/__sim__/accounts", json={"email": "c@example.com"}).status_code == 409
    assert http.post("/__sim__/accounts", json={"plan": "gold"}).status_code == 422
    changed = http.patch("/__sim__/accounts/c@example.com", json={"quota": 2, "plan": "chatgpt_pro"})
    assert changed.json()["quota"] == 2 and changed.json()["plan"] == "chatgpt_pro"
    http.patch("/__sim__/accounts/c@example.com", json={"tokens": "expired"})
    me = http.get("/backend/me", headers={"Authorization": f"Bearer {creds['access_token']}", **ME_HEADERS})
    assert me.json()["error"]["code"] == "token_expired"
    fresh = http.post("/__sim__/accounts/c@example.com/access_tokens").json()["access_token"]

    fault = http.post("/__sim__/faults", json={"path": "/nf/create", "kind": "heavy_load", "times": 2})
    assert fault.status_code == 200 and fault.json()["kind"] == "heavy_load"
    assert http.post("/__sim__/faults", json={"path": "/x", "kind": "nope"}).status_code == 400
    assert len(http.get("/__sim__/faults").json()) == 1
    client = SpecClient(http, fresh)
    assert client.create_video().status_code == 503

    requests = http.get("/__sim__/requests", params={"path": "/nf/create"}).json()
    assert requests[-1]["fault"] == "heavy_load" and requests[-1]["account"] == "c@example.com"
    assert requests[-1]["body"]["kind"] == "video"
    assert not [r for r in http.get("/__sim__/requests").json() if r["path"].startswith("/__sim__")]
    assert http.get("/__sim__/counters").json()["creates"] == {}
    assert http.get("/__sim__/violations").json() == []

    timing = http.post("/__sim__/timing", json={"preset": "fast", "speed": 2}).json()
    assert timing["video_running_s"] == Timing.fast().video_running_s / 2
    assert http.post("/__sim__/timing", json={"values": {"warp": 1}}).status_code == 400
    assert http.post("/__sim__/reset").json() == {}
    assert sim.records == [] and sim.accounts.by_email == {}


async def test_in_process_with_asgi_transport() -> None:
    sim = FakeSora(timing=Timing.instant())
    creds = sim.create_account("inproc@example.com")
    transport = httpx.ASGITransport(app=create_app(sim))
    async with httpx.AsyncClient(transport=transport, base_url="http://sora.test") as client:
        response = await client.get(
            "/backend/me", headers={"Authorization": f"Bearer {creds.access_token}", **ME_HEADERS}
        )
    assert response.json()["email"] == "inproc@example.com"
    assert sim.count("/me", "GET") == 1


def test_server_wrapper_start_stop() -> None:
    server = FakeSoraServer().start()
    try:
        assert server.backend_url == server.base_url + "/backend"
        with httpx.Client() as client:
            assert client.get(server.base_url + "/nope").status_code == 404
    finally:
        server.stop()
    assert len(server.sim.violations) == 1


def test_standalone_runner_prints_demo_tokens() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "tests.fake_sora", "--port", str(port), "--demo", "--speed", "10"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "client id" in line:
                break
        token = next(line.split(":", 1)[1].strip() for line in lines if "access token" in line)
        transport = httpx.HTTPTransport(retries=50)  # retries connection failures while uvicorn starts
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5, transport=transport) as client:
            me = client.get("/backend/me", headers={"Authorization": f"Bearer {token}", **ME_HEADERS})
        assert me.json()["email"] == "demo@example.com"
        assert any("refresh token" in line for line in lines) and any(
            "session token" in line for line in lines
        )
    finally:
        process.terminate()
        process.communicate(timeout=10)
