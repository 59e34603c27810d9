"""``make demo``: the Sora simulator on :9100 plus the gateway on :8000 with a demo Pro account.

Everything lives under ``data/demo`` (its own database), the API key is ``sk-demo``, and the
simulator runs at a pace where a video takes about ten seconds, so the README's examples can be
pasted as they are.
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
from pathlib import Path

from router.cli import main as cli_main
from router.cli import serve
from router.config import load_settings
from tests.fake_sora import FakeSora, FakeSoraServer, Timing

DEMO_KEY = "sk-demo"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000, help="gateway port")
    parser.add_argument("--sim-port", type=int, default=9100, help="simulator port")
    parser.add_argument(
        "--speed", type=float, default=2.0, help="simulator pace (2.0 = twice its default pace)"
    )
    args = parser.parse_args()

    data_dir = Path("data/demo")
    shutil.rmtree(data_dir, ignore_errors=True)
    sim = FakeSora(timing=Timing().scaled(args.speed))
    upstream = FakeSoraServer(sim, port=args.sim_port).start()
    creds = sim.create_account("demo@example.com", plan="chatgpt_pro", quota=100)
    with sim.lock:  # sample inputs for the README's image-to-image and character examples
        sim.media.add("sample.png")
        sim.media.add("sample.mp4")
    settings = load_settings(
        None,
        data_dir=data_dir,
        server={"port": args.port},
        database={"url": f"sqlite+aiosqlite:///{data_dir / 'sora2api.db'}"},
        auth={"api_keys": [DEMO_KEY], "admin_password": "demo-admin"},
        upstream={
            "sora_backend": upstream.backend_url,
            "sora_web": upstream.base_url,
            "chatgpt": upstream.base_url,
            "openai_auth": upstream.base_url,
        },
        tasks={"poll_interval": 1.0},
        # the demo's sample media live on the loopback simulator, which the SSRF guard refuses by default
        media={"allow_private_urls": True},
    )
    out = io.StringIO()
    if cli_main(["tokens", "add", "--at", creds.access_token], out=out, settings=settings) != 0:
        sys.stderr.write(out.getvalue())
        return 1
    sys.stderr.write(
        f"demo: Sora simulator on {upstream.base_url}, demo account {creds.email} added\n"
        f"demo: API key {DEMO_KEY}; try: curl -s http://127.0.0.1:{args.port}/v1/models "
        f'-H "Authorization: Bearer {DEMO_KEY}"\n'
    )
    try:
        return serve(settings)
    finally:
        upstream.stop()


if __name__ == "__main__":
    raise SystemExit(main())
