"""The image a client attaches for image-to-image: stored by ``generate``, uploaded by ``submit``.

Jobs are JSON and may be resubmitted after a restart, so the job keeps only the media-store
reference; the upload (B9) happens on the leased account, whose upload ids only it may use.
"""

from __future__ import annotations

from router import GenerationContext, GenerationRequest, InvalidRequestError, JobContext

#: what Sora's ``/uploads`` takes
IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")
UPLOAD_BEGINS = "**Image Upload Begins**\n\nUploading image to server...\n"
UPLOADED = "Image uploaded successfully. Proceeding to generation...\n"


def check_inputs(request: GenerationRequest) -> None:
    if request.videos:
        raise InvalidRequestError("Image models take an image, not a video", param="messages")
    if len(request.images) > 1:
        raise InvalidRequestError(
            f"Attach at most one image to an image request (got {len(request.images)})", param="messages"
        )


async def store_image(request: GenerationRequest, ctx: GenerationContext) -> str | None:
    """The media-store reference of the attached image, if there is one."""
    check_inputs(request)
    if not request.images:
        return None
    stored = await ctx.store_input(request.images[0], accept=IMAGE_TYPES, what="image", param="messages")
    return stored.ref


async def upload_image(job: JobContext, ref: str) -> str:
    """Upload a stored image on the job's account → the media id, narrated as the original did."""
    job.emit(UPLOAD_BEGINS)
    data, meta = await job.media.get(ref)
    media_id = await job.session.upload_image(data, meta.filename, meta.content_type)
    job.emit(UPLOADED)
    return media_id
