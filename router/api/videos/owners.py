"""Who owns a task, who may see it, and the ``Idempotency-Key`` of creates.

Ownership: a task belongs to the API key that created it (``Principal.owner_id``: the key's id for
database keys, a stable id derived from the key itself for keys in the config file). Callers see
and manage only their own tasks; an unknown id and somebody else's id are the same 404, so ids
cannot be probed. Keys listed in ``auth.admin_api_keys`` see every task.

Idempotency: a create (``POST /v1/videos``, remix, edit, extension) with an ``Idempotency-Key``
header is recorded under (owner, key). The same key with the same request returns the task the
first request created (no new upstream job); the same key with a *different* request is a 409
``idempotency_key_reused`` rather than a silent replay, because answering a changed request with
an old job hides the client's bug (Stripe and the IETF idempotency-key draft refuse it too). Keys
are per owner: two callers may use the same key. A deleted task frees its key.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import Request

from router.auth import Principal
from router.errors import ConflictError, InvalidRequestError
from router.storage.tasks import TaskRecord
from router.tasks.engine import TaskEngine
from router.tasks.job import JobSpec

IDEMPOTENCY_HEADER = "Idempotency-Key"
#: the width of ``tasks.idempotency_key``
MAX_KEY_LENGTH = 255
#: an owner no task has (a principal without any owner id must not fall back to "everyone")
NOBODY = 0


def owner_of(principal: Principal) -> int:
    """The owner id stored on the tasks this caller creates."""
    for candidate in (principal.owner_id, principal.key_id):
        if candidate is not None:
            return candidate
    return NOBODY


def scope_of(principal: Principal) -> int | None:
    """Whose tasks the caller may see: its own, or everyone's (``None``) for an admin key."""
    return None if principal.is_admin else owner_of(principal)


def idempotency_key(request: Request) -> str | None:
    value = request.headers.get(IDEMPOTENCY_HEADER)
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > MAX_KEY_LENGTH:
        raise InvalidRequestError(
            f"The {IDEMPOTENCY_HEADER} header must hold 1 to {MAX_KEY_LENGTH} characters",
            param=IDEMPOTENCY_HEADER,
            code="invalid_idempotency_key",
        )
    return value


def fingerprint(operation: str, fields: dict[str, Any]) -> str:
    """A digest of what a create asked for (JSON and multipart spellings of one request agree)."""
    canonical = json.dumps({"op": operation, **fields}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def replay(engine: TaskEngine, owner: int, key: str | None, digest: str) -> TaskRecord | None:
    """The task an earlier request with ``key`` created, or ``None``; 409 if it asked for something else."""
    if key is None:
        return None
    record = await engine.find_task(owner, key)
    if record is None:
        return None
    if (record.params.get("api") or {}).get("fingerprint") != digest:
        raise ConflictError(
            f"The {IDEMPOTENCY_HEADER} {key!r} was already used for a different request "
            f"(task {record.id}); use a new key for a new request",
            param=IDEMPOTENCY_HEADER,
            code="idempotency_key_reused",
        )
    return record


async def submit(engine: TaskEngine, job: JobSpec, owner: int, key: str | None, digest: str) -> TaskRecord:
    """Start ``job`` for ``owner``; a concurrent twin with the same key gets the first one's task."""
    try:
        return await engine.submit(job, owner_key_id=owner, idempotency_key=key)
    except ConflictError as exc:
        if key is None or exc.code != "duplicate_idempotency_key":
            raise
        record = await replay(engine, owner, key, digest)
        if record is None:
            raise
        return record
