"""The ``sora2api`` console script, run as an operator would, against the simulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.fake_sora import FakeSora, FakeSoraServer

SCRIPT = Path(sys.executable).parent / "sora2api"


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def _env(tmp_path: Path, upstream: FakeSoraServer) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SORA2API_")}
    env.update(
        SORA2API_DATA_DIR=str(tmp_path / "data"),
        SORA2API_DATABASE__URL=f"sqlite+aiosqlite:///{tmp_path / 'data' / 'cli.db'}",
        SORA2API_UPSTREAM__SORA_BACKEND=upstream.backend_url,
        SORA2API_UPSTREAM__SORA_WEB=upstream.base_url,
        SORA2API_UPSTREAM__CHATGPT=upstream.base_url,
        SORA2API_UPSTREAM__OPENAI_AUTH=upstream.base_url,
        SORA2API_CONFIG=str(tmp_path / "absent.yaml"),
    )
    return env


def test_tokens_add_checks_the_account_upstream_and_stores_it(
    tmp_path: Path, upstream: FakeSoraServer, sim: FakeSora
) -> None:
    env = _env(tmp_path, upstream)
    creds = sim.create_account("cli@example.com", plan="chatgpt_pro", quota=17)
    added = _run(["tokens", "add", "--at", creds.access_token], env, tmp_path)
    assert added.returncode == 0, added.stderr
    assert "cli@example.com" in added.stdout and "chatgpt_pro" in added.stdout
    assert creds.access_token not in added.stdout + added.stderr
    for path in ("/me", "/billing/subscriptions", "/project_y/invite/mine", "/nf/check"):
        assert sim.requests_to(path, "GET"), path

    listed = _run(["tokens", "list"], env, tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "cli@example.com" in listed.stdout
    assert "sora2: yes" in listed.stdout and "videos left: 17" in listed.stdout
    assert creds.access_token not in listed.stdout

    again = _run(["tokens", "add", "--at", creds.access_token], env, tmp_path)
    assert again.returncode == 1
    assert "already" in again.stderr.lower() or "duplicate" in again.stderr.lower()


def test_tokens_add_rejects_a_bad_token_with_a_reason(tmp_path: Path, upstream: FakeSoraServer) -> None:
    result = _run(["tokens", "add", "--at", "not-a-jwt"], _env(tmp_path, upstream), tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr


def test_keys_create_shows_the_key_once(tmp_path: Path, upstream: FakeSoraServer) -> None:
    env = _env(tmp_path, upstream)
    created = _run(["keys", "create", "my-app"], env, tmp_path)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("sk-s2a-")
    listed = _run(["keys", "list"], env, tmp_path)
    assert "my-app" in listed.stdout and key not in listed.stdout
