"""Which accounts may take which work: pure rules over an account record."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from router.storage.accounts import AccountRecord

LeaseKind = Literal["video", "image"]
PRO_PLAN = "chatgpt_pro"


def ineligibility(record: AccountRecord, kind: LeaseKind, *, requires_pro: bool, now: datetime) -> str | None:
    """Why ``record`` cannot take ``kind`` work now, or ``None`` when it can (slots aside)."""
    if record.status != "active":
        return f"disabled ({record.disabled_reason or 'manual'})"
    if record.expires_at is not None and record.expires_at <= now:
        return "access token expired"
    if record.cooldown_until is not None and record.cooldown_until > now:
        return "cooling down"
    if kind == "video":
        if not record.video_enabled:
            return "video disabled"
        if record.sora2_supported is not True:
            return "Sora 2 not available on the account"
    if kind == "image" and not record.image_enabled:
        return "image disabled"
    if requires_pro and record.plan_type != PRO_PLAN:
        return "not a ChatGPT Pro plan"
    return None


def limit_for(record: AccountRecord, kind: LeaseKind) -> int:
    """The account's concurrency limit for ``kind``; a negative number means unlimited."""
    return record.video_concurrency if kind == "video" else record.image_concurrency
