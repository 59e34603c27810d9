"""Video extension (spec §4.10, §5.3): ``sora2-extension-<n>s`` continues a ``gen_…`` by n seconds.

The prompt names the generation to extend and how it continues. The job runs on the account
that produced the generation when the gateway knows it (Sora only extends an account's own
drafts); an unknown id goes to any account and the upstream decides.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from plugins.sora_video.inputs import refuse_media
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

BEGINS = "**Video Extension Process Begins**\n\nInitializing extension request...\n"
SUBMITTING = (
    "Submitting extension task...\n- generation_id: {generation_id}\n- extension_duration_s: {seconds}\n"
)


def extension_body(prompt: str, seconds: int) -> dict[str, Any]:
    """B14 ``…/drafts/{generation_id}/long_video_extension``."""
    return {"user_prompt": prompt, "extension_duration_s": seconds, "enable_rewrite": True}


class ExtensionHandler:
    async def generate(self, request: GenerationRequest, ctx: GenerationContext) -> AsyncIterator[Event]:
        spec = request.model
        refuse_media(request, "A video extension")
        parsed = ctx.features.parse(request.prompt, ["generation_id"], request.extra)
        generation_id = parsed.features.generation_id
        if generation_id is None:
            raise InvalidRequestError(
                "Name the video to extend: the prompt must contain its generation id "
                "(e.g. 'gen_01k9btrqrnen792yvt703dp0tq a meteor shower begins')",
                param="messages",
            )
        prompt = parsed.prompt.strip()
        if not prompt:
            raise InvalidRequestError(
                f"Describe how the video continues: the prompt holds only the generation id {generation_id}",
                param="messages",
            )
        await ctx.pool.ensure_servable("video", model=spec.id)
        seconds = int(spec.params["extension_duration_s"])
        job = JobSpec(
            model=spec.id,
            kind="video",
            params={"generation_id": generation_id, "body": extension_body(prompt, seconds)},
            account_id=await ctx.tasks.account_for_generation(generation_id),
            base_url=request.base_url,
        )
        async for event in ctx.tasks.run(job, owner_key_id=request.owner_key_id):
            yield event

    async def submit(self, job: JobContext) -> str:
        generation_id = str(job.params["generation_id"])
        body = dict(job.params["body"])
        job.emit(BEGINS)
        job.emit(SUBMITTING.format(generation_id=generation_id, seconds=body["extension_duration_s"]))
        return await job.session.extend_video(generation_id, body)

    async def finish(self, job: JobContext, outcome: Outcome) -> Outcome:
        return await finish_video(job, outcome)
