"""The ``sora2api`` command: serve the gateway, manage accounts, API keys and proxies.

Nothing printed here ever contains a token, a cookie or a proxy password.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from router.account_admin import AccountAdmin, ImportLine, NewAccount, account_state, describe_account
from router.account_import import IMPORT_KINDS
from router.config import Settings, load_settings
from router.errors import GatewayError, InvalidRequestError, UpstreamError
from router.pool.upkeep import UpkeepResult
from router.sora.client import SoraTransport
from router.sora.http import CallClass, proxy_label, resolve_proxy
from router.storage.accounts import AccountRecord, AccountRepository
from router.storage.credentials import ApiKeyRepository
from router.storage.crypto import TokenCipher, load_or_create_key
from router.storage.db import Database
from router.storage.tasks import TaskRepository
from router.webhooks.deliveries import STATUSES as DELIVERY_STATUSES
from router.webhooks.deliveries import DeliveryRepository
from router.webhooks.signing import new_secret

#: accounts renewed or tested at once by ``--all``
ALL_PARALLEL = 4


@dataclass
class CliContext:
    settings: Settings
    db: Database
    accounts: AccountAdmin
    keys: ApiKeyRepository
    out: TextIO
    transport: SoraTransport | None = None


@asynccontextmanager
async def open_context(settings: Settings, out: TextIO) -> AsyncIterator[CliContext]:
    db = Database(settings.database.url, echo=settings.database.echo)
    await db.start()
    transport = SoraTransport(settings.upstream, sentinel_settings=settings.sentinel)
    try:
        cipher = TokenCipher(load_or_create_key(settings.data_dir, settings.database.encryption_key))
        repo = AccountRepository(db, cipher)
        admin = AccountAdmin(repo, transport, settings.pool, tasks=TaskRepository(db))
        yield CliContext(settings, db, admin, ApiKeyRepository(db), out, transport)
    finally:
        await transport.aclose()
        await db.close()


# -- tokens ------------------------------------------------------------------------------------


def _options(args: argparse.Namespace) -> NewAccount:
    """The per-account options shared by ``tokens add`` and ``tokens import``."""
    return NewAccount(
        client_id=args.client_id,
        proxy_url=args.proxy,
        remark=args.remark,
        image_enabled=False if args.no_image else None,
        video_enabled=False if args.no_video else None,
        image_concurrency=args.image_concurrency,
        video_concurrency=args.video_concurrency,
        total_concurrency=args.total_concurrency,
        active=not args.disabled,
    )


async def tokens_add(ctx: CliContext, args: argparse.Namespace) -> int:
    if not (args.at or args.st or args.rt):
        raise InvalidRequestError("give at least one of --at, --st or --rt")
    new = replace(_options(args), access_token=args.at, session_token=args.st, refresh_token=args.rt)
    record, status = await ctx.accounts.add(new)
    ctx.out.write(f"{status} account {record.id}: {describe_account(record)}\n")
    return 0


async def tokens_import(ctx: CliContext, args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    lines = await ctx.accounts.import_text(text, kind=args.kind, defaults=_options(args))
    for line in lines:
        ctx.out.write(_import_line(line))
    totals = {status: sum(1 for line in lines if line.status == status) for status in _STATUSES}
    ctx.out.write(", ".join(f"{count} {status}" for status, count in totals.items()) + "\n")
    return 1 if totals["failed"] else 0


_STATUSES = ("added", "updated", "duplicate", "failed")


def _import_line(line: ImportLine) -> str:
    if line.account_id is not None:
        return f"{line.label}: {line.status} account {line.account_id}: {line.message}\n"
    return f"{line.label}: {line.status}: {line.message}\n"


async def tokens_list(ctx: CliContext, args: argparse.Namespace) -> int:
    records = await ctx.accounts.list()
    in_flight = await ctx.accounts.in_flight()
    if args.json:
        ctx.out.write(json.dumps([_as_json(r, in_flight) for r in records], indent=2, default=str) + "\n")
        return 0
    if not records:
        ctx.out.write("no accounts; add one with: sora2api tokens add --at <access token>\n")
    for record in records:
        ctx.out.write(f"{record.id:>4}  {describe_account(record, in_flight)}\n")
    return 0


_SECRET_FIELDS = frozenset({"access_token", "session_token", "refresh_token", "token_hash"})


def _as_json(record: AccountRecord, in_flight: Any) -> dict[str, Any]:
    data = {name: getattr(record, name) for name in record.__dataclass_fields__ if name not in _SECRET_FIELDS}
    data["proxy_url"] = proxy_label(record.proxy_url) if record.proxy_url else None
    data["has_session_token"] = record.session_token is not None
    data["has_refresh_token"] = record.refresh_token is not None
    data["state"] = account_state(record)
    data["in_flight"] = {kind: in_flight[(record.id, kind)] for kind in ("video", "image")}
    return data


async def _each_account(
    ctx: CliContext, args: argparse.Namespace, action: Callable[[int], Awaitable[UpkeepResult]]
) -> int:
    ids = [record.id for record in await ctx.accounts.list()] if args.all else [args.id]
    if not ids:
        ctx.out.write("no accounts\n")
        return 0
    gate = asyncio.Semaphore(ALL_PARALLEL)

    async def one(account_id: int) -> tuple[int, UpkeepResult | GatewayError]:
        async with gate:
            try:
                return account_id, await action(account_id)
            except GatewayError as exc:
                return account_id, exc

    failed = 0
    for account_id, result in await asyncio.gather(*(one(i) for i in ids)):
        if isinstance(result, GatewayError):
            failed += 1
            ctx.out.write(f"account {account_id}: failed: {result.message}\n")
            continue
        failed += 0 if result.ok else 1
        verdict = "ok" if result.ok else "failed"
        ctx.out.write(f"account {account_id}: {verdict}: {result.message}\n")
        ctx.out.write(f"      {describe_account(result.record)}\n")
    return 1 if failed else 0


async def tokens_refresh(ctx: CliContext, args: argparse.Namespace) -> int:
    return await _each_account(ctx, args, ctx.accounts.refresh)


async def tokens_test(ctx: CliContext, args: argparse.Namespace) -> int:
    return await _each_account(ctx, args, ctx.accounts.test)


async def tokens_enable(ctx: CliContext, args: argparse.Namespace) -> int:
    record = await ctx.accounts.enable(args.id)
    ctx.out.write(f"account {record.id}: {describe_account(record)}\n")
    return 0


async def tokens_disable(ctx: CliContext, args: argparse.Namespace) -> int:
    record = await ctx.accounts.disable(args.id)
    ctx.out.write(f"account {record.id}: {describe_account(record)}\n")
    return 0


async def tokens_update(ctx: CliContext, args: argparse.Namespace) -> int:
    fields: dict[str, Any] = {
        name: value
        for name, value in (
            ("proxy_url", args.proxy),
            ("remark", args.remark),
            ("client_id", args.client_id),
            ("image_concurrency", args.image_concurrency),
            ("video_concurrency", args.video_concurrency),
            ("total_concurrency", args.total_concurrency),
            ("image_enabled", args.image),
            ("video_enabled", args.video),
        )
        if value is not None
    }
    if not fields:
        raise InvalidRequestError("nothing to change; see sora2api tokens update --help")
    record = await ctx.accounts.update(args.id, **fields)
    ctx.out.write(f"account {record.id}: {describe_account(record)}\n")
    return 0


async def tokens_remove(ctx: CliContext, args: argparse.Namespace) -> int:
    await ctx.accounts.remove(args.id)
    ctx.out.write(f"removed account {args.id}\n")
    return 0


# -- proxy -------------------------------------------------------------------------------------


async def proxy_test(ctx: CliContext, args: argparse.Namespace) -> int:
    upstream = ctx.settings.upstream
    url = args.url or upstream.sora_web
    targets: list[tuple[str, str | None]]
    if args.proxy:
        targets = [("given", args.proxy)]
    elif args.account is not None:
        record = next((r for r in await ctx.accounts.list() if r.id == args.account), None)
        if record is None:
            raise InvalidRequestError(f"No account with id {args.account}")
        targets = [(f"account {record.id}", resolve_proxy(CallClass.BACKEND, record.proxy_url, upstream))]
    else:
        configured = [
            ("global", upstream.proxy),
            ("image upload", upstream.image_upload_proxy),
            ("pow", upstream.pow_proxy),
        ]
        targets = [(name, proxy.strip()) for name, proxy in configured if proxy.strip()]
        if not targets:
            ctx.out.write(
                "no proxy configured (upstream.proxy, image_upload_proxy, pow_proxy): testing direct\n"
            )
            targets = [("direct", None)]
    assert ctx.transport is not None
    failed = 0
    for name, proxy in targets:
        started = time.monotonic()
        where = f"{name} {proxy_label(proxy)} → GET {url}"
        try:
            response = await ctx.transport.http.probe(url, proxy=proxy)
        except UpstreamError as exc:
            failed += 1
            ctx.out.write(f"failed  {where}: {exc.message}\n")
            continue
        elapsed = time.monotonic() - started
        ok = 200 <= response.status_code < 400
        failed += 0 if ok else 1
        ctx.out.write(
            f"{'ok' if ok else 'failed'}  {where}: HTTP {response.status_code} in {elapsed:.2f} s\n"
        )
    return 1 if failed else 0


# -- keys --------------------------------------------------------------------------------------


async def keys_create(ctx: CliContext, args: argparse.Namespace) -> int:
    record, key = await ctx.keys.create(args.name)
    ctx.out.write(f"API key {record.id} ({record.name}), shown once:\n{key}\n")
    return 0


async def keys_list(ctx: CliContext, args: argparse.Namespace) -> int:
    for record in await ctx.keys.list():
        state = "revoked" if record.revoked else "active"
        ctx.out.write(f"{record.id:>4}  {record.name}  {record.prefix}…  {state}\n")
    return 0


# -- webhooks ----------------------------------------------------------------------------------


async def webhooks_list(ctx: CliContext, args: argparse.Namespace) -> int:
    deliveries = await DeliveryRepository(ctx.db).list(
        status=args.status, task_id=args.task, limit=args.limit
    )
    if args.json:
        rows = [{k: v for k, v in asdict(d).items() if k != "payload"} for d in deliveries]
        ctx.out.write(json.dumps(rows, indent=2, default=str) + "\n")
        return 0
    if not deliveries:
        ctx.out.write("no webhook deliveries\n")
    for d in deliveries:
        answer = f"HTTP {d.last_status_code}" if d.last_status_code is not None else "no answer"
        state = (
            d.status if d.status != "pending" else f"pending, next at {d.next_attempt_at:%Y-%m-%d %H:%M:%S}"
        )
        line = f"{d.id}  {d.event_type}  {d.task_id}  {state}  attempts: {d.attempts}"
        if d.attempts:
            line += f"  last: {answer}"
        if d.last_error and d.status != "delivered":
            line += f"  ({d.last_error})"
        ctx.out.write(f"{line}\n      → {d.endpoint_url}\n")
    return 0


async def webhooks_retry(ctx: CliContext, args: argparse.Namespace) -> int:
    record = await DeliveryRepository(ctx.db).requeue(args.id)
    ctx.out.write(f"{record.id}: pending again; a running gateway sends it within a minute\n")
    return 0


async def webhooks_secret(ctx: CliContext, args: argparse.Namespace) -> int:
    ctx.out.write(new_secret() + "\n")
    return 0


def _webhooks_parser(commands: Any) -> None:
    webhooks = commands.add_parser("webhooks", help="webhook deliveries").add_subparsers(
        dest="action", required=True
    )
    listing = webhooks.add_parser("list", help="deliveries, newest first, with their state")
    listing.add_argument("--status", choices=DELIVERY_STATUSES, help="only deliveries in this state")
    listing.add_argument("--task", help="only the deliveries of this task id")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true", help="machine-readable")
    listing.set_defaults(run=webhooks_list)
    retry = webhooks.add_parser("retry", help="send a (failed) delivery again")
    retry.add_argument("id", help="the delivery id (wh_…)")
    retry.set_defaults(run=webhooks_retry)
    webhooks.add_parser("secret", help="print a new signing secret (whsec_…)").set_defaults(
        run=webhooks_secret
    )


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


# -- parser ------------------------------------------------------------------------------------


def _account_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--client-id", help="OAuth client id for refresh tokens (default: the iOS app's)")
    parser.add_argument("--proxy", help="per-account proxy URL (http://, socks5://)")
    parser.add_argument("--remark", help="free text note")
    parser.add_argument("--no-image", action="store_true", help="never use the account for images")
    parser.add_argument("--no-video", action="store_true", help="never use the account for videos")
    parser.add_argument("--image-concurrency", type=int, help="concurrent image tasks (-1 = unlimited)")
    parser.add_argument("--video-concurrency", type=int, help="concurrent video tasks (-1 = unlimited)")
    parser.add_argument("--total-concurrency", type=int, help="concurrent tasks of both kinds (-1 = no cap)")
    parser.add_argument("--disabled", action="store_true", help="store the account disabled (manual)")


def _one_or_all(parser: argparse.ArgumentParser) -> None:
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("id", nargs="?", type=int, help="account id")
    target.add_argument("--all", action="store_true", help="every account")


def _tokens_parser(commands: Any) -> None:
    tokens = commands.add_parser("tokens", help="manage Sora accounts").add_subparsers(
        dest="action", required=True
    )
    add = tokens.add_parser("add", help="add an account (checked against the upstream)")
    add.add_argument("--at", help="access token (JWT)")
    add.add_argument("--st", help="session token (exchanged for an access token; renews it later)")
    add.add_argument("--rt", help="refresh token (exchanged for an access token; rotated and kept)")
    _account_options(add)
    add.set_defaults(run=tokens_add)

    imp = tokens.add_parser(
        "import",
        help="add accounts from a file: one token per line, or JSON as the original's export",
    )
    imp.add_argument("file", help="the file ('-' = standard input)")
    imp.add_argument(
        "--kind",
        choices=IMPORT_KINDS,
        default="auto",
        help="what the lines of a text file are (auto: JWTs are access tokens)",
    )
    _account_options(imp)
    imp.set_defaults(run=tokens_import)

    listing = tokens.add_parser("list", help="show the pool: plan, quota, load, state, errors")
    listing.add_argument("--json", action="store_true", help="machine-readable (no tokens)")
    listing.set_defaults(run=tokens_list)

    for name, run, text in (
        ("refresh", tokens_refresh, "renew the access token now (session token, else refresh token)"),
        ("test", tokens_test, "check the account upstream; re-enables it when healthy"),
    ):
        command = tokens.add_parser(name, help=text)
        _one_or_all(command)
        command.set_defaults(run=run)
    for name, run, text in (
        ("enable", tokens_enable, "put the account back into service"),
        ("disable", tokens_disable, "take the account out of service (reason manual)"),
        ("remove", tokens_remove, "delete the account (its tasks keep their history)"),
    ):
        command = tokens.add_parser(name, help=text)
        command.add_argument("id", type=int)
        command.set_defaults(run=run)

    update = tokens.add_parser("update", help="change an account's proxy, remark, kinds or limits")
    update.add_argument("id", type=int)
    update.add_argument("--proxy", help="per-account proxy URL ('' clears it)")
    update.add_argument("--remark", help="free text note ('' clears it)")
    update.add_argument("--client-id", help="OAuth client id of its refresh token")
    update.add_argument("--image", action=argparse.BooleanOptionalAction, help="use it for images")
    update.add_argument("--video", action=argparse.BooleanOptionalAction, help="use it for videos")
    update.add_argument("--image-concurrency", type=int)
    update.add_argument("--video-concurrency", type=int)
    update.add_argument("--total-concurrency", type=int)
    update.set_defaults(run=tokens_update)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sora2api", description="OpenAI-compatible gateway for Sora")
    parser.add_argument("--config", type=Path, help="YAML settings file (default config/sora2api.yaml)")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="start the gateway")
    serve_cmd.add_argument("--host")
    serve_cmd.add_argument("--port", type=int)

    _tokens_parser(commands)

    proxy = commands.add_parser("proxy", help="check proxies").add_subparsers(dest="action", required=True)
    test = proxy.add_parser("test", help="GET a URL through the configured proxies (or one given)")
    test.add_argument("--url", help="what to fetch (default: upstream.sora_web)")
    which = test.add_mutually_exclusive_group()
    which.add_argument("--proxy", help="test this proxy URL instead of the configured ones")
    which.add_argument("--account", type=int, help="test the proxy this account's calls use")
    test.set_defaults(run=proxy_test)

    keys = commands.add_parser("keys", help="manage API keys").add_subparsers(dest="action", required=True)
    create = keys.add_parser("create", help="create an API key (shown once)")
    create.add_argument("name")
    create.set_defaults(run=keys_create)
    keys.add_parser("list", help="list API keys").set_defaults(run=keys_list)

    _webhooks_parser(commands)
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
    except OSError as exc:  # an import file that cannot be read
        sys.stderr.write(f"error: {exc.strerror or exc}: {getattr(exc, 'filename', '')}\n")
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
