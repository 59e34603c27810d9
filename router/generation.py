"""What a plugin handler receives: the parsed request and the services it may use."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from router.config import Settings
from router.features import FeatureParsers
from router.media.fetch import MediaFetcher, check_content_type, filename_for, real_content_type
from router.media.store import MediaStore, StoredMedia
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
    #: the base URL the client reached the gateway at (for links to cached results)
    base_url: str = ""


@dataclass(frozen=True)
class GenerationContext:
    """The core services a handler may call (the public API plugins get)."""

    settings: Settings
    pool: AccountPool
    tasks: TaskEngine
    transport: SoraTransport
    features: FeatureParsers
    media: MediaStore
    fetcher: MediaFetcher

    async def store_input(
        self, item: MediaInput, *, accept: Collection[str], what: str = "file", param: str | None = None
    ) -> StoredMedia:
        """Keep a client's image or video in the media store (fetching a URL first); jobs keep the ref.

        The content type is the real one (sniffed from the bytes); a type not in ``accept`` is a 400.
        """
        if item.url is not None:
            fetched = await self.fetcher.fetch(item.url, param=param, default_stem=what)
            data, content_type, filename = fetched.data, fetched.content_type, fetched.filename
        else:
            data = item.data or b""
            content_type = real_content_type(data, item.content_type)
            filename = filename_for(item.filename, content_type, default_stem=what)
        check_content_type(content_type, accept, what=what, param=param)
        return await self.media.put(data, content_type=content_type, filename=filename)
