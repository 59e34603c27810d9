"""Standard Webhooks signing, as OpenAI signs its webhooks (``openai.resources.webhooks``).

The signature is ``v1,`` + base64 of HMAC-SHA256 over ``"{webhook-id}.{webhook-timestamp}.{body}"``;
the key is the base64-decoded part of the secret after ``whsec_``. Receivers reject timestamps
more than a few minutes off, so every attempt is signed anew with the time it is sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

SECRET_PREFIX = "whsec_"
#: bytes of a secret made by :func:`new_secret` (Standard Webhooks allows 24 to 64)
SECRET_BYTES = 32


def secret_key(secret: str) -> bytes:
    """The HMAC key: the base64 after ``whsec_``, decoded (else the text itself, as the SDK does)."""
    if secret.startswith(SECRET_PREFIX):
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    return secret.encode()


def sign(secret: str, webhook_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` value for ``body`` sent as ``webhook_id`` at ``timestamp``."""
    signed = f"{webhook_id}.{timestamp}.{body}".encode()
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(
    secret: str, webhook_id: str, body: str, *, timestamp: int | None = None
) -> dict[str, str]:
    """The headers of one delivery attempt (``timestamp`` defaults to now)."""
    sent_at = int(time.time()) if timestamp is None else timestamp
    return {
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(sent_at),
        "webhook-signature": sign(secret, webhook_id, sent_at, body),
    }


def new_secret() -> str:
    """A fresh signing secret, ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()
