"""Text-to-image through Sora's ``/video_gen`` (type ``image_gen``), polled by the task engine."""

from __future__ import annotations

from collections.abc import AsyncIterator

from plugins.sora_image.results import finish_image
from router import (
    Event,
    GenerationContext,
    GenerationRequest,
    InvalidRequestError,
    JobContext,
    JobSpec,
    Outcome,
)


class ImageHandler:
    async def generate(self, request: GenerationRequest, ctx: GenerationContext) -> AsyncIterator[Event]:
        prompt = request.prompt.strip()
        if not prompt:
            raise InvalidRequestError(
                "The prompt is empty: put the image description in the last message", param="messages"
            )
        await ctx.pool.ensure_servable("image", model=request.model.id)
        job = JobSpec(
            model=request.model.id,
            kind="image",
            params={
                "prompt": prompt,
                "width": request.model.params["width"],
                "height": request.model.params["height"],
            },
        )
        async for event in ctx.tasks.run(job, owner_key_id=request.owner_key_id):
            yield event

    async def submit(self, job: JobContext) -> str:
        params = job.params
        return await job.session.create_image(
            params["prompt"], int(params["width"]), int(params["height"]), None
        )

    async def finish(self, job: JobContext, outcome: Outcome) -> Outcome:
        return await finish_image(job, outcome)
