"""Access-token decoding without signature verification."""

from __future__ import annotations

from datetime import UTC, datetime

import jwt
import pytest

from router.errors import InvalidRequestError
from router.sora.jwt import decode_access_token

KEY = "k" * 32


def test_expiry_and_email() -> None:
    token = jwt.encode(
        {"exp": 1_900_000_000, "https://api.openai.com/profile": {"email": "a@b.c"}}, KEY, "HS256"
    )
    info = decode_access_token(token)
    assert info.expires_at == datetime.fromtimestamp(1_900_000_000, UTC)
    assert info.expires_at.tzinfo is not None
    assert info.email == "a@b.c"


def test_expired_tokens_still_decode() -> None:
    info = decode_access_token(jwt.encode({"exp": 1}, KEY, "HS256"))
    assert info.expires_at == datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)
    assert info.email is None


def test_no_exp_means_no_expiry() -> None:
    assert decode_access_token(jwt.encode({"sub": "x"}, KEY, "HS256")).expires_at is None


@pytest.mark.parametrize("garbage", ["", "garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.sig"])
def test_garbage_is_an_invalid_request(garbage: str) -> None:
    with pytest.raises(InvalidRequestError) as info:
        decode_access_token(garbage)
    assert info.value.status == 400
    assert garbage not in info.value.message or not garbage


def test_non_numeric_exp_is_rejected() -> None:
    with pytest.raises(InvalidRequestError):
        decode_access_token(jwt.encode({"exp": "tomorrow"}, KEY, "HS256"))
