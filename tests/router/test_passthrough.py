"""The litellm passthrough against a local OpenAI-compatible stub (no network beyond 127.0.0.1)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from router.config import PassthroughSettings
from router.errors import (
    ConcurrencyLimitError,
    GatewayError,
    InvalidRequestError,
    ModelNotFoundError,
    UpstreamAuthError,
    UpstreamConnectionError,
    UpstreamError,
    UpstreamOverloadError,
    UpstreamRejectedError,
)
from router.passthrough import Passthrough
from tests.support.openai_stub import StubServer

REPO_ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "sk-stub-secret-0123456789"
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "lookup",
            "parameters": {"type": "object", "properties": {"text": {"type": "string"}}},
        },
    }
]


def entry(stub: StubServer, name: str, upstream: str, key: str = "sk-stub") -> dict[str, Any]:
    params = {"model": f"openai/{upstream}", "api_base": f"{stub.base_url}/v1", "api_key": key}
    return {"model_name": name, "litellm_params": params}


def make(stub: StubServer, *entries: dict[str, Any], **router_settings: Any) -> Passthrough:
    settings = PassthroughSettings(
        model_list=list(entries) or [entry(stub, "local-echo", "echo-model")],
        router_settings={"num_retries": 0, **router_settings},
    )
    return Passthrough(settings)


def chat(text: str, model: str = "local-echo", **params: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": text}], **params}


async def collect(passthrough: Passthrough, body: dict[str, Any]) -> list[dict[str, Any]]:
    return [chunk async for chunk in passthrough.stream(body)]


@pytest.fixture(scope="module")
def stub() -> Iterator[StubServer]:
    with StubServer() as server:
        yield server


@pytest.fixture
def fresh_stub(stub: StubServer) -> StubServer:
    stub.reset()
    return stub


@pytest.fixture
async def passthrough(fresh_stub: StubServer) -> AsyncIterator[Passthrough]:
    instance = make(fresh_stub)
    yield instance
    await instance.aclose()


def test_model_names_come_from_the_config_without_duplicates(stub: StubServer) -> None:
    passthrough = make(
        stub,
        entry(stub, "local-echo", "echo-model"),
        entry(stub, "other", "echo-model"),
        entry(stub, "local-echo", "echo-model", key="sk-second"),
    )
    assert passthrough.model_names() == ["local-echo", "other"]
    assert passthrough.has_model("other")
    assert not passthrough.has_model("sora-video-10s")


@pytest.mark.parametrize(
    "bad_entry",
    [
        {"litellm_params": {"model": "openai/x"}},
        {"model_name": "x"},
        {"model_name": "x", "litellm_params": {}},
    ],
)
def test_invalid_model_list_entries_are_rejected(bad_entry: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"passthrough\.model_list\[0\]"):
        Passthrough(PassthroughSettings(model_list=[bad_entry]))


async def test_complete_round_trip(passthrough: Passthrough, fresh_stub: StubServer) -> None:
    result = await passthrough.complete(chat("hello there", temperature=0.2, max_tokens=16))

    assert result["object"] == "chat.completion"
    assert result["model"] == "local-echo"
    assert result["choices"][0]["message"] == {"role": "assistant", "content": "echo: hello there"}
    assert result["choices"][0]["finish_reason"] == "stop"
    ChatCompletion.model_validate(result)
    (seen,) = fresh_stub.requests
    assert seen.authorization == "Bearer sk-stub"
    assert seen.body["model"] == "echo-model"
    assert seen.body["temperature"] == 0.2
    assert seen.body["max_tokens"] == 16
    assert os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] == "True"


async def test_stream_round_trip(passthrough: Passthrough, fresh_stub: StubServer) -> None:
    chunks = await collect(passthrough, chat("hello there", stream_options={"include_usage": True}))

    assert {chunk["id"] for chunk in chunks} == {chunks[0]["id"]}
    assert {chunk["model"] for chunk in chunks} == {"local-echo"}
    assert {chunk["object"] for chunk in chunks} == {"chat.completion.chunk"}
    text = "".join(c["delta"].get("content") or "" for chunk in chunks for c in chunk["choices"])
    assert text == "echo: hello there"
    finishes = [c["finish_reason"] for chunk in chunks for c in chunk["choices"] if c.get("finish_reason")]
    assert finishes == ["stop"]
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["total_tokens"] > 0
    for chunk in chunks:
        ChatCompletionChunk.model_validate(chunk)
    (seen,) = fresh_stub.requests
    assert seen.authorization == "Bearer sk-stub"
    assert seen.body["stream"] is True
    assert seen.body["stream_options"] == {"include_usage": True}


async def test_chat_parameters_and_tools_pass_through(
    passthrough: Passthrough, fresh_stub: StubServer
) -> None:
    tool_choice = {"type": "function", "function": {"name": "lookup"}}
    body = chat("find me", tools=TOOLS, tool_choice=tool_choice, seed=7, stop=["\n"], top_p=0.5)

    result = await passthrough.complete(body)

    choice = result["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    call = choice["message"]["tool_calls"][0]
    assert call["function"] == {"name": "lookup", "arguments": json.dumps({"text": "find me"})}
    ChatCompletion.model_validate(result)
    sent = fresh_stub.requests[-1].body
    assert sent["tools"] == TOOLS
    assert sent["tool_choice"] == tool_choice
    assert (sent["seed"], sent["stop"], sent["top_p"]) == (7, ["\n"], 0.5)


async def test_stream_tool_call(passthrough: Passthrough) -> None:
    tool_choice = {"type": "function", "function": {"name": "lookup"}}
    chunks = await collect(passthrough, chat("find me", tools=TOOLS, tool_choice=tool_choice))

    calls = [call for chunk in chunks for c in chunk["choices"] for call in c["delta"].get("tool_calls", [])]
    assert calls[0]["function"]["name"] == "lookup"
    assert "".join(call["function"].get("arguments", "") for call in calls) == json.dumps({"text": "find me"})
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


async def test_client_cannot_set_litellm_keywords(passthrough: Passthrough, fresh_stub: StubServer) -> None:
    """Unknown keys go upstream in the body; they never become litellm's api_base or api_key."""
    body = chat("hi", api_base="http://203.0.113.1/v1", api_key="sk-client", top_k=3)

    await passthrough.complete(body)

    (seen,) = fresh_stub.requests
    assert seen.authorization == "Bearer sk-stub"
    assert (seen.body["top_k"], seen.body["api_base"]) == (3, "http://203.0.113.1/v1")


