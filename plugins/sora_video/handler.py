"""Text-to-video through Sora's ``/nf/create``, polled by the task engine (pending, then drafts)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from plugins.sora_video.results import finish_video
from router import (
    Event,
    GenerationContext,
    GenerationRequest,
    InvalidRequestError,
    JobContext,
    JobSpec,
    Outcome,
)


class VideoHandler:
    async def generate(self, request: GenerationRequest, ctx: GenerationContext) -> AsyncIterator[Event]:
        prompt = request.prompt.strip()
        if not prompt:
            raise InvalidRequestError(
                "The prompt is empty: put the video description in the last message", param="messages"
            )
        spec = request.model
        await ctx.pool.ensure_servable("video", requires_pro=spec.requires_pro, model=spec.id)
        body = {
            "kind": "video",
            "prompt": prompt,
            "orientation": spec.params["orientation"],
            "size": spec.params["size"],
            "n_frames": spec.params["n_frames"],
            "model": spec.params["upstream_model"],
            "inpaint_items": [],
            "style_id": None,
        }
        job = JobSpec(model=spec.id, kind="video", params={"body": body}, requires_pro=spec.requires_pro)
        async for event in ctx.tasks.run(job, owner_key_id=request.owner_key_id):
            yield event

    async def submit(self, job: JobContext) -> str:
        return await job.session.create_video(dict(job.params["body"]))

    async def finish(self, job: JobContext, outcome: Outcome) -> Outcome:
        return await finish_video(job, outcome)
