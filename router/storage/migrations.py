"""Ordered, named migrations recorded in ``_migrations`` (after ``llm/migrations.py``).

Each migration is a function of a sync connection that spells out its own DDL, so the schema it
creates never changes when ``tables.py`` does. Never edit a released migration: append ``m00N_*``.
Never probe for columns: the ledger says what has run.

:func:`apply_pending` runs every pending migration in one transaction that holds the migration lock
(a PostgreSQL advisory lock; on SQLite the ``BEGIN IMMEDIATE`` that :meth:`Database.begin` issues),
so two processes starting at once apply each migration exactly once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from router.storage.timestamps import UTCDateTime, utcnow

Migration = Callable[[sa.Connection], None]

#: pg_advisory_xact_lock key shared by every process migrating this database
_PG_LOCK_KEY = 0x5032_6170_6973_6D67

_ledger = sa.Table(
    "_migrations",
    sa.MetaData(),
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("applied_at", UTCDateTime, nullable=False),
)


def _timestamp(name: str, *, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def m001_initial(conn: sa.Connection) -> None:
    """accounts, tasks, api_keys and admin_users."""
    meta = sa.MetaData()
    sa.Table(
        "accounts",
        meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(320), nullable=False, server_default="", index=True),
        sa.Column("name", sa.Text),
        sa.Column("username", sa.Text),
        sa.Column("access_token_enc", sa.Text, nullable=False),
        sa.Column("session_token_enc", sa.Text),
        sa.Column("refresh_token_enc", sa.Text),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("client_id", sa.Text),
        sa.Column("proxy_url", sa.Text),
        sa.Column("remark", sa.Text),
        sa.Column("plan_type", sa.String(64)),
        sa.Column("plan_title", sa.Text),
        _timestamp("subscription_end"),
        sa.Column("sora2_supported", sa.Boolean),
        sa.Column("invite_code", sa.String(64)),
        sa.Column("remaining_videos", sa.Integer),
        _timestamp("quota_resets_at"),
        _timestamp("expires_at"),
        sa.Column("image_enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("video_enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("image_concurrency", sa.Integer, nullable=False, server_default=sa.text("1")),
        sa.Column("video_concurrency", sa.Integer, nullable=False, server_default=sa.text("3")),
        sa.Column("total_concurrency", sa.Integer),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("disabled_reason", sa.String(32)),
        _timestamp("cooldown_until"),
        sa.Column("last_error", sa.Text),
        _timestamp("last_error_at"),
        sa.Column("success_count", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("failure_count", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("consecutive_errors", sa.Integer, nullable=False, server_default=sa.text("0")),
        _timestamp("last_used_at"),
        _timestamp("created_at", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )
    tasks = sa.Table(
        "tasks",
        meta,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("owner_key_id", sa.Integer),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id", ondelete="SET NULL")),
        sa.Column("status", sa.String(16), nullable=False, server_default="queued", index=True),
        sa.Column("progress", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("upstream_task_id", sa.String(128), index=True),
        sa.Column("generation_id", sa.String(128), index=True),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("result", sa.JSON),
        sa.Column("error_code", sa.String(64)),
        sa.Column("error_message", sa.Text),
        sa.Column("idempotency_key", sa.String(255)),
        _timestamp("created_at", nullable=False),
        _timestamp("updated_at", nullable=False),
        _timestamp("completed_at"),
        sa.CheckConstraint("progress >= 0 AND progress <= 100", name="ck_tasks_progress"),
        sa.Index("ix_tasks_account_id_status", "account_id", "status"),
        sa.Index("ix_tasks_owner_key_id_created_at", "owner_key_id", "created_at"),
        sa.Index("ix_tasks_created_at_id", "created_at", "id"),
    )
    sa.Index(
        "uq_tasks_owner_idempotency_key",
        sa.func.coalesce(tasks.c.owner_key_id, 0),
        tasks.c.idempotency_key,
        unique=True,
    )
    sa.Table(
        "api_keys",
        meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("prefix", sa.String(12), nullable=False, index=True),
        sa.Column("key_hash", sa.Text, nullable=False),
        _timestamp("created_at", nullable=False),
        _timestamp("last_used_at"),
        sa.Column("revoked", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    sa.Table(
        "admin_users",
        meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(128), nullable=False, unique=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        _timestamp("created_at", nullable=False),
    )
    meta.create_all(conn)


def _add_column(conn: sa.Connection, table: str, name: str, type_: sa.types.TypeEngine[Any]) -> None:
    """``ALTER TABLE … ADD COLUMN`` (nullable), with the type spelled by the connection's dialect."""
    spelled = type_.compile(dialect=conn.dialect)
    preparer = conn.dialect.identifier_preparer
    conn.execute(sa.text(f"ALTER TABLE {preparer.quote(table)} ADD COLUMN {preparer.quote(name)} {spelled}"))


def m002_account_refresh(conn: sa.Connection) -> None:
    """accounts: when the access token was last renewed (or tried) and how that went."""
    _add_column(conn, "accounts", "last_refresh_at", sa.DateTime(timezone=True))
    _add_column(conn, "accounts", "last_refresh_result", sa.Text())


def m003_task_submit_marker(conn: sa.Connection) -> None:
    """tasks: when the create call of the task's job was started (the submit window's marker).

    With ``account_id`` set and no ``upstream_task_id`` yet, a restarted gateway knows the job may
    have reached that account and reconciles it against the upstream lists instead of resubmitting.
    """
    _add_column(conn, "tasks", "submit_started_at", sa.DateTime(timezone=True))


def m004_webhook_deliveries(conn: sa.Connection) -> None:
    """webhook_deliveries: one row per (event, endpoint), with its retry state."""
    meta = sa.MetaData()
    sa.Table(
        "webhook_deliveries",
        meta,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("task_id", sa.String(64), nullable=False, index=True),
        sa.Column("endpoint_url", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        _timestamp("next_attempt_at"),
        sa.Column("last_status_code", sa.Integer),
        sa.Column("last_error", sa.Text),
        _timestamp("created_at", nullable=False),
        _timestamp("updated_at", nullable=False),
        _timestamp("delivered_at"),
        sa.Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        sa.Index("ix_webhook_deliveries_created_at_id", "created_at", "id"),
    )
    meta.create_all(conn)


#: every migration, in the order it runs; append only
MIGRATIONS: tuple[Migration, ...] = (
    m001_initial,
    m002_account_refresh,
    m003_task_submit_marker,
    m004_webhook_deliveries,
)


def apply_pending(conn: sa.Connection) -> list[str]:
    """Run the migrations not yet recorded; the names applied, in order ([] when up to date).

    ``conn`` must be inside a transaction (on SQLite an immediate one): the ledger, the DDL and
    the records commit or roll back together.
    """
    _lock(conn)
    _ledger.create(conn, checkfirst=True)
    done = set(conn.scalars(sa.select(_ledger.c.name)))
    applied: list[str] = []
    for migration in MIGRATIONS:
        name = migration.__name__
        if name in done:
            continue
        migration(conn)
        conn.execute(sa.insert(_ledger).values(name=name, applied_at=utcnow()))
        applied.append(name)
    return applied


def applied_migrations(conn: sa.Connection) -> list[str]:
    """The names recorded in the ledger, oldest first ([] before the first start)."""
    if not sa.inspect(conn).has_table(_ledger.name):
        return []
    query = sa.select(_ledger.c.name).order_by(_ledger.c.applied_at, _ledger.c.name)
    return list(conn.scalars(query))


def _lock(conn: sa.Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_LOCK_KEY)))
