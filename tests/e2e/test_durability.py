"""Durable tasks: a task survives a dropped client and a killed gateway, and a chat can pick it up again.

The restart tests run the gateway as an operator does (``sora2api serve`` in a subprocess on a
database file that outlives it), kill it with SIGKILL at a chosen moment and start it again;
the simulator proves what reached the upstream (``sim.create_count()``).
"""

from __future__ import annotations

import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from router.cli import main as cli_main
from router.config import Settings
from tests.conftest import API_KEY, Gateway, gateway_settings
from tests.fake_sora import Credentials, FakeSora, FakeSoraServer, Timing
from tests.support.servers import free_port

SCRIPT = Path(sys.executable).parent / "sora2api"
VIDEO_MODEL = "sora2-landscape-10s"
PROGRESS = "**Video Generation Progress**"


class GatewayProcess:
    """``sora2api serve`` in a subprocess; ``kill()`` is SIGKILL (no shutdown code runs)."""

    def __init__(self, settings: Settings, env: dict[str, str], log: Path) -> None:
        self.settings = settings
        self.port = free_port()
        self.env = {**env, "SORA2API_SERVER__PORT": str(self.port)}
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> GatewayProcess:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen([str(SCRIPT), "serve"], env=self.env, stderr=log, stdout=log)
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/healthz").status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            assert self.process.poll() is None, f"gateway exited: {self.log.read_text()}"
            assert time.monotonic() < deadline, f"gateway did not start: {self.log.read_text()}"
            time.sleep(0.05)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def client(self) -> openai.OpenAI:
        return openai.OpenAI(base_url=f"{self.url}/v1", api_key=API_KEY, max_retries=0, timeout=60)


@pytest.fixture
def processes(tmp_path: Path, upstream: FakeSoraServer) -> Iterator[Callable[..., GatewayProcess]]:
    """``processes(**env)``: a gateway process on this test's database (each call a new process)."""
    settings = gateway_settings(tmp_path, upstream)
    base = {key: value for key, value in os.environ.items() if not key.startswith("SORA2API_")}
    base.update(
        SORA2API_CONFIG=str(tmp_path / "absent.yaml"),
        SORA2API_DATA_DIR=str(settings.data_dir),
        SORA2API_DATABASE__URL=settings.database.url,
        SORA2API_SERVER__LOG_LEVEL="warning",
        SORA2API_AUTH__API_KEYS=f'["{API_KEY}"]',
        SORA2API_AUTH__ADMIN_PASSWORD="test-admin-password",
        SORA2API_UPSTREAM__SORA_BACKEND=upstream.backend_url,
        SORA2API_UPSTREAM__SORA_WEB=upstream.base_url,
        SORA2API_UPSTREAM__CHATGPT=upstream.base_url,
        SORA2API_UPSTREAM__OPENAI_AUTH=upstream.base_url,
        SORA2API_TASKS__POLL_INTERVAL="0.1",
        SORA2API_TASKS__VIDEO_TIMEOUT="60",
        SORA2API_PLUGINS__LOAD_ENTRY_POINTS="false",
    )
    started: list[GatewayProcess] = []

    def make(**env: str) -> GatewayProcess:
        process = GatewayProcess(settings, {**base, **env}, tmp_path / "gateway.log")
        started.append(process)
        return process.start()

    try:
        yield make
    finally:
        for process in started:
            process.stop()


def _add_account(settings: Settings, creds: Credentials) -> None:
    out = io.StringIO()
    assert cli_main(["tokens", "add", "--at", creds.access_token], out=out, settings=settings) == 0, (
        out.getvalue()
    )


def _row(settings: Settings, task_id: str) -> dict[str, Any]:
    """The task's row, read straight from the SQLite file."""
    path = settings.database.url.removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT * FROM tasks WHERE id = ?", (task_id,)).fetchone()
    assert row is not None, task_id
    return dict(row)


