"""Models as data: a ``ModelSpec`` per model id, registered by the plugin that serves it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from router.events import Event

if TYPE_CHECKING:
    from router.generation import GenerationContext, GenerationRequest
    from router.tasks.job import JobContext, Outcome

ModelKind = Literal["image", "video", "enhance", "character"]


class ModelHandler(Protocol):
    """What a plugin provides to serve a model."""

    def generate(self, request: GenerationRequest, ctx: GenerationContext) -> AsyncIterator[Event]:
        """Run one generation and yield its events (async generator)."""
        ...


class JobHandler(ModelHandler, Protocol):
    """A handler whose work is a durable upstream task that the task engine submits and polls."""

    async def submit(self, job: JobContext) -> str:
        """Submit the job described by ``job.params`` on the leased account; return the upstream task id.

        Called again (on another account) when the upstream refused the job before accepting it.
        """
        ...

    async def finish(self, job: JobContext, outcome: Outcome) -> Outcome:
        """Post-process a finished upstream task (publish, resolve, cache); return what the client gets."""
        ...


@dataclass(frozen=True)
class ModelSpec:
    """One model id served by a plugin.

    ``params`` holds the upstream parameters of the variant (orientation, frames, size ...);
    ``plugin`` is stamped by the registry with the name of the registering plugin.
    """

    id: str
    kind: ModelKind
    handler: ModelHandler
    description: str = ""
    requires_pro: bool = False
    aliases: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    owned_by: str = "sora2api"
    created: int = 1759276800  # 2025-10-01, the Sora 2 launch month
    plugin: str = ""
