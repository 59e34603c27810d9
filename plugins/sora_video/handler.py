"""Videos through chat: text/image-to-video (B12), storyboards (B13) and remixes (B12 remix).

``generate`` reads the prompt's features (remix target, style, storyboard shots), stores an
attached image and describes the job as JSON; ``submit`` sends it on the leased account; the task
engine polls it (pending, then drafts) and ``finish`` hands the result over. A request with a
video first creates a character from it (``characters.py``), which then asks ``job_for`` for the
job of the rest of the request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from plugins.sora_video import remix, storyboard
from plugins.sora_video.characters import generate_with_character, has_video
from plugins.sora_video.inputs import refuse_media
from plugins.sora_video.models import STANDARD_MODEL, STANDARD_SIZE
from plugins.sora_video.results import finish_video
from router import (
    Event,
    Features,
    GenerationContext,
    GenerationRequest,
    InvalidRequestError,
    JobContext,
    JobSpec,
    ModelSpec,
    Outcome,
    check_single_image,
    store_single_image,
    upload_stored_image,
)

#: the feature parsers a video prompt goes through, in this order
FEATURES = ("remix", "style", "storyboard")


def create_body(prompt: str, variant: Mapping[str, Any], style: str | None) -> dict[str, Any]:
    """B12 ``POST /nf/create`` (text/image-to-video); ``inpaint_items`` is filled in at submission."""
    return {
        "kind": "video",
        "prompt": prompt,
        "orientation": variant["orientation"],
        "size": variant["size"],
        "n_frames": variant["n_frames"],
        "model": variant["upstream_model"],
        "inpaint_items": [],
        "style_id": style,
    }


def standard_model_note(spec: ModelSpec, flows: str) -> str | None:
    """Say so when Sora runs a remix or storyboard of a Pro/HD model on its standard model."""
    if spec.params["upstream_model"] == STANDARD_MODEL and spec.params["size"] == STANDARD_SIZE:
        return None
    return (
        f"Note: Sora runs {flows} on its standard model ({STANDARD_MODEL}, {STANDARD_SIZE} size); "
        f"the Pro/HD settings of {spec.id} do not apply.\n"
    )


class VideoHandler:
    async def generate(self, request: GenerationRequest, ctx: GenerationContext) -> AsyncIterator[Event]:
        if has_video(request):  # a character from the video first, then the video with it
            async for event in generate_with_character(request, ctx, lambda r: self.job_for(r, ctx)):
                yield event
            return
        job = await self.job_for(request, ctx)
        async for event in ctx.tasks.run(job, owner_key_id=request.owner_key_id):
            yield event

    async def job_for(self, request: GenerationRequest, ctx: GenerationContext) -> JobSpec:
        """The durable job for ``request``: its features read, its image stored, the model servable."""
        spec = request.model
        parsed = ctx.features.parse(request.prompt, FEATURES, request.extra)
        prompt = parsed.prompt.strip()
        remixing = parsed.features.remix_target is not None
        if remixing:
            refuse_media(request, "A remix")
        else:
            check_single_image(request, what="a video request")
        if not (prompt or remixing):
            raise InvalidRequestError(
                "The prompt is empty: put the video description in the last message", param="messages"
            )
        await ctx.pool.ensure_servable("video", requires_pro=spec.requires_pro, model=spec.id)
        image = None if remixing else await store_single_image(request, ctx, what="a video request")
        return JobSpec(
            model=spec.id,
            kind="video",
            params={**_job_params(spec, prompt, parsed.features), "image": image},
            requires_pro=spec.requires_pro,
            base_url=request.base_url,
        )

    async def submit(self, job: JobContext) -> str:
        flow = job.params.get("flow", "create")
        body = dict(job.params["body"])
        if note := job.params.get("note"):
            job.emit(note)
        if flow == "remix":
            job.emit(remix.BEGINS)
            job.emit(remix.SENDING)
            return await job.session.create_video(body)
        if image := job.params.get("image"):
            body["inpaint_items"] = [{"kind": "upload", "upload_id": await upload_stored_image(job, image)}]
        if flow == "storyboard":
            job.emit(storyboard.DETECTED)
            return await job.session.create_storyboard(body)
        return await job.session.create_video(body)

    async def finish(self, job: JobContext, outcome: Outcome) -> Outcome:
        return await finish_video(job, outcome)


def _job_params(spec: ModelSpec, prompt: str, features: Features) -> dict[str, Any]:
    """The flow, its upstream body and any note for the client (a remix wins over a storyboard)."""
    if features.remix_target is not None:
        body = remix.remix_body(prompt, features.remix_target, spec.params, features.style)
        return {"flow": "remix", "body": body, "note": standard_model_note(spec, "remixes")}
    if features.storyboard is not None:
        body = storyboard.storyboard_body(features.storyboard, spec.params, features.style)
        return {"flow": "storyboard", "body": body, "note": standard_model_note(spec, "storyboards")}
    return {"flow": "create", "body": create_body(prompt, spec.params, features.style), "note": None}
