from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.fake_sora import Credentials, FakeSora, FakeSoraServer, SimConfig, Timing

from .spec_client import SpecClient


@pytest.fixture(scope="session")
def server() -> Iterator[FakeSoraServer]:
    with FakeSoraServer(FakeSora(timing=Timing.instant())) as running:
        yield running


@pytest.fixture
def sim(server: FakeSoraServer) -> FakeSora:
    """The shared simulator, reset to spec defaults and instant timing for each test."""
    server.sim.config = SimConfig()
    server.sim.timing = Timing.instant()
    server.sim.reset()
    return server.sim


@pytest.fixture
def http(server: FakeSoraServer, sim: FakeSora) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=5) as client:
        yield client


@pytest.fixture
def account(sim: FakeSora) -> Credentials:
    return sim.create_account("alice@example.com", plan="chatgpt_pro")


@pytest.fixture
def alice(http: httpx.Client, account: Credentials) -> SpecClient:
    return SpecClient(http, account.access_token, account.session_token)


def error_of(response: httpx.Response) -> dict[str, object]:
    """The OpenAI error envelope's inner object (asserting the envelope's shape)."""
    body = response.json()
    assert set(body["error"]) >= {"message", "type", "param", "code"}, body
    error: dict[str, object] = body["error"]
    return error


@pytest.fixture
def png() -> bytes:
    """A real 1×1 PNG."""
    return bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cf000000030101009c6b5e1c0000000049454e44ae426082"
    )


def message_of(response: httpx.Response) -> str:
    return str(error_of(response)["message"])
