"""The pieces of a durable upstream job that plugins see: spec, context and outcome."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from router.config import Settings
from router.media.cache import ResultCache
from router.media.store import MediaStore
from router.sora.client import SoraSession

JobKind = Literal["video", "image"]


@dataclass(frozen=True)
class JobSpec:
    """A durable upstream job: everything the plugin's ``submit`` needs is in ``params`` (JSON).

    ``account_id`` pins the job to one account (follow-ups such as an extension must run on the
    account that owns the generation).
    """

    model: str
    kind: JobKind
    params: Mapping[str, Any]
    requires_pro: bool = False
    account_id: int | None = None
    #: the base URL the client reached the gateway at (``GenerationRequest.base_url``): links to
    #: cached results use it when ``server.public_base_url`` is not set
    base_url: str = ""


@dataclass(frozen=True)
class Outcome:
    """What the upstream produced for a task (after the plugin's ``finish`` step, what the client gets)."""

    urls: tuple[str, ...]
    generation_id: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class JobContext:
    """What a plugin's ``submit``/``finish`` receive: the leased account's session and helpers."""

    session: SoraSession
    params: Mapping[str, Any]
    account_id: int
    #: send a progress sentence to the client (``reasoning_content`` in chat)
    emit: Callable[[str], None]
    media: MediaStore
    settings: Settings
    #: the result cache (``cache.enabled`` says whether to use it)
    cache: ResultCache
    #: the base of links to the gateway (``server.public_base_url``, else the request's base URL)
    base_url: str
