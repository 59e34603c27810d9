"""``FakeSora``: all simulator state behind one lock, plus the helpers tests call.

The ASGI app mutates this object from the server thread while tests read it from theirs;
every access goes through ``lock`` (re-entrant), and the read helpers return copies.
"""

from __future__ import annotations

import copy
import itertools
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from .accounts import Account, AccountBook, Credentials
from .errors import not_found, quota_exhausted, too_many_concurrent
from .faults import IMAGE_TASK_FAULTS, VIDEO_TASK_FAULTS, FaultPlan
from .media_files import MediaStore
from .models import Cameo, Character, Post, SentinelChallenge, Violation
from .recording import Record, Recorder
from .tasks import (
    CONTENT_VIOLATION_REASON,
    IMAGE_FAILED_MESSAGE,
    PENDING_FAILED_REASON,
    Generation,
    ImageTask,
    TaskBook,
    VideoTask,
)
from .timing import SimConfig, Timing

_DERIVED = object()
_REASONS = {"content_violation": CONTENT_VIOLATION_REASON, "pending_failed": PENDING_FAILED_REASON}


class FakeSora:
    """The simulated upstream. Build the app with ``create_app(sim)`` or run ``FakeSoraServer(sim)``."""

    def __init__(
        self,
        *,
        timing: Timing | None = None,
        config: SimConfig | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lock = threading.RLock()
        self.timing: Timing = timing or Timing()
        self.config: SimConfig = config or SimConfig()
        self.clock = clock
        self.secret = secrets.token_hex(32)
        self.faults = FaultPlan(self.lock)
        self._init_state()

    def _init_state(self) -> None:
        self.accounts = AccountBook(self.secret, self.config.access_token_ttl_s)
        self.tasks = TaskBook()
        self.recorder = Recorder()
        self.media = MediaStore()
        self.sentinels: dict[str, SentinelChallenge] = {}
        self.posts: dict[str, Post] = {}
        self.cameos: dict[str, Cameo] = {}
        self.characters: dict[str, Character] = {}
        self.asset_pointers: dict[str, str] = {}  # pointer -> email
        self.taken_usernames: set[str] = set()
        self.violations: list[Violation] = []
        self._account_numbers = itertools.count(1)

    def reset(self) -> None:
        """Forget everything (accounts, tokens, tasks, records, faults); keeps timing and config."""
        with self.lock:
            self._init_state()
            self.faults.clear()

    # -- accounts --------------------------------------------------------------------------

    def create_account(
        self,
        email: str | None = None,
        *,
        plan: str = "chatgpt_pro",
        sora2: str = "supported",
        quota: int = 30,
        username: Any = _DERIVED,
        name: str | None = None,
        country: str = "US",
        access_resets_in_seconds: int = 0,
    ) -> Credentials:
        """A new account; ``username=None`` makes /me report a null username (§8.5)."""
        with self.lock:
            email = email or f"user{next(self._account_numbers)}@example.com"
            local = email.split("@")[0]
            if username is _DERIVED:
                username = "".join(ch for ch in local.lower() if ch.isalnum() or ch == "_") or "user"
            creds = self.accounts.create(
                email,
                name=name or local.title(),
                username=username,
                plan=plan,
                sora2=sora2,
                country=country,
                quota=quota,
                access_resets_in_seconds=access_resets_in_seconds,
            )
            if username:
                self.taken_usernames.add(username)
            return creds

    def account(self, email: str) -> Account:
        """A snapshot of the account (quota is up to date)."""
        with self.lock:
            self.tick()
            return copy.deepcopy(self.accounts.get(email))

    def _update(self, email: str, **changes: Any) -> None:
        with self.lock:
            account = self.accounts.get(email)
            for key, value in changes.items():
                setattr(account, key, value)

    def set_plan(self, email: str, plan: str) -> None:
        self._update(email, plan=plan)

    def set_quota(self, email: str, remaining: int, *, resets_in: int | None = None) -> None:
        self._update(email, quota=remaining)
        if resets_in is not None:
            self._update(email, access_resets_in_seconds=resets_in)

    def set_sora2(self, email: str, mode: str, *, country: str | None = None) -> None:
        self._update(email, sora2=mode)
        if country is not None:
            self._update(email, country=country)

    def set_username(self, email: str, username: str | None) -> None:
        self._update(email, username=username)

    def issue_access_token(self, email: str, ttl_s: int | None = None) -> str:
        """Another AT for the account; a negative ``ttl_s`` gives an already expired JWT."""
        with self.lock:
            return self.accounts.issue_access_token(email, ttl_s)

    def invalidate_access_tokens(self, email: str) -> int:
        """Every current AT of the account now gets 401 token_invalidated."""
        with self.lock:
            return self.accounts.set_token_state(email, "invalidated")

    def expire_access_tokens(self, email: str) -> int:
        """Every current AT of the account now gets 401 token_expired."""
        with self.lock:
            return self.accounts.set_token_state(email, "expired")

    # -- tasks -----------------------------------------------------------------------------

    def tick(self) -> None:
        """Apply the side effects of tasks that finished: quota, media files."""
        with self.lock:
            videos, images = self.tasks.tick(self.clock())
            for task in videos:
                if task.succeeded:
                    account = self.accounts.by_email[task.email]
                    account.quota = max(0, account.quota - 1)
                    self.media.add(f"{task.generation_id}.mp4")
                    self.media.add(f"{task.generation_id}_dl.mp4")
            for image in images:
                if image.outcome == "ok":
                    self.media.add(f"{image.generation_id}.png")

    def start_video(
        self, account: Account, source: str, body: dict[str, Any], method: str, path: str
    ) -> VideoTask:
        """Quota and concurrency checks, then a new video task (with any queued task fault)."""
        with self.lock:
            self.tick()
            now = self.clock()
            if account.quota <= 0:
                raise quota_exhausted(account.access_resets_in_seconds)
            active = len(self.tasks.active_videos(account.email, now))
            if active >= self.config.max_concurrent_videos:
                raise too_many_concurrent(active)
            task = VideoTask.new(account.email, source, body, now, time.time(), self.timing)
            fault = self.faults.take(VIDEO_TASK_FAULTS, method, path, account.email)
            if fault is not None:
                task.outcome = fault.kind
                task.reason = fault.message or _REASONS.get(fault.kind)
            self.tasks.add_video(task, now)
            return task

    def start_image(self, account: Account, body: dict[str, Any], method: str, path: str) -> ImageTask:
        with self.lock:
            self.tick()
            now = self.clock()
            task = ImageTask.new(account.email, body, now, time.time(), self.timing)
            fault = self.faults.take(IMAGE_TASK_FAULTS, method, path, account.email)
            if fault is not None:
                task.outcome = fault.kind
                task.reason = fault.message or IMAGE_FAILED_MESSAGE
            self.tasks.add_image(task, now)
            return task

    def video_task(self, task_id: str) -> VideoTask:
        with self.lock:
            self.tick()
            return copy.deepcopy(self.tasks.videos[task_id])

    def image_task(self, task_id: str) -> ImageTask:
        with self.lock:
            self.tick()
            return copy.deepcopy(self.tasks.images[task_id])

    def video_generation(self, email: str, generation_id: str) -> Generation:
        """A successful video generation of this account, else the 404 the backend answers."""
        with self.lock:
            self.tick()
            generation = self.tasks.generations.get(generation_id)
        if generation is None or generation.email != email or generation.kind != "video" or not generation.ok:
            raise not_found(f"Generation {generation_id}")
        return generation

    def create_count(self, email: str | None = None, kind: str | None = None) -> int:
        """Accepted creates (tasks started), optionally for one account and/or kind ("video"|"image")."""
        with self.lock:
            return sum(1 for e, k, _ in self.tasks.creates if email in (None, e) and kind in (None, k))

    def creates_per_account(self, kind: str | None = None) -> dict[str, int]:
        with self.lock:
            counts: dict[str, int] = {}
            for email, task_kind, _ in self.tasks.creates:
                if kind in (None, task_kind):
                    counts[email] = counts.get(email, 0) + 1
            return counts

    def peak_concurrency(self, email: str, kind: str = "video") -> int:
        """The most tasks of ``kind`` the account ever had running at once."""
        with self.lock:
            peaks = self.tasks.peak_videos if kind == "video" else self.tasks.peak_images
            return peaks.get(email, 0)

    def active_videos(self, email: str) -> int:
        with self.lock:
            return len(self.tasks.active_videos(email, self.clock()))

    # -- recordings ------------------------------------------------------------------------

    @property
    def records(self) -> list[Record]:
        with self.lock:
            return list(self.recorder.records)

    def requests_to(self, path_suffix: str, method: str | None = None) -> list[Record]:
        """Recorded requests whose path ends with ``path_suffix`` (e.g. "/nf/create"), oldest first."""
        with self.lock:
            return self.recorder.find(path_suffix, method)

    def count(self, path_suffix: str, method: str | None = None) -> int:
        return len(self.requests_to(path_suffix, method))

    def note_violation(self, method: str, path: str, message: str, account: str | None) -> None:
        with self.lock:
            self.violations.append(Violation(method, path, message, account))

    def assert_no_violations(self) -> None:
        with self.lock:
            found = list(self.violations)
        if found:
            lines = "\n".join(f"  {v.method} {v.path}: {v.message}" for v in found)
            raise AssertionError(
                f"the gateway sent {len(found)} request(s) that deviate from the spec:\n{lines}"
            )

    # -- media -----------------------------------------------------------------------------

    def remove_media(self, name_or_url: str) -> None:
        """Make the media host answer 404 for a file (to test download fallbacks)."""
        name = name_or_url.split("?")[0].rsplit("/", 1)[-1]
        with self.lock:
            self.media.remove(name)
