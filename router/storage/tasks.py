"""Durable tasks: one row per generation job, whatever surface (chat, videos, images) started it."""

from __future__ import annotations

import builtins
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from router.errors import ConflictError, NotFoundError
from router.storage.db import Database
from router.storage.tables import tasks
from router.storage.timestamps import utcnow

TaskKind = Literal["video", "image", "enhance", "character"]
TaskStatus = Literal["queued", "in_progress", "completed", "failed"]
SortOrder = Literal["asc", "desc"]

KINDS: frozenset[str] = frozenset({"video", "image", "enhance", "character"})
STATUSES: frozenset[str] = frozenset({"queued", "in_progress", "completed", "failed"})
UNFINISHED: tuple[TaskStatus, ...] = ("queued", "in_progress")
FINISHED: tuple[TaskStatus, ...] = ("completed", "failed")
#: every field ``update`` accepts
UPDATABLE: frozenset[str] = frozenset(
    {
        "model",
        "account_id",
        "status",
        "progress",
        "upstream_task_id",
        "generation_id",
        "params",
        "result",
        "error_code",
        "error_message",
        "completed_at",
        "submit_started_at",
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskRecord:
    """One task as stored."""

    #: public id, ``<prefix>_<32 hex>``
    id: str
    kind: TaskKind
    model: str
    owner_key_id: int | None
    account_id: int | None
    status: TaskStatus
    progress: int
    upstream_task_id: str | None
    generation_id: str | None
    params: dict[str, Any]
    result: dict[str, Any] | None
    error_code: str | None
    error_message: str | None
    idempotency_key: str | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    #: when the create call of the job started; with ``account_id`` set and no
    #: ``upstream_task_id`` the job may have reached that account (see ``router.tasks.recovery``)
    submit_started_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


class TaskRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        *,
        prefix: str,
        kind: TaskKind,
        model: str,
        params: Mapping[str, Any],
        owner_key_id: int | None = None,
        idempotency_key: str | None = None,
        account_id: int | None = None,
    ) -> TaskRecord:
        """A queued task with a new public id ``<prefix>_<hex>``.

        ConflictError ``duplicate_idempotency_key`` if the owner already used ``idempotency_key``
        (look it up first with :meth:`find_by_idempotency`; this only catches a race).
        """
        if kind not in KINDS:
            raise ValueError(f"unknown task kind {kind!r}")
        now = utcnow()
        values = {
            "id": f"{prefix}_{secrets.token_hex(16)}",
            "kind": kind,
            "model": model,
            "params": dict(params),
            "owner_key_id": owner_key_id,
            "idempotency_key": idempotency_key,
            "account_id": account_id,
            "created_at": now,
            "updated_at": now,
        }
        try:
            async with self._db.begin() as conn:
                row = (await conn.execute(sa.insert(tasks).values(values).returning(*tasks.c))).one()
        except IntegrityError as exc:
            if (
                idempotency_key is None
                or await self.find_by_idempotency(owner_key_id, idempotency_key) is None
            ):
                raise
            raise ConflictError(
                f"Idempotency key {idempotency_key!r} was already used", code="duplicate_idempotency_key"
            ) from exc
        return _record(row._mapping)

    async def get(self, task_id: str) -> TaskRecord:
        async with self._db.connect() as conn:
            row = (await conn.execute(sa.select(tasks).where(tasks.c.id == task_id))).one_or_none()
        if row is None:
            raise NotFoundError(f"No task with id {task_id!r}", code="task_not_found")
        return _record(row._mapping)

    async def find_by_idempotency(self, owner_key_id: int | None, key: str) -> TaskRecord | None:
        query = sa.select(tasks).where(_owned_by(owner_key_id), tasks.c.idempotency_key == key)
        async with self._db.connect() as conn:
            row = (await conn.execute(query)).one_or_none()
        return None if row is None else _record(row._mapping)

    async def find_by_generation(self, generation_id: str) -> TaskRecord | None:
        """The newest task that produced ``generation_id`` (follow-ups go to its account)."""
        query = (
            sa.select(tasks)
            .where(tasks.c.generation_id == generation_id)
            .order_by(tasks.c.created_at.desc(), tasks.c.id.desc())
            .limit(1)
        )
        async with self._db.connect() as conn:
            row = (await conn.execute(query)).one_or_none()
        return None if row is None else _record(row._mapping)

    async def known_upstream_ids(self, upstream_ids: Collection[str]) -> set[str]:
        """Those of ``upstream_ids`` that some task already holds as its upstream task."""
        if not upstream_ids:
            return set()
        query = sa.select(tasks.c.upstream_task_id).where(tasks.c.upstream_task_id.in_(list(upstream_ids)))
        async with self._db.connect() as conn:
            return {str(value) for value in await conn.scalars(query)}

    async def update(self, task_id: str, **fields: object) -> TaskRecord:
        """Change any field of :data:`UPDATABLE`; bumps ``updated_at``.

        Moving to ``completed`` or ``failed`` sets ``completed_at`` to now unless it is given.
        """
        unknown = set(fields) - UPDATABLE
        if unknown:
            raise TypeError(f"unknown task field(s): {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {**fields, "updated_at": utcnow()}
        if "status" in values:
            if values["status"] not in STATUSES:
                raise ValueError(f"unknown task status {values['status']!r}")
            if values["status"] in FINISHED:
                values.setdefault("completed_at", values["updated_at"])
        progress = values.get("progress")
        if progress is not None and not (isinstance(progress, int) and 0 <= progress <= 100):
            raise ValueError(f"progress must be an int from 0 to 100, not {progress!r}")
        statement = sa.update(tasks).where(tasks.c.id == task_id).values(values).returning(*tasks.c)
        async with self._db.begin() as conn:
            row = (await conn.execute(statement)).one_or_none()
        if row is None:
            raise NotFoundError(f"No task with id {task_id!r}", code="task_not_found")
        return _record(row._mapping)

    async def list_unfinished(self) -> builtins.list[TaskRecord]:
        """Queued and in-progress tasks, oldest first (what pollers resume at start-up)."""
        query = (
            sa.select(tasks).where(tasks.c.status.in_(UNFINISHED)).order_by(tasks.c.created_at, tasks.c.id)
        )
        return await self._select(query)

    async def list_for_owner(
        self,
        owner_key_id: int | None,
        *,
        after: str | None = None,
        limit: int = 20,
        order: SortOrder = "desc",
        kind: str | None = None,
    ) -> builtins.list[TaskRecord]:
        """One page of an owner's tasks (``None``: everyone's), by ``(created_at, id)``.

        ``after`` is the last id of the previous page; NotFoundError if it is not a task of this owner.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if order not in ("asc", "desc"):
            raise ValueError(f"order must be 'asc' or 'desc', not {order!r}")
        owner = sa.true() if owner_key_id is None else _owned_by(owner_key_id)
        query = sa.select(tasks).where(owner)
        if kind is not None:
            query = query.where(tasks.c.kind == kind)
        async with self._db.connect() as conn:
            if after is not None:
                cursor_at = await conn.scalar(sa.select(tasks.c.created_at).where(owner, tasks.c.id == after))
                if cursor_at is None:
                    raise NotFoundError(f"No task with id {after!r}", param="after", code="task_not_found")
                query = query.where(_beyond(cursor_at, after, order))
            if order == "asc":
                query = query.order_by(tasks.c.created_at.asc(), tasks.c.id.asc())
            else:
                query = query.order_by(tasks.c.created_at.desc(), tasks.c.id.desc())
            rows = (await conn.execute(query.limit(limit))).all()
        return [_record(row._mapping) for row in rows]

    async def delete(self, task_id: str) -> None:
        async with self._db.begin() as conn:
            result = await conn.execute(sa.delete(tasks).where(tasks.c.id == task_id))
        if result.rowcount == 0:
            raise NotFoundError(f"No task with id {task_id!r}", code="task_not_found")

    async def _select(self, query: sa.Select[Any]) -> builtins.list[TaskRecord]:
        async with self._db.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_record(row._mapping) for row in rows]


def _owned_by(owner_key_id: int | None) -> sa.ColumnElement[bool]:
    if owner_key_id is None:
        return tasks.c.owner_key_id.is_(None)
    return tasks.c.owner_key_id == owner_key_id


def _beyond(created_at: datetime, task_id: str, order: SortOrder) -> sa.ColumnElement[bool]:
    """Rows after the cursor ``(created_at, task_id)`` in ``order``."""
    if order == "asc":
        return sa.or_(
            tasks.c.created_at > created_at,
            sa.and_(tasks.c.created_at == created_at, tasks.c.id > task_id),
        )
    return sa.or_(
        tasks.c.created_at < created_at,
        sa.and_(tasks.c.created_at == created_at, tasks.c.id < task_id),
    )


def _record(row: sa.RowMapping) -> TaskRecord:
    return TaskRecord(**row)
