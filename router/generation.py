"""What a plugin handler receives: the parsed request and the services it may use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from router.config import Settings
from router.features import FeatureParsers
from router.media.store import MediaStore
from router.models import ModelSpec

if TYPE_CHECKING:
    from router.pool.pool import AccountPool
    from router.sora.client import SoraTransport
    from router.tasks.engine import TaskEngine


@dataclass(frozen=True)
class MediaInput:
    """An image or video the client attached: inline bytes or a remote URL to fetch."""

    data: bytes | None = None
    url: str | None = None
    content_type: str = "application/octet-stream"
    filename: str = "upload"


@dataclass(frozen=True)
class GenerationRequest:
    """One generation as the surfaces hand it to a plugin."""

    model: ModelSpec
    prompt: str
    requested_model: str = ""
    images: tuple[MediaInput, ...] = ()
    videos: tuple[MediaInput, ...] = ()
    #: request fields the surface does not interpret itself (remix_target_id, style_id, ...)
    extra: dict[str, Any] = field(default_factory=dict)
    owner_key_id: int | None = None


@dataclass(frozen=True)
class GenerationContext:
    """The core services a handler may call (the public API plugins get)."""

    settings: Settings
    pool: AccountPool
    tasks: TaskEngine
    transport: SoraTransport
    features: FeatureParsers
    media: MediaStore
