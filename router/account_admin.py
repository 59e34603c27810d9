"""Adding and describing accounts: token conversion, upstream checks, storage. Used by CLI and admin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from router.config import PoolSettings
from router.errors import InvalidRequestError
from router.sora.client import AccountCredentials, SoraTransport
from router.sora.jwt import decode_access_token
from router.storage.accounts import AccountRecord, AccountRepository


@dataclass(frozen=True)
class NewAccount:
    """What an operator supplies; exactly one of the three tokens is required."""

    access_token: str | None = None
    session_token: str | None = None
    refresh_token: str | None = None
    client_id: str | None = None
    proxy_url: str | None = None
    remark: str | None = None
    image_enabled: bool = True
    video_enabled: bool = True
    image_concurrency: int | None = None
    video_concurrency: int | None = None


class AccountAdmin:
    def __init__(self, repo: AccountRepository, transport: SoraTransport, defaults: PoolSettings) -> None:
        self._repo = repo
        self._transport = transport
        self._defaults = defaults

    async def list(self) -> list[AccountRecord]:
        return await self._repo.list()

    async def add(self, new: NewAccount) -> AccountRecord:
        """Convert ST/RT to an AT if needed, check the account upstream, store it (tokens encrypted)."""
        access_token, refresh_token = await self._access_token(new)
        claims = decode_access_token(access_token)
        if claims.expires_at is not None and claims.expires_at <= datetime.now(UTC):
            raise InvalidRequestError(
                "The access token has expired", param="access_token", code="token_expired"
            )
        creds = AccountCredentials(
            account_id=None,
            access_token=access_token,
            session_token=new.session_token,
            proxy_url=new.proxy_url,
        )
        probe = await self._transport.session(creds).probe()
        return await self._repo.add(
            access_token=access_token,
            session_token=new.session_token,
            refresh_token=refresh_token,
            client_id=new.client_id,
            proxy_url=new.proxy_url,
            remark=new.remark,
            email=probe.email or claims.email or "",
            name=probe.name,
            username=probe.username,
            plan_type=probe.plan_type,
            plan_title=probe.plan_title,
            subscription_end=probe.subscription_end,
            sora2_supported=probe.sora2_supported,
            invite_code=probe.invite_code,
            remaining_videos=probe.remaining_videos,
            expires_at=claims.expires_at,
            image_enabled=new.image_enabled,
            video_enabled=new.video_enabled,
            image_concurrency=self._defaults.image_concurrency
            if new.image_concurrency is None
            else new.image_concurrency,
            video_concurrency=self._defaults.video_concurrency
            if new.video_concurrency is None
            else new.video_concurrency,
        )

    async def _access_token(self, new: NewAccount) -> tuple[str, str | None]:
        if new.access_token:
            return new.access_token.strip(), new.refresh_token
        if new.session_token:
            exchanged = await self._transport.exchange_session_token(
                new.session_token.strip(), proxy_url=new.proxy_url
            )
            return exchanged.access_token, new.refresh_token
        if new.refresh_token:
            refreshed = await self._transport.exchange_refresh_token(
                new.refresh_token.strip(), client_id=new.client_id, proxy_url=new.proxy_url
            )
            return refreshed.access_token, refreshed.refresh_token or new.refresh_token
        raise InvalidRequestError("An access, session or refresh token is required", param="access_token")


def describe_account(record: AccountRecord) -> str:
    """One line for operators: identity, plan, Sora 2, quota and state (never a token)."""
    sora2 = {True: "sora2: yes", False: "sora2: no", None: "sora2: unknown"}[record.sora2_supported]
    quota = "?" if record.remaining_videos is None else str(record.remaining_videos)
    state = record.status if record.status == "active" else f"{record.status} ({record.disabled_reason})"
    plan = record.plan_type or "no plan"
    expiry = record.expires_at.strftime("%Y-%m-%d %H:%M UTC") if record.expires_at else "no expiry"
    return f"{record.email}  {plan}  {sora2}  videos left: {quota}  {state}  token expires {expiry}"
