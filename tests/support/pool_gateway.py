"""Helpers of the pool's end-to-end tests: a gateway with pool settings, the CLI in-process, chat calls."""

from __future__ import annotations

import contextlib
import io
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openai

from router.app import create_app
from router.cli import main as cli_main
from router.config import UpstreamSettings
from tests.conftest import API_KEY, Gateway, gateway_settings
from tests.fake_sora import Credentials, FakeSoraServer
from tests.support.servers import ThreadedServer

VIDEO_MODEL = "sora2-landscape-10s"
IMAGE_MODEL = "gpt-image"

#: pool settings that make the background jobs fast enough for tests
FAST_POOL: dict[str, Any] = {"wait_timeout": 10, "reload_interval": 0.2, "maintenance_interval": 0.2}


@contextlib.contextmanager
def pool_gateway(tmp_path: Path, server: FakeSoraServer, /, **overrides: Any) -> Iterator[Gateway]:
    """A gateway on a socket; ``pool`` and ``upstream`` overrides are merged into the test defaults."""
    overrides["pool"] = {**FAST_POOL, **overrides.get("pool", {})}
    upstream = UpstreamSettings(**{**hosts(server), **overrides.pop("upstream", {})})
    settings = gateway_settings(tmp_path, server, **overrides)
    settings.upstream = upstream
    with ThreadedServer(create_app(settings)) as server:
        yield Gateway(server=server, settings=settings)


def hosts(server: FakeSoraServer) -> dict[str, str]:
    """Every upstream host of the gateway pointed at the simulator."""
    return {
        "sora_backend": server.backend_url,
        "sora_web": server.base_url,
        "chatgpt": server.base_url,
        "openai_auth": server.base_url,
    }


@contextlib.contextmanager
def sdk(gateway: Gateway, timeout: float = 60) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(
        base_url=f"{gateway.url}/v1", api_key=API_KEY, max_retries=0, timeout=timeout
    ) as client:
        yield client


def cli(gateway: Gateway, *args: str) -> tuple[int, str, str]:
    """``sora2api <args>`` against the gateway's database: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        code = cli_main(list(args), out=out, settings=gateway.settings)
    return code, out.getvalue(), err.getvalue()


def add(gateway: Gateway, creds: Credentials, *extra: str, token: str = "--at") -> int:
    """Add an account with one of its tokens (``--at``, ``--st`` or ``--rt``); its id."""
    value = {"--at": creds.access_token, "--st": creds.session_token, "--rt": creds.refresh_token}[token]
    code, out, err = cli(gateway, "tokens", "add", token, value, *extra)
    assert code == 0, err
    return int(out.split("account ", 1)[1].split(":", 1)[0])


def settle(gateway: Gateway) -> None:
    """Give the running gateway time to reload the accounts table (``pool.reload_interval``)."""
    time.sleep(gateway.settings.pool.reload_interval * 2)


def accounts(gateway: Gateway) -> dict[str, dict[str, Any]]:
    """``tokens list --json`` by email."""
    code, out, err = cli(gateway, "tokens", "list", "--json")
    assert code == 0, err
    return {item["email"]: item for item in json.loads(out)}


def video(client: openai.OpenAI, prompt: str = "a fox in the snow", model: str = VIDEO_MODEL) -> str:
    result = client.chat.completions.create(model=model, messages=[{"role": "user", "content": prompt}])
    content = result.choices[0].message.content or ""
    assert "<video" in content, content
    return content


def image(client: openai.OpenAI, prompt: str = "a red apple") -> str:
    result = client.chat.completions.create(model=IMAGE_MODEL, messages=[{"role": "user", "content": prompt}])
    content = result.choices[0].message.content or ""
    assert "Generated Image" in content, content
    return content


def wait_for(check: Callable[[], bool], timeout: float = 10.0, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)
