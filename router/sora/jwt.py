"""Read an OpenAI access token (JWT) without verifying it (spec §8.2).

The gateway is not the audience of these tokens; it only needs their expiry (to stop picking an
account whose token is dead) and the profile email (a fallback identity).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import jwt

from router.errors import InvalidRequestError

PROFILE_CLAIM = "https://api.openai.com/profile"


@dataclass(frozen=True)
class AccessTokenInfo:
    #: aware UTC expiry; ``None`` when the token has no ``exp`` claim
    expires_at: datetime | None
    email: str | None
    #: aware UTC issue time (``iat``); ``None`` when absent or unreadable
    issued_at: datetime | None = None


def decode_access_token(token: str) -> AccessTokenInfo:
    """Expiry and profile email of ``token``; :class:`InvalidRequestError` if it is not a JWT."""
    try:
        claims = jwt.decode(token.strip(), options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise InvalidRequestError("The access token is not a valid JWT", code="invalid_access_token") from exc
    exp = claims.get("exp")
    expires_at: datetime | None = None
    if exp is not None:
        if isinstance(exp, bool) or not isinstance(exp, int | float):
            raise InvalidRequestError(
                "The access token's 'exp' claim is not a number", code="invalid_access_token"
            )
        try:
            expires_at = datetime.fromtimestamp(exp, UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise InvalidRequestError(
                "The access token's 'exp' claim is out of range", code="invalid_access_token"
            ) from exc
    profile = claims.get(PROFILE_CLAIM)
    email = profile.get("email") if isinstance(profile, dict) else None
    return AccessTokenInfo(
        expires_at=expires_at,
        email=email if isinstance(email, str) and email else None,
        issued_at=_timestamp(claims.get("iat")),
    )


def _timestamp(value: object) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None