def _wait(check: Callable[[], object], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _start_video(client: openai.OpenAI, prompt: str) -> tuple[openai.Stream[Any], str]:
    """A streamed video request, read up to its first chunk; the task id and the open stream."""
    stream = client.chat.completions.create(
        model=VIDEO_MODEL, messages=[{"role": "user", "content": prompt}], stream=True
    )
    first = next(iter(stream))
    task_id = (first.model_extra or {})["task_id"]
    assert isinstance(task_id, str) and task_id.startswith("video_")
    return stream, task_id


def _pick_up(client: openai.OpenAI, task_id: str, model: str = VIDEO_MODEL) -> str:
    completion = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "again"}], extra_body={"task_id": task_id}
    )
    assert (completion.model_extra or {})["task_id"] == task_id
    return completion.choices[0].message.content or ""


def _reasoning(chunk: Any) -> str:
    return "".join(getattr(c.delta, "reasoning_content", None) or "" for c in chunk.choices)


# -- restarts ------------------------------------------------------------------------------------


def test_a_video_survives_a_kill_after_the_upstream_accepted_it(
    sim: FakeSora, processes: Callable[..., GatewayProcess]
) -> None:
    sim.timing = Timing.fast().scaled(0.3)  # about 4 s: the video outlives the first gateway
    first = processes()
    _add_account(first.settings, sim.create_account("restart@example.com", plan="chatgpt_plus"))
    with first.client() as client:
        stream, task_id = _start_video(client, "a lighthouse in a storm")
        for chunk in stream:
            if PROGRESS in _reasoning(chunk):
                break
        first.kill()
        stream.close()
    row = _row(first.settings, task_id)
    assert row["status"] == "in_progress" and row["upstream_task_id"]
    assert not sim.video_task(row["upstream_task_id"]).finished  # killed mid-generation

    second = processes()
    with second.client() as client:
        content = _pick_up(client, task_id)
    assert "<video src=" in content
    assert sim.create_count() == 1 and sim.count("/nf/create", "POST") == 1
    done = _row(first.settings, task_id)
    assert (done["status"], done["upstream_task_id"]) == ("completed", row["upstream_task_id"])


def test_a_kill_inside_the_create_call_is_reconciled_not_resubmitted(
    sim: FakeSora, processes: Callable[..., GatewayProcess]
) -> None:
    # the upstream takes the create 2 s after it arrived: the gateway dies in between
    sim.faults.add("/nf/create", "slow", delay=2.0)
    first = processes(SORA2API_TASKS__SUBMIT_GRACE="30")
    _add_account(first.settings, sim.create_account("submit@example.com", plan="chatgpt_plus"))
    with first.client() as client:
        stream, task_id = _start_video(client, "a fox in the snow")
        _wait(lambda: sim.count("/nf/create", "POST") == 1)
        first.kill()
        stream.close()
    row = _row(first.settings, task_id)
    assert sim.create_count() == 0, "the kill must land inside the create call"
    assert row["status"] == "queued" and row["upstream_task_id"] is None
    assert row["submit_started_at"] is not None and row["account_id"] is not None

    second = processes(SORA2API_TASKS__SUBMIT_GRACE="30")
    with second.client() as client:
        content = _pick_up(client, task_id)
    assert "<video src=" in content
    assert sim.create_count() == 1 and sim.count("/nf/create", "POST") == 1
    adopted = _row(first.settings, task_id)
    assert adopted["status"] == "completed"
    assert sim.video_task(adopted["upstream_task_id"]).body["prompt"] == "a fox in the snow"


def test_a_job_that_never_reached_the_upstream_is_submitted_after_the_grace(
    sim: FakeSora, processes: Callable[..., GatewayProcess]
) -> None:
    # the gateway dies while it fetches the sentinel token, before the create is sent
    sim.faults.add("/backend-api/sentinel/req", "slow", delay=3.0)
    first = processes()
    _add_account(first.settings, sim.create_account("grace@example.com", plan="chatgpt_plus"))
    with first.client() as client:
        stream, task_id = _start_video(client, "a boat on a lake")
        _wait(lambda: sim.count("/backend-api/sentinel/req", "POST") == 1)
        first.kill()
        stream.close()
    assert _row(first.settings, task_id)["submit_started_at"] is not None
    assert sim.count("/nf/create", "POST") == 0

    second = processes(SORA2API_TASKS__SUBMIT_GRACE="1.5")
    with second.client() as client:
        content = _pick_up(client, task_id)
    assert "<video src=" in content
    assert sim.create_count() == 1 and sim.count("/nf/create", "POST") == 1


