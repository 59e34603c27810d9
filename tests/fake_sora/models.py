"""Small records the simulator keeps besides accounts and tasks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import ids


@dataclass
class SentinelChallenge:
    """What one sentinel/req (or one POW-service call) issued; ``token`` is the header's ``c``."""

    token: str
    dx: str
    seed: str
    difficulty: str
    required: bool
    device_id: str  # the sentinel/req body's id, or the POW service's device_id
    user_agent: str  # the UA the caller used (the POW service's UA for its tokens)
    source: str = "local"  # "local" | "pow_service"
    cookie_header: str | None = None  # POW service only
    uses: int = 0


@dataclass
class Post:
    id: str
    email: str
    generation_id: str
    deleted: bool = False


@dataclass
class Cameo:
    id: str
    email: str
    created_at: float
    duration: float
    source: str  # "upload" | "generation"
    outcome: str = "ok"  # "ok" | "cameo_failed"
    reason: str | None = None
    display_name: str = "Character"
    username_hint: str = field(default_factory=lambda: f"fake.cameo{ids.opaque(3).lower()}")
    finalized_character: str | None = None

    def status(self, now: float, base_url: str) -> dict[str, Any]:
        """The in_progress body (§6.4, §14)."""
        if now - self.created_at < self.duration:
            return {"id": self.id, "status": "processing", "status_message": "Processing your cameo"}
        if self.outcome == "cameo_failed":
            return {"id": self.id, "status": "failed", "status_message": self.reason}
        return {
            "id": self.id,
            "status": "finalized",
            "status_message": "Completed",
            "display_name_hint": self.display_name,
            "username_hint": self.username_hint,
            "profile_asset_url": f"{base_url}media/{self.id}_profile.webp",
            "instruction_set_hint": None,
            "instruction_set": None,
        }


@dataclass
class Character:
    id: str
    email: str
    cameo_id: str
    username: str
    display_name: str
    visibility: str = "private"
    deleted: bool = False


@dataclass(frozen=True)
class Violation:
    """A request the simulator rejected because it deviated from the spec."""

    method: str
    path: str
    message: str
    account: str | None
