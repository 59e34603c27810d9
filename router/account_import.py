"""What an operator hands in to add accounts: one account, or a file of many (pure parsing).

A file is either JSON — an array of objects as the original's export wrote them (``email,
access_token, session_token, refresh_token, client_id, proxy_url, remark, is_active,
image_enabled, video_enabled, image_concurrency, video_concurrency``), also wrapped as
``{"tokens": [...]}`` — or text with one token per line (blank lines and ``#`` comments skipped).
A line's kind is given (``--kind at|st|rt``) or recognised: a JWT is an access token, a
five-part JWE (``eyJ…``) a session token, ``rt_…`` a refresh token.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any, Literal

import jwt

TokenKind = Literal["at", "st", "rt"]
ImportKind = Literal["auto", "at", "st", "rt"]
IMPORT_KINDS: tuple[str, ...] = ("auto", "at", "st", "rt")

_TOKEN_FIELDS: dict[str, TokenKind] = {
    "access_token": "at",
    "token": "at",
    "at": "at",
    "session_token": "st",
    "st": "st",
    "refresh_token": "rt",
    "rt": "rt",
}
_TEXT_FIELDS = ("email", "client_id", "proxy_url", "remark")
_FLAG_FIELDS = ("image_enabled", "video_enabled")
_LIMIT_FIELDS = ("image_concurrency", "video_concurrency", "total_concurrency")


@dataclass(frozen=True)
class NewAccount:
    """One account to add: at least one token; ``None`` options take the configured defaults."""

    access_token: str | None = None
    session_token: str | None = None
    refresh_token: str | None = None
    client_id: str | None = None
    proxy_url: str | None = None
    remark: str | None = None
    image_enabled: bool | None = None
    video_enabled: bool | None = None
    image_concurrency: int | None = None
    video_concurrency: int | None = None
    total_concurrency: int | None = None
    #: ``False`` stores the account disabled (reason ``manual``)
    active: bool = True
    #: the email an import file names (the upstream's answer wins)
    email: str | None = None

    def with_token(self, kind: TokenKind, token: str) -> NewAccount:
        if kind == "at":
            return replace(self, access_token=token)
        if kind == "st":
            return replace(self, session_token=token)
        return replace(self, refresh_token=token)

    @property
    def tokens(self) -> tuple[str, ...]:
        return tuple(t for t in (self.access_token, self.session_token, self.refresh_token) if t)


@dataclass(frozen=True)
class ImportEntry:
    """One line or JSON item: the account it describes, or why it cannot be read."""

    label: str
    account: NewAccount | None
    error: str | None = None


def guess_kind(token: str) -> TokenKind | None:
    """``at`` for a JWT, ``st`` for a JWE session token, ``rt`` for ``rt_…``; ``None`` when unsure."""
    parts = token.split(".")
    if len(parts) == 3:
        try:
            jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return None
        return "at"
    if len(parts) == 5 and token.startswith("eyJ"):
        return "st"
    if token.startswith("rt_"):
        return "rt"
    return None


def parse_import(
    text: str, *, kind: ImportKind = "auto", defaults: NewAccount | None = None
) -> list[ImportEntry]:
    """The entries of an import file; ``defaults`` fills what a line or item does not say."""
    base = defaults or NewAccount()
    stripped = text.lstrip()
    if stripped.startswith(("[", "{")):
        return _parse_json(stripped, base)
    entries = []
    for number, raw in enumerate(text.splitlines(), start=1):
        token = raw.strip()
        if not token or token.startswith("#"):
            continue
        label = f"line {number}"
        token_kind = guess_kind(token) if kind == "auto" else kind
        if token_kind is None:
            error = (
                "not an access token (JWT); say what it is with --kind st (session) or --kind rt (refresh)"
            )
            entries.append(ImportEntry(label, None, error))
        elif any(ch.isspace() for ch in token):
            entries.append(ImportEntry(label, None, "a token cannot contain spaces (one token per line)"))
        else:
            entries.append(ImportEntry(label, base.with_token(token_kind, token)))
    return entries


def _parse_json(text: str, base: NewAccount) -> list[ImportEntry]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        return [ImportEntry("file", None, f"not valid JSON ({exc})")]
    if isinstance(data, dict):
        data = data.get("tokens", [data])
    if not isinstance(data, list):
        return [ImportEntry("file", None, 'JSON must be an array of accounts (or {"tokens": [...]})')]
    return [_json_item(index, item, base) for index, item in enumerate(data, start=1)]


def _json_item(index: int, item: Any, base: NewAccount) -> ImportEntry:
    label = f"item {index}"
    if not isinstance(item, dict):
        return ImportEntry(label, None, "each item must be an object")
    if isinstance(item.get("email"), str) and item["email"]:
        label = f"item {index} ({item['email']})"
    values: dict[str, Any] = {}
    for key, kind in _TOKEN_FIELDS.items():
        value = item.get(key)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            return ImportEntry(label, None, f"'{key}' must be a string")
        values[{"at": "access_token", "st": "session_token", "rt": "refresh_token"}[kind]] = value.strip()
    for key in _TEXT_FIELDS:
        value = item.get(key)
        if value is not None and not isinstance(value, str):
            return ImportEntry(label, None, f"'{key}' must be a string")
        if value:
            values[key] = value.strip()
    for key in _FLAG_FIELDS:
        value = item.get(key)
        if value is not None:
            if not isinstance(value, bool | int):
                return ImportEntry(label, None, f"'{key}' must be true or false")
            values[key] = bool(value)
    for key in _LIMIT_FIELDS:
        value = item.get(key)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int):
                return ImportEntry(label, None, f"'{key}' must be a whole number (-1 = unlimited)")
            values[key] = value
    active = item.get("is_active", True)
    values["active"] = bool(active) if isinstance(active, bool | int) else True
    account = replace(base, **values)
    if not account.tokens:
        return ImportEntry(label, None, "no access_token, session_token or refresh_token")
    return ImportEntry(label, account)
