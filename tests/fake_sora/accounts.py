"""Accounts and their credentials: JWT access tokens, session tokens, rotating refresh tokens."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

import jwt

from . import ids
from .errors import SimError, token_expired, token_invalidated, unauthorized
from .timing import DEFAULT_CLIENT_ID

Plan = Literal["chatgpt_pro", "chatgpt_plus", "free"]
Sora2Mode = Literal["supported", "needs_activation", "unsupported", "unsupported_country"]
PLANS: tuple[str, ...] = ("chatgpt_pro", "chatgpt_plus", "free")
SORA2_MODES: tuple[str, ...] = ("supported", "needs_activation", "unsupported", "unsupported_country")
PLAN_TITLES = {"chatgpt_pro": "ChatGPT Pro", "chatgpt_plus": "ChatGPT Plus", "free": ""}
PROFILE_CLAIM = "https://api.openai.com/profile"
AUTH_CLAIM = "https://api.openai.com/auth"


@dataclass
class Upload:
    media_id: str
    filename: str
    content_type: str
    size: int
    kind: str  # "image" (POST /uploads) or "profile" (POST /project_y/file/upload)


@dataclass
class Account:
    email: str
    name: str
    username: str | None
    plan: str
    plan_end: datetime
    sora2: str
    country: str
    quota: int
    access_resets_in_seconds: int
    user_id: str
    client_id: str
    session_token: str
    refresh_token: str
    invite_code: str = field(default_factory=lambda: secrets.token_hex(3).upper())
    uploads: dict[str, Upload] = field(default_factory=dict)

    @property
    def is_pro(self) -> bool:
        return self.plan == "chatgpt_pro"


@dataclass(frozen=True)
class Credentials:
    """What ``FakeSora.create_account`` hands back to a test."""

    email: str
    access_token: str
    session_token: str
    refresh_token: str
    client_id: str


@dataclass
class AccessTokenInfo:
    email: str
    exp: int
    state: Literal["valid", "invalidated", "expired"] = "valid"


class AccountBook:
    """Accounts by email plus every credential issued; callers hold the simulator's lock."""

    def __init__(self, secret: str, access_token_ttl_s: int) -> None:
        self.secret = secret
        self.access_token_ttl_s = access_token_ttl_s
        self.by_email: dict[str, Account] = {}
        self.access_tokens: dict[str, AccessTokenInfo] = {}
        self.session_tokens: dict[str, str] = {}
        self.refresh_tokens: dict[str, str] = {}  # current RT -> email
        self.retired_refresh_tokens: dict[str, str] = {}  # rotated-out RT -> email

    def create(
        self,
        email: str,
        *,
        name: str,
        username: str | None,
        plan: str,
        sora2: str,
        country: str,
        quota: int,
        access_resets_in_seconds: int,
        client_id: str = DEFAULT_CLIENT_ID,
    ) -> Credentials:
        if email in self.by_email:
            raise ValueError(f"account {email} already exists")
        if plan not in PLANS:
            raise ValueError(f"plan must be one of {PLANS}")
        if sora2 not in SORA2_MODES:
            raise ValueError(f"sora2 must be one of {SORA2_MODES}")
        account = Account(
            email=email,
            name=name,
            username=username,
            plan=plan,
            plan_end=datetime.now(UTC).replace(microsecond=0) + timedelta(days=30),
            sora2=sora2,
            country=country,
            quota=quota,
            access_resets_in_seconds=access_resets_in_seconds,
            user_id=f"user-{secrets.token_hex(12)}",
            client_id=client_id,
            session_token=ids.opaque(96),
            refresh_token=ids.opaque(48),
        )
        self.by_email[email] = account
        self.session_tokens[account.session_token] = email
        self.refresh_tokens[account.refresh_token] = email
        return Credentials(
            email=email,
            access_token=self.issue_access_token(email),
            session_token=account.session_token,
            refresh_token=account.refresh_token,
            client_id=client_id,
        )

    def get(self, email: str) -> Account:
        try:
            return self.by_email[email]
        except KeyError:
            raise KeyError(f"no simulated account {email!r}") from None

    def issue_access_token(self, email: str, ttl_s: int | None = None) -> str:
        account = self.get(email)
        now = int(time.time())
        exp = now + (self.access_token_ttl_s if ttl_s is None else ttl_s)
        claims = {
            "iss": "https://auth.openai.com",
            "aud": ["https://api.openai.com/v1"],
            "sub": account.user_id,
            "iat": now,
            "nbf": now,
            "exp": exp,
            "jti": secrets.token_hex(8),
            PROFILE_CLAIM: {"email": email, "email_verified": True},
            AUTH_CLAIM: {"user_id": account.user_id},
        }
        token = jwt.encode(claims, self.secret, algorithm="HS256")
        self.access_tokens[token] = AccessTokenInfo(email=email, exp=exp)
        return token

    def email_for_token(self, token: str | None) -> str | None:
        info = self.access_tokens.get(token or "")
        return info.email if info else None

    def authenticate(self, token: str | None) -> Account:
        """The account behind a bearer token, or the 401 the real backend would answer."""
        info = self.access_tokens.get(token or "")
        if info is None or info.state == "invalidated":
            raise token_invalidated()
        if info.state == "expired" or info.exp <= time.time():
            raise token_expired()
        return self.by_email[info.email]

    def set_token_state(self, email: str, state: Literal["invalidated", "expired"]) -> int:
        """Mark every access token of the account; returns how many were changed."""
        changed = 0
        for info in self.access_tokens.values():
            if info.email == email and info.state == "valid":
                info.state = state
                changed += 1
        return changed

    def rotate_refresh_token(self, refresh_token: str, client_id: str) -> tuple[Account, str]:
        """Spend an RT: returns the account and its new RT; the old one stops working."""
        email = self.refresh_tokens.get(refresh_token)
        if email is None:
            reused = refresh_token in self.retired_refresh_tokens
            code = "refresh_token_reused" if reused else "refresh_token_invalidated"
            message = (
                "Your refresh token has already been used to generate a new access token. "
                "Please try signing in again."
                if reused
                else "Could not validate your refresh token. Please try signing in again."
            )
            raise SimError(401, message, code=code)
        account = self.by_email[email]
        if client_id != account.client_id:
            raise SimError(
                400, f"Invalid client_id {client_id!r} for this refresh token", code="invalid_client"
            )
        del self.refresh_tokens[refresh_token]
        self.retired_refresh_tokens[refresh_token] = email
        account.refresh_token = ids.opaque(48)
        self.refresh_tokens[account.refresh_token] = email
        return account, account.refresh_token


def unsupported_country(account: Account) -> SimError:
    return SimError(
        403,
        "Sora is not available in your country yet.",
        code="unsupported_country_code",
        param=account.country,
    )


def sora2_gate(account: Account) -> SimError | None:
    """The error a Sora 2 call gets from an account that has not activated Sora 2 (§4.3)."""
    if account.sora2 == "supported":
        return None
    return unsupported_country(account) if account.sora2 == "unsupported_country" else unauthorized()
