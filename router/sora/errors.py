"""Translate upstream failures into the gateway's error tree (``router.errors``).

Two entry points, used by the one request helper in :mod:`router.sora.http`:

* :func:`map_upstream_errors` wraps the I/O and turns ``httpx`` (and SOCKS proxy) exceptions into
  :class:`~router.errors.UpstreamError` subclasses, like httpx's own ``map_httpcore_exceptions``;
* :func:`raise_for_upstream` checks a received response and raises the most specific subclass for
  a non-success status or an unusable body.

Messages are meant for clients: they quote the upstream's own message (redacted and truncated),
never a token, cookie or sentinel value, and never a whole HTML page.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
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
from router.sora.redact import redact_text

#: longest piece of upstream text quoted in an error message
MESSAGE_LIMIT = 300

#: upstream error codes that mean "this account's credentials are dead"
AUTH_CODES = frozenset({"token_invalidated", "token_expired", "invalid_grant", "invalid_token"})

#: 5xx statuses of a front (proxy, Cloudflare) that timed out waiting: the origin may have taken the job
GATEWAY_TIMEOUTS = frozenset({504, 522, 524})

_CHALLENGE_MARKERS = ("just a moment", "cf-chl", "cf_chl", "challenge-platform", "cf-browser-verification")


@contextmanager
def map_upstream_errors(service: str = "Sora") -> Iterator[None]:
    """Turn transport exceptions raised inside the block into ``UpstreamError`` subclasses.

    A plain (sync) context manager, usable around ``await`` in async code. Failures before the
    request left (connect, proxy, pool) become :class:`UpstreamConnectionError` (the upstream surely
    did not accept it); a broken connection afterwards becomes :class:`UpstreamDisconnectedError`
    and a read timeout :class:`UpstreamTimeoutError` (both: the upstream may have accepted it).
    """
    try:
        yield
    except (httpx.ConnectTimeout, httpx.PoolTimeout, python_socks.ProxyTimeoutError) as exc:
        raise UpstreamConnectionError(f"Timed out connecting to {service} ({_describe(exc)})") from exc
    except httpx.TimeoutException as exc:
        raise UpstreamTimeoutError(f"{service} did not answer in time ({_describe(exc)})") from exc
    except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError) as exc:
        raise UpstreamDisconnectedError(
            f"The connection to {service} broke before an answer arrived ({_describe(exc)})"
        ) from exc
    except (httpx.TransportError, python_socks.ProxyError, python_socks.ProxyConnectionError) as exc:
        raise UpstreamConnectionError(f"Could not connect to {service} ({_describe(exc)})") from exc
    except (httpx.DecodingError, httpx.TooManyRedirects) as exc:
        raise UpstreamBadResponseError(f"{service} sent an unreadable answer ({_describe(exc)})") from exc


def _describe(exc: BaseException) -> str:
    detail = redact_text(str(exc), MESSAGE_LIMIT)
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


@dataclass(frozen=True)
class ErrorFields:
    """What an upstream error body says, whatever its shape."""

    code: str | None = None
    message: str | None = None
    type: str | None = None
    param: str | None = None
    #: the decoded JSON body (a dict), or ``None`` when it was not a JSON object
    body: Mapping[str, Any] | None = None


def error_fields(response: httpx.Response) -> ErrorFields:
    """The OpenAI envelope ``{"error": {code, message, type, param}}`` (or an OAuth/other variant)."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return ErrorFields()
    if not isinstance(body, dict):
        return ErrorFields()
    error = body.get("error")
    if isinstance(error, dict):
        return ErrorFields(
            code=_str(error.get("code")),
            message=_str(error.get("message")),
            type=_str(error.get("type")) or _str(body.get("type")),
            param=_str(error.get("param")),
            body=body,
        )
    # OAuth style {"error": "invalid_grant", "error_description": "..."} or {"detail": "..."}
    return ErrorFields(
        code=_str(error) or _str(body.get("code")),
        message=_str(body.get("error_description")) or _str(body.get("detail")) or _str(body.get("message")),
        type=_str(body.get("type")),
        body=body,
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def upstream_error(response: httpx.Response, *, service: str = "Sora") -> UpstreamError:
    """The most specific :class:`UpstreamError` for a non-success ``response`` (not raised)."""
    status = response.status_code
    fields = error_fields(response)
    code = fields.code
    detail = _detail(response, fields)
    common: dict[str, Any] = {"upstream_status": status}

    if code == "unsupported_country_code":
        country = fields.param or "unknown"
        return UnsupportedCountryError(
            f"{service} is not available in the account's country ({country}): {detail}",
            param=country,
            **common,
        )
    if _is_cloudflare_challenge(response, fields):
        return CloudflareChallengeError(
            f"{service}'s Cloudflare front answered HTTP {status} with a browser challenge; "
            "the account's IP or proxy is being blocked",
            **common,
        )
    if status == 401 or code in AUTH_CODES:
        return UpstreamAuthError(
            f"{service} rejected the account's credentials (HTTP {status}): {detail}", **common
        )
    if code == "sentinel_block":
        return SentinelBlockError(f"{service} blocked the request (sentinel_block): {detail}", **common)
    if code == "too_many_concurrent_tasks":
        return ConcurrencyLimitError(f"{service} refused a new task, too many running: {detail}", **common)
    quota = _quota_marker(fields)
    if quota is not None:
        resets = quota if quota >= 0 else None
        suffix = f"; resets in {resets} s" if resets is not None else ""
        return QuotaExhaustedError(
            f"{service} quota exhausted for this account{suffix}", resets_in_seconds=resets, **common
        )
    if code == "heavy_load" or "heavy load" in (fields.message or "").lower():
        return UpstreamOverloadError(f"{service} is under heavy load: {detail}", **common)
    if status == 400:
        rejected_code = "invalid_request" if code == "invalid_request" else None
        return UpstreamRejectedError(
            f"{service} rejected the request: {detail}", code=rejected_code, **common
        )
    if status == 429:
        return QuotaExhaustedError(
            f"{service} rate-limited the account: {detail}", code="upstream_rate_limited", **common
        )
    if status >= 500:
        # an error status means no job was created, except where a front gave up waiting for the origin
        return UpstreamBadResponseError(
            f"{service} failed with HTTP {status}: {detail}",
            code=f"upstream_http_{status}",
            not_accepted=status not in GATEWAY_TIMEOUTS,
            **common,
        )
    return UpstreamError(
        f"{service} answered HTTP {status}: {detail}", code=f"upstream_http_{status}", **common
    )


def raise_for_upstream(
    response: httpx.Response,
    *,
    ok_statuses: Collection[int] = (200, 201),
    expect_json: bool = True,
    service: str = "Sora",
) -> Any:
    """Raise the mapped error unless ``response`` succeeded; return its decoded JSON body.

    Success is a status in ``ok_statuses`` and, when ``expect_json``, a JSON body (an empty or
    non-JSON 2xx body raises :class:`UpstreamBadResponseError`). Returns ``None`` when
    ``expect_json`` is false.
    """
    if response.status_code not in ok_statuses:
        raise upstream_error(response, service=service)
    if not expect_json:
        return None
    try:
        return json.loads(response.content)
    except ValueError as exc:
        kind = "an empty body" if not response.content else "a body that is not JSON"
        raise UpstreamBadResponseError(
            f"{service} answered HTTP {response.status_code} with {kind}",
            upstream_status=response.status_code,
        ) from exc


def _detail(response: httpx.Response, fields: ErrorFields) -> str:
    if fields.message:
        return redact_text(fields.message, MESSAGE_LIMIT)
    if fields.code:
        return fields.code
    if _is_html(response):
        return "an HTML page"
    text = response.text.strip()
    return redact_text(text, MESSAGE_LIMIT) if text else "no details"


def _is_html(response: httpx.Response) -> bool:
    if "html" in response.headers.get("content-type", "").lower():
        return True
    head = response.content[:64].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


def _is_cloudflare_challenge(response: httpx.Response, fields: ErrorFields) -> bool:
    if response.headers.get("cf-mitigated", "").lower() == "challenge":
        return True
    if fields.body is not None or not _is_html(response):
        return False
    if response.status_code == 403:
        return True
    text = response.text.lower()
    return any(marker in text for marker in _CHALLENGE_MARKERS)


def _quota_marker(fields: ErrorFields) -> int | None:
    """Seconds until the quota resets (-1 if unknown) when the body says the quota is gone."""
    if fields.body is None:
        return None
    error = fields.body.get("error")
    balance = fields.body.get("rate_limit_and_credit_balance")
    if not isinstance(balance, dict) and isinstance(error, dict):
        balance = error.get("rate_limit_and_credit_balance")
    reached = isinstance(balance, dict) and balance.get("rate_limit_reached") is True
    if fields.type != "rate_limit_exhausted" and not reached:
        return None
    resets = balance.get("access_resets_in_seconds") if isinstance(balance, dict) else None
    if isinstance(resets, bool) or not isinstance(resets, int | float):
        return -1
    return max(int(resets), 0)
