"""Adding, importing, renewing, testing and describing accounts. Used by the CLI (and the admin UI).

Adding an account (§8.5): its tokens are checked against the stored ones first (an exact duplicate
is refused before any upstream call, so a stored refresh token is never spent twice); a session or
refresh token is exchanged for an access token (the rotated refresh token is kept); the account is
probed upstream (plan, Sora 2, quota); then it is stored — or, when an account with the same email
exists, that account gets the new credentials ("updated").
"""

from __future__ import annotations

import asyncio
import builtins
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from router.account_import import ImportKind, NewAccount, parse_import
from router.config import PoolSettings
from router.errors import ConflictError, GatewayError, InvalidRequestError
from router.pool.eligibility import LeaseKind, ineligibility
from router.pool.upkeep import REVIVABLE, AccountUpkeep, UpkeepResult, probe_fields
from router.sora.client import AccountCredentials, SoraTransport
from router.sora.http import proxy_label
from router.sora.jwt import AccessTokenInfo, decode_access_token
from router.sora.models import AccountProbe
from router.storage.accounts import AccountRecord, AccountRepository, token_hash
from router.storage.tasks import TaskRepository

__all__ = ["AccountAdmin", "ImportLine", "NewAccount", "describe_account"]

#: accounts checked upstream at once during an import
IMPORT_PARALLEL = 4

ImportStatus = Literal["added", "updated", "duplicate", "failed"]


@dataclass(frozen=True)
class ImportLine:
    """The outcome of one line or item of an import file."""

    label: str
    status: ImportStatus
    message: str
    account_id: int | None = None


@dataclass(frozen=True)
class _Checked:
    """An account whose access token is known and that the upstream answered for."""

    access_token: str
    refresh_token: str | None
    claims: AccessTokenInfo
    probe: AccountProbe


