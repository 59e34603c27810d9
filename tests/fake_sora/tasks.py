"""Video and image tasks: a time-driven state machine (§4.11–4.13, §6.1–6.3).

A task's visible state is a pure function of the time since it was created; ``TaskBook.tick``
finds the tasks that have just finished so the simulator can apply side effects once
(quota, media files, generations).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import ids
from .timing import Timing

VIDEO_OUTCOMES = ("ok", "content_violation", "stuck", "missing_draft", "pending_failed", "no_url")
IMAGE_OUTCOMES = ("ok", "image_failed")
CONTENT_VIOLATION_REASON = (
    "This content may violate our guardrails concerning similarity to third-party content."
)
PENDING_FAILED_REASON = "Video generation failed. Please try again."
IMAGE_FAILED_MESSAGE = "Image generation failed: your request was rejected by the safety system."


@dataclass
class Generation:
    id: str
    email: str
    task_id: str
    kind: str  # "video" | "image"
    ok: bool


@dataclass
class VideoTask:
    id: str
    email: str
    source: str  # "create" | "remix" | "storyboard" | "extension"
    body: dict[str, Any]
    created_at: float  # simulator clock
    created_wall: float  # epoch seconds, shown to the client
    phases: tuple[float, float, float, float]
    outcome: str = "ok"
    reason: str | None = None
    generation_id: str = field(default_factory=ids.generation_id)
    finished: bool = False

    @classmethod
    def new(
        cls, email: str, source: str, body: dict[str, Any], now: float, wall: float, timing: Timing
    ) -> VideoTask:
        phases = (
            timing.video_preprocessing_s,
            timing.video_queued_s,
            timing.video_running_s,
            timing.video_processing_s,
        )
        return cls(ids.task_id(), email, source, body, now, wall, phases)

    def pending_state(self, now: float) -> tuple[str, float | None] | None:
        """(status, progress_pct) while in the pending list; None once it has left."""
        pre, queued, running, processing = self.phases
        elapsed = now - self.created_at
        if self.outcome == "stuck":
            elapsed = min(elapsed, pre + queued + running)
        if elapsed >= pre + queued + running + processing:
            return None
        if elapsed < pre:
            state: tuple[str, float | None] = ("preprocessing", None)
        elif elapsed < pre + queued:
            state = ("queued", None)
        elif elapsed < pre + queued + running:
            fraction = (elapsed - pre - queued) / running if running > 0 else 1.0
            state = ("running", round(min(1.0, 0.1 + 0.9 * fraction), 3))
        else:
            state = ("processing", 1.0)
        if self.outcome == "pending_failed":
            return ("failed", state[1])
        return state

    def pending_item(self, now: float) -> dict[str, Any] | None:
        state = self.pending_state(now)
        if state is None:
            return None
        status, progress = state
        return {
            "id": self.id,
            "status": status,
            "progress_pct": progress,
            "failure_reason": self.reason if status == "failed" else None,
            "prompt": self.body.get("prompt") or self.body.get("user_prompt"),
            "created_at": self.created_wall,
        }

    @property
    def succeeded(self) -> bool:
        return self.outcome in ("ok", "missing_draft")

    def draft_item(self, base_url: str) -> dict[str, Any]:
        """The drafts-list entry once finished (§4.12, §6.2)."""
        item: dict[str, Any] = {
            "id": self.generation_id,
            "task_id": self.id,
            "kind": "sora_draft",
            "url": None,
            "downloadable_url": None,
            "reason_str": None,
            "markdown_reason_str": None,
            "prompt": self.body.get("prompt") or self.body.get("user_prompt"),
            "created_at": self.created_wall,
            "n_frames": self.body.get("n_frames"),
            "orientation": self.body.get("orientation"),
        }
        if self.succeeded:
            item["url"] = f"{base_url}media/{self.generation_id}.mp4"
            item["downloadable_url"] = f"{base_url}media/{self.generation_id}_dl.mp4"
        elif self.outcome == "content_violation":
            item.update(
                kind="sora_content_violation", reason_str=self.reason, markdown_reason_str=self.reason
            )
        elif self.outcome == "pending_failed":
            item.update(reason_str=self.reason, markdown_reason_str=self.reason)
        return item


@dataclass
class ImageTask:
    id: str
    email: str
    body: dict[str, Any]
    created_at: float
    created_wall: float
    duration: float
    outcome: str = "ok"
    reason: str | None = None
    generation_id: str = field(default_factory=ids.generation_id)
    finished: bool = False

    @classmethod
    def new(cls, email: str, body: dict[str, Any], now: float, wall: float, timing: Timing) -> ImageTask:
        return cls(ids.task_id(), email, body, now, wall, timing.image_processing_s)

    def is_done(self, now: float) -> bool:
        return now - self.created_at >= self.duration

    def recent_item(self, now: float, base_url: str) -> dict[str, Any]:
        """The /v2/recent_tasks entry (§4.13, §6.3); progress_pct is always a number."""
        item: dict[str, Any] = {
            "id": self.id,
            "type": "image_gen",
            "prompt": self.body["prompt"],
            "created_at": self.created_wall,
            "status": "processing",
            "progress_pct": 0.0,
            "generations": [],
            "error_message": None,
        }
        if not self.is_done(now):
            fraction = (now - self.created_at) / self.duration if self.duration > 0 else 0.0
            item["progress_pct"] = round(min(0.99, fraction), 3)
        elif self.outcome == "image_failed":
            item.update(status="failed", progress_pct=1.0, error_message=self.reason)
        else:
            generation = {
                "id": self.generation_id,
                "task_id": self.id,
                "url": f"{base_url}media/{self.generation_id}.png",
                "width": self.body["width"],
                "height": self.body["height"],
            }
            item.update(status="succeeded", progress_pct=1.0, generations=[generation])
        return item


@dataclass
class TaskBook:
    """Every task, generation and counter; callers hold the simulator's lock."""

    videos: dict[str, VideoTask] = field(default_factory=dict)
    images: dict[str, ImageTask] = field(default_factory=dict)
    generations: dict[str, Generation] = field(default_factory=dict)
    creates: list[tuple[str, str, str]] = field(default_factory=list)  # (email, kind, source)
    peak_videos: dict[str, int] = field(default_factory=dict)
    peak_images: dict[str, int] = field(default_factory=dict)

    def active_videos(self, email: str, now: float) -> list[VideoTask]:
        return [t for t in self.videos.values() if t.email == email and t.pending_state(now) is not None]

    def active_images(self, email: str, now: float) -> list[ImageTask]:
        return [t for t in self.images.values() if t.email == email and not t.is_done(now)]

    def add_video(self, task: VideoTask, now: float) -> None:
        self.videos[task.id] = task
        self.creates.append((task.email, "video", task.source))
        active = len(self.active_videos(task.email, now))
        self.peak_videos[task.email] = max(self.peak_videos.get(task.email, 0), active)

    def add_image(self, task: ImageTask, now: float) -> None:
        self.images[task.id] = task
        self.creates.append((task.email, "image", "video_gen"))
        active = len(self.active_images(task.email, now))
        self.peak_images[task.email] = max(self.peak_images.get(task.email, 0), active)

    def tick(self, now: float) -> tuple[list[VideoTask], list[ImageTask]]:
        """Mark and return the tasks that finished since the last tick."""
        videos = [t for t in self.videos.values() if not t.finished and t.pending_state(now) is None]
        images = [t for t in self.images.values() if not t.finished and t.is_done(now)]
        for task in videos:
            task.finished = True
            self.generations[task.generation_id] = Generation(
                task.generation_id, task.email, task.id, "video", task.succeeded
            )
        for image in images:
            image.finished = True
            ok = image.outcome == "ok"
            self.generations[image.generation_id] = Generation(
                image.generation_id, image.email, image.id, "image", ok
            )
        return videos, images

    def drafts(self, email: str, limit: int) -> list[VideoTask]:
        """Finished video tasks, newest first, as the drafts list shows them."""
        done = [
            t
            for t in self.videos.values()
            if t.email == email and t.finished and t.outcome != "missing_draft"
        ]
        done.sort(key=lambda t: t.created_at, reverse=True)
        return done[:limit]

    def recent_images(self, email: str, limit: int) -> list[ImageTask]:
        mine = [t for t in self.images.values() if t.email == email]
        mine.sort(key=lambda t: t.created_at, reverse=True)
        return mine[:limit]
