"""Prometheus metrics on a registry owned by one app (no global registry, no duplicate series).

HTTP traffic is counted by a pure ASGI middleware; the pool's state (accounts by state, slots in
use) is read at scrape time by a collector, so nothing is recorded twice. Labels are bounded:
route templates, methods, status classes, kinds and states — never tokens, keys or prompts.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from router.pool.eligibility import LeaseKind
from router.pool.pool import AccountPool

LEASE_KINDS: tuple[LeaseKind, ...] = ("video", "image")


class GatewayMetrics:
    """Every metric of one gateway instance."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "gateway_http_requests",
            "HTTP requests served, by route template, method and status code",
            ("route", "method", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "gateway_http_request_seconds",
            "Time to the response headers, by route template",
            ("route",),
            registry=self.registry,
            buckets=(0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600),
        )

    def watch_pool(self, pool: AccountPool) -> None:
        self.registry.register(PoolCollector(pool))


class PoolCollector(Collector):
    """Accounts by state and slots in use by kind, read from the pool when scraped."""

    def __init__(self, pool: AccountPool) -> None:
        self._pool = pool

    def collect(self) -> Iterable[Metric]:
        now = datetime.now(UTC)
        states = GaugeMetricFamily("gateway_accounts", "Accounts in the pool by state", labels=("state",))
        counts = {"active": 0, "cooling_down": 0, "disabled": 0}
        slots = GaugeMetricFamily("gateway_account_slots_in_use", "Leased upstream slots", labels=("kind",))
        used = dict.fromkeys(LEASE_KINDS, 0)
        for record in self._pool.accounts():
            if record.status != "active":
                counts["disabled"] += 1
            elif record.cooldown_until is not None and record.cooldown_until > now:
                counts["cooling_down"] += 1
            else:
                counts["active"] += 1
            for kind in LEASE_KINDS:
                used[kind] += self._pool.in_flight(record.id, kind)
        for state, value in counts.items():
            states.add_metric([state], value)
        for kind, value in used.items():
            slots.add_metric([kind], value)
        yield states
        yield slots


class MetricsMiddleware:
    """Counts requests by route template (not raw path), method and status."""

    def __init__(self, app: ASGIApp, metrics: GatewayMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                self.metrics.latency.labels(_route_template(scope)).observe(time.perf_counter() - started)
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self.metrics.requests.labels(_route_template(scope), scope["method"], str(status)).inc()


def _route_template(scope: Scope) -> str:
    """The matched route's path template (the router records the route in the scope)."""
    route = scope.get("route")
    return str(getattr(route, "path", None) or "unmatched")