class AccountAdmin:
    def __init__(
        self,
        repo: AccountRepository,
        transport: SoraTransport,
        defaults: PoolSettings,
        *,
        tasks: TaskRepository | None = None,
    ) -> None:
        self._repo = repo
        self._transport = transport
        self._defaults = defaults
        self._tasks = tasks
        self.upkeep = AccountUpkeep(repo, transport)
        self._store_lock = asyncio.Lock()

    # -- views -----------------------------------------------------------------------------
    async def list(self) -> list[AccountRecord]:
        return await self._repo.list()

    async def in_flight(self) -> Counter[tuple[int, LeaseKind]]:
        """Unfinished tasks per (account, kind), from the task table (any gateway process)."""
        counts: Counter[tuple[int, LeaseKind]] = Counter()
        if self._tasks is None:
            return counts
        for task in await self._tasks.list_unfinished():
            if task.account_id is not None and task.kind in ("video", "image"):
                counts[(task.account_id, "video" if task.kind == "video" else "image")] += 1
        return counts

    # -- adding ----------------------------------------------------------------------------
    async def add(
        self, new: NewAccount, *, stored: builtins.list[AccountRecord] | None = None
    ) -> tuple[AccountRecord, ImportStatus]:
        """Add the account (or give the account with its email the new credentials).

        ``stored`` is the accounts table as the caller read it (an import reads it once).
        """
        if not new.tokens:
            raise InvalidRequestError("An access, session or refresh token is required", param="access_token")
        stored = await self._repo.list() if stored is None else stored
        self._refuse_duplicates(new, stored)
        checked = await self._check(new)
        async with self._store_lock:
            return await self._store(new, checked, stored)

    async def import_text(
        self, text: str, *, kind: ImportKind = "auto", defaults: NewAccount | None = None
    ) -> builtins.list[ImportLine]:
        """Add every account of an import file; one line of report per entry, in file order.

        Entries are checked upstream a few at a time but stored in file order (ids follow the file),
        each as soon as its turn comes, so a spent refresh token's successor is never held long.
        """
        entries = parse_import(text, kind=kind, defaults=defaults)
        stored = await self._repo.list()
        seen: dict[str, str] = {}
        gate = asyncio.Semaphore(IMPORT_PARALLEL)
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        turn.set_result(None)

        async def one(
            label: str, new: NewAccount, mine: asyncio.Future[None], after: asyncio.Future[None]
        ) -> ImportLine:
            try:
                async with gate:
                    checked = await self._check(new)
                await asyncio.shield(after)
                async with self._store_lock:
                    record, status = await self._store(new, checked, stored)
            except ConflictError as exc:
                return ImportLine(label, "duplicate", exc.message)
            except GatewayError as exc:
                return ImportLine(label, "failed", exc.message)
            finally:
                await asyncio.shield(after)
                mine.set_result(None)
            return ImportLine(label, status, describe_account(record), record.id)

        jobs: builtins.list[asyncio.Future[ImportLine] | ImportLine] = []
        for entry in entries:
            if entry.account is None:
                jobs.append(ImportLine(entry.label, "failed", entry.error or "unreadable"))
                continue
            first = next((seen[t] for t in entry.account.tokens if t in seen), None)
            if first is not None:
                jobs.append(ImportLine(entry.label, "duplicate", f"the same token as {first}"))
                continue
            seen.update(dict.fromkeys(entry.account.tokens, entry.label))
            try:
                self._refuse_duplicates(entry.account, stored)
            except ConflictError as exc:
                jobs.append(ImportLine(entry.label, "duplicate", exc.message))
                continue
            mine = asyncio.get_running_loop().create_future()
            jobs.append(asyncio.ensure_future(one(entry.label, entry.account, mine, turn)))
            turn = mine
        return [job if isinstance(job, ImportLine) else await job for job in jobs]

    def _refuse_duplicates(self, new: NewAccount, stored: builtins.list[AccountRecord]) -> None:
        """ConflictError ``duplicate_account`` when a token of ``new`` is already stored."""
        at_hash = token_hash(new.access_token.strip()) if new.access_token else None
        for record in stored:
            same = (
                "access token"
                if at_hash == record.token_hash
                else "session token"
                if new.session_token and new.session_token.strip() == record.session_token
                else "refresh token"
                if new.refresh_token and new.refresh_token.strip() == record.refresh_token
                else None
            )
            if same:
                raise ConflictError(
                    f"This {same} already belongs to account {record.id} ({record.email})",
                    code="duplicate_account",
                )

    async def _check(self, new: NewAccount) -> _Checked:
        """The account's access token (exchanged or renewed when needed) and its upstream probe."""
        access_token, refresh_token = await self._access_token(new)
        claims = decode_access_token(access_token)
        creds = AccountCredentials(
            account_id=None,
            access_token=access_token,
            session_token=new.session_token,
            proxy_url=new.proxy_url,
        )
        probe = await self._transport.session(creds).probe()
        return _Checked(access_token, refresh_token, claims, probe)

    async def _access_token(self, new: NewAccount) -> tuple[str, str | None]:
        refresh_token = new.refresh_token.strip() if new.refresh_token else None
        if new.access_token:
            access_token = new.access_token.strip()
            expires_at = decode_access_token(access_token).expires_at
            if expires_at is None or expires_at > datetime.now(UTC):
                return access_token, refresh_token
            if not (new.session_token or refresh_token):
                raise InvalidRequestError(
                    f"The access token expired on {expires_at:%Y-%m-%d %H:%M} UTC "
                    "(add a session or refresh token to renew it)",
                    param="access_token",
                    code="token_expired",
                )
        if new.session_token:
            exchanged = await self._transport.exchange_session_token(
                new.session_token.strip(), proxy_url=new.proxy_url
            )
            return exchanged.access_token, refresh_token
        if refresh_token:
            refreshed = await self._transport.exchange_refresh_token(
                refresh_token, client_id=new.client_id, proxy_url=new.proxy_url
            )
            return refreshed.access_token, refreshed.refresh_token or refresh_token
        raise InvalidRequestError("An access, session or refresh token is required", param="access_token")

    async def _store(
        self, new: NewAccount, checked: _Checked, stored: builtins.list[AccountRecord]
    ) -> tuple[AccountRecord, ImportStatus]:
        """Insert, or update the account with the same email; ``stored`` learns the result."""
        now = datetime.now(UTC)
        email = checked.probe.email or checked.claims.email or new.email or ""
        fields: dict[str, Any] = {
            **probe_fields(checked.probe, now),
            "email": email,
            "access_token": checked.access_token,
            "expires_at": checked.claims.expires_at,
        }
        for name in ("session_token", "client_id", "proxy_url", "remark"):
            value = getattr(new, name)
            if value:
                fields[name] = value.strip()
        if checked.refresh_token:
            fields["refresh_token"] = checked.refresh_token
        options = {
            name: getattr(new, name)
            for name in ("image_enabled", "video_enabled", "image_concurrency", "video_concurrency")
            if getattr(new, name) is not None
        }
        if new.total_concurrency is not None:
            options["total_concurrency"] = new.total_concurrency
        existing = next((r for r in stored if email and r.email == email), None)
        if existing is not None:
            if not new.active:
                fields.update(status="disabled", disabled_reason="manual")
            elif existing.status == "disabled" and existing.disabled_reason in REVIVABLE:
                fields.update(status="active", consecutive_errors=0)
            record = await self._repo.update(existing.id, **fields, **options)
            stored[stored.index(existing)] = record
            return record, "updated"
        defaults = {
            "image_enabled": True,
            "video_enabled": True,
            "image_concurrency": self._defaults.image_concurrency,
            "video_concurrency": self._defaults.video_concurrency,
            "total_concurrency": self._defaults.total_concurrency,
        }
        status = {} if new.active else {"status": "disabled", "disabled_reason": "manual"}
        record = await self._repo.add(**{**defaults, **fields, **options, **status})
        stored.append(record)
        return record, "added"

    # -- one account -----------------------------------------------------------------------
    async def refresh(self, account_id: int) -> UpkeepResult:
        """Renew the access token now (session token, else refresh token)."""
        return await self.upkeep.renew(await self._repo.get(account_id))

    async def test(self, account_id: int) -> UpkeepResult:
        """Probe the account upstream; plan, Sora 2 and quota are written back."""
        return await self.upkeep.test(await self._repo.get(account_id))

    async def enable(self, account_id: int) -> AccountRecord:
        record = await self._repo.get(account_id)
        if record.expires_at is not None and record.expires_at <= datetime.now(UTC):
            raise InvalidRequestError(
                f"Account {account_id}'s access token has expired; renew it first (sora2api tokens refresh "
                f"{account_id})",
                code="token_expired",
            )
        return await self._repo.update(account_id, status="active", consecutive_errors=0)

    async def disable(self, account_id: int) -> AccountRecord:
        return await self._repo.update(account_id, status="disabled", disabled_reason="manual")

    async def update(self, account_id: int, **fields: Any) -> AccountRecord:
        """Change operator settings (proxy, remark, kinds, limits); ``""`` clears a text field."""
        values = {
            name: (value or None) if isinstance(value, str) else value for name, value in fields.items()
        }
        return await self._repo.update(account_id, **values)

    async def remove(self, account_id: int) -> None:
        await self._repo.delete(account_id)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


