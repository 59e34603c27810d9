"""The webhook worker against a mock endpoint: delivery, retries with backoff, giving up, restarts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import timedelta

import httpx
import openai
import pytest

from router.config import WebhookSettings
from router.storage.db import Database
from router.storage.tasks import TaskRecord, TaskRepository
from router.webhooks.deliveries import DeliveryRecord, DeliveryRepository
from router.webhooks.dispatcher import WebhookDispatcher, backoff
from router.webhooks.events import WebhookEvent, event_for
from router.webhooks.signing import new_secret

SECRET = new_secret()
URL = "https://hooks.example/sora"


def _settings(**overrides: object) -> WebhookSettings:
    values: dict[str, object] = {
        "endpoints": [{"url": URL, "secret": SECRET}],
        "backoff_initial": 0.05,
        "max_attempts": 3,
    }
    values.update(overrides)
    return WebhookSettings.model_validate(values)


async def _finished_task(db: Database, status: str = "completed", kind: str = "video") -> TaskRecord:
    repo = TaskRepository(db)
    record = await repo.create(prefix=kind, kind=kind, model="m", params={})  # type: ignore[arg-type]
    return await repo.update(record.id, status=status)


async def _event(db: Database) -> WebhookEvent:
    event = event_for(await _finished_task(db, "failed"))
    assert event is not None
    return event


async def _one_delivery(
    db: Database, until: Callable[[DeliveryRecord], bool], timeout: float = 5.0
) -> DeliveryRecord:
    """The only delivery, once ``until`` holds for it."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        deliveries = await DeliveryRepository(db).list()
        if len(deliveries) == 1 and until(deliveries[0]):
            return deliveries[0]
        assert asyncio.get_running_loop().time() < deadline, f"timed out: {deliveries}"
        await asyncio.sleep(0.02)


class Endpoint:
    """A mock receiver answering with ``statuses`` in turn (then 200), recording every request."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.statuses.pop(0) if self.statuses else 200, text="nope")

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self))


def test_backoff_doubles_up_to_the_cap() -> None:
    settings = WebhookSettings(backoff_initial=5, backoff_max=30)
    assert [backoff(settings, n) for n in range(1, 6)] == [5, 10, 20, 30, 30]


async def test_a_finished_task_is_delivered_signed(db: Database) -> None:
    endpoint = Endpoint()
    dispatcher = WebhookDispatcher(_settings(), DeliveryRepository(db), http=endpoint.client())
    await dispatcher.start()
    try:
        task = await _finished_task(db)
        await dispatcher.task_finished(task)
        delivery = await _one_delivery(db, lambda d: d.status == "delivered")
    finally:
        await dispatcher.close()
    (request,) = endpoint.requests
    event = openai.OpenAI(api_key="x", webhook_secret=SECRET).webhooks.unwrap(
        request.content, dict(request.headers)
    )
    assert (event.type, event.data.id) == ("video.completed", task.id)
    assert event.id.startswith("evt_")
    assert json.loads(request.content)["object"] == "event"
    assert delivery.id == request.headers["webhook-id"]
    assert (delivery.attempts, delivery.last_status_code, delivery.next_attempt_at) == (1, 200, None)
    assert delivery.delivered_at is not None


async def test_failures_are_retried_with_the_same_id_then_given_up(db: Database) -> None:
    endpoint = Endpoint(500, 502, 503, 504)
    dispatcher = WebhookDispatcher(_settings(), DeliveryRepository(db), http=endpoint.client())
    await dispatcher.start()
    try:
        await dispatcher.task_finished(await _finished_task(db, "failed", "image"))
        delivery = await _one_delivery(db, lambda d: d.status == "failed")
        await asyncio.sleep(0.2)  # no fourth attempt: max_attempts is 3
    finally:
        await dispatcher.close()
    assert len(endpoint.requests) == 3
    assert len({r.headers["webhook-id"] for r in endpoint.requests}) == 1
    assert json.loads(endpoint.requests[0].content)["type"] == "image.failed"
    assert (delivery.attempts, delivery.last_status_code, delivery.last_error) == (3, 503, "HTTP 503: nope")


async def test_an_unreachable_endpoint_is_retried_later_and_a_new_worker_resumes(db: Database) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    settings = _settings(backoff_initial=60)
    refused = httpx.AsyncClient(transport=httpx.MockTransport(refuse))
    first = WebhookDispatcher(settings, DeliveryRepository(db), http=refused)
    await first.start()
    try:
        await first.task_finished(await _finished_task(db))
        delivery = await _one_delivery(db, lambda d: d.attempts == 1)
    finally:
        await first.close()
    assert delivery.status == "pending"
    assert delivery.last_error == "ConnectError: connection refused"
    assert delivery.next_attempt_at is not None and delivery.next_attempt_at > delivery.updated_at

    await DeliveryRepository(db).requeue(delivery.id)  # due now, as `sora2api webhooks retry` does
    endpoint = Endpoint()
    second = WebhookDispatcher(settings, DeliveryRepository(db), http=endpoint.client())
    await second.start()
    try:
        await _one_delivery(db, lambda d: d.status == "delivered")
    finally:
        await second.close()
    assert endpoint.requests[0].headers["webhook-id"] == delivery.id


async def test_event_filters_and_endpoints_removed_from_the_config(db: Database) -> None:
    endpoint = Endpoint()
    only_failures = _settings(endpoints=[{"url": URL, "secret": SECRET, "events": ["video.failed"]}])
    dispatcher = WebhookDispatcher(only_failures, DeliveryRepository(db), http=endpoint.client())
    await dispatcher.task_finished(await _finished_task(db, "completed"))
    assert await DeliveryRepository(db).list() == []

    await DeliveryRepository(db).add(await _event(db), ["https://gone.example/hook"])
    await dispatcher.start()
    try:
        gone = await _one_delivery(db, lambda d: d.status == "failed")
    finally:
        await dispatcher.close()
    assert (gone.attempts, gone.last_error) == (0, "the endpoint is no longer configured")
    assert endpoint.requests == []


async def test_a_claimed_delivery_is_not_claimed_twice(db: Database) -> None:
    repo = DeliveryRepository(db)
    await repo.add(await _event(db), [URL])
    first = await repo.claim_due(limit=10, hold=timedelta(seconds=60))
    second = await repo.claim_due(limit=10, hold=timedelta(seconds=60))
    assert len(first) == 1 and second == []


@pytest.mark.parametrize("kind", ["enhance", "character"])
async def test_tasks_without_events_send_nothing(db: Database, kind: str) -> None:
    dispatcher = WebhookDispatcher(_settings(), DeliveryRepository(db), http=Endpoint().client())
    await dispatcher.task_finished(await _finished_task(db, kind=kind))
    assert await DeliveryRepository(db).list() == []
    await dispatcher.close()
