"""Webhooks end to end: a task ends → a signed event reaches a receiver that verifies it with the SDK."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openai
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from router.app import create_app
from router.cli import main as cli_main
from router.config import Settings
from router.webhooks.signing import new_secret
from tests.conftest import Gateway, gateway_settings, sdk_client
from tests.fake_sora import FakeSora, FakeSoraServer
from tests.support.servers import ThreadedServer

SECRET = new_secret()


@dataclass
class Call:
    path: str
    headers: dict[str, str]
    body: bytes

    def event(self) -> Any:
        """The event, verified as a receiver would verify it."""
        return openai.OpenAI(api_key="unused", webhook_secret=SECRET).webhooks.unwrap(self.body, self.headers)


@dataclass
class Receiver:
    """A webhook receiver on a socket: answers with ``statuses`` in turn, then 200."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            self.calls.append(Call(request.url.path, dict(request.headers), await request.body()))
            return Response(status_code=self.statuses.pop(0) if self.statuses else 200)

        return Starlette(routes=[Route("/{name}", hook, methods=["POST"])])

    def on(self, path: str) -> list[Call]:
        return [call for call in self.calls if call.path == path]

    def wait(self, path: str, count: int, timeout: float = 10.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while len(self.on(path)) < count:
            assert time.monotonic() < deadline, f"{len(self.on(path))} of {count} calls on {path}"
            time.sleep(0.02)
        return self.on(path)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    with ThreadedServer(receiver.app(), name="receiver") as server:
        receiver.url = server.base_url
        yield receiver


def _webhooks(receiver: Receiver, **options: object) -> dict[str, object]:
    return {
        "endpoints": [
            {"url": f"{receiver.url}/hook", "secret": SECRET},
            {"url": f"{receiver.url}/failures", "secret": SECRET, "events": ["video.failed", "image.failed"]},
        ],
        "backoff_initial": 0.1,
        **options,
    }


def _deliveries(settings: Settings, *args: str) -> list[dict[str, Any]]:
    out = io.StringIO()
    assert cli_main(["webhooks", "list", "--json", *args], out=out, settings=settings) == 0
    rows: list[dict[str, Any]] = json.loads(out.getvalue())
    return rows


def _task_id(completion: Any) -> str:
    task_id: str = (completion.model_extra or {})["task_id"]
    return task_id


def _generate(client: openai.OpenAI, model: str, prompt: str) -> str:
    completion = client.chat.completions.create(model=model, messages=[{"role": "user", "content": prompt}])
    return _task_id(completion)


def test_finished_videos_and_images_send_signed_events(
    make_gateway: Callable[..., Gateway], sim: FakeSora, receiver: Receiver
) -> None:
    gateway = make_gateway(webhooks=_webhooks(receiver))
    gateway.add_account(sim.create_account("hooks@example.com", plan="chatgpt_plus"))
    with sdk_client(gateway) as client:
        video = _generate(client, "sora2-landscape-10s", "a kite")
        image = _generate(client, "gpt-image", "a pear")
    events = {(event.type, event.data.id) for event in (call.event() for call in receiver.wait("/hook", 2))}
    assert events == {("video.completed", video), ("image.completed", image)}
    first = receiver.on("/hook")[0]
    body = json.loads(first.body)
    assert set(body) == {"id", "object", "created_at", "type", "data"} and body["object"] == "event"
    assert body["id"].startswith("evt_") and first.headers["webhook-id"].startswith("wh_")
    assert receiver.on("/failures") == []  # that endpoint only wants failures
    rows = _deliveries(gateway.settings)
    assert {(row["task_id"], row["status"], row["attempts"]) for row in rows} == {
        (video, "delivered", 1),
        (image, "delivered", 1),
    }


def test_a_failed_video_sends_video_failed_to_every_endpoint_that_wants_it(
    make_gateway: Callable[..., Gateway], sim: FakeSora, receiver: Receiver
) -> None:
    gateway = make_gateway(webhooks=_webhooks(receiver))
    gateway.add_account(sim.create_account("hookfail@example.com", plan="chatgpt_plus"))
    sim.faults.add("/nf/create", "content_violation")
    with sdk_client(gateway) as client, pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(
            model="sora2-landscape-10s", messages=[{"role": "user", "content": "x"}]
        )
    assert info.value.code == "content_policy_violation"
    for path in ("/hook", "/failures"):
        (call,) = receiver.wait(path, 1)
        assert call.event().type == "video.failed"


def test_a_failed_delivery_is_retried_with_backoff_under_the_same_id(
    make_gateway: Callable[..., Gateway], sim: FakeSora, receiver: Receiver
) -> None:
    receiver.statuses = [500, 503]
    gateway = make_gateway(webhooks=_webhooks(receiver))
    gateway.add_account(sim.create_account("retry@example.com", plan="chatgpt_plus"))
    with sdk_client(gateway) as client:
        task_id = _generate(client, "gpt-image", "a plum")
    calls = receiver.wait("/hook", 3)
    assert len({call.headers["webhook-id"] for call in calls}) == 1
    assert all(call.event().data.id == task_id for call in calls)  # every attempt signed anew and valid
    deadline = time.monotonic() + 5
    while (row := _deliveries(gateway.settings, "--task", task_id)[0])["status"] != "delivered":
        assert time.monotonic() < deadline, row
        time.sleep(0.02)
    assert (row["attempts"], row["last_status_code"]) == (3, 200)
    assert row["last_error"] == "HTTP 503: "  # the last failure stays on record


def test_delivery_state_is_listed_and_exhausted_deliveries_fail(
    make_gateway: Callable[..., Gateway], sim: FakeSora, receiver: Receiver
) -> None:
    receiver.statuses = [503] * 10
    gateway = make_gateway(webhooks=_webhooks(receiver, max_attempts=2))
    gateway.add_account(sim.create_account("state@example.com", plan="chatgpt_plus"))
    with sdk_client(gateway) as client:
        task_id = _generate(client, "gpt-image", "a fig")
    receiver.wait("/hook", 2)
    deadline = time.monotonic() + 5
    while (row := _deliveries(gateway.settings)[0])["status"] != "failed":
        assert time.monotonic() < deadline, row
        time.sleep(0.02)
    assert (row["task_id"], row["event_type"], row["attempts"], row["last_status_code"]) == (
        task_id,
        "image.completed",
        2,
        503,
    )
    assert _deliveries(gateway.settings, "--status", "pending") == []
    out = io.StringIO()
    assert cli_main(["webhooks", "list"], out=out, settings=gateway.settings) == 0
    assert f"{row['id']}  image.completed  {task_id}  failed  attempts: 2  last: HTTP 503" in out.getvalue()
    out = io.StringIO()
    assert cli_main(["webhooks", "retry", row["id"]], out=out, settings=gateway.settings) == 0
    assert _deliveries(gateway.settings, "--status", "pending")[0]["id"] == row["id"]


def test_pending_deliveries_survive_a_restart(
    tmp_path: Path, upstream: FakeSoraServer, sim: FakeSora, receiver: Receiver
) -> None:
    receiver.statuses = [503]
    settings = gateway_settings(tmp_path, upstream, webhooks=_webhooks(receiver, backoff_initial=1.0))
    with ThreadedServer(create_app(settings)) as server:
        gateway = Gateway(server=server, settings=settings)
        gateway.add_account(sim.create_account("later@example.com", plan="chatgpt_plus"))
        with sdk_client(gateway) as client:
            task_id = _generate(client, "gpt-image", "a quince")
        receiver.wait("/hook", 1)
    (row,) = _deliveries(settings)
    assert (row["status"], row["attempts"]) == ("pending", 1)
    with ThreadedServer(create_app(settings)):
        (_, second) = receiver.wait("/hook", 2)
    assert second.event().data.id == task_id
    assert second.headers["webhook-id"] == row["id"]
