"""The webhook worker the app lifespan owns: store a delivery when a task ends, send it, retry it.

:meth:`WebhookDispatcher.task_finished` is the task engine's finish listener: it stores one
pending delivery per endpoint that wants the event and wakes the worker. The worker sends every
due delivery, signed anew per attempt (:mod:`router.webhooks.signing`); a 2xx answer is a
success; anything else (another status, a timeout, a refused connection) is retried after
``backoff_initial`` seconds, doubling up to ``backoff_max``, until ``max_attempts`` attempts are
used and the delivery is marked failed. Pending deliveries live in the database, so a restart
resumes them. This module is the boundary for webhook HTTP: it alone catches ``httpx`` errors
here and turns them into the delivery's ``last_error``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import httpx

from router.config import WebhookEndpoint, WebhookSettings
from router.storage.tasks import TaskRecord
from router.storage.timestamps import utcnow
from router.webhooks.deliveries import DeliveryRecord, DeliveryRepository
from router.webhooks.events import EVENT_TYPES, event_for
from router.webhooks.signing import signed_headers

logger = logging.getLogger(__name__)

#: deliveries sent at once
BATCH = 16
#: seconds the worker sleeps at most when nothing is due (it also picks up retries set by the CLI
#: and by other gateway processes)
IDLE_SECONDS = 30.0
#: seconds a claimed delivery stays held beyond its attempt's timeout
HOLD_MARGIN = 30.0
#: characters of an endpoint's error answer kept in ``last_error``
ERROR_EXCERPT = 200


def backoff(settings: WebhookSettings, attempts: int) -> float:
    """Seconds to wait before the next attempt, after ``attempts`` failed ones (1, 2, …)."""
    return float(min(settings.backoff_max, settings.backoff_initial * 2.0 ** max(0, attempts - 1)))


class WebhookDispatcher:
    def __init__(
        self, settings: WebhookSettings, repo: DeliveryRepository, *, http: httpx.AsyncClient | None = None
    ) -> None:
        self._settings = settings
        self._repo = repo
        self._http = http or httpx.AsyncClient(trust_env=False, follow_redirects=False)
        self._endpoints = {endpoint.url: endpoint for endpoint in settings.endpoints}
        self._wake = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._worker = asyncio.create_task(self._run(), name="webhooks")

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
        await self._http.aclose()

    async def task_finished(self, record: TaskRecord) -> None:
        """Store the deliveries of ``record``'s event (the engine's finish listener)."""
        event = event_for(record)
        if event is None:
            return
        urls = [endpoint.url for endpoint in self._settings.endpoints if _wants(endpoint, event.type)]
        if await self._repo.add(event, urls):
            self._wake.set()

    # -- the worker ------------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            try:
                await self._work()
            except asyncio.CancelledError:
                raise
            except Exception:  # e.g. the database was busy: keep the worker alive, try again soon
                logger.exception("webhook worker failed; retrying")
                await asyncio.sleep(1.0)

    async def _work(self) -> None:
        hold = timedelta(seconds=self._settings.timeout + HOLD_MARGIN)
        while True:
            self._wake.clear()  # before looking, so a wake-up during the look is not lost
            batch = await self._repo.claim_due(limit=BATCH, hold=hold)
            if batch:
                await asyncio.gather(*(self._deliver(delivery) for delivery in batch))
                continue
            due = await self._repo.next_due()
            wait = IDLE_SECONDS if due is None else (due - utcnow()).total_seconds()
            try:
                await asyncio.wait_for(self._wake.wait(), min(max(wait, 0.0), IDLE_SECONDS))
            except TimeoutError:
                pass

    async def _deliver(self, delivery: DeliveryRecord) -> None:
        endpoint = self._endpoints.get(delivery.endpoint_url)
        if endpoint is None:
            await self._repo.failed(
                delivery.id, None, "the endpoint is no longer configured", attempted=False
            )
            return
        headers = signed_headers(endpoint.secret, delivery.id, delivery.payload)
        status_code: int | None = None
        try:
            response = await self._http.post(
                endpoint.url,
                content=delivery.payload.encode(),
                headers=headers,
                timeout=self._settings.timeout,
            )
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        else:
            status_code = response.status_code
            if response.is_success:
                await self._repo.delivered(delivery.id, status_code)
                return
            error = f"HTTP {status_code}: {response.text[:ERROR_EXCERPT]}"
        attempts = delivery.attempts + 1
        if attempts >= self._settings.max_attempts:
            logger.warning("webhook %s to %s failed for good: %s", delivery.id, endpoint.url, error)
            await self._repo.failed(delivery.id, status_code, error)
            return
        retry_at = utcnow() + timedelta(seconds=backoff(self._settings, attempts))
        await self._repo.retry_at(delivery.id, retry_at, status_code, error)


def _wants(endpoint: WebhookEndpoint, event_type: str) -> bool:
    return event_type in (endpoint.events or EVENT_TYPES)
