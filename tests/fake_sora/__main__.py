"""Run the simulator standalone: ``python -m tests.fake_sora --port 9100 --demo``."""

from __future__ import annotations

import argparse

import uvicorn

from .app import BACKEND_PREFIX, create_app
from .faults import quiet_drops
from .state import FakeSora
from .timing import SimConfig, Timing


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.fake_sora", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--demo", action="store_true", help="create a demo Pro account and print its tokens")
    parser.add_argument("--speed", type=float, default=1.0, help="divide every simulated duration by this")
    parser.add_argument("--difficulty", default="0fffff", help="sentinel PoW difficulty (hex)")
    parser.add_argument("--pow-key", default="fake-pow-key", help="API key of the POW-service stub")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    config = SimConfig(pow_difficulty=args.difficulty, pow_service_key=args.pow_key)
    sim = FakeSora(timing=Timing().scaled(args.speed), config=config)
    base = f"http://{args.host}:{args.port}"
    print(f"fake_sora on {base}")
    print(f"  sora_backend = {base}{BACKEND_PREFIX}")
    print(f"  sora_web = chatgpt = openai_auth = {base}")
    print(
        f"  POW service = {base} (key {args.pow_key!r}), parse server = {base} (token {config.parse_token!r})"
    )
    if args.demo:
        creds = sim.create_account("demo@example.com", plan="chatgpt_pro")
        print("demo account demo@example.com (chatgpt_pro)")
        print(f"  access token:  {creds.access_token}")
        print(f"  session token: {creds.session_token}")
        print(f"  refresh token: {creds.refresh_token}")
        print(f"  client id:     {creds.client_id}")
    quiet_drops()
    uvicorn.run(create_app(sim), host=args.host, port=args.port, log_level="info", lifespan="off")


if __name__ == "__main__":
    main()
