"""Typed inputs and results of the Sora transport, with the pure parsers that build the results.

Parsers read only the fields spec §3/§4 names; anything missing gets a neutral default, except the
ids the caller cannot go on without, which raise :class:`UpstreamBadResponseError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from router.errors import UpstreamBadResponseError


@dataclass(frozen=True)
class AccountCredentials:
    """What one leased account brings to a call. Secrets stay out of ``repr``."""

    account_id: int | None
    access_token: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)
    #: per-account proxy; overrides the global ``upstream.proxy``
    proxy_url: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class UserInfo:
    """B1 ``GET /me``."""

    email: str | None
    name: str | None
    username: str | None

    @classmethod
    def from_json(cls, data: Any) -> UserInfo:
        body = _object(data)
        return cls(_opt_str(body.get("email")), _opt_str(body.get("name")), _opt_str(body.get("username")))


@dataclass(frozen=True)
class Subscription:
    """B2 ``GET /billing/subscriptions`` (``data[0]``); empty strings when there is no plan."""

    plan_type: str
    plan_title: str
    end: datetime | None

    @classmethod
    def from_json(cls, data: Any) -> Subscription:
        items = _object(data).get("data")
        first = _object(items[0]) if isinstance(items, list) and items else {}
        plan = _object(first.get("plan"))
        return cls(
            plan_type=_opt_str(plan.get("id")) or "",
            plan_title=_opt_str(plan.get("title")) or "",
            end=parse_timestamp(first.get("end_ts")),
        )


@dataclass(frozen=True)
class InviteInfo:
    """B3 ``GET /project_y/invite/mine``: ``supported`` is the "Sora 2 usable" flag."""

    supported: bool
    invite_code: str | None = None
    redeemed_count: int | None = None
    total_count: int | None = None

    @classmethod
    def from_json(cls, data: Any) -> InviteInfo:
        body = _object(data)
        return cls(
            supported=True,
            invite_code=_opt_str(body.get("invite_code")),
            redeemed_count=_opt_int(body.get("redeemed_count")),
            total_count=_opt_int(body.get("total_count")),
        )


@dataclass(frozen=True)
class Quota:
    """B6 ``GET /nf/check`` (``rate_limit_and_credit_balance``)."""

    remaining: int | None
    rate_limit_reached: bool
    resets_in_seconds: int

    @classmethod
    def from_json(cls, data: Any) -> Quota:
        balance = _object(_object(data).get("rate_limit_and_credit_balance"))
        return cls(
            remaining=_opt_int(balance.get("estimated_num_videos_remaining")),
            rate_limit_reached=balance.get("rate_limit_reached") is True,
            resets_in_seconds=max(_opt_int(balance.get("access_resets_in_seconds")) or 0, 0),
        )


@dataclass(frozen=True)
class AccountProbe:
    """Everything the account checks of spec §8.5 learn about one account."""

    email: str | None
    name: str | None
    username: str | None
    plan_type: str
    plan_title: str
    subscription_end: datetime | None
    sora2_supported: bool
    invite_code: str | None
    #: ``None`` when Sora 2 is not supported (the quota is then not asked)
    remaining_videos: int | None
    resets_in_seconds: int
    invite_redeemed_count: int | None = None
    invite_total_count: int | None = None


def parse_timestamp(value: Any) -> datetime | None:
    """An aware UTC datetime from an ISO-8601 string or epoch seconds (milliseconds if huge)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 10**11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return None


def require_str(data: Any, *path: str) -> str:
    """The non-empty string at ``path`` in a decoded body, or :class:`UpstreamBadResponseError`."""
    value = data
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    if not isinstance(value, str) or not value:
        raise UpstreamBadResponseError(f"Sora's answer lacks {'.'.join(path)!r}")
    return value


def dict_items(value: Any) -> list[dict[str, Any]]:
    """The dict elements of a JSON array (anything else gives ``[]``)."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _opt_int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)
