"""Errors as OpenAI envelopes with the right status, before and during a stream."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

from tests.conftest import API_KEY, Gateway
from tests.fake_sora import FakeSora


def _envelope(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert body["error"]["message"]
    error: dict[str, Any] = body["error"]
    return error


def test_wrong_or_missing_api_key_is_401(gateway: Gateway) -> None:
    with openai.OpenAI(base_url=f"{gateway.url}/v1", api_key="sk-wrong", max_retries=0) as bad:
        with pytest.raises(openai.AuthenticationError) as info:
            bad.models.list()
    assert info.value.status_code == 401
    assert info.value.code == "invalid_api_key"
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer"}):
        response = httpx.get(f"{gateway.url}/v1/models", headers=headers)
        assert response.status_code == 401
        assert _envelope(response)["code"] == "invalid_api_key"
    response = httpx.post(f"{gateway.url}/v1/chat/completions", json={"model": "gpt-image"})
    assert response.status_code == 401  # auth is checked before the body


def test_models_list_has_every_model_of_the_original(client: openai.OpenAI) -> None:
    models = client.models.list().data
    ids = [model.id for model in models]
    assert len(ids) == len(set(ids))
    expected = {"gpt-image", "gpt-image-landscape", "gpt-image-portrait"}
    expected |= {f"sora2-{o}-{s}s" for o in ("landscape", "portrait") for s in (10, 15, 25)}
    expected |= {f"sora2pro-{o}-{s}s" for o in ("landscape", "portrait") for s in (10, 15, 25)}
    expected |= {f"sora2pro-hd-{o}-{s}s" for o in ("landscape", "portrait") for s in (10, 15)}
    expected |= {f"prompt-enhance-{lvl}-{s}s" for lvl in ("short", "medium", "long") for s in (10, 15, 20)}
    expected |= {"sora2-extension-10s", "sora2-extension-15s", "avatar-create"}
    assert expected <= set(ids)
    for model in models:
        assert model.object == "model"
        assert isinstance(model.created, int) and model.created > 0
        assert model.owned_by
    assert client.models.retrieve("gpt-image").id == "gpt-image"


def test_unknown_model_is_404_model_not_found(client: openai.OpenAI) -> None:
    for stream in (False, True):
        with pytest.raises(openai.NotFoundError) as info:
            client.chat.completions.create(
                model="no-such-model", messages=[{"role": "user", "content": "x"}], stream=stream
            )
        assert info.value.code == "model_not_found"
        assert info.value.param == "model"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("no-such-model")


@pytest.mark.parametrize(
    ("body", "param"),
    [
        (b"{not json", None),
        (b"[]", None),
        (b'{"model": "gpt-image"}', "messages"),
        (b'{"model": "gpt-image", "messages": []}', "messages"),
        (b'{"model": "gpt-image", "messages": [{"content": "x"}]}', "messages.0.role"),
        (
            b'{"model": "gpt-image", "messages": [{"role": "user", "content": "x"}], "stream": "maybe"}',
            "stream",
        ),
        (
            b'{"model": "gpt-image", "messages": [{"role": "user", "content": [{"type": "image_url"}]}]}',
            "messages[0].content[0].image_url",
        ),
        (b'{"model": "gpt-image", "messages": [{"role": "user", "content": "  "}]}', "messages"),
    ],
)
def test_malformed_bodies_are_400_envelopes(gateway: Gateway, body: bytes, param: str | None) -> None:
    response = httpx.post(
        f"{gateway.url}/v1/chat/completions",
        content=body,
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    error = _envelope(response)
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param


def test_pro_model_without_pro_account_is_a_clear_error_not_a_hang(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora
) -> None:
    gateway.add_account(sim.create_account("plus@example.com", plan="chatgpt_plus"))
    for model in ("sora2pro-landscape-10s", "sora2pro-hd-portrait-15s", "sora2-portrait-25s"):
        for stream in (False, True):
            with pytest.raises(openai.APIStatusError) as info:
                client.chat.completions.create(
                    model=model, messages=[{"role": "user", "content": "x"}], stream=stream, timeout=10
                )
            assert info.value.status_code == 503
            assert info.value.code == "no_account_for_plan"
            assert model in info.value.message
    assert sim.count("/nf/create", "POST") == 0


def test_no_account_at_all_is_a_clear_error(client: openai.OpenAI) -> None:
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(
            model="sora2-landscape-10s", messages=[{"role": "user", "content": "x"}]
        )
    assert info.value.status_code == 503
    assert info.value.code == "no_available_account"


def _raw_stream(gateway: Gateway, model: str) -> list[str]:
    with httpx.stream(
        "POST",
        f"{gateway.url}/v1/chat/completions",
        json={"model": model, "stream": True, "messages": [{"role": "user", "content": "a fox"}]},
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=60,
    ) as response:
        assert response.status_code == 200
        return [line for line in response.iter_lines() if line.startswith("data: ")]


def test_upstream_failure_during_a_stream_is_an_error_event_then_done(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora
) -> None:
    gateway.add_account(sim.create_account("fail@example.com", plan="chatgpt_plus"))
    sim.faults.add("/video_gen", "image_failed")
    lines = _raw_stream(gateway, "gpt-image")
    assert lines[-1] == "data: [DONE]"
    assert '"error"' in lines[-2] and "generation_failed" in lines[-2]

    sim.faults.add("/video_gen", "image_failed")
    with pytest.raises(openai.APIError) as info:
        list(
            client.chat.completions.create(
                model="gpt-image", messages=[{"role": "user", "content": "x"}], stream=True
            )
        )
    assert "Image generation failed" in info.value.message
    # the gateway stays healthy
    ok = client.chat.completions.create(model="gpt-image", messages=[{"role": "user", "content": "x"}])
    assert "Generated Image" in (ok.choices[0].message.content or "")


def test_upstream_failure_non_stream_keeps_its_status(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora
) -> None:
    gateway.add_account(sim.create_account("fail2@example.com", plan="chatgpt_plus"))
    sim.faults.add("/video_gen", "image_failed")
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(model="gpt-image", messages=[{"role": "user", "content": "x"}])
    assert info.value.status_code == 500
    assert info.value.code == "generation_failed"


def test_content_violation_reaches_the_client_with_the_reason(
    gateway: Gateway, client: openai.OpenAI, sim: FakeSora
) -> None:
    gateway.add_account(sim.create_account("cv@example.com", plan="chatgpt_plus"))
    sim.faults.add("/nf/create", "content_violation")
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(
            model="sora2-landscape-10s", messages=[{"role": "user", "content": "x"}]
        )
    assert info.value.code == "content_policy_violation"
    sim.faults.add("/nf/create", "content_violation")
    chunks = list(
        client.chat.completions.create(
            model="sora2-landscape-10s", messages=[{"role": "user", "content": "x"}], stream=True
        )
    )
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert content.startswith("❌ Generation failed: Content policy violation")
    assert chunks[-1].choices[0].finish_reason == "content_filter"


def test_secrets_never_reach_responses(gateway: Gateway, client: openai.OpenAI, sim: FakeSora) -> None:
    creds = sim.create_account("sec@example.com", plan="chatgpt_plus")
    output = gateway.add_account(creds)
    assert creds.access_token not in output
    sim.faults.add("/video_gen", "http_401", times=None)
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(model="gpt-image", messages=[{"role": "user", "content": "x"}])
    assert creds.access_token not in str(info.value.body)
    assert info.value.code == "token_invalid"
