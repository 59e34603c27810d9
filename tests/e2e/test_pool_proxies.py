"""Proxies per call class, over real local proxies (HTTP and SOCKS5), and the sentinel modes.

Each proxy connects onward from its own loopback address, so the simulator's record of who called
(``Record.client``) says which proxy carried each call:

    127.0.0.1 direct · 127.0.0.2 global HTTP · 127.0.0.3 account SOCKS5 · 127.0.0.4 upload HTTP
    127.0.0.5 POW SOCKS5
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_sora import FakeSora, FakeSoraServer, Timing
from tests.support.pool_gateway import add, cli, image, pool_gateway, sdk, video
from tests.support.proxies import TestProxy


@pytest.fixture(autouse=True)
def _instant(sim: FakeSora) -> None:
    """Generations take milliseconds: these tests are about the pool, not progress."""
    sim.timing = Timing.instant()


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf000000030101009c6b5e1c0000000049454e44ae426082"
)
DIRECT, GLOBAL, ACCOUNT, UPLOAD, POW = "127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"


@pytest.fixture
def proxies() -> Iterator[dict[str, TestProxy]]:
    started = {
        "global": TestProxy("http", egress=GLOBAL),
        "account": TestProxy("socks5", egress=ACCOUNT, username="user", password="secret-pw"),
        "upload": TestProxy("http", egress=UPLOAD),
        "pow": TestProxy("socks5", egress=POW),
    }
    for proxy in started.values():
        proxy.start()
    try:
        yield started
    finally:
        for proxy in started.values():
            proxy.stop()


def egress(sim: FakeSora, path: str, account: str | None = None) -> set[str]:
    """The addresses that sent requests ending in ``path`` (for ``account``)."""
    return {
        (r.client or "").split(":")[0]
        for r in sim.records
        if r.path.endswith(path) and (account is None or r.account == account)
    }


def test_every_call_class_goes_through_its_proxy(
    tmp_path: Path, upstream: FakeSoraServer, sim: FakeSora, proxies: dict[str, TestProxy]
) -> None:
    upstream_settings = {
        "proxy": proxies["global"].url,
        "image_upload_proxy": proxies["upload"].url,
        "pow_proxy": proxies["pow"].url,
    }
    with pool_gateway(tmp_path, upstream, upstream=upstream_settings) as gateway, sdk(gateway) as client:
        socks = sim.create_account("socks@example.com", plan="chatgpt_plus")
        plain = sim.create_account("plain@example.com", plan="chatgpt_plus")
        add(gateway, socks, "--proxy", proxies["account"].url)
        add(gateway, plain, "--no-video")
        video(client)  # on the SOCKS5 account: plain has video off
        data_url = "data:image/png;base64," + base64.b64encode(PNG).decode()
        for _ in range(2):  # images: both accounts, each with a reference image to upload
            client.chat.completions.create(
                model="gpt-image",
                messages=[
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": "make it blue"},
                            {"type": "image_url", "image_url": {"url": data_url}},
                        ],
                    }
                ],
            )
    s, p = "socks@example.com", "plain@example.com"
    # the create goes through SOCKS5 too (the original's urllib create could not)
    assert egress(sim, "/nf/create", s) == {ACCOUNT}
    assert egress(sim, "/nf/pending/v2", s) <= {ACCOUNT} and egress(sim, "/project_y/profile/drafts", s) == {
        ACCOUNT
    }
    assert egress(sim, "/me", s) == {ACCOUNT} and egress(sim, "/nf/check", s) == {ACCOUNT}
    assert egress(sim, "/me", p) == {GLOBAL} and egress(sim, "/video_gen", p) == {GLOBAL}
    assert egress(sim, "/video_gen", s) == {ACCOUNT}
    assert egress(sim, "/v2/recent_tasks") == {ACCOUNT, GLOBAL}
    # uploads: the image-upload proxy comes first; the sentinel exchange: the POW proxy
    assert egress(sim, "/uploads") == {UPLOAD} and sim.count("/uploads") == 2
    assert egress(sim, "/backend-api/sentinel/req") == {POW}
    assert DIRECT not in {(r.client or "").split(":")[0] for r in sim.records}
    assert {c.how for c in proxies["account"].carried} == {"socks5"}
    assert proxies["global"].carried and proxies["upload"].carried and proxies["pow"].carried


def test_external_pow_service_through_the_pow_proxy_with_tokens(
    tmp_path: Path, upstream: FakeSoraServer, sim: FakeSora, proxies: dict[str, TestProxy]
) -> None:
    sentinel = {
        "mode": "external",
        "server_url": upstream.base_url,
        "api_key": sim.config.pow_service_key,
        "use_token_for_pow": True,
    }
    with (
        pool_gateway(
            tmp_path, upstream, sentinel=sentinel, upstream={"pow_proxy": proxies["pow"].url}
        ) as gateway,
        sdk(gateway) as client,
    ):
        creds = sim.create_account("pow@example.com", plan="chatgpt_plus")
        add(gateway, creds, "--st", creds.session_token)
        video(client)
        image(client)
    (call, *_) = sim.requests_to("/api/v1/sora/sentinel-token", "POST")
    assert call.body == {
        "device_type": "ios",
        "access_token": creds.access_token,
        "session_token": creds.session_token,
        "proxy_url": proxies["pow"].url,
    }
    assert call.header("authorization") == f"Bearer {sim.config.pow_service_key}"
    assert egress(sim, "/api/v1/sora/sentinel-token") == {POW}
    assert sim.count("/backend-api/sentinel/req") == 0
    (create,) = sim.requests_to("/nf/create", "POST")
    assert (
        create.status == 200
        and create.header(
            "cookie",
        )
        is not None
    )
    assert create.header("user-agent") == "Sora/1.2026.007 (iOS 18.3; iPhone17,2; build 2600700)"


def test_a_failing_pow_service_falls_back_to_the_local_sentinel(
    tmp_path: Path, upstream: FakeSoraServer, sim: FakeSora
) -> None:
    sentinel = {"mode": "external", "server_url": upstream.base_url, "api_key": "wrong-key"}
    with pool_gateway(tmp_path, upstream, sentinel=sentinel) as gateway, sdk(gateway) as client:
        add(gateway, sim.create_account("local@example.com", plan="chatgpt_plus"))
        video(client)
    assert [r.status for r in sim.requests_to("/api/v1/sora/sentinel-token")] == [401]
    assert sim.count("/backend-api/sentinel/req") == 1
    assert [r.status for r in sim.requests_to("/nf/create", "POST")] == [200]


def test_proxy_test_command(
    tmp_path: Path, upstream: FakeSoraServer, sim: FakeSora, proxies: dict[str, TestProxy]
) -> None:
    upstream_settings = {"proxy": proxies["global"].url, "pow_proxy": proxies["pow"].url}
    with pool_gateway(tmp_path, upstream, upstream=upstream_settings) as gateway:
        code, out, _ = cli(gateway, "proxy", "test")
        assert code == 0, out
        lines = out.splitlines()
        assert lines[0].startswith(
            f"ok  global http://127.0.0.1:{proxies['global'].port} → GET {upstream.base_url}"
        )
        assert lines[0].endswith(" s") and "HTTP 200" in lines[0]
        assert lines[1].startswith(f"ok  pow socks5://127.0.0.1:{proxies['pow'].port}")
        add(
            gateway,
            sim.create_account("p@example.com", plan="chatgpt_plus"),
            "--proxy",
            proxies["account"].url,
        )
        code, out, _ = cli(gateway, "proxy", "test", "--account", "1", "--url", f"{upstream.base_url}/")
        assert code == 0 and out.startswith(f"ok  account 1 socks5://127.0.0.1:{proxies['account'].port}")
        assert "secret-pw" not in out
        code, out, _ = cli(gateway, "proxy", "test", "--proxy", "http://user:pw@127.0.0.1:1")
        assert code == 1 and out.startswith("failed  given http://127.0.0.1:1") and "pw" not in out
        code, out, _ = cli(gateway, "proxy", "test", "--proxy", "ftp://127.0.0.1:1")
        assert code == 1 and "Unsupported proxy scheme" in out
    assert egress(sim, "/") >= {GLOBAL, POW, ACCOUNT}