# -- a dropped client ----------------------------------------------------------------------------


def test_a_closed_stream_loses_nothing_and_the_task_can_be_picked_up(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora
) -> None:
    gateway.add_account(sim.create_account("drop@example.com", plan="chatgpt_plus"))
    stream, task_id = _start_video(client, "a dropped stream")
    stream.close()  # the client goes away at once
    content = _pick_up(client, task_id)
    assert "<video src=" in content
    assert sim.create_count() == 1


# -- chat pickup -----------------------------------------------------------------------------------


def test_a_running_task_is_picked_up_with_its_events_while_the_first_stream_goes_on(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora
) -> None:
    gateway.add_account(sim.create_account("twice@example.com", plan="chatgpt_plus"))
    stream, task_id = _start_video(client, "two viewers")
    picked = list(
        client.chat.completions.create(
            model=VIDEO_MODEL,
            messages=[{"role": "user", "content": "x"}],
            stream=True,
            extra_body={"task_id": task_id},
        )
    )
    rest = list(stream)
    assert {(c.model_extra or {}).get("task_id") for c in picked} == {task_id}
    assert "**Generation Process Begins**" in "".join(_reasoning(c) for c in picked)
    content = "".join(c.choices[0].delta.content or "" for c in picked if c.choices)
    assert content == "".join(c.choices[0].delta.content or "" for c in rest if c.choices)
    assert "<video src=" in content and picked[-1].choices[0].finish_reason == "stop"
    assert sim.create_count() == 1


def test_a_finished_task_is_picked_up_from_the_database(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora
) -> None:
    gateway.add_account(sim.create_account("done@example.com", plan="chatgpt_plus"))
    first = client.chat.completions.create(
        model="gpt-image", messages=[{"role": "user", "content": "a pear"}]
    )
    task_id = (first.model_extra or {})["task_id"]
    assert _pick_up(client, task_id, "gpt-image") == first.choices[0].message.content
    chunks = list(
        client.chat.completions.create(
            model="gpt-image",
            messages=[{"role": "user", "content": "x"}],
            stream=True,
            extra_body={"task_id": task_id},
        )
    )
    assert (
        "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        == first.choices[0].message.content
    )
    assert (chunks[0].model_extra or {})["task_id"] == task_id
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert sim.create_count() == 1


def test_a_failed_task_is_picked_up_with_its_error(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora
) -> None:
    gateway.add_account(sim.create_account("blocked@example.com", plan="chatgpt_plus"))
    sim.faults.add("/nf/create", "content_violation")
    stream, task_id = _start_video(client, "something blocked")
    list(stream)
    with pytest.raises(openai.BadRequestError) as info:
        _pick_up(client, task_id)
    assert info.value.code == "content_policy_violation"
    chunks = list(
        client.chat.completions.create(
            model=VIDEO_MODEL,
            messages=[{"role": "user", "content": "x"}],
            stream=True,
            extra_body={"task_id": task_id},
        )
    )
    assert chunks[-1].choices[0].finish_reason == "content_filter"


def test_pickup_is_for_the_owner_and_the_task_s_model(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora
) -> None:
    gateway.add_account(sim.create_account("owner@example.com", plan="chatgpt_plus"))
    done = client.chat.completions.create(model="gpt-image", messages=[{"role": "user", "content": "mine"}])
    task_id = (done.model_extra or {})["task_id"]
    out = io.StringIO()
    assert cli_main(["keys", "create", "other"], out=out, settings=gateway.settings) == 0
    other_key = out.getvalue().strip().splitlines()[-1]
    with openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=other_key, max_retries=0) as other:
        with pytest.raises(openai.NotFoundError) as info:
            _pick_up(other, task_id, "gpt-image")
    assert info.value.code == "task_not_found"
    with pytest.raises(openai.NotFoundError):
        _pick_up(client, "video_0123456789abcdef0123456789abcdef")
    with pytest.raises(openai.BadRequestError) as wrong:
        _pick_up(client, task_id, VIDEO_MODEL)
    assert wrong.value.param == "model"
    assert sim.create_count() == 1
