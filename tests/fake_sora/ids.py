"""Identifier formats of the simulated service (spec §6.7)."""

from __future__ import annotations

import secrets
import time
import uuid

# Crockford base32 in lower case, as ULIDs print it: no i, l, o or u.
_ULID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def ulid() -> str:
    """26 lower-case base32 characters: 48-bit millisecond time, then 80 random bits."""
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_ULID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def task_id() -> str:
    return f"task_{ulid()}"


def generation_id() -> str:
    return f"gen_{ulid()}"


def share_id() -> str:
    return f"s_{secrets.token_hex(16)}"


def media_id() -> str:
    return f"media_{secrets.token_hex(12)}"


def cameo_id() -> str:
    return f"cameo_{ulid()}"


def character_id() -> str:
    return f"ch_{secrets.token_hex(12)}"


def asset_pointer() -> str:
    return f"sediment://file_{secrets.token_hex(16)}"


def device_id() -> str:
    return str(uuid.uuid4())


def opaque(nbytes: int = 32) -> str:
    """An opaque URL-safe secret (session tokens, refresh tokens, sentinel tokens)."""
    return secrets.token_urlsafe(nbytes)
