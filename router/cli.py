"""The ``sora2api`` command: serve the gateway, manage accounts and API keys."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from router.account_admin import AccountAdmin, NewAccount, describe_account
from router.config import Settings, load_settings
from router.errors import GatewayError
from router.sora.client import SoraTransport
from router.storage.accounts import AccountRepository
from router.storage.credentials import ApiKeyRepository
from router.storage.crypto import TokenCipher, load_or_create_key
from router.storage.db import Database


@dataclass
class CliContext:
    settings: Settings
    db: Database
    accounts: AccountAdmin
    keys: ApiKeyRepository
    out: TextIO


@asynccontextmanager
async def open_context(settings: Settings, out: TextIO) -> AsyncIterator[CliContext]:
    db = Database(settings.database.url, echo=settings.database.echo)
    await db.start()
    transport = SoraTransport(settings.upstream)
    try:
        cipher = TokenCipher(load_or_create_key(settings.data_dir, settings.database.encryption_key))
        repo = AccountRepository(db, cipher)
        yield CliContext(
            settings, db, AccountAdmin(repo, transport, settings.pool), ApiKeyRepository(db), out
        )
    finally:
        await transport.aclose()
        await db.close()


async def tokens_add(ctx: CliContext, args: argparse.Namespace) -> int:
    new = NewAccount(
        access_token=args.at,
        session_token=args.st,
        refresh_token=args.rt,
        client_id=args.client_id,
        proxy_url=args.proxy,
        remark=args.remark,
        image_enabled=not args.no_image,
        video_enabled=not args.no_video,
        image_concurrency=args.image_concurrency,
        video_concurrency=args.video_concurrency,
    )
    record = await ctx.accounts.add(new)
    ctx.out.write(f"added account {record.id}: {describe_account(record)}\n")
    return 0


async def tokens_list(ctx: CliContext, args: argparse.Namespace) -> int:
    records = await ctx.accounts.list()
    if not records:
        ctx.out.write("no accounts; add one with: sora2api tokens add --at <access token>\n")
    for record in records:
        ctx.out.write(f"{record.id:>4}  {describe_account(record)}\n")
    return 0


async def keys_create(ctx: CliContext, args: argparse.Namespace) -> int:
    record, key = await ctx.keys.create(args.name)
    ctx.out.write(f"API key {record.id} ({record.name}), shown once:\n{key}\n")
    return 0


async def keys_list(ctx: CliContext, args: argparse.Namespace) -> int:
    for record in await ctx.keys.list():
        state = "revoked" if record.revoked else "active"
        ctx.out.write(f"{record.id:>4}  {record.name}  {record.prefix}…  {state}\n")
    return 0


def serve(settings: Settings) -> int:
    import uvicorn

    from router.app import create_app

    sys.stderr.write(f"sora2api listening on http://{settings.server.host}:{settings.server.port}/v1\n")
    uvicorn.run(
        create_app(settings),
        host=settings.server.host,
        port=settings.server.port,
        log_level=settings.server.log_level,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sora2api", description="OpenAI-compatible gateway for Sora")
    parser.add_argument("--config", type=Path, help="YAML settings file (default config/sora2api.yaml)")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="start the gateway")
    serve_cmd.add_argument("--host")
    serve_cmd.add_argument("--port", type=int)

    tokens = commands.add_parser("tokens", help="manage Sora accounts").add_subparsers(
        dest="action", required=True
    )
    add = tokens.add_parser("add", help="add an account (checked against the upstream)")
    credentials = add.add_mutually_exclusive_group(required=True)
    credentials.add_argument("--at", help="access token (JWT)")
    credentials.add_argument("--st", help="session token (converted to an access token)")
    credentials.add_argument("--rt", help="refresh token (converted to an access token)")
    add.add_argument("--client-id", help="OAuth client id for the refresh token")
    add.add_argument("--proxy", help="per-account proxy URL (http://, socks5://)")
    add.add_argument("--remark", help="free text note")
    add.add_argument("--no-image", action="store_true", help="never use this account for images")
    add.add_argument("--no-video", action="store_true", help="never use this account for videos")
    add.add_argument("--image-concurrency", type=int, help="concurrent image tasks (-1 = unlimited)")
    add.add_argument("--video-concurrency", type=int, help="concurrent video tasks (-1 = unlimited)")
    add.set_defaults(run=tokens_add)
    tokens.add_parser("list", help="show the pool").set_defaults(run=tokens_list)

    keys = commands.add_parser("keys", help="manage API keys").add_subparsers(dest="action", required=True)
    create = keys.add_parser("create", help="create an API key (shown once)")
    create.add_argument("name")
    create.set_defaults(run=keys_create)
    keys.add_parser("list", help="list API keys").set_defaults(run=keys_list)
    return parser


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, settings: Settings | None = None
) -> int:
    args = build_parser().parse_args(argv)
    settings = settings or load_settings(args.config)
    if args.command == "serve":
        if args.host:
            settings.server.host = args.host
        if args.port:
            settings.server.port = args.port
        return serve(settings)
    command: Callable[[CliContext, argparse.Namespace], Awaitable[int]] = args.run
    stream = out or sys.stdout

    async def run() -> int:
        async with open_context(settings, stream) as ctx:
            return await command(ctx, args)

    try:
        return asyncio.run(run())
    except GatewayError as exc:
        sys.stderr.write(f"error: {exc.message}\n")
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
