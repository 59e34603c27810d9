"""The current schema, as the repositories see it.

``migrations.py`` creates and changes the schema with its own frozen DDL; this module must describe
the result (a test compares the two). Every timestamp is :class:`UTCDateTime`.
"""

from __future__ import annotations

import sqlalchemy as sa

from router.storage.timestamps import UTCDateTime

metadata = sa.MetaData()

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("email", sa.String(320), nullable=False, server_default="", index=True),
    sa.Column("name", sa.Text),
    sa.Column("username", sa.Text),
    sa.Column("access_token_enc", sa.Text, nullable=False),
    sa.Column("session_token_enc", sa.Text),
    sa.Column("refresh_token_enc", sa.Text),
    # sha256 hex of the access token: recognises duplicates without decrypting
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("client_id", sa.Text),
    sa.Column("proxy_url", sa.Text),
    sa.Column("remark", sa.Text),
    sa.Column("plan_type", sa.String(64)),
    sa.Column("plan_title", sa.Text),
    sa.Column("subscription_end", UTCDateTime),
    sa.Column("sora2_supported", sa.Boolean),
    sa.Column("invite_code", sa.String(64)),
    sa.Column("remaining_videos", sa.Integer),
    sa.Column("quota_resets_at", UTCDateTime),
    sa.Column("expires_at", UTCDateTime),
    sa.Column("image_enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("video_enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("image_concurrency", sa.Integer, nullable=False, server_default=sa.text("1")),
    sa.Column("video_concurrency", sa.Integer, nullable=False, server_default=sa.text("3")),
    sa.Column("total_concurrency", sa.Integer),
    sa.Column("status", sa.String(16), nullable=False, server_default="active"),
    sa.Column("disabled_reason", sa.String(32)),
    sa.Column("cooldown_until", UTCDateTime),
    sa.Column("last_error", sa.Text),
    sa.Column("last_error_at", UTCDateTime),
    sa.Column("success_count", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("failure_count", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("consecutive_errors", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("last_used_at", UTCDateTime),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False, index=True),
    # the last renewal of the access token (attempt time, "ok: …" or "failed: …")
    sa.Column("last_refresh_at", UTCDateTime),
    sa.Column("last_refresh_result", sa.Text),
)

tasks = sa.Table(
    "tasks",
    metadata,
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
    # none_as_null: Python None is SQL NULL, not the JSON value null
    sa.Column("result", sa.JSON(none_as_null=True)),
    sa.Column("error_code", sa.String(64)),
    sa.Column("error_message", sa.Text),
    sa.Column("idempotency_key", sa.String(255)),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("completed_at", UTCDateTime),
    # when the create call of the job started (with account_id and no upstream_task_id: the job may
    # have reached that account; a restart reconciles instead of resubmitting)
    sa.Column("submit_started_at", UTCDateTime),
    sa.CheckConstraint("progress >= 0 AND progress <= 100", name="ck_tasks_progress"),
    sa.Index("ix_tasks_account_id_status", "account_id", "status"),
    sa.Index("ix_tasks_owner_key_id_created_at", "owner_key_id", "created_at"),
    sa.Index("ix_tasks_created_at_id", "created_at", "id"),
)
# one task per (owner, idempotency key); coalesce makes the config keys' NULL owner count too
sa.Index(
    "uq_tasks_owner_idempotency_key",
    sa.func.coalesce(tasks.c.owner_key_id, 0),
    tasks.c.idempotency_key,
    unique=True,
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("prefix", sa.String(12), nullable=False, index=True),
    sa.Column("key_hash", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_used_at", UTCDateTime),
    sa.Column("revoked", sa.Boolean, nullable=False, server_default=sa.false()),
)

admin_users = sa.Table(
    "admin_users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(128), nullable=False, unique=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    # wh_<hex>: the webhook-id header, the same on every attempt
    sa.Column("id", sa.String(64), primary_key=True),
    # evt_<hex>: the event's id in the payload (one event, one delivery per endpoint)
    sa.Column("event_id", sa.String(64), nullable=False),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("task_id", sa.String(64), nullable=False, index=True),
    sa.Column("endpoint_url", sa.Text, nullable=False),
    # the exact body every attempt sends (and signs)
    sa.Column("payload", sa.Text, nullable=False),
    # pending, delivered or failed
    sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("next_attempt_at", UTCDateTime),
    sa.Column("last_status_code", sa.Integer),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("delivered_at", UTCDateTime),
    sa.Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    sa.Index("ix_webhook_deliveries_created_at_id", "created_at", "id"),
)
