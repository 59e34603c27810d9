"""The upstream error mapping: one test per row of the table, plus transport exceptions."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import python_socks

from router.errors import (
    CloudflareChallengeError,
    ConcurrencyLimitError,
    QuotaExhaustedError,
    SentinelBlockError,
    UnsupportedCountryError,
    UpstreamAuthError,
    UpstreamBadResponseError,
    UpstreamConnectionError,
    UpstreamDisconnectedError,
    UpstreamError,
    UpstreamOverloadError,
    UpstreamRejectedError,
    UpstreamTimeoutError,
)
from router.sora.errors import MESSAGE_LIMIT, map_upstream_errors, raise_for_upstream

CF_PAGE = (
    "<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
    "<body><div id='cf-chl-widget'></div>"
    "<script src='/cdn-cgi/challenge-platform/x.js'></script></body></html>"
)


def reply(
    status: int, body: Any = None, *, text: str | None = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    request = httpx.Request("POST", "https://sora.test/backend/nf/create")
    if text is not None:
        return httpx.Response(status, text=text, headers=headers, request=request)
    return httpx.Response(status, json=body, headers=headers, request=request)


def envelope(code: str | None, message: str = "", **extra: Any) -> dict[str, Any]:
    return {
        "error": {"message": message, "type": "invalid_request_error", "param": None, "code": code, **extra}
    }


def mapped(response: httpx.Response) -> UpstreamError:
    with pytest.raises(UpstreamError) as info:
        raise_for_upstream(response)
    return info.value


# -- success ---------------------------------------------------------------------------------------


def test_success_returns_the_json_body() -> None:
    assert raise_for_upstream(reply(201, {"id": "task_1"})) == {"id": "task_1"}


def test_delete_statuses_without_body() -> None:
    response = httpx.Response(204, request=httpx.Request("DELETE", "https://sora.test/x"))
    assert raise_for_upstream(response, ok_statuses=(200, 204), expect_json=False) is None


def test_non_json_2xx_is_a_bad_response() -> None:
    error = mapped(reply(200, text="<html>ok</html>"))
    assert type(error) is UpstreamBadResponseError
    assert error.upstream_status == 200


def test_empty_2xx_is_a_bad_response() -> None:
    error = mapped(reply(200, text=""))
    assert type(error) is UpstreamBadResponseError
    assert "empty body" in error.message


# -- the table -------------------------------------------------------------------------------------


def test_401_is_an_auth_error() -> None:
    error = mapped(reply(401, envelope(None, "Unauthorized")))
    assert type(error) is UpstreamAuthError
    assert error.code == "token_invalid"
    assert error.upstream_status == 401


@pytest.mark.parametrize("code", ["token_invalidated", "token_expired"])
def test_token_codes_are_auth_errors_whatever_the_status(code: str) -> None:
    error = mapped(reply(400, envelope(code, "Token expired")))
    assert type(error) is UpstreamAuthError


def test_oauth_invalid_grant_is_an_auth_error() -> None:
    error = mapped(reply(400, {"error": "invalid_grant", "error_description": "Refresh token revoked"}))
    assert type(error) is UpstreamAuthError
    assert "Refresh token revoked" in error.message


def test_sentinel_block() -> None:
    error = mapped(
        reply(400, envelope("sentinel_block", "Hmmm something didn't look right with your request."))
    )
    assert type(error) is SentinelBlockError
    assert error.code == "sentinel_block"


def test_invalid_request_unable_to_process() -> None:
    error = mapped(reply(400, envelope("invalid_request", "Unable to process request")))
    assert type(error) is UpstreamRejectedError
    assert error.code == "invalid_request"
    assert error.message == "Sora rejected the request: Unable to process request"


def test_other_400_is_rejected() -> None:
    error = mapped(reply(400, envelope("bad_prompt", "Prompt too long")))
    assert type(error) is UpstreamRejectedError
    assert error.code == "upstream_rejected"
    assert error.status == 400
    assert "Prompt too long" in error.message


def test_403_html_is_a_cloudflare_challenge() -> None:
    error = mapped(reply(403, text=CF_PAGE, headers={"content-type": "text/html; charset=UTF-8"}))
    assert type(error) is CloudflareChallengeError
    assert "<" not in error.message  # no HTML quoted


def test_cf_mitigated_header_is_a_challenge() -> None:
    error = mapped(reply(429, text="", headers={"cf-mitigated": "challenge"}))
    assert type(error) is CloudflareChallengeError


def test_403_json_is_not_cloudflare() -> None:
    error = mapped(reply(403, envelope("forbidden", "Not allowed")))
    assert type(error) is UpstreamError
    assert error.code == "upstream_http_403"


def test_429_too_many_concurrent_tasks() -> None:
    body = envelope(
        "too_many_concurrent_tasks", "You already have 3 generations in progress", details={"num_tasks": 3}
    )
    error = mapped(reply(429, body))
    assert type(error) is ConcurrencyLimitError
    assert "3 generations" in error.message


def test_429_rate_limit_exhausted_type() -> None:
    body = {"error": {"message": "Daily limit", "type": "rate_limit_exhausted", "code": None}}
    error = mapped(reply(429, body))
    assert isinstance(error, QuotaExhaustedError)
    assert error.resets_in_seconds is None


def test_429_rate_limit_reached_with_reset() -> None:
    body = {
        "error": {"message": "Limit reached", "code": "rate_limited"},
        "rate_limit_and_credit_balance": {"rate_limit_reached": True, "access_resets_in_seconds": 3600},
    }
    error = mapped(reply(429, body))
    assert isinstance(error, QuotaExhaustedError)
    assert error.resets_in_seconds == 3600
    assert "3600" in error.message


def test_unknown_429_is_a_rate_limit() -> None:
    error = mapped(reply(429, envelope(None, "slow down")))
    assert isinstance(error, QuotaExhaustedError)
    assert error.code == "upstream_rate_limited"


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (503, envelope(None, "We're under heavy load, please try again later")),
        (400, envelope("heavy_load", "busy")),
        (429, envelope(None, "We're under heavy load, please try again later")),
    ],
)
def test_heavy_load(status: int, body: dict[str, Any]) -> None:
    assert type(mapped(reply(status, body))) is UpstreamOverloadError


def test_unsupported_country() -> None:
    body = {"error": {"message": "Sora is not available", "code": "unsupported_country_code", "param": "CN"}}
    error = mapped(reply(403, body))
    assert type(error) is UnsupportedCountryError
    assert error.param == "CN"
    assert "(CN)" in error.message


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_a_bad_response(status: int) -> None:
    error = mapped(reply(status, text="upstream exploded"))
    assert type(error) is UpstreamBadResponseError
    assert error.code == f"upstream_http_{status}"
    assert error.retryable


def test_other_status_is_a_plain_upstream_error() -> None:
    error = mapped(reply(404, envelope(None, "Not found")))
    assert type(error) is UpstreamError
    assert error.code == "upstream_http_404"


# -- message hygiene -------------------------------------------------------------------------------


def test_messages_never_quote_secrets_and_are_truncated() -> None:
    jwt_like = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
    secret = f"Bearer {jwt_like} cookie __Secure-next-auth.session-token=abc123; p=gAAAAABxyz~S " + "x" * 1000
    error = mapped(reply(400, envelope("bad", secret)))
    assert jwt_like not in error.message
    assert "abc123" not in error.message
    assert "gAAAAABxyz" not in error.message
    assert len(error.message) < MESSAGE_LIMIT + 80


def test_plain_text_error_bodies_are_quoted_truncated() -> None:
    error = mapped(reply(502, text="y" * 5000))
    assert len(error.message) < MESSAGE_LIMIT + 80


# -- transport exceptions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (httpx.ReadTimeout("read timed out"), UpstreamTimeoutError),
        (httpx.WriteTimeout("write timed out"), UpstreamTimeoutError),
        (httpx.ConnectTimeout("connect timed out"), UpstreamConnectionError),
        (httpx.PoolTimeout("pool"), UpstreamConnectionError),
        (httpx.ConnectError("refused"), UpstreamConnectionError),
        (httpx.ProxyError("proxy said no"), UpstreamConnectionError),
        (httpx.ReadError("reset by peer"), UpstreamDisconnectedError),
        (httpx.RemoteProtocolError("server disconnected"), UpstreamDisconnectedError),
        (httpx.UnsupportedProtocol("ftp"), UpstreamConnectionError),
        (python_socks.ProxyConnectionError("socks down"), UpstreamConnectionError),
        (python_socks.ProxyTimeoutError("socks slow"), UpstreamConnectionError),
        (python_socks.ProxyError("socks auth failed"), UpstreamConnectionError),
        (httpx.DecodingError("bad gzip"), UpstreamBadResponseError),
    ],
)
def test_map_upstream_errors(raised: Exception, expected: type[UpstreamError]) -> None:
    with pytest.raises(UpstreamError) as info, map_upstream_errors():
        raise raised
    assert type(info.value) is expected
    assert info.value.__cause__ is raised


def test_timeout_vs_connection_acceptance_flags() -> None:
    assert UpstreamConnectionError.not_accepted is True
    assert UpstreamDisconnectedError.not_accepted is False
    assert UpstreamTimeoutError.not_accepted is False


async def test_map_upstream_errors_works_around_await() -> None:
    async def fail() -> None:
        raise httpx.ConnectError("refused")

    with pytest.raises(UpstreamConnectionError), map_upstream_errors():
        await fail()


def test_other_exceptions_pass_through() -> None:
    with pytest.raises(KeyError), map_upstream_errors():
        raise KeyError("not ours")
