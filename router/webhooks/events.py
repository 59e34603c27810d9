"""The webhook event a finished task stands for, in the OpenAI event envelope.

``{"id": "evt_…", "object": "event", "created_at": <unix s>, "type": "video.completed",
"data": {"id": "<task id>"}}`` — the same shape as OpenAI's events (receivers re-fetch the object).
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field

from router.storage.tasks import TaskRecord

#: every event type the gateway sends
EVENT_TYPES = ("video.completed", "video.failed", "image.completed", "image.failed")


@dataclass(frozen=True)
class WebhookEvent:
    type: str
    task_id: str
    id: str = field(default_factory=lambda: f"evt_{secrets.token_hex(16)}")
    created_at: int = field(default_factory=lambda: int(time.time()))

    def body(self) -> str:
        """The JSON body every delivery of this event sends (and signs) byte for byte."""
        payload = {
            "id": self.id,
            "object": "event",
            "created_at": self.created_at,
            "type": self.type,
            "data": {"id": self.task_id},
        }
        return json.dumps(payload, separators=(",", ":"))


def event_for(record: TaskRecord) -> WebhookEvent | None:
    """The event of a finished video or image task; None for other tasks."""
    if record.kind not in ("video", "image") or not record.finished:
        return None
    return WebhookEvent(type=f"{record.kind}.{record.status}", task_id=record.id)
