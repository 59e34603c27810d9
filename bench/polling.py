"""Benchmark: upstream load of N concurrent videos over M accounts, against a per-task-polling baseline.

Both runs use the same Sora simulator, the same accounts and the same poll interval, one after the
other in one process run:

* gateway  — the real gateway as a subprocess (``sora2api serve``), driven through HTTP with the
  official OpenAI SDK: ``videos.create_and_poll`` on ``/v1/videos`` (``--surface videos``; the
  default when the gateway serves it) or chat completions (``--surface chat``); one poll per
  account per interval covers all of that account's tasks.
* baseline — the original's pattern, simulated with the gateway's own transport: every task polls
  ``/nf/pending/v2`` on its own each interval and reads the drafts once it has left the list.

Prints upstream requests per completed video and per minute for both, their ratio, and the
gateway's resident memory. Run: ``make bench`` (or ``python -m bench.polling --videos 24 --accounts 4``).
The client's own polls of ``GET /v1/videos/{id}`` reach the gateway only, never the upstream.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx
import openai

from router.config import UpstreamSettings
from router.sora.client import AccountCredentials, SoraSession, SoraTransport
from tests.fake_sora import FakeSora, FakeSoraServer, Timing
from tests.support.servers import free_port

API_KEY = "sk-bench"
POLL_PATHS = ("/nf/pending/v2", "/project_y/profile/drafts")


@dataclass
class Result:
    name: str
    surface: str
    videos: int
    seconds: float
    upstream_requests: int
    poll_requests: int

    @property
    def per_video(self) -> float:
        return self.upstream_requests / max(1, self.videos)

    @property
    def per_minute(self) -> float:
        return self.upstream_requests / self.seconds * 60


def _count(sim: FakeSora, since: int, paths: tuple[str, ...] | None = None) -> int:
    records = sim.records[since:]
    if paths is None:
        return len(records)
    return sum(1 for record in records if record.path.endswith(paths))


def _gateway_env(data: Path, upstream: FakeSoraServer, port: int, interval: float) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SORA2API_")}
    env.update(
        SORA2API_CONFIG=str(data / "absent.yaml"),
        SORA2API_DATA_DIR=str(data),
        SORA2API_DATABASE__URL=f"sqlite+aiosqlite:///{data / 'bench.db'}",
        SORA2API_SERVER__PORT=str(port),
        SORA2API_SERVER__LOG_LEVEL="warning",
        SORA2API_AUTH__API_KEYS=f'["{API_KEY}"]',
        SORA2API_AUTH__ADMIN_PASSWORD="bench-admin",
        SORA2API_UPSTREAM__SORA_BACKEND=upstream.backend_url,
        SORA2API_UPSTREAM__SORA_WEB=upstream.base_url,
        SORA2API_UPSTREAM__CHATGPT=upstream.base_url,
        SORA2API_UPSTREAM__OPENAI_AUTH=upstream.base_url,
        SORA2API_TASKS__POLL_INTERVAL=str(interval),
        SORA2API_POOL__WAIT_TIMEOUT="600",
    )
    return env


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _gateway_run(
    sim: FakeSora, upstream: FakeSoraServer, tokens: list[str], args: argparse.Namespace
) -> tuple[Result, float]:
    script = Path(sys.executable).parent / "sora2api"
    with TemporaryDirectory() as tmp:
        data = Path(tmp)
        port = free_port()
        env = _gateway_env(data, upstream, port, args.interval)
        for token in tokens:
            subprocess.run(
                [str(script), "tokens", "add", "--at", token], env=env, check=True, capture_output=True
            )
        server = subprocess.Popen([str(script), "serve"], env=env, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("gateway did not start")
                await asyncio.sleep(0.2)
            async with openai.AsyncOpenAI(
                base_url=f"{base}/v1", api_key=API_KEY, max_retries=0, timeout=600
            ) as client:
                surface = args.surface if args.surface != "auto" else await _surface(client)
                since = len(sim.records)
                started = time.monotonic()
                done = await (_videos if surface == "videos" else _chats)(client, args.videos)
            seconds = time.monotonic() - started
            rss = _rss_mib(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    result = Result("gateway", surface, done, seconds, _count(sim, since), _count(sim, since, POLL_PATHS))
    return result, rss


async def _surface(client: openai.AsyncOpenAI) -> str:
    """``videos`` when the gateway serves ``/v1/videos``, else ``chat``."""
    try:
        await client.videos.list(limit=1)
    except openai.NotFoundError:
        return "chat"
    return "videos"


async def _videos(client: openai.AsyncOpenAI, count: int) -> int:
    """``count`` videos through the Videos API (10 s landscape, as the baseline); how many completed."""
    videos = await asyncio.gather(
        *(
            client.videos.create_and_poll(
                model="sora-2", prompt=f"bench video {i}", seconds="8", size="1280x720"
            )
            for i in range(count)
        )
    )
    return sum(1 for video in videos if video.status == "completed")


async def _chats(client: openai.AsyncOpenAI, count: int) -> int:
    """``count`` videos through chat completions; how many completed."""
    results = await asyncio.gather(
        *(
            client.chat.completions.create(
                model="sora2-landscape-10s", messages=[{"role": "user", "content": f"bench video {i}"}]
            )
            for i in range(count)
        )
    )
    return sum(1 for r in results if "<video src=" in (r.choices[0].message.content or ""))


async def _per_task(session: SoraSession, index: int, interval: float) -> bool:
    body = {
        "kind": "video",
        "prompt": f"baseline video {index}",
        "orientation": "landscape",
        "size": "small",
        "n_frames": 300,
        "model": "sy_8",
        "inpaint_items": [],
        "style_id": None,
    }
    task_id = await session.create_video(body)
    while True:
        await asyncio.sleep(interval)
        if any(item.get("id") == task_id for item in await session.pending()):
            continue
        for draft in await session.drafts():
            if draft.get("task_id") == task_id:
                return bool(draft.get("downloadable_url") or draft.get("url"))


async def _baseline_run(
    sim: FakeSora, upstream: FakeSoraServer, tokens: list[str], args: argparse.Namespace
) -> Result:
    settings = UpstreamSettings(
        sora_backend=upstream.backend_url,
        sora_web=upstream.base_url,
        chatgpt=upstream.base_url,
        openai_auth=upstream.base_url,
    )
    async with SoraTransport(settings) as transport:
        sessions = [
            transport.session(AccountCredentials(account_id=i, access_token=t)) for i, t in enumerate(tokens)
        ]
        since = len(sim.records)
        started = time.monotonic()
        slots = [asyncio.Semaphore(3) for _ in sessions]

        async def one(index: int) -> bool:
            account = index % len(sessions)
            async with slots[account]:
                return await _per_task(sessions[account], index, args.interval)

        done = sum(await asyncio.gather(*(one(i) for i in range(args.videos))))
        seconds = time.monotonic() - started
    return Result(
        "baseline (per-task polling)",
        "direct",
        done,
        seconds,
        _count(sim, since),
        _count(sim, since, POLL_PATHS),
    )


def _report(gateway: Result, baseline: Result, rss: float, args: argparse.Namespace) -> None:
    out = sys.stdout
    out.write(
        f"{args.videos} videos over {args.accounts} accounts, poll interval {args.interval:g} s, "
        f"gateway driven through {'/v1/videos' if gateway.surface == 'videos' else '/v1/chat/completions'}\n"
    )
    header = ("run", "videos", "seconds", "upstream req", "poll req", "req/video", "req/min")
    out.write(f"{header[0]:<30}" + "".join(f"{h:>13}" for h in header[1:]) + "\n")
    for r in (baseline, gateway):
        out.write(
            f"{r.name:<30}{r.videos:>13}{r.seconds:>13.1f}{r.upstream_requests:>13}{r.poll_requests:>13}"
            f"{r.per_video:>13.1f}{r.per_minute:>13.0f}\n"
        )
    out.write(f"ratio gateway/baseline, requests per video: {gateway.per_video / baseline.per_video:.2f}\n")
    polls = gateway.poll_requests / max(1, baseline.poll_requests)
    out.write(f"ratio gateway/baseline, poll requests: {polls:.2f}\n")
    out.write(f"gateway RSS after the run: {rss:.0f} MiB\n")


async def main_async(args: argparse.Namespace) -> None:
    sim = FakeSora(timing=Timing().scaled(args.speed))
    with FakeSoraServer(sim) as upstream:
        tokens = [
            sim.create_account(f"bench{i}@example.com", plan="chatgpt_plus", quota=10_000).access_token
            for i in range(args.accounts)
        ]
        baseline = await _baseline_run(sim, upstream, tokens, args)
        gateway, rss = await _gateway_run(sim, upstream, tokens, args)
    _report(gateway, baseline, rss, args)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--videos", type=int, default=24)
    parser.add_argument("--accounts", type=int, default=4)
    parser.add_argument("--interval", type=float, default=0.5, help="poll interval in seconds (both runs)")
    parser.add_argument("--speed", type=float, default=4.0, help="simulator pace (videos take 20 s / speed)")
    parser.add_argument(
        "--surface",
        choices=("auto", "videos", "chat"),
        default="auto",
        help="how the gateway is driven (auto: /v1/videos when served, else chat completions)",
    )
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