def _limit(value: int | None) -> str:
    return "∞" if value is None or value < 0 else str(value)


def account_state(record: AccountRecord, now: datetime | None = None) -> str:
    """``active``, ``cooling down until …``, ``expired`` or ``disabled (reason)``."""
    now = now or datetime.now(UTC)
    if record.status != "active":
        return f"disabled ({record.disabled_reason or 'manual'})"
    if record.cooldown_until is not None and record.cooldown_until > now:
        return f"cooling down until {_when(record.cooldown_until)}"
    if ineligibility(record, "image", requires_pro=False, now=now) == "access token expired":
        return "access token expired"
    return "active"


def describe_account(
    record: AccountRecord,
    in_flight: Counter[tuple[int, LeaseKind]] | None = None,
    *,
    now: datetime | None = None,
) -> str:
    """One line for operators with everything the pool knows about the account (never a token)."""
    sora2 = {True: "sora2: yes", False: "sora2: no", None: "sora2: unknown"}[record.sora2_supported]
    quota = "?" if record.remaining_videos is None else str(record.remaining_videos)
    counts = in_flight or Counter()
    parts = [
        record.email or "(no email)",
        record.plan_type or "no plan",
        sora2,
        f"videos left: {quota}"
        + (f" (resets {_when(record.quota_resets_at)})" if record.quota_resets_at else ""),
        f"in flight: video {counts[(record.id, 'video')]}/{_limit(record.video_concurrency)}"
        f" image {counts[(record.id, 'image')]}/{_limit(record.image_concurrency)}"
        f" total cap {_limit(record.total_concurrency)}",
        account_state(record, now),
        f"token expires {_when(record.expires_at)}",
        f"ok {record.success_count} / failed {record.failure_count}",
    ]
    kinds = [
        kind for kind, on in (("video", record.video_enabled), ("image", record.image_enabled)) if not on
    ]
    if kinds:
        parts.append("off: " + ", ".join(kinds))
    if record.proxy_url:
        parts.append(f"proxy {proxy_label(record.proxy_url)}")
    if record.last_refresh_result:
        parts.append(f"renewal {_when(record.last_refresh_at)}: {record.last_refresh_result}")
    if record.last_error:
        parts.append(f"last error {_when(record.last_error_at)}: {record.last_error[:160]}")
    if record.remark:
        parts.append(f"remark: {record.remark}")
    return "  ".join(parts)
