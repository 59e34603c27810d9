"""Prometheus metrics: per-app registry, route templates as labels, pool state, no secrets."""

from __future__ import annotations

import httpx
import openai
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Gateway
from tests.fake_sora import FakeSora


def _samples(gateway: Gateway) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(f"{gateway.url}/metrics").text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_count_requests_and_show_the_pool(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora
) -> None:
    creds = sim.create_account("m@example.com", plan="chatgpt_plus")
    gateway.add_account(creds)
    client.chat.completions.create(model="gpt-image", messages=[{"role": "user", "content": "a fox"}])
    client.models.list()
    samples = _samples(gateway)
    chat = (
        "gateway_http_requests_total",
        (("method", "POST"), ("route", "/v1/chat/completions"), ("status", "200")),
    )
    assert samples[chat] == 1
    assert samples[("gateway_accounts", (("state", "active"),))] == 1
    assert samples[("gateway_account_slots_in_use", (("kind", "image"),))] == 0
    text = httpx.get(f"{gateway.url}/metrics").text
    assert creds.access_token not in text and "m@example.com" not in text


def test_unknown_paths_share_one_label(gateway: Gateway) -> None:
    for path in ("/nope/1", "/nope/2"):
        assert httpx.get(f"{gateway.url}{path}").status_code == 404
    samples = _samples(gateway)
    assert (
        samples[
            ("gateway_http_requests_total", (("method", "GET"), ("route", "unmatched"), ("status", "404")))
        ]
        == 2
    )
