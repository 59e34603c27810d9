"""Shared fixtures: the Sora simulator on a socket, a gateway on a socket, the official OpenAI SDK."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import openai
import pytest

from router.app import create_app
from router.cli import main as cli_main
from router.config import Settings
from tests.fake_sora import Credentials, FakeSora, FakeSoraServer, Timing
from tests.support.servers import ThreadedServer

API_KEY = "sk-test-gateway-key"


@pytest.fixture
def sim() -> FakeSora:
    return FakeSora(timing=Timing.fast())


@pytest.fixture
def upstream(sim: FakeSora) -> Iterator[FakeSoraServer]:
    with FakeSoraServer(sim) as server:
        yield server
    sim.assert_no_violations()


def gateway_settings(data_dir: Path, upstream: FakeSoraServer, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "database": {"url": f"sqlite+aiosqlite:///{data_dir / 'gateway.db'}"},
        "auth": {"api_keys": [API_KEY], "admin_password": "test-admin-password"},
        "upstream": {
            "sora_backend": upstream.backend_url,
            "sora_web": upstream.base_url,
            "chatgpt": upstream.base_url,
            "openai_auth": upstream.base_url,
        },
        "tasks": {"poll_interval": 0.1, "image_timeout": 20, "video_timeout": 30},
        "pool": {"wait_timeout": 5},
        "plugins": {"load_entry_points": False},
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(tmp_path: Path, upstream: FakeSoraServer) -> Settings:
    return gateway_settings(tmp_path, upstream)


@dataclass
class Gateway:
    server: ThreadedServer
    settings: Settings

    @property
    def url(self) -> str:
        return self.server.base_url

    def add_account(self, creds: Credentials, *extra: str) -> str:
        """``sora2api tokens add --at …`` against this gateway's database; returns the CLI output."""
        out = io.StringIO()
        code = cli_main(
            ["tokens", "add", "--at", creds.access_token, *extra], out=out, settings=self.settings
        )
        assert code == 0, out.getvalue()
        return out.getvalue()


@pytest.fixture
def gateway(settings: Settings) -> Iterator[Gateway]:
    with ThreadedServer(create_app(settings)) as server:
        yield Gateway(server=server, settings=settings)


@pytest.fixture
def make_gateway(tmp_path: Path, upstream: FakeSoraServer) -> Iterator[Callable[..., Gateway]]:
    """``make_gateway(**overrides)``: a gateway built from ``gateway_settings(..., **overrides)``."""
    with ExitStack() as stack:

        def make(**overrides: object) -> Gateway:
            settings = gateway_settings(tmp_path, upstream, **overrides)
            server = stack.enter_context(ThreadedServer(create_app(settings)))
            return Gateway(server=server, settings=settings)

        yield make


def sdk_client(gateway: Gateway) -> openai.OpenAI:
    """The official SDK pointed at ``gateway`` (close it, or use it in ``with``)."""
    return openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=API_KEY, max_retries=0, timeout=60)


@pytest.fixture
def client(gateway: Gateway) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=API_KEY, max_retries=0, timeout=60) as sdk:
        yield sdk
