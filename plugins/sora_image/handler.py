"""Images through Sora's ``/video_gen`` (type ``image_gen``), polled by the task engine.

Text-to-image is ``simple_compose``; with an attached image (inline or by URL) the image is
uploaded first and the operation is ``remix`` (image-to-image). The prompt goes upstream as
written: no style or storyboard processing for images.
"""

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
    check_single_image,
    store_single_image,
    upload_stored_image,
)


class ImageHandler:
    async def generate(self, request: GenerationRequest, ctx: GenerationContext) -> AsyncIterator[Event]:
        prompt = request.prompt.strip()
        if not prompt:
            raise InvalidRequestError(
                "The prompt is empty: put the image description in the last message", param="messages"
            )
        check_single_image(request, what="an image request")
        await ctx.pool.ensure_servable("image", model=request.model.id)
        job = JobSpec(
            model=request.model.id,
            kind="image",
            params={
                "prompt": prompt,
                "width": request.model.params["width"],
                "height": request.model.params["height"],
                "image": await store_single_image(request, ctx, what="an image request"),
            },
            base_url=request.base_url,
        )
        async for event in ctx.tasks.run(job, owner_key_id=request.owner_key_id):
            yield event

    async def submit(self, job: JobContext) -> str:
        params = job.params
        media_id = await upload_stored_image(job, image) if (image := params.get("image")) else None
        return await job.session.create_image(
            params["prompt"], int(params["width"]), int(params["height"]), media_id
        )

    async def finish(self, job: JobContext, outcome: Outcome) -> Outcome:
        return await finish_image(job, outcome)
