"""The ``webhook_deliveries`` table: one row per (event, endpoint) and where its delivery stands.

A delivery is ``pending`` (``next_attempt_at`` says when it is due), ``delivered`` (a 2xx
answer) or ``failed`` (``webhooks.max_attempts`` used up, or its endpoint left the config). The
body is stored as sent, so every attempt sends and signs the same bytes. Several gateway
processes on one database share the work: a due row is *claimed* by moving its
``next_attempt_at`` past the attempt, with a compare-and-set on the old value.
"""

from __future__ import annotations

import builtins
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa

from router.errors import NotFoundError
from router.storage.db import Database
from router.storage.tables import webhook_deliveries as table
from router.storage.timestamps import utcnow
from router.webhooks.events import WebhookEvent

DeliveryStatus = Literal["pending", "delivered", "failed"]
STATUSES: tuple[DeliveryStatus, ...] = ("pending", "delivered", "failed")


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryRecord:
    #: ``wh_<hex>``, sent as ``webhook-id`` on every attempt (receivers de-duplicate by it)
    id: str
    event_id: str
    event_type: str
    task_id: str
    endpoint_url: str
    payload: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None


class DeliveryRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, event: WebhookEvent, urls: Iterable[str]) -> builtins.list[DeliveryRecord]:
        """A pending delivery of ``event`` to each of ``urls``, due now."""
        now = utcnow()
        rows: builtins.list[dict[str, Any]] = [
            {
                "id": f"wh_{secrets.token_hex(16)}",
                "event_id": event.id,
                "event_type": event.type,
                "task_id": event.task_id,
                "endpoint_url": url,
                "payload": event.body(),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for url in urls
        ]
        if not rows:
            return []
        async with self._db.begin() as conn:
            await conn.execute(sa.insert(table), rows)
        return [
            DeliveryRecord(**row, last_status_code=None, last_error=None, delivered_at=None) for row in rows
        ]

    async def get(self, delivery_id: str) -> DeliveryRecord:
        async with self._db.connect() as conn:
            row = (await conn.execute(sa.select(table).where(table.c.id == delivery_id))).one_or_none()
        if row is None:
            raise NotFoundError(f"No webhook delivery with id {delivery_id!r}", code="delivery_not_found")
        return _record(row._mapping)

    async def claim_due(self, *, limit: int, hold: timedelta) -> builtins.list[DeliveryRecord]:
        """Up to ``limit`` pending deliveries that are due, each now held by this process for ``hold``."""
        now = utcnow()
        due = (
            sa.select(table)
            .where(table.c.status == "pending", table.c.next_attempt_at <= now)
            .order_by(table.c.next_attempt_at, table.c.id)
            .limit(limit)
        )
        claimed: list[DeliveryRecord] = []
        async with self._db.begin() as conn:
            for row in (await conn.execute(due)).all():
                record = _record(row._mapping)
                taken = await conn.execute(
                    sa.update(table)
                    .where(
                        table.c.id == record.id,
                        table.c.status == "pending",
                        table.c.next_attempt_at == record.next_attempt_at,
                    )
                    .values(next_attempt_at=now + hold)
                )
                if taken.rowcount == 1:
                    claimed.append(record)
        return claimed

    async def next_due(self) -> datetime | None:
        """When the earliest pending delivery is due (None: nothing pending)."""
        query = sa.select(sa.func.min(table.c.next_attempt_at)).where(table.c.status == "pending")
        async with self._db.connect() as conn:
            value: datetime | None = await conn.scalar(query)
        return value

    async def delivered(self, delivery_id: str, status_code: int) -> None:
        now = utcnow()
        await self._attempted(
            delivery_id,
            status="delivered",
            last_status_code=status_code,
            next_attempt_at=None,
            delivered_at=now,
        )

    async def retry_at(self, delivery_id: str, at: datetime, status_code: int | None, error: str) -> None:
        await self._attempted(
            delivery_id, status="pending", last_status_code=status_code, last_error=error, next_attempt_at=at
        )

    async def failed(
        self, delivery_id: str, status_code: int | None, error: str, *, attempted: bool = True
    ) -> None:
        fields: dict[str, Any] = {
            "status": "failed",
            "last_status_code": status_code,
            "last_error": error,
            "next_attempt_at": None,
        }
        if attempted:
            await self._attempted(delivery_id, **fields)
        else:
            await self._update(delivery_id, fields)

    async def requeue(self, delivery_id: str) -> DeliveryRecord:
        """Make a delivery pending and due now again (an operator's retry); its attempt count restarts."""
        return await self._update(
            delivery_id,
            {"status": "pending", "attempts": 0, "next_attempt_at": utcnow(), "delivered_at": None},
        )

    async def list(
        self, *, status: DeliveryStatus | None = None, task_id: str | None = None, limit: int = 50
    ) -> builtins.list[DeliveryRecord]:
        """The newest deliveries first, optionally of one status or task."""
        query = sa.select(table).order_by(table.c.created_at.desc(), table.c.id.desc()).limit(limit)
        if status is not None:
            query = query.where(table.c.status == status)
        if task_id is not None:
            query = query.where(table.c.task_id == task_id)
        async with self._db.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_record(row._mapping) for row in rows]

    async def _attempted(self, delivery_id: str, **fields: Any) -> None:
        await self._update(delivery_id, {**fields, "attempts": table.c.attempts + 1})

    async def _update(self, delivery_id: str, fields: dict[str, Any]) -> DeliveryRecord:
        statement = (
            sa.update(table)
            .where(table.c.id == delivery_id)
            .values({**fields, "updated_at": utcnow()})
            .returning(*table.c)
        )
        async with self._db.begin() as conn:
            row = (await conn.execute(statement)).one_or_none()
        if row is None:
            raise NotFoundError(f"No webhook delivery with id {delivery_id!r}", code="delivery_not_found")
        return _record(row._mapping)


def _record(row: sa.RowMapping) -> DeliveryRecord:
    return DeliveryRecord(**row)
