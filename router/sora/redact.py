"""Keep secrets out of logs and error messages.

Access/refresh/session tokens, cookies, sentinel values and proxy credentials must never reach a
log line or a client. Everything the transport logs or quotes from the upstream passes through here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "[redacted]"

#: header names (lower case) whose values are secrets
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "openai-sentinel-token",
    }
)

#: JSON keys whose values are secrets (tokens, sentinel parts, cookies)
SECRET_KEYS = frozenset(
    {
        "access_token",
        "accesstoken",
        "refresh_token",
        "id_token",
        "session_token",
        "sessiontoken",
        "sentinel_token",
        "token",
        "cookie",
        "cookie_header",
        "password",
        "api_key",
        "client_secret",
        # sentinel header / sentinel request parts
        "p",
        "t",
        "c",
        "dx",
    }
)

_TEXT_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # JWTs (access tokens, id tokens)
    (re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
    (re.compile(r"(?i)\bbearer\s+[^\s\"',;]+"), f"Bearer {REDACTED}"),
    # proof-of-work / sentinel answers
    (re.compile(r"gAAAAA[A-Za-z0-9+/=~_-]+"), f"gAAAAA{REDACTED}"),
    # cookie assignments of session-like cookies
    (re.compile(r"(?i)((?:session-token|session_token|oai-did|cf_clearance)=)[^;\s\"']+"), rf"\1{REDACTED}"),
    # "key": "value" pairs of secret JSON keys inside free text
    (
        re.compile(
            r'(?i)("(?:access_?token|refresh_token|session_?token|id_token|sentinel_token)"\s*:\s*")[^"]*'
        ),
        rf"\1{REDACTED}",
    ),
)


def redact_text(text: str, limit: int | None = None) -> str:
    """``text`` with token-like substrings replaced, optionally cut to ``limit`` characters."""
    for pattern, replacement in _TEXT_PATTERNS:
        text = pattern.sub(replacement, text)
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    return text


def redact_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """A loggable copy of ``headers``: secret values replaced, the rest scrubbed of tokens."""
    return {
        name: REDACTED if name.lower() in SECRET_HEADERS else redact_text(value) for name, value in headers
    }


def redact_json(value: Any) -> Any:
    """A copy of a decoded JSON value with the values of secret keys replaced."""
    if isinstance(value, Mapping):
        return {
            key: REDACTED if str(key).lower() in SECRET_KEYS else redact_json(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact_json(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact_url(url: str) -> str:
    """``url`` without userinfo and with query values other than small numbers hidden.

    Media URLs carry signatures in their query string; those are bearer secrets too.
    """
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    query = urlencode(
        [
            (key, value if value.isdigit() and len(value) < 8 else REDACTED)
            for key, value in parse_qsl(parts.query)
        ],
        safe="[]",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
