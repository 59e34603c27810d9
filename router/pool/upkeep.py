"""Upstream work on one stored account: renew its access token, test it, read its quota.

Each operation calls Sora through the shared transport, writes what it learnt to the accounts
table and returns an :class:`UpkeepResult` with the new record (the caller hands it to the pool, if
there is one: the CLI has none). Used by :mod:`router.pool.maintenance` (in the background), by
:mod:`router.account_admin` (``tokens refresh``/``tokens test``) and after a successful video.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from router.errors import GatewayError, UpstreamAuthError, UpstreamError
from router.sora.client import AccountCredentials, SoraTransport
from router.sora.jwt import decode_access_token
from router.sora.models import AccountProbe, Quota
from router.storage.accounts import AccountRecord, AccountRepository

logger = logging.getLogger(__name__)

#: reasons a healthy test or renewal lifts (``manual`` stays: an operator decided it)
REVIVABLE = frozenset({"token_invalid", "error_limit", "expired", "quota"})
#: cooldown when the quota is gone but the upstream did not say when it resets
QUOTA_UNKNOWN_RESET = timedelta(hours=1)
OK = "ok"
FAILED = "failed"


@dataclass(frozen=True)
class UpkeepResult:
    record: AccountRecord
    ok: bool
    #: what happened, for operators (never a secret)
    message: str


def credentials(record: AccountRecord) -> AccountCredentials:
    return AccountCredentials(
        account_id=record.id,
        access_token=record.access_token,
        session_token=record.session_token,
        proxy_url=record.proxy_url or None,
    )


def quota_fields(quota: Quota, now: datetime) -> dict[str, Any]:
    """Account fields from an ``/nf/check`` answer: videos left, reset time, cooldown when none are left."""
    resets = timedelta(seconds=quota.resets_in_seconds) if quota.resets_in_seconds > 0 else None
    exhausted = quota.rate_limit_reached or (quota.remaining is not None and quota.remaining <= 0)
    return {
        "remaining_videos": quota.remaining,
        "quota_resets_at": now + resets if resets is not None else None,
        "cooldown_until": now + (resets or QUOTA_UNKNOWN_RESET) if exhausted else None,
    }


def probe_fields(probe: AccountProbe, now: datetime) -> dict[str, Any]:
    """Account fields from the add/test sequence (§8.5)."""
    fields: dict[str, Any] = {
        "name": probe.name,
        "username": probe.username,
        "plan_type": probe.plan_type or None,
        "plan_title": probe.plan_title or None,
        "subscription_end": probe.subscription_end,
        "sora2_supported": probe.sora2_supported,
        "invite_code": probe.invite_code,
    }
    if probe.email:
        fields["email"] = probe.email
    if probe.sora2_supported:
        remaining = probe.remaining_videos
        quota = Quota(
            remaining=remaining,
            rate_limit_reached=remaining is not None and remaining <= 0,
            resets_in_seconds=probe.resets_in_seconds,
        )
        fields.update(quota_fields(quota, now))
    return fields


class AccountUpkeep:
    def __init__(self, repo: AccountRepository, transport: SoraTransport) -> None:
        self._repo = repo
        self._transport = transport

    # -- renewal ---------------------------------------------------------------------------
    async def renew(self, record: AccountRecord, *, revive: bool = True) -> UpkeepResult:
        """A new access token from the session token (A1), else the refresh token (A2).

        The rotated refresh token is stored; the attempt and its result are recorded in
        ``last_refresh_at``/``last_refresh_result``. With ``revive``, an account disabled for a dead
        or expired token is tested and re-enabled when healthy.
        """
        now = datetime.now(UTC)
        if not (record.session_token or record.refresh_token):
            return await self._renewal_failed(record, "no session or refresh token to renew it with", now)
        problems: list[str] = []
        if record.session_token:
            try:
                exchanged = await self._transport.exchange_session_token(
                    record.session_token, proxy_url=record.proxy_url or None
                )
                renewed = await self._store_token(record, exchanged.access_token, None, "session token", now)
            except GatewayError as exc:
                problems.append(f"session token: {exc.message}")
            else:
                return await self._after_renewal(renewed, revive)
        if record.refresh_token:
            try:
                refreshed = await self._transport.exchange_refresh_token(
                    record.refresh_token, client_id=record.client_id, proxy_url=record.proxy_url or None
                )
                renewed = await self._store_token(
                    record, refreshed.access_token, refreshed.refresh_token, "refresh token", now
                )
            except GatewayError as exc:
                problems.append(f"refresh token: {exc.message}")
            else:
                return await self._after_renewal(renewed, revive)
        return await self._renewal_failed(record, "; ".join(problems), now)

    async def _store_token(
        self, record: AccountRecord, access_token: str, rotated: str | None, how: str, now: datetime
    ) -> UpkeepResult:
        claims = decode_access_token(access_token)
        if claims.expires_at is not None and claims.expires_at <= now:
            raise UpstreamAuthError("the new access token is already expired")
        fields: dict[str, Any] = {
            "access_token": access_token,
            "expires_at": claims.expires_at,
            "last_refresh_at": now,
            "last_refresh_result": f"{OK}: renewed from the {how}",
        }
        if rotated:
            fields["refresh_token"] = rotated
        updated = await self._repo.update(record.id, **fields)
        logger.info("account %s: access token renewed from the %s", record.id, how)
        return UpkeepResult(updated, True, f"renewed from the {how}")

    async def _after_renewal(self, result: UpkeepResult, revive: bool) -> UpkeepResult:
        record = result.record
        if revive and record.status == "disabled" and record.disabled_reason in REVIVABLE:
            tested = await self.test(record, renew_on_auth_error=False)
            return UpkeepResult(tested.record, True, f"{result.message}; test: {tested.message}")
        return result

    async def _renewal_failed(self, record: AccountRecord, reason: str, now: datetime) -> UpkeepResult:
        fields: dict[str, Any] = {"last_refresh_at": now, "last_refresh_result": f"{FAILED}: {reason}"}
        if record.expires_at is not None and record.expires_at <= now and record.status == "active":
            fields.update(
                status="disabled",
                disabled_reason="expired",
                last_error=f"The access token expired and could not be renewed: {reason}",
                last_error_at=now,
            )
        updated = await self._repo.update(record.id, **fields)
        logger.warning("account %s: access token renewal failed: %s", record.id, reason)
        return UpkeepResult(updated, False, reason)

    async def mark_expired(self, record: AccountRecord) -> UpkeepResult:
        """Take out an active account whose access token has expired (nothing could renew it)."""
        why = record.last_refresh_result or "no session or refresh token to renew it with"
        updated = await self._repo.update(
            record.id,
            status="disabled",
            disabled_reason="expired",
            last_error=f"The access token expired and was not renewed ({why})",
            last_error_at=datetime.now(UTC),
        )
        return UpkeepResult(updated, False, "access token expired")

    # -- test ------------------------------------------------------------------------------
    async def test(self, record: AccountRecord, *, renew_on_auth_error: bool = True) -> UpkeepResult:
        """The add/test sequence (B1 → B2 → B3 → B6): plan, Sora 2 and quota are written back.

        A healthy account disabled for ``token_invalid``/``error_limit``/``expired`` is re-enabled.
        A rejected token is renewed once (when the account has a session or refresh token) and the
        test repeated; if that does not help the account is disabled with ``token_invalid``.
        """
        now = datetime.now(UTC)
        try:
            probe = await self._transport.session(credentials(record)).probe()
        except UpstreamAuthError as exc:
            if renew_on_auth_error and (record.session_token or record.refresh_token):
                renewal = await self.renew(record, revive=False)
                if renewal.ok:
                    return await self.test(renewal.record, renew_on_auth_error=False)
            updated = await self._repo.update(
                record.id,
                status="disabled",
                disabled_reason="token_invalid",
                last_error=exc.message,
                last_error_at=now,
            )
            return UpkeepResult(updated, False, exc.message)
        except UpstreamError as exc:
            await self._repo.record_failure(record.id, exc.message, consecutive=False)
            return UpkeepResult(await self._repo.get(record.id), False, exc.message)
        fields = probe_fields(probe, now)
        message = "healthy"
        if record.status == "disabled" and record.disabled_reason in REVIVABLE:
            fields.update(status="active", consecutive_errors=0)
            message = f"healthy; re-enabled (was {record.disabled_reason})"
        updated = await self._repo.update(record.id, **fields)
        return UpkeepResult(updated, True, message)

    # -- quota -----------------------------------------------------------------------------
    async def check_quota(self, record: AccountRecord) -> UpkeepResult:
        """B6 ``/nf/check``: videos left and reset time; a cooldown until the reset when none are left."""
        now = datetime.now(UTC)
        try:
            quota = await self._transport.session(credentials(record)).nf_check()
        except UpstreamError as exc:
            # best effort: an ended cooldown still ends
            fields: dict[str, Any] = {}
            if record.cooldown_until is not None and record.cooldown_until <= now:
                fields["cooldown_until"] = None
            updated = await self._repo.update(record.id, **fields) if fields else record
            return UpkeepResult(updated, False, exc.message)
        updated = await self._repo.update(record.id, **quota_fields(quota, now))
        left = "unknown" if quota.remaining is None else str(quota.remaining)
        return UpkeepResult(updated, True, f"{left} videos left")