async def test_concurrent_first_calls_share_one_router(passthrough: Passthrough) -> None:
    results = await asyncio.gather(*(passthrough.complete(chat(f"n{i}")) for i in range(3)))

    assert [r["choices"][0]["message"]["content"] for r in results] == ["echo: n0", "echo: n1", "echo: n2"]


async def test_unknown_model_and_bad_body(passthrough: Passthrough, fresh_stub: StubServer) -> None:
    with pytest.raises(ModelNotFoundError):
        await passthrough.complete(chat("hi", model="missing"))
    with pytest.raises(ModelNotFoundError):
        await collect(passthrough, chat("hi", model="missing"))
    with pytest.raises(InvalidRequestError):
        await passthrough.complete({"model": "local-echo", "messages": "hi"})
    assert fresh_stub.requests == []


@pytest.mark.parametrize("streamed", [False, True], ids=["complete", "stream"])
@pytest.mark.parametrize(
    ("upstream", "error_class", "status"),
    [
        ("fail-400", UpstreamRejectedError, 400),
        ("fail-422", UpstreamRejectedError, 400),
        ("fail-401", UpstreamAuthError, 502),
        ("fail-403", UpstreamAuthError, 502),
        ("fail-404", ModelNotFoundError, 404),
        ("fail-429", ConcurrencyLimitError, 429),
        ("fail-500", UpstreamError, 502),
        ("fail-503", UpstreamOverloadError, 503),
    ],
)
async def test_upstream_errors_map_to_gateway_errors(
    fresh_stub: StubServer, upstream: str, error_class: type[GatewayError], status: int, streamed: bool
) -> None:
    passthrough = make(fresh_stub, entry(fresh_stub, "broken", upstream, key=SECRET_KEY))
    try:
        with pytest.raises(GatewayError) as caught:
            if streamed:
                await collect(passthrough, chat("hi", model="broken"))
            else:
                await passthrough.complete(chat("hi", model="broken"))
    finally:
        await passthrough.aclose()

    assert type(caught.value) is error_class
    assert caught.value.status == status
    assert SECRET_KEY not in json.dumps(caught.value.to_dict())
    assert SECRET_KEY not in repr(caught.value)


async def test_upstream_401_message_is_redacted(fresh_stub: StubServer) -> None:
    passthrough = make(fresh_stub, entry(fresh_stub, "broken", "fail-401", key=SECRET_KEY))
    try:
        with pytest.raises(UpstreamAuthError) as caught:
            await passthrough.complete(chat("hi", model="broken"))
    finally:
        await passthrough.aclose()

    assert caught.value.message == "Incorrect API key provided: ***."
    assert caught.value.upstream_status == 401
    assert fresh_stub.requests[-1].authorization == f"Bearer {SECRET_KEY}"


