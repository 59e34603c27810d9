"""Images a client attaches to a video request: one (image-to-video, storyboards), or none.

A request with a video goes to the character flow (``characters.py``) first, which hands the
rest of the request back without the video.

``generate`` keeps the image in the media store and puts only its reference into the job
(jobs are JSON and may be resubmitted after a restart); ``submit`` uploads it on the leased
account, since an upload id is only valid on the account that uploaded it.
"""

from __future__ import annotations

from router import GenerationContext, GenerationRequest, InvalidRequestError, JobContext

#: what Sora's ``/uploads`` takes
IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")
UPLOAD_BEGINS = "**Image Upload Begins**\n\nUploading image to server...\n"
UPLOADED = "Image uploaded successfully. Proceeding to generation...\n"


def refuse_media(request: GenerationRequest, flow: str) -> None:
    """Flows that take no attachment say so, instead of dropping it silently."""
    if request.images or request.videos:
        raise InvalidRequestError(f"{flow} takes no attached image or video", param="messages")


def check_inputs(request: GenerationRequest) -> None:
    """At most one image, no video (left)."""
    if request.videos:  # the handler sends requests with a video to the character flow first
        raise InvalidRequestError("Attach at most one image and no video", param="messages")
    if len(request.images) > 1:
        raise InvalidRequestError(
            f"Attach at most one image to a video request (got {len(request.images)})", param="messages"
        )


async def store_image(request: GenerationRequest, ctx: GenerationContext) -> str | None:
    """The media-store reference of the attached image, if there is one."""
    check_inputs(request)
    if not request.images:
        return None
    stored = await ctx.store_input(request.images[0], accept=IMAGE_TYPES, what="image", param="messages")
    return stored.ref


async def upload_image(job: JobContext, ref: str) -> str:
    """Upload a stored image on the job's account (B9) → the upload id, narrated as the original did."""
    job.emit(UPLOAD_BEGINS)
    data, meta = await job.media.get(ref)
    upload_id = await job.session.upload_image(data, meta.filename, meta.content_type)
    job.emit(UPLOADED)
    return upload_id
