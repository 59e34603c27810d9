"""Models no plugin serves, configured as litellm model_list entries, proxied through the gateway."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from router.app import create_app
from tests.conftest import API_KEY, gateway_settings
from tests.fake_sora import FakeSoraServer
from tests.support.openai_stub import StubServer
from tests.support.servers import ThreadedServer


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with StubServer() as server:
        yield server


@pytest.fixture
def passthrough_client(tmp_path: Path, upstream: FakeSoraServer, stub: StubServer) -> Iterator[openai.OpenAI]:
    settings = gateway_settings(
        tmp_path,
        upstream,
        passthrough={
            "model_list": [
                {
                    "model_name": "local-echo",
                    "litellm_params": {
                        "model": "openai/echo-model",
                        "api_base": f"{stub.base_url}/v1",
                        "api_key": "sk-upstream-secret",
                    },
                }
            ],
            "router_settings": {"num_retries": 0},
        },
    )
    with ThreadedServer(create_app(settings)) as server:
        with openai.OpenAI(base_url=f"{server.base_url}/v1", api_key=API_KEY, max_retries=0) as client:
            yield client


def test_passthrough_model_is_listed_and_answers(passthrough_client: openai.OpenAI, stub: StubServer) -> None:
    assert "local-echo" in {model.id for model in passthrough_client.models.list().data}
    answer = passthrough_client.chat.completions.create(
        model="local-echo", messages=[{"role": "user", "content": "hello"}], temperature=0.2
    )
    assert answer.model == "local-echo"
    assert answer.choices[0].message.content == "echo: hello"
    (seen,) = stub.requests
    assert seen.authorization == "Bearer sk-upstream-secret"
    assert seen.body["temperature"] == 0.2


def test_passthrough_streams(passthrough_client: openai.OpenAI) -> None:
    chunks = list(
        passthrough_client.chat.completions.create(
            model="local-echo", messages=[{"role": "user", "content": "streamed"}], stream=True
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "echo: streamed"
    assert len({c.id for c in chunks}) == 1
    assert {c.model for c in chunks} == {"local-echo"}


def test_passthrough_upstream_error_is_an_envelope_without_secrets(
    passthrough_client: openai.OpenAI, stub: StubServer
) -> None:
    stub.fail_next(500)
    with pytest.raises(openai.APIStatusError) as info:
        passthrough_client.chat.completions.create(
            model="local-echo", messages=[{"role": "user", "content": "x"}]
        )
    assert info.value.status_code == 502
    assert "sk-upstream-secret" not in str(info.value.body)