async def test_error_after_first_chunk_is_raised_mid_stream(fresh_stub: StubServer) -> None:
    passthrough = make(fresh_stub, entry(fresh_stub, "flaky", "fail-midstream"))
    received: list[dict[str, Any]] = []
    try:
        with pytest.raises(UpstreamConnectionError, match="mid-stream"):
            async for chunk in passthrough.stream(chat("one two three", model="flaky")):
                received.append(chunk)
    finally:
        await passthrough.aclose()

    assert (
        "".join(c["delta"].get("content") or "" for chunk in received for c in chunk["choices"]) == "echo: "
    )


async def test_closing_a_stream_early_frees_it(passthrough: Passthrough) -> None:
    """A client disconnect closes the generator; the passthrough keeps working afterwards."""
    chunks = passthrough.stream(chat("one two three"))
    first = await anext(chunks)
    await chunks.aclose()

    result = await passthrough.complete(chat("after"))

    assert first["model"] == "local-echo"
    assert result["choices"][0]["message"]["content"] == "echo: after"


async def test_queued_fault_then_recovery(passthrough: Passthrough, fresh_stub: StubServer) -> None:
    fresh_stub.fail_next(429)
    with pytest.raises(ConcurrencyLimitError):
        await passthrough.complete(chat("hi"))

    result = await passthrough.complete(chat("again"))

    assert result["choices"][0]["message"]["content"] == "echo: again"


async def test_router_settings_reach_the_router(fresh_stub: StubServer) -> None:
    passthrough = make(fresh_stub, num_retries=1, retry_after=0)
    fresh_stub.fail_next(500)
    try:
        result = await passthrough.complete(chat("retried"))
    finally:
        await passthrough.aclose()

    assert result["choices"][0]["message"]["content"] == "echo: retried"
    assert len(fresh_stub.requests) == 2


IMPORT_CHECK = """
import asyncio, sys
from router.config import PassthroughSettings
from router.passthrough import Passthrough
entry = {"model_name": "local-echo", "litellm_params": {"model": "openai/echo-model", "api_key": "sk-stub"}}
configured = Passthrough(PassthroughSettings(model_list=[entry]))
assert configured.model_names() == ["local-echo"] and configured.has_model("local-echo")
asyncio.run(Passthrough(PassthroughSettings()).start())  # nothing configured: nothing imported
print(sorted(name for name in sys.modules if name.split(".")[0] == "litellm"))
"""

NETWORK_CHECK = """
import asyncio, json, os, sys
events = []
def audit(event, args):
    if event == "socket.connect":
        events.append(["connect", list(args[1]) if isinstance(args[1], tuple) else str(args[1])])
    elif event == "socket.getaddrinfo":
        events.append(["getaddrinfo", args[0]])
sys.addaudithook(audit)
from router.config import PassthroughSettings
from router.passthrough import Passthrough
from tests.support.openai_stub import StubServer

async def main(stub):
    params = {"model": "openai/echo-model", "api_base": stub.base_url + "/v1", "api_key": "sk-stub"}
    passthrough = Passthrough(PassthroughSettings(model_list=[{"model_name": "e", "litellm_params": params}]))
    body = {"model": "e", "messages": [{"role": "user", "content": "hi"}]}
    await passthrough.complete(body)
    [chunk async for chunk in passthrough.stream(body)]
    await passthrough.aclose()

with StubServer() as stub:
    port = int(stub.base_url.rsplit(":", 1)[1])
    asyncio.run(main(stub))
print(json.dumps({"port": port, "events": events, "litellm": "litellm" in sys.modules,
                  "cost_map": os.environ.get("LITELLM_LOCAL_MODEL_COST_MAP")}))
"""


def run_python(code: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LITELLM_")}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_importing_the_module_does_not_import_litellm() -> None:
    assert run_python(IMPORT_CHECK) == "[]"


def test_no_network_beyond_the_stub() -> None:
    report = json.loads(run_python(NETWORK_CHECK))

    assert report["litellm"] is True
    assert report["cost_map"] == "True"
    connects = [target for kind, target in report["events"] if kind == "connect"]
    lookups = {host for kind, host in report["events"] if kind == "getaddrinfo"}
    assert connects, "the audit hook saw no connection at all"
    assert all(target == ["127.0.0.1", report["port"]] for target in connects), connects
    assert lookups <= {"127.0.0.1"}, lookups
